/* Optimizers against their update rules written out in double, per-group
 * learning rates, and exact resume from saved state. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "graph.h"
#include "isa.h"
#include "optim.h"

enum { N = 37, STEPS = 6 };

/* The rules as PyTorch documents them, in double. */
static void reference_step(const vg_optim_conf *c, double lr, double *p, const double *grad, double *m, double *v, int t) {
  for (int i = 0; i < N; i++) {
    double g = grad[i];
    switch (c->kind) {
      case VG_OPTIM_SGD:
        g += c->weight_decay * p[i];
        if (c->momentum != 0) {
          m[i] = t == 1 ? g : c->momentum * m[i] + g;
          g = c->nesterov ? g + c->momentum * m[i] : m[i];
        }
        p[i] -= lr * g;
        break;
      case VG_OPTIM_ADAM:
      case VG_OPTIM_ADAMW:
        if (c->kind == VG_OPTIM_ADAMW) p[i] *= 1 - lr * c->weight_decay;
        else g += c->weight_decay * p[i];
        m[i] = c->beta1 * m[i] + (1 - c->beta1) * g;
        v[i] = c->beta2 * v[i] + (1 - c->beta2) * g * g;
        p[i] -= lr * (m[i] / (1 - pow(c->beta1, t))) / (sqrt(v[i] / (1 - pow(c->beta2, t))) + c->eps);
        break;
      case VG_OPTIM_RMSPROP:
        g += c->weight_decay * p[i];
        v[i] = c->alpha * v[i] + (1 - c->alpha) * g * g;
        g = g / (sqrt(v[i]) + c->eps);
        if (c->momentum != 0) g = m[i] = c->momentum * m[i] + g;
        p[i] -= lr * g;
        break;
    }
  }
}

static double grad_at(int step, int i) { return sin(0.7 * i + 1.3 * step) * (1 + 0.1 * i); }

/* Two groups with different learning rates, against the reference. */
static void check_rule(vg_optim_conf c, const char *label) {
  vg_graph *g = vg_graph_new(5);
  int ga = vg_group_new(g, "a"), gb = vg_group_new(g, "b");
  int64_t d = N;
  int pa = vg_param(g, ga, "pa", vg_shape_of(1, &d), (vg_init){VG_INIT_NORMAL, 0, 1});
  int pb = vg_param(g, gb, "pb", vg_shape_of(1, &d), (vg_init){VG_INIT_NORMAL, 0, 1});
  CHECK(vg_graph_freeze(g) == VG_OK, "%s", vg_graph_error(g));
  int groups[2] = {ga, gb};
  double lrs[2] = {c.lr, c.lr * 3};
  vg_optim *o;
  CHECK(vg_optim_new(g, &c, groups, lrs, 2, &o) == VG_OK, "%s", vg_graph_error(g));
  double p[2][N], m[2][N] = {{0}}, v[2][N] = {{0}}, gr[N];
  int nodes[2] = {pa, pb};
  for (int k = 0; k < 2; k++)
    for (int i = 0; i < N; i++) p[k][i] = vg_param_data(g, nodes[k])[i];
  double worst = 0;
  for (int t = 1; t <= STEPS; t++) {
    for (int k = 0; k < 2; k++) {
      for (int i = 0; i < N; i++) gr[i] = grad_at(t, i) * (k + 1), g->grads[g->nodes[nodes[k]].off + i] = (float)gr[i];
      reference_step(&c, lrs[k], p[k], gr, m[k], v[k], t);
    }
    vg_optim_step(o);
    for (int k = 0; k < 2; k++)
      for (int i = 0; i < N; i++) worst = fmax(worst, fabs(p[k][i] - vg_param_data(g, nodes[k])[i]) / fmax(fabs(p[k][i]), 1e-1));
  }
  CHECK(worst < 1e-5, "%s: parameters differ from the rule by %.2e", label, worst);
  printf("  %-22s max rel diff from the rule %.1e\n", label, worst);
  vg_optim_free(o);
  vg_graph_free(g);
}

/* Run 2*STEPS steps straight, or STEPS steps, copy the state into a new
 * optimizer, and STEPS more: the parameters must agree bit for bit. */
static void check_resume(vg_optim_conf c, const char *label) {
  float final[2][N];
  for (int resumed = 0; resumed < 2; resumed++) {
    vg_graph *g = vg_graph_new(9);
    int ga = vg_group_new(g, "a");
    int64_t d = N;
    int pa = vg_param(g, ga, "pa", vg_shape_of(1, &d), (vg_init){VG_INIT_NORMAL, 0, 1});
    vg_graph_freeze(g);
    vg_optim *o;
    vg_optim_new(g, &c, &ga, NULL, 1, &o);
    for (int t = 1; t <= 2 * STEPS; t++) {
      if (resumed && t == STEPS + 1) {
        vg_optim *o2;
        CHECK(vg_optim_new(g, &c, &ga, NULL, 1, &o2) == VG_OK, "%s", vg_graph_error(g));
        for (int w = 0; w < 2; w++) {
          size_t len, len2;
          float *s = vg_optim_state(o, 0, w, &len), *s2 = vg_optim_state(o2, 0, w, &len2);
          CHECK((s == NULL) == (s2 == NULL) && len == len2, "state layout differs");
          if (s && s2) memcpy(s2, s, len * sizeof *s);
        }
        vg_optim_set_steps(o2, vg_optim_steps(o));
        vg_optim_free(o);
        o = o2;
      }
      for (int i = 0; i < N; i++) g->grads[i] = (float)grad_at(t, i);
      vg_optim_step(o);
    }
    memcpy(final[resumed], vg_param_data(g, pa), sizeof final[0]);
    vg_optim_free(o);
    vg_graph_free(g);
  }
  CHECK(memcmp(final[0], final[1], sizeof final[0]) == 0, "%s: resumed run differs", label);
}

/* Every rule on every kernel path this CPU runs (optim.c compiles the
 * update loops once per path). */
int main(void) {
  const vg_isa best = vg_isa_cpu();
  for (int isa = VG_ISA_PORTABLE; isa <= (int)best; isa++) {
    vg_isa_force((vg_isa)isa);
    vg_optim_conf sgd = vg_optim_defaults(VG_OPTIM_SGD);
    check_rule(sgd, "sgd");
    sgd.momentum = 0.9, sgd.weight_decay = 1e-3;
    check_rule(sgd, "sgd momentum wd");
    sgd.nesterov = 1;
    check_rule(sgd, "sgd nesterov");
    check_resume(sgd, "sgd nesterov");
    vg_optim_conf adam = vg_optim_defaults(VG_OPTIM_ADAM);
    check_rule(adam, "adam");
    adam.weight_decay = 1e-2;
    check_rule(adam, "adam wd");
    check_resume(adam, "adam");
    vg_optim_conf adamw = vg_optim_defaults(VG_OPTIM_ADAMW);
    check_rule(adamw, "adamw");
    check_resume(adamw, "adamw");
    vg_optim_conf rms = vg_optim_defaults(VG_OPTIM_RMSPROP);
    check_rule(rms, "rmsprop");
    rms.momentum = 0.5;
    check_rule(rms, "rmsprop momentum");
    check_resume(rms, "rmsprop momentum");
  }
  vg_isa_force(best);
  CHECK_DONE();
}
