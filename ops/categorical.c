/* Ops for categorical (discrete) latent variables, each along one axis of
 * K categories (the last by default; ops/axis.h):
 *   gumbel_softmax  a relaxed one-hot sample, softmax((logits + g) / tau)
 *   argmax          the index of the largest element
 *   one_hot         ids -> one-hot rows
 *   kl_categorical  KL(softmax(logits) || prior), the categorical VAE's
 *                   latent loss
 * The uniform and Gumbel noise ops are in random.c, max in reduce.c,
 * logsumexp in softmax.c. */
#include "axis.h"
#include "softmax.h"

/* gumbel_softmax: y = softmax((x + g) / tau) along `axis`, g standard Gumbel
 * noise drawn from the counter RNG (Jang et al. 2016; Maddison et al.
 * 2016's Concrete distribution). tau is the second input when there is one
 * (a scalar node: a scheduled temperature, taking no gradient), else the
 * attribute. hard = 1: the forward gives the one-hot of the argmax of
 * x + g, the backward the soft y's gradient (straight-through). eval =
 * "mode": in evaluation, no noise, and the one-hot of the argmax of x.
 * The hot category is the first largest x + g, where the soft y is largest
 * too (exp does not reverse an order). The forward saves the soft y and
 * tau: the backward reads neither x nor y, hard or not.
 *   logits [outer, K, inner] [, tau []] -> y [outer, K, inner]
 *   saved: soft y [outer, K, inner], then tau */
enum { GS_TAU, GS_HARD, GS_AXIS, GS_EVAL };
enum { GS_SAMPLE, GS_MODE };

static vg_status gumbel_softmax_infer(vg_graph *g, vg_node *n) {
  const vg_shape *x = vg_in_shape(g, n, 0);
  const vg_attrs *a = &n->attr;
  if (x->nd < 1) return vg_op_fail(g, n, VG_ERR_SHAPE, "needs at least one dimension (the categories), got a scalar");
  int axis;
  vg_status st = vg_infer_axis(g, n, GS_AXIS, &axis);
  if (st) return st;
  if (n->nin == 2 && vg_in_shape(g, n, 1)->nd != 0) {
    char b[VG_SHAPE_STRLEN];
    return vg_op_fail(g, n, VG_ERR_SHAPE, "tau '%s' must be a scalar node [] (g:scalar), got %s", vg_in_name(g, n, 1),
                      vg_shape_str(vg_in_shape(g, n, 1), b, sizeof b));
  }
  if (n->nin == 1 && !(a->v[GS_TAU] > 0)) return vg_op_fail(g, n, VG_ERR_ARG, "tau must be > 0, got %g", a->v[GS_TAU]);
  if (a->v[GS_HARD] != 0 && a->v[GS_HARD] != 1) return vg_op_fail(g, n, VG_ERR_ARG, "hard must be 0 or 1, got %g", a->v[GS_HARD]);
  n->shape = *x;
  n->saved_len = (size_t)vg_shape_numel(x) + 1;
  return VG_OK;
}

/* A scheduled tau is a value, checked before every run like an index. */
static int gumbel_softmax_check(const vg_kernel *k, char *msg, size_t len) {
  if (k->nin < 2 || k->x[1][0] > 0) return 0;
  snprintf(msg, len, "tau is %g; the temperature must be > 0", (double)k->x[1][0]);
  return 1;
}

static void gumbel_softmax_forward(const vg_kernel *k) {
  const vg_real *x = k->x[0];
  vg_real *y = k->y, *soft = k->saved;
  int64_t outer, K, inner;
  vg_kernel_split(k, GS_AXIS, &outer, &K, &inner);
  const int64_t n = outer * K * inner;
  const vg_real tau = k->nin == 2 ? k->x[1][0] : (vg_real)k->a->v[GS_TAU], inv = 1 / tau;
  const int mode = !k->training && (int)k->a->v[GS_EVAL] == GS_MODE;
  const int hard = mode || k->a->v[GS_HARD] != 0;
  const uint32_t stream = vg_rng_stream(k->node->name);
  const uint64_t base = vg_noise_base(k);
  soft[n] = tau;
  VG_FOR_ROWS(outer * inner, K, {
    const int64_t at = vg_row_start(i, K, inner);
    /* (x + g) / tau into soft, and the first largest x + g */
    int64_t best = 0;
    vg_real top = -INFINITY;
    for (int64_t c = 0; c < K; c++) {
      const int64_t e = at + c * inner;
      const vg_real v = x[e] + (mode ? 0 : (vg_real)vg_rng_gumbel(k->seed, k->step, stream, base + (uint64_t)e));
      soft[e] = v * inv;
      if (v > top) top = v, best = c;
    }
    vg_real m;
    const vg_real ls = (vg_real)vg_lse_parts(soft + at, K, inner, &m);
    for (int64_t c = 0; c < K; c++) soft[at + c * inner] = vg_exp(soft[at + c * inner] - m - ls);
    for (int64_t c = 0; c < K; c++) y[at + c * inner] = hard ? (vg_real)(c == best) : soft[at + c * inner];
  });
}

