/* sum and mean, over all elements or one axis (which is removed); max
 * along one axis (the last by default).
 *   x [...] -> y []            (axis omitted)
 *   x [a, n, b] -> y [a, b]    (axis = 1) */
#include "axis.h"

enum { RED_AXIS };

static vg_status reduce_infer(vg_graph *g, vg_node *n) {
  const vg_shape *s = vg_in_shape(g, n, 0);
  if (n->attr.v[RED_AXIS] == VG_AXIS_ALL) {
    n->shape = vg_shape_scalar();
    return VG_OK;
  }
  int axis = vg_axis(n->attr.v[RED_AXIS], s->nd);
  if (axis < 0) {
    char b[VG_SHAPE_STRLEN];
    return vg_op_fail(g, n, VG_ERR_ARG, "axis %g out of range for '%s' %s", n->attr.v[RED_AXIS], vg_in_name(g, n, 0),
                      vg_shape_str(s, b, sizeof b));
  }
  n->shape.nd = s->nd - 1;
  for (int i = 0, j = 0; i < s->nd; i++)
    if (i != axis) n->shape.d[j++] = s->d[i];
  return VG_OK;
}

/* outer x len x inner around the reduced axis; len = numel for "all". */
static void reduce_dims(const vg_kernel *k, int64_t *outer, int64_t *len, int64_t *inner) {
  const vg_shape *s = k->xs[0];
  *outer = *inner = 1;
  if (k->a->v[RED_AXIS] == VG_AXIS_ALL) {
    *len = vg_numel(s);
    return;
  }
  int axis = vg_axis(k->a->v[RED_AXIS], s->nd);
  for (int i = 0; i < axis; i++) *outer *= s->d[i];
  for (int i = axis + 1; i < s->nd; i++) *inner *= s->d[i];
  *len = s->d[axis];
}

static void reduce_forward(const vg_kernel *k, int mean) {
  int64_t outer, len, inner;
  reduce_dims(k, &outer, &len, &inner);
  const vg_real *x = k->x[0];
  vg_real *y = k->y;
  const double f = mean ? 1.0 / (double)len : 1.0;
  if (k->a->v[RED_AXIS] == VG_AXIS_ALL) {
    double s;
    VG_REDUCE(len, (double)x[i], s);
    y[0] = (vg_real)(s * f);
    return;
  }
  /* One writer per output; the reduced axis is added in order. */
  VG_FOR(outer * inner, {
    const int64_t o = i / inner, j = i % inner;
    double s = 0;
    for (int64_t r = 0; r < len; r++) s += x[(o * len + r) * inner + j];
    y[i] = (vg_real)(s * f);
  });
}

static void reduce_backward(const vg_kernel *k, int mean) {
  int64_t outer, len, inner;
  reduce_dims(k, &outer, &len, &inner);
  const vg_real *dy = k->dy;
  vg_real *dx = k->dx[0];
  const vg_real f = (vg_real)(mean ? 1.0 / (double)len : 1.0);
  if (!dx) return;
  VG_FOR(outer * len * inner, {
    const int64_t o = i / (len * inner), j = i % inner;
    dx[i] += dy[o * inner + j] * f;
  });
}

static void sum_forward(const vg_kernel *k) { reduce_forward(k, 0); }
static void sum_backward(const vg_kernel *k) { reduce_backward(k, 0); }
static void mean_forward(const vg_kernel *k) { reduce_forward(k, 1); }
static void mean_backward(const vg_kernel *k) { reduce_backward(k, 1); }

VG_OP_RECORD(sum) = {.name = "sum", .doc = "x → the sum of all elements `[]`, or along `axis` (removed)",
                     .nin_min = 1,
                     .nin_max = 1,
                     .flags = VG_OPF_BWD_NO_X | VG_OPF_BWD_NO_Y,
                     .attrs = {[RED_AXIS] = {"axis", VG_ATTR_INT, VG_AXIS_ALL, NULL, "all"}},
                     .infer = reduce_infer,
                     .forward = sum_forward,
                     .backward = sum_backward};
VG_OP_RECORD(mean) = {.name = "mean", .doc = "x → the mean of all elements `[]`, or along `axis` (removed)",
                      .nin_min = 1,
                      .nin_max = 1,
                      .flags = VG_OPF_BWD_NO_X | VG_OPF_BWD_NO_Y,
                      .attrs = {[RED_AXIS] = {"axis", VG_ATTR_INT, VG_AXIS_ALL, NULL, "all"}},
                      .infer = reduce_infer,
                      .forward = mean_forward,
                      .backward = mean_backward};

/* max: the largest element along the axis; its gradient goes to the first
 * element that is largest (PyTorch's max along a dimension picks one too).
 * The forward saves that element's place along the axis, so the backward
 * reads neither x nor y.
 *   x [outer, len, inner] -> y [outer, inner], saved [outer, inner] */
static vg_status max_infer(vg_graph *g, vg_node *n) {
  const vg_shape *x = vg_in_shape(g, n, 0);
  if (x->nd < 1) return vg_op_fail(g, n, VG_ERR_SHAPE, "needs at least one dimension, got a scalar");
  int axis;
  vg_status st = vg_infer_axis(g, n, RED_AXIS, &axis);
  if (st) return st;
  if (x->d[axis] > VG_MAX_INDEX)
    return vg_op_fail(g, n, VG_ERR_SHAPE, "axis %d has %lld elements; places along it are kept as reals, exact up to %lld",
                      axis, (long long)x->d[axis], (long long)VG_MAX_INDEX);
  n->shape = vg_shape_drop(x, axis);
  n->saved_len = (size_t)vg_shape_numel(&n->shape);
  return VG_OK;
}

static void max_forward(const vg_kernel *k) {
  int64_t outer, len, inner;
  reduce_dims(k, &outer, &len, &inner);
  const vg_real *x = k->x[0];
  vg_real *y = k->y, *at = k->saved;
  VG_FOR(outer * inner, {
    const vg_real *xr = x + i / inner * len * inner + i % inner;
    int64_t best = 0;
    for (int64_t r = 1; r < len; r++) best = xr[r * inner] > xr[best * inner] ? r : best;
    y[i] = xr[best * inner];
    at[i] = (vg_real)best;
  });
}

/* One writer per dx element: each output sends its gradient to one place
 * of its own row. */
static void max_backward(const vg_kernel *k) {
  int64_t outer, len, inner;
  reduce_dims(k, &outer, &len, &inner);
  const vg_real *dy = k->dy, *at = k->saved;
  vg_real *dx = k->dx[0];
  if (!dx) return;
  VG_FOR(outer * inner, dx[i / inner * len * inner + (int64_t)at[i] * inner + i % inner] += dy[i]);
}

VG_OP_RECORD(max) = {.name = "max", .doc = "x → the largest element along `axis` (removed); the gradient goes to the first largest",
                     .nin_min = 1,
                     .nin_max = 1,
                     .flags = VG_OPF_BWD_NO_X | VG_OPF_BWD_NO_Y,
                     .attrs = {[RED_AXIS] = {"axis", VG_ATTR_INT, -1, NULL}},
                     .infer = max_infer,
                     .forward = max_forward,
                     .backward = max_backward};
