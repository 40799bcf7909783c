/* Random ops. Noise is drawn from the counter RNG keyed by (seed, step,
 * node name, index): the backward recomputes it instead of saving it, and
 * the thread count cannot change it. */
#include "kernel.h"

static inline vg_real noise(const vg_kernel *k, uint32_t stream, int64_t i) {
  return (vg_real)vg_rng_normal(k->seed, k->step, stream, vg_noise_base(k) + (uint64_t)i);
}

/* reparam: z = mu + eps * exp(logvar / 2), eps ~ N(0, I); in evaluation,
 * z = mu with eval = "mean".
 *   mu [...], logvar [...] -> z [...] */
enum { RP_EVAL };
enum { RP_SAMPLE, RP_MEAN };

static int gives_mean(const vg_kernel *k) { return !k->training && (int)k->a->v[RP_EVAL] == RP_MEAN; }
static vg_status reparam_infer(vg_graph *g, vg_node *n) {
  vg_status st = vg_infer_same_shape(g, n, 1);
  n->shape = *vg_in_shape(g, n, 0);
  return st;
}

static void reparam_forward(const vg_kernel *k) {
  const vg_real *mu = k->x[0], *lv = k->x[1];
  vg_real *z = k->y;
  const uint32_t stream = vg_rng_stream(k->node->name);
  if (gives_mean(k)) {
    memcpy(z, mu, (size_t)vg_numel(k->ys) * sizeof *z);
    return;
  }
  VG_FOR(vg_numel(k->ys), z[i] = mu[i] + noise(k, stream, i) * exp(lv[i] * (vg_real)0.5));
}

static void reparam_backward(const vg_kernel *k) {
  const vg_real *lv = k->x[1], *dz = k->dy;
  vg_real *dmu = k->dx[0], *dlv = k->dx[1];
  const uint32_t stream = vg_rng_stream(k->node->name);
  if (dmu) VG_FOR(vg_numel(k->ys), dmu[i] += dz[i]);
  if (gives_mean(k)) return;
  if (dlv) VG_FOR(vg_numel(k->ys), dlv[i] += dz[i] * noise(k, stream, i) * (vg_real)0.5 * exp(lv[i] * (vg_real)0.5));
}

VG_OP_RECORD(reparam) = {.name = "reparam",
                         .doc = "mu, logvar → mu + eps · exp(logvar / 2), eps ~ N(0, I); mu in evaluation with eval = mean",
                         .nin_min = 2,
                         .nin_max = 2,
                         .flags = VG_OPF_RANDOM | VG_OPF_BWD_NO_Y,
                         .attrs = {[RP_EVAL] = {"eval", VG_ATTR_ENUM, RP_SAMPLE, "sample|mean"}},
                         .infer = reparam_infer,
                         .forward = reparam_forward,
                         .backward = reparam_backward};

/* gaussian_noise: y = x + mean + sd * eps (the denoising AE's corruption).
 *   x [...] -> y [...] */
enum { GN_MEAN, GN_SD };

static vg_status noise_infer(vg_graph *g, vg_node *n) {
  if (n->attr.v[GN_SD] < 0) return vg_op_fail(g, n, VG_ERR_ARG, "sd must be >= 0, got %g", n->attr.v[GN_SD]);
  n->shape = *vg_in_shape(g, n, 0);
  return VG_OK;
}

static void noise_forward(const vg_kernel *k) {
  const vg_real *x = k->x[0], mean = (vg_real)k->a->v[GN_MEAN], sd = (vg_real)k->a->v[GN_SD];
  vg_real *y = k->y;
  const uint32_t stream = vg_rng_stream(k->node->name);
  VG_FOR(vg_numel(k->ys), y[i] = x[i] + mean + sd * noise(k, stream, i));
}

static void noise_backward(const vg_kernel *k) {
  vg_real *dx = k->dx[0];
  const vg_real *dy = k->dy;
  if (dx) VG_FOR(vg_numel(k->ys), dx[i] += dy[i]);
}

VG_OP_RECORD(gaussian_noise) = {.name = "gaussian_noise", .doc = "x → x + mean + sd · eps",
                                .nin_min = 1,
                                .nin_max = 1,
                                .flags = VG_OPF_RANDOM | VG_OPF_BWD_NO_X | VG_OPF_BWD_NO_Y,
                                .attrs = {[GN_MEAN] = {"mean", VG_ATTR_NUM, 0, NULL}, [GN_SD] = {"sd", VG_ATTR_NUM, 1, NULL}},
                                .infer = noise_infer,
                                .forward = noise_forward,
                                .backward = noise_backward};

/* prior: samples from a latent prior, one row per example (the adversarial
 * autoencoder's "real" codes).
 *   gaussian  N(0, sd^2 I)
 *   mixture   2-D only: `components` gaussians around a circle, as in
 *             Makhzani et al.: component k, drawn uniformly, sits at angle
 *             2 pi k / components and distance `radius` from the origin,
 *             with spread `radial_sd` along the radius and `tangent_sd`
 *             across it.
 *   categorical  the latent in groups of `categories` values, each group
 *             the one-hot of a class drawn uniformly (a categorical VAE's
 *             prior: latent = variables x categories)
 *   (no inputs) -> [dims], dims = {batch, latent} */