/* dz = y (dy - <y, dy>) of the soft y, over tau. */
static void gumbel_softmax_backward(const vg_kernel *k) {
  const vg_real *soft = k->saved, *dy = k->dy;
  vg_real *dx = k->dx[0];
  if (!dx) return;
  int64_t outer, K, inner;
  vg_kernel_split(k, GS_AXIS, &outer, &K, &inner);
  const vg_real inv = 1 / soft[outer * K * inner];
  VG_FOR_ROWS(outer * inner, K, {
    const int64_t at = vg_row_start(i, K, inner);
    vg_real dot = 0;
    for (int64_t c = 0; c < K; c++) dot += soft[at + c * inner] * dy[at + c * inner];
    for (int64_t c = 0; c < K; c++) dx[at + c * inner] += inv * soft[at + c * inner] * (dy[at + c * inner] - dot);
  });
}

VG_OP_RECORD(gumbel_softmax) = {.name = "gumbel_softmax",
                                .doc = "logits [, tau (a scalar node)] → softmax((logits + g) / tau) along `axis`, g Gumbel noise; "
                                       "`hard` = 1: the one-hot of its argmax, with the soft gradient (straight-through); "
                                       "`eval` = mode: in evaluation, the one-hot of argmax(logits)",
                                .nin_min = 1,
                                .nin_max = 2,
                                .flags = VG_OPF_RANDOM | VG_OPF_BWD_NO_X | VG_OPF_BWD_NO_Y,
                                .nograd = 1u << 1,
                                .attrs = {[GS_TAU] = {"tau", VG_ATTR_NUM, 1, NULL},
                                          [GS_HARD] = {"hard", VG_ATTR_INT, 0, NULL},
                                          [GS_AXIS] = {"axis", VG_ATTR_INT, -1, NULL},
                                          [GS_EVAL] = {"eval", VG_ATTR_ENUM, GS_SAMPLE, "sample|mode"}},
                                .infer = gumbel_softmax_infer,
                                .check = gumbel_softmax_check,
                                .forward = gumbel_softmax_forward,
                                .backward = gumbel_softmax_backward};

/* argmax: the place of the first largest element along the axis, as a
 * real (exact: infer keeps the axis within VG_MAX_INDEX); no gradient.
 *   x [outer, K, inner] -> y [outer, inner] */
enum { AM_AXIS };

static vg_status argmax_infer(vg_graph *g, vg_node *n) {
  const vg_shape *x = vg_in_shape(g, n, 0);
  if (x->nd < 1) return vg_op_fail(g, n, VG_ERR_SHAPE, "needs at least one dimension, got a scalar");
  int axis;
  vg_status st = vg_infer_axis(g, n, AM_AXIS, &axis);
  if (st) return st;
  if (x->d[axis] > VG_MAX_INDEX)
    return vg_op_fail(g, n, VG_ERR_SHAPE, "axis %d has %lld elements; a float holds places up to %lld exactly", axis,
                      (long long)x->d[axis], (long long)VG_MAX_INDEX);
  n->shape = vg_shape_drop(x, axis);
  return VG_OK;
}

static void argmax_forward(const vg_kernel *k) {
  const vg_real *x = k->x[0];
  vg_real *y = k->y;
  int64_t outer, K, inner;
  vg_kernel_split(k, AM_AXIS, &outer, &K, &inner);
  VG_FOR_ROWS(outer * inner, K, {
    const vg_real *xr = x + vg_row_start(i, K, inner);
    int64_t best = 0;
    for (int64_t c = 1; c < K; c++) best = xr[c * inner] > xr[best * inner] ? c : best;
    y[i] = (vg_real)best;
  });
}

VG_OP_RECORD(argmax) = {.name = "argmax", .doc = "x → the index of the largest element along `axis` (removed), the first of ties, as a number; no gradient",
                        .nin_min = 1,
                        .nin_max = 1,
                        .flags = VG_OPF_NO_GRAD,
                        .attrs = {[AM_AXIS] = {"axis", VG_ATTR_INT, -1, NULL}},
                        .infer = argmax_infer,
                        .forward = argmax_forward};

