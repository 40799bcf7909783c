/* End to end on the runtime alone:
 *  - a small MLP learns a synthetic classification problem to a low loss;
 *  - a small VAE (with the random reparam node) gives bit-identical losses
 *    at 1 and 2 threads for the same seed, and different ones for another. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "graph.h"
#include "optim.h"
#include "plan.h"
#include "rng.h"

/* x -> linear -> act -> ... -> linear; returns the last node. */
static int mlp(vg_graph *g, int group, const char *prefix, int x, const int *sizes, int nsizes, vg_op_id act) {
  int h = x;
  for (int l = 0; l + 1 < nsizes; l++) {
    char wn[64], bn[64], ln[64];
    snprintf(wn, sizeof wn, "%s.fc%d.weight", prefix, l + 1);
    snprintf(bn, sizeof bn, "%s.fc%d.bias", prefix, l + 1);
    snprintf(ln, sizeof ln, "%s.fc%d", prefix, l + 1);
    int64_t wd[2] = {sizes[l + 1], sizes[l]}, bd[1] = {sizes[l + 1]};
    double bound = 1 / sqrt((double)sizes[l]);
    int w = vg_param(g, group, wn, vg_shape_of(2, wd), (vg_init){VG_INIT_KAIMING_UNIFORM, sqrt(5.0), 0});
    int b = vg_param(g, group, bn, vg_shape_of(1, bd), (vg_init){VG_INIT_UNIFORM, -bound, bound});
    int in[3] = {h, w, b};
    h = vg_node_add(g, VG_OP_LINEAR, ln, 3, in, NULL);
    if (l + 2 < nsizes) h = vg_node_add(g, act, NULL, 1, &h, NULL);
  }
  return h;
}

/* Points in [-1, 1]^2, label 1 inside the circle of radius 0.7. */
static void circle_batch(float *x, float *y, int batch, uint64_t step) {
  for (int i = 0; i < batch; i++) {
    double a = 2 * vg_rng_uniform(1, step, 1, (uint64_t)i) - 1, b = 2 * vg_rng_uniform(1, step, 2, (uint64_t)i) - 1;
    x[2 * i] = (float)a, x[2 * i + 1] = (float)b;
    y[i] = a * a + b * b < 0.49 ? 1.0f : 0.0f;
  }
}

static void mlp_learns(void) {
  enum { B = 128 };
  vg_graph *g = vg_graph_new(42);
  int64_t xd[2] = {B, 2}, yd[2] = {B, 1};
  int x = vg_input(g, "x", vg_shape_of(2, xd)), y = vg_input(g, "y", vg_shape_of(2, yd));
  int grp = vg_group_new(g, "net");
  int sizes[] = {2, 32, 32, 1};
  int logit = mlp(g, grp, "net", x, sizes, 4, VG_OP_TANH);
  int in[2] = {logit, y};
  int loss = vg_node_add(g, VG_OP_BCE_LOGITS, "loss", 2, in, "reduction=mean");
  CHECK(loss >= 0, "%s", vg_graph_error(g));
  vg_plan *p;
  vg_plan_spec spec = {.name = "train", .loss = loss, .update = &grp, .nupdate = 1};
  CHECK(vg_plan_compile(g, &spec, &p) == VG_OK, "%s", vg_graph_error(g));
  vg_optim_conf c = vg_optim_defaults(VG_OPTIM_ADAM);
  c.lr = 1e-2;
  vg_optim *o;
  vg_optim_new(g, &c, &grp, NULL, 1, &o);
  double first = 0, last = 0;
  for (int s = 0; s < 1500; s++) {
    circle_batch(vg_input_fill(g, x), vg_input_fill(g, y), B, (uint64_t)s);
    CHECK(vg_plan_run(p, (uint64_t)s) == VG_OK, "%s", vg_graph_error(g));
    vg_optim_step(o);
    double l = vg_plan_value(p, loss)[0];
    if (s < 20) first += l / 20;
    if (s >= 1480) last += l / 20;
  }
  printf("  mlp on circle: loss %.4f -> %.4f\n", first, last);
  CHECK(first > 0.5, "initial loss %.4f is suspiciously low", first);
  CHECK(last < 0.08, "MLP did not learn: final loss %.4f", last);
  vg_optim_free(o);
  vg_plan_free(p);
  vg_graph_free(g);
}