enum { PR_DIMS, PR_KIND, PR_SD, PR_COMPONENTS, PR_RADIUS, PR_RADIAL_SD, PR_TANGENT_SD, PR_CATEGORIES };
enum { PRIOR_GAUSSIAN, PRIOR_MIXTURE, PRIOR_CATEGORICAL };

static vg_status prior_infer(vg_graph *g, vg_node *n) {
  const vg_shape *d = &n->attr.dims;
  const vg_attrs *a = &n->attr;
  char sd[VG_SHAPE_STRLEN];
  vg_shape_str(d, sd, sizeof sd);
  if (d->nd != 2 || d->d[0] < 1 || d->d[1] < 1)
    return vg_op_fail(g, n, VG_ERR_ARG, "dims must be {batch, latent}, got %s", sd);
  if ((int)a->v[PR_KIND] == PRIOR_MIXTURE) {
    if (d->d[1] != 2)
      return vg_op_fail(g, n, VG_ERR_ARG, "the mixture prior is 2-D, got dims %s (use kind=gaussian)", sd);
    if (a->v[PR_COMPONENTS] < 1)
      return vg_op_fail(g, n, VG_ERR_ARG, "components must be >= 1, got %g", a->v[PR_COMPONENTS]);
  }
  if ((int)a->v[PR_KIND] == PRIOR_CATEGORICAL && (a->v[PR_CATEGORIES] < 1 || d->d[1] % (int64_t)a->v[PR_CATEGORIES]))
    return vg_op_fail(g, n, VG_ERR_ARG, "the categorical prior's latent (%lld) must be a multiple of categories (%g)",
                      (long long)d->d[1], a->v[PR_CATEGORIES]);
  if (!(a->v[PR_SD] >= 0 && a->v[PR_RADIAL_SD] >= 0 && a->v[PR_TANGENT_SD] >= 0))
    return vg_op_fail(g, n, VG_ERR_ARG, "standard deviations must be >= 0");
  n->shape = *d;
  /* With an input, as many rows as it has at run time: a partial batch, or
   * one rank's share of a batch under mpirun, draws its own rows only. */
  if (n->nin == 1) {
    const vg_shape *like = vg_in_shape(g, n, 0);
    if (like->nd < 1 || like->d[0] > d->d[0])
      return vg_op_fail(g, n, VG_ERR_ARG, "its input gives the batch (rows), at most %lld, got %s", (long long)d->d[0],
                        like->nd ? "more" : "a scalar");
    n->shape.d[0] = like->d[0];
  }
  return VG_OK;
}

static void prior_forward(const vg_kernel *k) {
  const vg_attrs *a = k->a;
  vg_real *y = k->y;
  const uint32_t stream = vg_rng_stream(k->node->name);
  if ((int)a->v[PR_KIND] == PRIOR_GAUSSIAN) {
    const vg_real sd = (vg_real)a->v[PR_SD];
    VG_FOR(vg_numel(k->ys), y[i] = sd * noise(k, stream, i));
    return;
  }
  if ((int)a->v[PR_KIND] == PRIOR_CATEGORICAL) {
    /* Group i (of `categories` values) draws its class from index base/C + i. */
    const int64_t C = (int64_t)a->v[PR_CATEGORIES], groups = vg_numel(k->ys) / C;
    const uint64_t base = vg_noise_base(k) / (uint64_t)C;
    VG_FOR(groups, {
      int64_t c = (int64_t)(vg_rng_uniform(k->seed, k->step, stream, base + (uint64_t)i) * (double)C);
      if (c >= C) c = C - 1;
      for (int64_t j = 0; j < C; j++) y[i * C + j] = j == c ? 1 : 0;
    });
    return;
  }
  const int K = (int)a->v[PR_COMPONENTS];
  const double r = a->v[PR_RADIUS], sr = a->v[PR_RADIAL_SD], st = a->v[PR_TANGENT_SD];
  const double two_pi = 6.283185307179586476925;
  /* Row i draws its component from index 3i, its two offsets from 3i + 1
   * and 3i + 2. */
  const uint64_t base = vg_noise_base(k) / 2; /* rows, not values */
  VG_FOR(k->ys->d[0], {
    const uint64_t row = base + (uint64_t)i;
    int c = (int)(vg_rng_uniform(k->seed, k->step, stream, 3 * row) * K);
    if (c >= K) c = K - 1;
    const double u = r + sr * vg_rng_normal(k->seed, k->step, stream, 3 * row + 1);
    const double v = st * vg_rng_normal(k->seed, k->step, stream, 3 * row + 2);
    const double th = two_pi * c / K;
    y[2 * i] = (vg_real)(u * cos(th) - v * sin(th));
    y[2 * i + 1] = (vg_real)(u * sin(th) + v * cos(th));
  });
}

