/* Ops that move values without arithmetic: concat, slice, reshape,
 * flatten, stop_gradient. */
#include "kernel.h"

/* Splits a shape at an axis into outer x len x inner. */
static void split_at(const vg_shape *s, int axis, int64_t *outer, int64_t *inner) {
  *outer = *inner = 1;
  for (int i = 0; i < axis; i++) *outer *= s->d[i];
  for (int i = axis + 1; i < s->nd; i++) *inner *= s->d[i];
}

/* concat: inputs equal but along `axis` -> their sum along it. */
enum { CONCAT_AXIS };

static vg_status concat_infer(vg_graph *g, vg_node *n) {
  const vg_shape *s0 = vg_in_shape(g, n, 0);
  int axis = vg_axis(n->attr.v[CONCAT_AXIS], s0->nd);
  if (axis < 0) return vg_op_fail(g, n, VG_ERR_ARG, "axis %g out of range for %d dimensions", n->attr.v[CONCAT_AXIS], s0->nd);
  n->shape = *s0;
  for (int k = 1; k < n->nin; k++) {
    const vg_shape *s = vg_in_shape(g, n, k);
    int ok = s->nd == s0->nd;
    for (int i = 0; ok && i < s->nd; i++) ok = i == axis || s->d[i] == s0->d[i];
    if (!ok) {
      char a[VG_SHAPE_STRLEN], b[VG_SHAPE_STRLEN];
      return vg_op_fail(g, n, VG_ERR_SHAPE, "input %d '%s' %s does not match input 1 '%s' %s outside axis %d", k + 1,
                        vg_in_name(g, n, k), vg_shape_str(s, b, sizeof b), vg_in_name(g, n, 0),
                        vg_shape_str(s0, a, sizeof a), axis);
    }
    n->shape.d[axis] += s->d[axis];
  }
  return VG_OK;
}

/* Copies between y's rows and each input's rows; back = 1 adds into dx. */
static void concat_move(const vg_kernel *k, int back) {
  int axis = vg_axis(k->a->v[CONCAT_AXIS], k->ys->nd);
  int64_t outer, inner;
  split_at(k->ys, axis, &outer, &inner);
  const int64_t row = k->ys->d[axis] * inner;
  int64_t col = 0;
  for (int in = 0; in < k->nin; in++) {
    const int64_t w = k->xs[in]->d[axis] * inner;
    if (!back) {
      const vg_real *x = k->x[in];
      vg_real *y = k->y;
#pragma omp parallel for schedule(static) if (outer * w >= VG_PAR_MIN)
      for (int64_t o = 0; o < outer; o++) memcpy(y + o * row + col, x + o * w, (size_t)w * sizeof *y);
    } else if (k->dx[in]) {
      vg_real *dx = k->dx[in];
      const vg_real *dy = k->dy;
#pragma omp parallel for schedule(static) if (outer * w >= VG_PAR_MIN)
      for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < w; j++) dx[o * w + j] += dy[o * row + col + j];
    }
    col += w;
  }
}
static void concat_forward(const vg_kernel *k) { concat_move(k, 0); }
static void concat_backward(const vg_kernel *k) { concat_move(k, 1); }

VG_OP_RECORD(concat) = {.name = "concat", .doc = "x1, x2, ... equal but along `axis` → joined along it",
                        .flags = VG_OPF_VARIADIC | VG_OPF_BWD_NO_X | VG_OPF_BWD_NO_Y,
                        .nin_min = 1,
                        .nin_max = VG_MAX_IN,
                        .attrs = {[CONCAT_AXIS] = {"axis", VG_ATTR_INT, -1, NULL}},
                        .infer = concat_infer,
                        .forward = concat_forward,
                        .backward = concat_backward};

/* slice: x [..., n, ...] -> y [..., len, ...] from `start` along `axis`. */
enum { SLICE_AXIS, SLICE_START, SLICE_LEN };

static vg_status slice_infer(vg_graph *g, vg_node *n) {
  const vg_shape *s = vg_in_shape(g, n, 0);
  int axis = vg_axis(n->attr.v[SLICE_AXIS], s->nd);
  int64_t start = (int64_t)n->attr.v[SLICE_START], len = (int64_t)n->attr.v[SLICE_LEN];
  if (axis < 0) return vg_op_fail(g, n, VG_ERR_ARG, "axis %g out of range for %d dimensions", n->attr.v[SLICE_AXIS], s->nd);
  if (start < 0 || len < 1 || start + len > s->d[axis]) {
    char b[VG_SHAPE_STRLEN];
    return vg_op_fail(g, n, VG_ERR_SHAPE, "[%lld, %lld) is outside axis %d of '%s' %s", (long long)start,
                      (long long)(start + len), axis, vg_in_name(g, n, 0), vg_shape_str(s, b, sizeof b));
  }
  n->shape = *s;
  n->shape.d[axis] = len;
  return VG_OK;
}

