/* Ops for categorical (discrete) latent variables, each along one axis of
 * K categories (the last by default; ops/axis.h):
 *   gumbel_softmax  a relaxed one-hot sample, softmax((logits + g) / tau)
 *   argmax          the index of the largest element
 *   one_hot         ids -> one-hot rows
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
