#include "optim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa.h"
#include "op.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define VG_OPTIM_X86 1
#else
#define VG_OPTIM_X86 0
#endif

typedef struct entry {
  int group;
  double lr;
  float *m, *v;
} entry;

struct vg_optim {
  vg_graph *g;
  vg_optim_conf c;
  entry *e;
  int n;
  int64_t t;
  char plan[VG_NAME_MAX]; /* the plan that takes its steps (vg_optim_set_plan), or "" */
};

vg_optim_conf vg_optim_defaults(vg_optim_kind kind) {
  vg_optim_conf c;
  memset(&c, 0, sizeof c);
  c.kind = kind;
  c.lr = kind == VG_OPTIM_SGD ? 1e-2 : 1e-3;
  c.beta1 = 0.9, c.beta2 = 0.999, c.alpha = 0.99;
  c.eps = 1e-8;
  c.weight_decay = kind == VG_OPTIM_ADAMW ? 1e-2 : 0;
  return c;
}

const char *vg_optim_kind_name(vg_optim_kind kind) {
  static const char *names[] = {"sgd", "adam", "adamw", "rmsprop"};
  return kind >= 0 && kind <= VG_OPTIM_RMSPROP ? names[kind] : "?";
}

static int uses_m(const vg_optim_conf *c) { return c->kind != VG_OPTIM_RMSPROP || c->momentum != 0; }
static int uses_v(const vg_optim_conf *c) { return c->kind != VG_OPTIM_SGD; }

/* n zeros, written now: calloc's fresh pages are the shared zero page
 * until written, so the first step would fault twice per page (a read maps
 * the zero page, the write copies it and flushes the other cores' TLBs):
 * 3-4% of a short AAE run. */
static float *zeroed(size_t n) {
  float *p = malloc(n * sizeof *p);
  if (p) memset(p, 0, n * sizeof *p);
  return p;
}

vg_status vg_optim_new(vg_graph *g, const vg_optim_conf *conf, const int *groups, const double *lr, int ngroups,
                       vg_optim **out) {
  *out = NULL;
  if (!g->frozen && vg_graph_freeze(g)) return VG_ERR_NOMEM;
  if (conf->lr < 0 || conf->eps < 0 || conf->beta1 < 0 || conf->beta1 >= 1 || conf->beta2 < 0 || conf->beta2 >= 1 ||
      conf->momentum < 0 || conf->alpha < 0 || conf->alpha >= 1)
    return vg_graph_fail(g, VG_ERR_ARG, "%s: bad settings (lr %g, betas %g %g, momentum %g, alpha %g, eps %g)",
                         vg_optim_kind_name(conf->kind), conf->lr, conf->beta1, conf->beta2, conf->momentum,
                         conf->alpha, conf->eps);
  vg_optim *o = calloc(1, sizeof *o);
  entry *e = calloc((size_t)(ngroups ? ngroups : 1), sizeof *e);
  if (!o || !e) {
    free(o), free(e);
    return vg_graph_fail(g, VG_ERR_NOMEM, "optimizer: out of memory");
  }
  o->g = g, o->c = *conf, o->e = e, o->n = ngroups;
  for (int i = 0; i < ngroups; i++) {
    if (groups[i] < 0 || groups[i] >= g->ngroups) {
      vg_optim_free(o);
      return vg_graph_fail(g, VG_ERR_ARG, "optimizer: no parameter group %d", groups[i]);
    }
    for (int j = 0; j < i; j++)
      if (groups[j] == groups[i]) {
        vg_optim_free(o);
        return vg_graph_fail(g, VG_ERR_ARG, "optimizer: group '%s' listed twice (it would be stepped twice a step)",
                             g->groups[groups[i]].name);
      }
    size_t len = g->groups[groups[i]].len ? g->groups[groups[i]].len : 1;
    e[i].group = groups[i];
    e[i].lr = lr ? lr[i] : conf->lr;
    if ((uses_m(conf) && !(e[i].m = zeroed(len))) || (uses_v(conf) && !(e[i].v = zeroed(len)))) {
      vg_optim_free(o);
      return vg_graph_fail(g, VG_ERR_NOMEM, "optimizer: out of memory for group '%s'", g->groups[groups[i]].name);
    }
  }
  *out = o;
  return VG_OK;
}

void vg_optim_free(vg_optim *o) {
  if (!o) return;
  for (int i = 0; i < o->n; i++) free(o->e[i].m), free(o->e[i].v);
  free(o->e);
  free(o);
}

/* step_group_portable, _avx2 and _avx512: the same rules per kernel path. */
#define VG_STEP_NAME step_group_portable
#define VG_STEP_TARGET
#include "optim_step.h"
#if VG_OPTIM_X86
#define VG_STEP_NAME step_group_avx2
#define VG_STEP_TARGET __attribute__((target("avx2,fma")))
#include "optim_step.h"
#define VG_STEP_NAME step_group_avx512
#define VG_STEP_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma,prefer-vector-width=512")))
#include "optim_step.h"
#endif

void vg_optim_begin(vg_optim *o) {
  o->t++;
  for (int i = 0; i < o->n; i++) o->g->groups[o->e[i].group].steps++;
}

int vg_optim_entry(const vg_optim *o, int group) {
  for (int i = 0; i < o->n; i++)
    if (o->e[i].group == group) return i;
  return -1;
}

void vg_optim_update(vg_optim *o, int i, size_t at, size_t n, const float *grad) {
  const entry *e = &o->e[i];
  float *p = o->g->params + o->g->groups[e->group].off + at, *m = e->m ? e->m + at : NULL, *v = e->v ? e->v + at : NULL;
#if VG_OPTIM_X86
  switch (vg_isa_current()) {
  case VG_ISA_AVX512: step_group_avx512(&o->c, e->lr, p, m, v, grad, (int64_t)n, o->t); return;
  case VG_ISA_AVX2: step_group_avx2(&o->c, e->lr, p, m, v, grad, (int64_t)n, o->t); return;
  default: break;
  }
#endif
  step_group_portable(&o->c, e->lr, p, m, v, grad, (int64_t)n, o->t);
}

void vg_optim_step(vg_optim *o) {
  vg_optim_begin(o);
  for (int i = 0; i < o->n; i++) {
    const vg_group *gr = &o->g->groups[o->e[i].group];
    vg_optim_update(o, i, 0, gr->len, o->g->grads + gr->off);
  }
}

void vg_optim_set_lr(vg_optim *o, int i, double lr) {
  if (i >= 0 && i < o->n) o->e[i].lr = lr;
}
double vg_optim_get_lr(const vg_optim *o, int i) { return i >= 0 && i < o->n ? o->e[i].lr : 0; }
int vg_optim_ngroups(const vg_optim *o) { return o->n; }
vg_graph *vg_optim_graph(const vg_optim *o) { return o->g; }
void vg_optim_set_plan(vg_optim *o, const char *plan) { snprintf(o->plan, sizeof o->plan, "%s", plan); }
const char *vg_optim_plan(const vg_optim *o) { return o->plan[0] ? o->plan : NULL; }
int vg_optim_group(const vg_optim *o, int i) { return i >= 0 && i < o->n ? o->e[i].group : -1; }
int64_t vg_optim_steps(const vg_optim *o) { return o->t; }
void vg_optim_set_steps(vg_optim *o, int64_t t) { o->t = t; }

float *vg_optim_state(vg_optim *o, int i, int which, size_t *len) {
  if (i < 0 || i >= o->n) return NULL;
  *len = o->g->groups[o->e[i].group].len;
  return which == 0 ? o->e[i].m : o->e[i].v;
}