static void slice_move(const vg_kernel *k, int back) {
  int axis = vg_axis(k->a->v[SLICE_AXIS], k->xs[0]->nd);
  int64_t outer, inner;
  split_at(k->xs[0], axis, &outer, &inner);
  const int64_t row = k->xs[0]->d[axis] * inner, off = (int64_t)k->a->v[SLICE_START] * inner, w = k->ys->d[axis] * inner;
  if (!back) {
    const vg_real *x = k->x[0];
    vg_real *y = k->y;
#pragma omp parallel for schedule(static) if (outer * w >= VG_PAR_MIN)
    for (int64_t o = 0; o < outer; o++) memcpy(y + o * w, x + o * row + off, (size_t)w * sizeof *y);
  } else if (k->dx[0]) {
    vg_real *dx = k->dx[0];
    const vg_real *dy = k->dy;
#pragma omp parallel for schedule(static) if (outer * w >= VG_PAR_MIN)
    for (int64_t o = 0; o < outer; o++)
      for (int64_t j = 0; j < w; j++) dx[o * row + off + j] += dy[o * w + j];
  }
}
static void slice_forward(const vg_kernel *k) { slice_move(k, 0); }
static void slice_backward(const vg_kernel *k) { slice_move(k, 1); }

VG_OP_RECORD(slice) = {.name = "slice", .doc = "x → `len` entries from `start` along `axis`",
                         .flags = VG_OPF_BWD_NO_X | VG_OPF_BWD_NO_Y,
                       .nin_min = 1,
                       .nin_max = 1,
                       .attrs = {[SLICE_AXIS] = {"axis", VG_ATTR_INT, -1, NULL}, [SLICE_START] = {"start", VG_ATTR_INT, 0, NULL},
                                 [SLICE_LEN] = {"len", VG_ATTR_INT, 1, NULL}},
                       .infer = slice_infer,
                       .forward = slice_forward,
                       .backward = slice_backward};

/* reshape, flatten and stop_gradient copy x to y unchanged (the copy is
 * cheap next to any layer, and keeps every node its own buffer). */
static void copy_forward(const vg_kernel *k) { memcpy(k->y, k->x[0], (size_t)vg_numel(k->ys) * sizeof *k->y); }
static void copy_backward(const vg_kernel *k) {
  vg_real *dx = k->dx[0];
  const vg_real *dy = k->dy;
  if (dx) VG_FOR(vg_numel(k->ys), dx[i] += dy[i]);
}

/* reshape: dims, one of which may be -1 (inferred). */
static vg_status reshape_infer(vg_graph *g, vg_node *n) {
  const vg_shape *s = vg_in_shape(g, n, 0);
  vg_shape d = n->attr.dims;
  if (d.nd < 1 || d.nd > VG_MAX_DIMS) return vg_op_fail(g, n, VG_ERR_ARG, "dims must have 1 to %d entries", VG_MAX_DIMS);
  int64_t known = 1;
  int free_at = -1;
  char a[VG_SHAPE_STRLEN], b[VG_SHAPE_STRLEN];
  vg_shape_str(s, a, sizeof a), vg_shape_str(&d, b, sizeof b);
  for (int i = 0; i < d.nd; i++) {
    if (d.d[i] == -1 && free_at < 0) free_at = i;
    else if (d.d[i] > 0) known *= d.d[i];
    else return vg_op_fail(g, n, VG_ERR_SHAPE, "bad dims %s (positive, and at most one -1)", b);
  }
  if (free_at >= 0 && known > 0 && vg_shape_numel(s) % known == 0) d.d[free_at] = vg_shape_numel(s) / known;
  if (vg_shape_numel(&d) != vg_shape_numel(s))
    return vg_op_fail(g, n, VG_ERR_SHAPE, "cannot reshape '%s' %s (%lld values) to %s", vg_in_name(g, n, 0), a,
                      (long long)vg_shape_numel(s), b);
  n->shape = d;
  return VG_OK;
}

VG_OP_RECORD(reshape) = {.name = "reshape", .doc = "x → `dims` (one may be -1)",
                         .flags = VG_OPF_BWD_NO_X | VG_OPF_BWD_NO_Y,
                         .nin_min = 1,
                         .nin_max = 1,
                         .attrs = {[0] = {"dims", VG_ATTR_DIMS, 0, NULL}}, /* kept in vg_attrs.dims */
                         .infer = reshape_infer,
                         .forward = copy_forward,
                         .backward = copy_backward};

/* flatten: [B, ...] -> [B, prod(...)] */
static vg_status flatten_infer(vg_graph *g, vg_node *n) {
  const vg_shape *s = vg_in_shape(g, n, 0);
  if (s->nd < 1) return vg_op_fail(g, n, VG_ERR_SHAPE, "cannot flatten a scalar '%s'", vg_in_name(g, n, 0));
  int64_t d[2] = {s->d[0], vg_shape_numel(s) / s->d[0]};
  n->shape = vg_shape_of(2, d);
  return VG_OK;
}

VG_OP_RECORD(flatten) = {.name = "flatten", .doc = "`[B, ...]` → `[B, rest]`",
                         .flags = VG_OPF_BWD_NO_X | VG_OPF_BWD_NO_Y,
                         .nin_min = 1,
                         .nin_max = 1,
                         .infer = flatten_infer,
                         .forward = copy_forward,
                         .backward = copy_backward};

/* stop_gradient: the value passes, the gradient does not (the AAE's
 * discriminator phase must not move the encoder). */
static vg_status identity_infer(vg_graph *g, vg_node *n) {
  n->shape = *vg_in_shape(g, n, 0);
  return VG_OK;
}

VG_OP_RECORD(stop_gradient) = {.name = "stop_gradient", .doc = "x → x, passing no gradient back",
                               .nin_min = 1,
                               .nin_max = 1,
                               .flags = VG_OPF_NO_GRAD,
                               .infer = identity_infer,
                               .forward = copy_forward};