/* one_hot: a row of `classes` zeros per id, with a 1 at the id; -1 (no
 * label) gives a row of zeros. The check refuses any other value; no
 * gradient.
 *   ids [...] -> y [..., classes] */
enum { OH_CLASSES };

static vg_status one_hot_infer(vg_graph *g, vg_node *n) {
  const vg_shape *ids = vg_in_shape(g, n, 0);
  const double C = n->attr.v[OH_CLASSES];
  if (C < 1) return vg_op_fail(g, n, VG_ERR_ARG, "classes must be given, >= 1 (one_hot(ids, {classes = 10})), got %g", C);
  if (ids->nd == VG_MAX_DIMS) {
    char b[VG_SHAPE_STRLEN];
    return vg_op_fail(g, n, VG_ERR_SHAPE, "ids '%s' %s already have %d dimensions, the most a node has", vg_in_name(g, n, 0),
                      vg_shape_str(ids, b, sizeof b), VG_MAX_DIMS);
  }
  n->shape = *ids;
  n->shape.d[n->shape.nd++] = (int64_t)C;
  return VG_OK;
}

static int one_hot_check(const vg_kernel *k, char *msg, size_t len) {
  return vg_check_whole(k, 0, 0, k->a->v[OH_CLASSES] - 1, -1, "id", msg, len);
}

static void one_hot_forward(const vg_kernel *k) {
  const vg_real *ids = k->x[0];
  vg_real *y = k->y;
  const int64_t C = (int64_t)k->a->v[OH_CLASSES];
  VG_FOR_ROWS(vg_numel(k->xs[0]), C, {
    vg_real *yr = y + i * C;
    for (int64_t c = 0; c < C; c++) yr[c] = 0;
    /* in range and whole, so no value the check refuses can write out of bounds */
    if (ids[i] >= 0 && ids[i] < (vg_real)C && ids[i] == (vg_real)(int64_t)ids[i]) yr[(int64_t)ids[i]] = 1;
  });
}

VG_OP_RECORD(one_hot) = {.name = "one_hot", .doc = "ids `[...]` → `[..., classes]`: 1 at each id, 0 elsewhere; an id of -1 gives a row of zeros; no gradient",
                         .nin_min = 1,
                         .nin_max = 1,
                         .flags = VG_OPF_NO_GRAD,
                         .attrs = {[OH_CLASSES] = {"classes", VG_ATTR_INT, 0, NULL, "must be given"}},
                         .infer = one_hot_infer,
                         .check = one_hot_check,
                         .forward = one_hot_forward};

/* kl_categorical: KL(q || p) = sum_c q_c (log q_c - log p_c) per
 * distribution along the axis, q = softmax(logits) with log q = x - lse(x)
 * (never the log of a softmax, which underflows), then reduced: none (one
 * value per distribution: the shape without the axis), sum, mean (over
 * the distributions), batchmean (summed, divided by the first dimension of
 * the distributions' shape: the batch, when the axis is not the first).
 * p, the prior's probabilities, is the second input, of shape [K] (one
 * prior for every distribution) or the logits' shape, and takes no
 * gradient; without it, uniform: log p_c = -log K. A p_c of 0 where q_c is
 * not gives an infinite KL, as it should.
 * Gradient: dKL/dx_c = q_c (log q_c - log p_c - KL). log q = x - max -
 * log sum exp(x - max), the two parts saved apart (ops/softmax.h).
 *   logits [outer, K, inner] [, prior [K] or [outer, K, inner]] -> [] or [outer, inner]
 *   saved: max, log sum, KL, each [outer, inner] */
enum { KLC_AXIS, KLC_RED };

static vg_status kl_categorical_infer(vg_graph *g, vg_node *n) {
  const vg_shape *x = vg_in_shape(g, n, 0);
  if (x->nd < 1) return vg_op_fail(g, n, VG_ERR_SHAPE, "needs at least one dimension (the categories), got a scalar");
  int axis;
  vg_status st = vg_infer_axis(g, n, KLC_AXIS, &axis);
  if (st) return st;
  if (n->nin == 2) {
    const vg_shape *p = vg_in_shape(g, n, 1);
    if (!(p->nd == 1 && p->d[0] == x->d[axis]) && !vg_shape_eq(p, x)) {
      char sp[VG_SHAPE_STRLEN], sx[VG_SHAPE_STRLEN];
      return vg_op_fail(g, n, VG_ERR_SHAPE, "prior '%s' %s must be [K] = [%lld] or the logits' shape %s", vg_in_name(g, n, 1),
                        vg_shape_str(p, sp, sizeof sp), (long long)x->d[axis], vg_shape_str(x, sx, sizeof sx));
    }
  }
  const vg_shape dist = vg_shape_drop(x, axis);
  n->shape = vg_reduction_shape(vg_reduction(&n->attr, KLC_RED), &dist);
  n->saved_len = (size_t)(3 * vg_shape_numel(&dist));
  return VG_OK;
}

