/* Random ops. Noise is drawn from the counter RNG keyed by (seed, step,
 * node name, index): the backward recomputes it instead of saving it, and
 * the thread count cannot change it. */
#include "kernel.h"

static inline vg_real noise(const vg_kernel *k, uint32_t stream, int64_t i) {
  return (vg_real)vg_rng_normal(k->seed, k->step, stream, (uint64_t)i);
}

/* reparam: z = mu + eps * exp(logvar / 2), eps ~ N(0, I).
 *   mu [...], logvar [...] -> z [...] */
static vg_status reparam_infer(vg_graph *g, vg_node *n) {
  vg_status st = vg_infer_same_shape(g, n, 1);
  n->shape = *vg_in_shape(g, n, 0);
  return st;
}

static void reparam_forward(const vg_kernel *k) {
  const vg_real *mu = k->x[0], *lv = k->x[1];
  vg_real *z = k->y;
  const uint32_t stream = vg_rng_stream(k->node->name);
  VG_FOR(vg_numel(k->ys), z[i] = mu[i] + noise(k, stream, i) * exp(lv[i] * (vg_real)0.5));
}

static void reparam_backward(const vg_kernel *k) {
  const vg_real *lv = k->x[1], *dz = k->dy;
  vg_real *dmu = k->dx[0], *dlv = k->dx[1];
  const uint32_t stream = vg_rng_stream(k->node->name);
  if (dmu) VG_FOR(vg_numel(k->ys), dmu[i] += dz[i]);
  if (dlv) VG_FOR(vg_numel(k->ys), dlv[i] += dz[i] * noise(k, stream, i) * (vg_real)0.5 * exp(lv[i] * (vg_real)0.5));
}

VG_OP_RECORD(reparam) = {.name = "reparam",
                         .nin_min = 2,
                         .nin_max = 2,
                         .flags = VG_OPF_RANDOM | VG_OPF_BWD_NO_Y,
                         .infer = reparam_infer,
                         .forward = reparam_forward,
                         .backward = reparam_backward};

/* gaussian_noise: y = x + mean + sd * eps (the denoising AE's corruption).
 *   x [...] -> y [...] */
static vg_status noise_infer(vg_graph *g, vg_node *n) {
  if (n->attr.v[1] < 0) return vg_op_fail(g, n, VG_ERR_ARG, "sd must be >= 0, got %g", n->attr.v[1]);
  n->shape = *vg_in_shape(g, n, 0);
  return VG_OK;
}

static void noise_forward(const vg_kernel *k) {
  const vg_real *x = k->x[0], mean = (vg_real)k->a->v[0], sd = (vg_real)k->a->v[1];
  vg_real *y = k->y;
  const uint32_t stream = vg_rng_stream(k->node->name);
  VG_FOR(vg_numel(k->ys), y[i] = x[i] + mean + sd * noise(k, stream, i));
}

static void noise_backward(const vg_kernel *k) {
  vg_real *dx = k->dx[0];
  const vg_real *dy = k->dy;
  if (dx) VG_FOR(vg_numel(k->ys), dx[i] += dy[i]);
}

VG_OP_RECORD(gaussian_noise) = {.name = "gaussian_noise",
                                .nin_min = 1,
                                .nin_max = 1,
                                .flags = VG_OPF_RANDOM | VG_OPF_BWD_NO_X | VG_OPF_BWD_NO_Y,
                                .attrs = {{"mean", VG_ATTR_NUM, 0, NULL}, {"sd", VG_ATTR_NUM, 1, NULL}},
                                .infer = noise_infer,
                                .forward = noise_forward,
                                .backward = noise_backward};
