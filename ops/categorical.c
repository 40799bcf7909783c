/* Ops for categorical (discrete) latent variables, each along one axis of
 * K categories (the last by default; ops/axis.h):
 *   argmax          the index of the largest element
 *   one_hot         ids -> one-hot rows
 * The uniform and Gumbel noise ops are in random.c, max in reduce.c,
 * logsumexp in softmax.c. */
#include "axis.h"

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