/* log p_c of the distribution whose row starts at `at`: the uniform one,
 * or the prior's, shared ([K]; a 1-D prior of the logits' shape is that
 * too) or the distribution's own. */
static inline vg_real klc_logp(const vg_kernel *k, int64_t at, int64_t c, int64_t inner, vg_real uniform) {
  if (k->nin < 2) return uniform;
  return log(k->x[1][k->xs[1]->nd == 1 ? c : at + c * inner]);
}

static void kl_categorical_forward(const vg_kernel *k) {
  const vg_real *x = k->x[0];
  int64_t outer, K, inner;
  vg_kernel_split(k, KLC_AXIS, &outer, &K, &inner);
  const int64_t rows = outer * inner;
  const vg_real uniform = (vg_real)-log((double)K);
  vg_real *max = k->saved, *lsum = k->saved + rows, *kl = k->saved + 2 * rows;
  VG_FOR_ROWS(rows, K, {
    const int64_t at = vg_row_start(i, K, inner);
    vg_real m;
    const vg_real ls = (vg_real)vg_lse_parts(x + at, K, inner, &m);
    vg_real s = 0;
    for (int64_t c = 0; c < K; c++) {
      const vg_real lq = x[at + c * inner] - m - ls;
      s += vg_exp(lq) * (lq - klc_logp(k, at, c, inner, uniform));
    }
    max[i] = m, lsum[i] = ls, kl[i] = s;
  });
  const int red = vg_reduction(k->a, KLC_RED);
  if (red == VG_RED_NONE) {
    memcpy(k->y, kl, (size_t)rows * sizeof *kl);
    return;
  }
  const vg_shape dist = vg_shape_drop(k->xs[0], vg_axis(k->a->v[KLC_AXIS], k->xs[0]->nd));
  double s;
  VG_REDUCE(rows, (double)kl[i], s);
  k->y[0] = (vg_real)(s * vg_reduction_scale(red, &dist));
}

static void kl_categorical_backward(const vg_kernel *k) {
  const vg_real *x = k->x[0], *dy = k->dy;
  vg_real *dx = k->dx[0];
  if (!dx) return;
  int64_t outer, K, inner;
  vg_kernel_split(k, KLC_AXIS, &outer, &K, &inner);
  const int64_t rows = outer * inner;
  const vg_real uniform = (vg_real)-log((double)K);
  const vg_real *max = k->saved, *lsum = k->saved + rows, *kl = k->saved + 2 * rows;
  const int red = vg_reduction(k->a, KLC_RED);
  const vg_shape dist = vg_shape_drop(k->xs[0], vg_axis(k->a->v[KLC_AXIS], k->xs[0]->nd));
  const vg_real g0 = red == VG_RED_NONE ? 0 : (vg_real)((double)dy[0] * vg_reduction_scale(red, &dist));
  VG_FOR_ROWS(rows, K, {
    const int64_t at = vg_row_start(i, K, inner);
    const vg_real g = red == VG_RED_NONE ? dy[i] : g0;
    for (int64_t c = 0; c < K; c++) {
      const vg_real lq = x[at + c * inner] - max[i] - lsum[i];
      dx[at + c * inner] += g * vg_exp(lq) * (lq - klc_logp(k, at, c, inner, uniform) - kl[i]);
    }
  });
}

VG_OP_RECORD(kl_categorical) = {.name = "kl_categorical",
                                .doc = "logits [, prior `[K]` or the logits' shape] → KL(softmax(logits) ‖ prior) over the K "
                                       "categories along `axis`, per distribution; the prior uniform when not given",
                                .nin_min = 1,
                                .nin_max = 2,
                                .flags = VG_OPF_BWD_NO_Y,
                                .nograd = 1u << 1,
                                .attrs = {[KLC_AXIS] = {"axis", VG_ATTR_INT, -1, NULL}, VG_ATTR_REDUCTION(KLC_RED)},
                                .infer = kl_categorical_infer,
                                .forward = kl_categorical_forward,
                                .backward = kl_categorical_backward};