VG_OP_RECORD(prior) = {.name = "prior", .doc = "[x (its rows: the batch)] → `[batch, latent]` draws from a prior, new every step: gaussian, (2-D) 10 gaussians on a circle, or one-hot groups of `categories` (made by `g:prior`); no gradient to x",
                       .nin_min = 0,
                       .nin_max = 1,
                       .flags = VG_OPF_RANDOM | VG_OPF_BWD_NO_X | VG_OPF_BWD_NO_Y,
                       .nograd = 1, /* x gives the rows only */
                       .attrs = {[PR_DIMS] = {"dims", VG_ATTR_DIMS, 0, NULL},
                                 [PR_KIND] = {"kind", VG_ATTR_ENUM, PRIOR_GAUSSIAN, "gaussian|mixture|categorical"},
                                 [PR_SD] = {"sd", VG_ATTR_NUM, 1, NULL},
                                 [PR_COMPONENTS] = {"components", VG_ATTR_INT, 10, NULL},
                                 [PR_RADIUS] = {"radius", VG_ATTR_NUM, 1.4, NULL},
                                 [PR_RADIAL_SD] = {"radial_sd", VG_ATTR_NUM, 0.5, NULL},
                                 [PR_TANGENT_SD] = {"tangent_sd", VG_ATTR_NUM, 0.1, NULL},
                                 [PR_CATEGORIES] = {"categories", VG_ATTR_INT, 10, NULL}},
                       .infer = prior_infer,
                       .forward = prior_forward};

/* uniform: U(low, high) draws of x's shape; x is only a shape template (its
 * run-time shape: a partial batch draws fewer), and takes no gradient.
 * u = (k + 1/2) 2^-23 for a 23-bit k: strictly inside (0, 1), and the same
 * number in float and double (24 significant bits), so log(u) and
 * log(1 - u) are finite. y = low + (high - low) u, rounded to the real type
 * once: inside (low, high) for the default range; float rounding may reach
 * an end of other ranges.
 *   x [...] -> y [...] */
enum { UN_LOW, UN_HIGH };

static vg_status uniform_infer(vg_graph *g, vg_node *n) {
  const double lo = n->attr.v[UN_LOW], hi = n->attr.v[UN_HIGH];
  if (!(lo < hi)) return vg_op_fail(g, n, VG_ERR_ARG, "low must be below high, got low = %g, high = %g", lo, hi);
  n->shape = *vg_in_shape(g, n, 0);
  return VG_OK;
}

static void uniform_forward(const vg_kernel *k) {
  const double lo = k->a->v[UN_LOW], w = k->a->v[UN_HIGH] - lo;
  vg_real *y = k->y;
  const uint32_t stream = vg_rng_stream(k->node->name);
  const uint64_t base = vg_noise_base(k);
  VG_FOR(vg_numel(k->ys), {
    uint32_t u[4];
    vg_rng_block(k->seed, k->step, stream, base + (uint64_t)i, u);
    y[i] = (vg_real)(lo + w * (((double)(u[0] >> 9) + 0.5) * 0x1.0p-23));
  });
}

VG_OP_RECORD(uniform) = {.name = "uniform", .doc = "x (a shape) → U(low, high) draws of x's shape, new every step; no gradient to x",
                         .nin_min = 1,
                         .nin_max = 1,
                         .flags = VG_OPF_RANDOM | VG_OPF_NO_GRAD,
                         .attrs = {[UN_LOW] = {"low", VG_ATTR_NUM, 0, NULL}, [UN_HIGH] = {"high", VG_ATTR_NUM, 1, NULL}},
                         .infer = uniform_infer,
                         .forward = uniform_forward};

/* gumbel: standard Gumbel draws -log(-log u) of x's shape (vg_rng_gumbel);
 * x is only a shape template and takes no gradient. Mean: Euler's
 * constant 0.5772..., variance pi^2 / 6.
 *   x [...] -> y [...] */
static vg_status shape_of_x_infer(vg_graph *g, vg_node *n) {
  n->shape = *vg_in_shape(g, n, 0);
  return VG_OK;
}

static void gumbel_forward(const vg_kernel *k) {
  vg_real *y = k->y;
  const uint32_t stream = vg_rng_stream(k->node->name);
  const uint64_t base = vg_noise_base(k);
  VG_FOR(vg_numel(k->ys), y[i] = (vg_real)vg_rng_gumbel(k->seed, k->step, stream, base + (uint64_t)i));
}

VG_OP_RECORD(gumbel) = {.name = "gumbel", .doc = "x (a shape) → standard Gumbel draws -log(-log u) of x's shape, new every step; no gradient to x",
                        .nin_min = 1,
                        .nin_max = 1,
                        .flags = VG_OPF_RANDOM | VG_OPF_NO_GRAD,
                        .infer = shape_of_x_infer,
                        .forward = gumbel_forward};