/* A VAE on synthetic 0/1 images; returns its losses over `steps`. */
static void vae_losses(int threads, uint64_t seed, double *losses, int steps) {
  enum { B = 128, D = 96, H = 160, Z = 8 };
  omp_set_num_threads(threads);
  vg_graph *g = vg_graph_new(seed);
  int64_t xd[2] = {B, D};
  int x = vg_input(g, "x", vg_shape_of(2, xd));
  int enc = vg_group_new(g, "encoder"), dec = vg_group_new(g, "decoder");
  int es[] = {D, H, 2 * Z}, ds[] = {Z, H, D};
  int stats = mlp(g, enc, "enc", x, es, 3, VG_OP_RELU);
  int mu = vg_node_add(g, VG_OP_SLICE, "mu", 1, &stats, "axis=1 start=0 len=8");
  int lv = vg_node_add(g, VG_OP_SLICE, "logvar", 1, &stats, "axis=1 start=8 len=8");
  int ml[2] = {mu, lv};
  int z = vg_node_add(g, VG_OP_REPARAM, "z", 2, ml, NULL);
  int logits = mlp(g, dec, "dec", z, ds, 3, VG_OP_RELU);
  int probs = vg_node_add(g, VG_OP_SIGMOID, "probs", 1, &logits, NULL);
  int rx[2] = {probs, x};
  int rec = vg_node_add(g, VG_OP_BCE, "rec", 2, rx, "reduction=batchmean");
  int kl = vg_node_add(g, VG_OP_KL_NORMAL, "kl", 2, ml, "reduction=batchmean");
  int rk[2] = {rec, kl};
  int loss = vg_node_add(g, VG_OP_ADD, "loss", 2, rk, NULL);
  CHECK(loss >= 0, "%s", vg_graph_error(g));
  int groups[2] = {enc, dec};
  vg_plan *p;
  vg_plan_spec spec = {.name = "vae", .loss = loss, .update = groups, .nupdate = 2};
  CHECK(vg_plan_compile(g, &spec, &p) == VG_OK, "%s", vg_graph_error(g));
  vg_optim *o;
  vg_optim_conf c = vg_optim_defaults(VG_OPTIM_ADAM);
  vg_optim_new(g, &c, groups, NULL, 2, &o);
  float *xv = vg_input_fill(g, x);
  for (int s = 0; s < steps; s++) {
    /* Images: a random bar pattern, so there is something to learn. */
    for (int i = 0; i < B; i++) {
      int bar = (int)(vg_rng_uniform(3, (uint64_t)s, 0, (uint64_t)i) * 12);
      for (int j = 0; j < D; j++) xv[i * D + j] = (j / 8 == bar) ? 1.0f : 0.0f;
    }
    CHECK(vg_plan_run(p, (uint64_t)s) == VG_OK, "%s", vg_graph_error(g));
    vg_optim_step(o);
    losses[s] = vg_plan_value(p, loss)[0];
  }
  vg_optim_free(o);
  vg_plan_free(p);
  vg_graph_free(g);
}

static void threads_identical(void) {
  enum { S = 60 };
  double one[S], two[S], other[S];
  vae_losses(1, 7, one, S);
  vae_losses(2, 7, two, S);
  vae_losses(2, 8, other, S);
  CHECK(memcmp(one, two, sizeof one) == 0, "losses at 1 and 2 threads differ: first %.9g vs %.9g, last %.9g vs %.9g",
        one[0], two[0], one[S - 1], two[S - 1]);
  CHECK(memcmp(one, other, sizeof one) != 0, "a different seed gave the same losses");
  CHECK(one[S - 1] < one[0] * 0.7, "VAE loss did not fall: %.3f -> %.3f", one[0], one[S - 1]);
  printf("  vae: loss %.3f -> %.3f, 1 and 2 threads bit-identical over %d steps\n", one[0], one[S - 1], S);
  omp_set_num_threads(2);
}

int main(void) {
  mlp_learns();
  threads_identical();
  CHECK_DONE();
}
