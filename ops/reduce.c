/* sum and mean, over all elements, one axis, or several (each removed);
 * max along one axis (the last by default).
 *   x [...] -> y []                   (neither axis nor axes)
 *   x [a, n, b] -> y [a, b]           (axis = 1)
 *   x [B, C, H, W] -> y [C]           (axes = {0, 2, 3})
 * Every output adds its values in double, one after another in the order
 * they lie in x: one writer per output, so the same bits at any thread
 * count. Over every axis (whichever option names them), the chunked
 * VG_REDUCE instead, which threads can share. */
#include "axis.h"

enum { RED_AXIS, RED_AXES };

/* The axes removed, a bit each (infer checked the options): those of
 * `axes`, or `axis`, or all of them. */
static unsigned removed_axes(const vg_attrs *a, int nd) {
  if (a->dims.nd > 0) {
    unsigned mask = 0;
    for (int i = 0; i < a->dims.nd; i++) mask |= 1u << vg_axis((double)a->dims.d[i], nd);
    return mask;
  }
  if (a->v[RED_AXIS] != VG_AXIS_ALL) return 1u << vg_axis(a->v[RED_AXIS], nd);
  return (1u << nd) - 1;
}

static vg_status reduce_infer(vg_graph *g, vg_node *n) {
  const vg_shape *s = vg_in_shape(g, n, 0);
  const vg_attrs *a = &n->attr;
  char sx[VG_SHAPE_STRLEN], sa[VG_SHAPE_STRLEN];
  vg_shape_str(s, sx, sizeof sx), vg_shape_str(&a->dims, sa, sizeof sa);
  if (a->v[RED_AXIS] != VG_AXIS_ALL && a->dims.nd > 0)
    return vg_op_fail(g, n, VG_ERR_ARG, "give axis or axes, not both (axis %g, axes %s)", a->v[RED_AXIS], sa);
  if (a->dims.nd == 0 && a->v[RED_AXIS] != VG_AXIS_ALL && vg_axis(a->v[RED_AXIS], s->nd) < 0)
    return vg_op_fail(g, n, VG_ERR_ARG, "axis %g out of range for '%s' %s", a->v[RED_AXIS], vg_in_name(g, n, 0), sx);
  unsigned seen = 0;
  for (int i = 0; i < a->dims.nd; i++) {
    const int ax = vg_axis((double)a->dims.d[i], s->nd);
    if (ax < 0)
      return vg_op_fail(g, n, VG_ERR_ARG, "axes %s: axis %lld is out of range for '%s' %s (axes -%d..%d)", sa,
                        (long long)a->dims.d[i], vg_in_name(g, n, 0), sx, s->nd, s->nd - 1);
    if (seen >> ax & 1)
      return vg_op_fail(g, n, VG_ERR_ARG, "axes %s name axis %d of '%s' %s twice", sa, ax, vg_in_name(g, n, 0), sx);
    seen |= 1u << ax;
  }
  const unsigned mask = removed_axes(a, s->nd);
  n->shape.nd = 0;
  for (int i = 0; i < s->nd; i++)
    if (!(mask >> i & 1)) n->shape.d[n->shape.nd++] = s->d[i];
  return VG_OK;
}

/* x's shape as runs of axes, adjacent axes both kept or both removed
 * merged and axes of size 1 dropped: [B, C, H, W] less {2, 3} is [B*C]
 * kept, [H*W] removed. At least one run. */
typedef struct runs {
  int m;
  int64_t d[VG_MAX_DIMS], xstride[VG_MAX_DIMS], ystride[VG_MAX_DIMS];
  int removed[VG_MAX_DIMS];
} runs;

static runs make_runs(const vg_shape *s, unsigned mask) {
  runs r = {0};
  for (int i = 0; i < s->nd; i++) {
    const int rm = mask >> i & 1;
    if (s->d[i] == 1) continue;
    if (r.m > 0 && r.removed[r.m - 1] == rm) r.d[r.m - 1] *= s->d[i];
    else r.d[r.m] = s->d[i], r.removed[r.m++] = rm;
  }
  if (r.m == 0) r.d[0] = 1, r.m = 1;
  int64_t xs = 1, ys = 1;
  for (int i = r.m - 1; i >= 0; i--) {
    r.xstride[i] = xs, xs *= r.d[i];
    r.ystride[i] = r.removed[i] ? 0 : ys;
    if (!r.removed[i]) ys *= r.d[i];
  }
  return r;
}

/* Where a place of runs [0, upto) starts, q counting the places of the
 * runs `which` selects (kept: 0, removed: 1, any: -1) in row-major order:
 * its offset in x and in y. */
static void place(const runs *r, int upto, int which, int64_t q, int64_t *xoff, int64_t *yoff) {
  *xoff = *yoff = 0;
  for (int t = upto - 1; t >= 0; t--) {
    if (which >= 0 && r->removed[t] != which) continue;
    const int64_t i = q % r->d[t];
    q /= r->d[t];
    *xoff += i * r->xstride[t], *yoff += i * r->ystride[t];
  }
}

/* The places of the removed runs before the last one, in row-major order,
 * as offsets into x from an output's first value: an odometer. */
typedef struct walk {
  int64_t idx[VG_MAX_DIMS], off;
} walk;

static inline void walk_next(const runs *r, walk *w) {
  for (int t = r->m - 2; t >= 0; t--) {
    if (!r->removed[t]) continue;
    w->off += r->xstride[t];
    if (++w->idx[t] < r->d[t]) return;
    w->off -= r->xstride[t] * r->d[t];
    w->idx[t] = 0;
  }
}

static void reduce_forward(const vg_kernel *k, int mean) {
  const vg_shape *s = k->xs[0];
  const vg_real *x = k->x[0];
  vg_real *y = k->y;
  const int64_t nx = vg_numel(s), ny = vg_numel(k->ys), count = nx / ny;
  const double f = mean ? 1.0 / (double)count : 1.0;
  const unsigned mask = removed_axes(k->a, s->nd);
  if (mask == (1u << s->nd) - 1) {
    double t;
    VG_REDUCE(nx, (double)x[i], t);
    y[0] = (vg_real)(t * f);
    return;
  }
  const runs r = make_runs(s, mask);
  const int last = r.m - 1;
  const int64_t L = r.d[last];
  int64_t before = 1; /* places of the removed runs before the last run */
  for (int t = 0; t < last; t++)
    if (r.removed[t]) before *= r.d[t];
  if (r.removed[last]) {
    /* Each output adds runs of L values that lie together. */
    VG_FOR_ROWS(ny, count, {
      int64_t yo;
      walk w = {{0}, 0};
      place(&r, last, 0, i, &w.off, &yo);
      double acc = 0;
      for (int64_t c = 0; c < before; c++, walk_next(&r, &w))
        for (int64_t j = 0; j < L; j++) acc += x[w.off + j];
      y[i] = (vg_real)(acc * f);
    });
    return;
  }
  /* The last run is kept: neighbouring outputs read neighbouring values, so
   * a block of them is summed side by side, each still in its own order. */
  enum { COLS = 256 };
  const int64_t nb = (L + COLS - 1) / COLS;
#pragma omp parallel for schedule(static) if (nx >= VG_PAR_MIN)
  for (int64_t u = 0; u < ny / L * nb; u++) {
    const int64_t q = u / nb, j0 = u % nb * COLS, n = L - j0 < COLS ? L - j0 : COLS;
    int64_t yo;
    walk w = {{0}, 0};
    place(&r, last, 0, q, &w.off, &yo);
    double acc[COLS];
    for (int64_t j = 0; j < n; j++) acc[j] = 0;
    for (int64_t c = 0; c < before; c++, walk_next(&r, &w)) {
      const vg_real *xr = x + w.off + j0;
      for (int64_t j = 0; j < n; j++) acc[j] += xr[j];
    }
    for (int64_t j = 0; j < n; j++) y[q * L + j0 + j] = (vg_real)(acc[j] * f);
  }
}

/* dx += dy of the output each value went into (times 1/count for mean),
 * by rows of x's last run: one index computation per row. */
static void reduce_backward(const vg_kernel *k, int mean) {
  vg_real *dx = k->dx[0];
  if (!dx) return;
  const vg_shape *s = k->xs[0];
  const vg_real *dy = k->dy;
  const int64_t nx = vg_numel(s), ny = vg_numel(k->ys);
  const vg_real f = (vg_real)(mean ? 1.0 / (double)(nx / ny) : 1.0);
  if (ny == 1) {
    const vg_real d = dy[0] * f;
    VG_FOR(nx, dx[i] += d);
    return;
  }
  const runs r = make_runs(s, removed_axes(k->a, s->nd));
  const int last = r.m - 1, kept_last = !r.removed[last];
  const int64_t L = r.d[last];
  VG_FOR_ROWS(nx / L, L, {
    int64_t xo, yo;
    place(&r, last, -1, i, &xo, &yo);
    vg_real *dr = dx + i * L;
    if (kept_last) {
      const vg_real *g = dy + yo;
      for (int64_t j = 0; j < L; j++) dr[j] += g[j] * f;
    } else {
      const vg_real d = dy[yo] * f;
      for (int64_t j = 0; j < L; j++) dr[j] += d;
    }
  });
}

static void sum_forward(const vg_kernel *k) { reduce_forward(k, 0); }
static void sum_backward(const vg_kernel *k) { reduce_backward(k, 0); }
static void mean_forward(const vg_kernel *k) { reduce_forward(k, 1); }
static void mean_backward(const vg_kernel *k) { reduce_backward(k, 1); }

#define REDUCE_ATTRS                                                  \
  {[RED_AXIS] = {"axis", VG_ATTR_INT, VG_AXIS_ALL, NULL, "all"},      \
   [RED_AXES] = {"axes", VG_ATTR_DIMS, 0, NULL}}

VG_OP_RECORD(sum) = {.name = "sum", .doc = "x → the sum of all elements `[]`, or along `axis`, or along each of `axes` (removed; negative counts from the end)",
                     .nin_min = 1,
                     .nin_max = 1,
                     .flags = VG_OPF_BWD_NO_X | VG_OPF_BWD_NO_Y,
                     .attrs = REDUCE_ATTRS,
                     .infer = reduce_infer,
                     .forward = sum_forward,
                     .backward = sum_backward};
VG_OP_RECORD(mean) = {.name = "mean", .doc = "x → the mean of all elements `[]`, or along `axis`, or along each of `axes` (removed)",
                      .nin_min = 1,
                      .nin_max = 1,
                      .flags = VG_OPF_BWD_NO_X | VG_OPF_BWD_NO_Y,
                      .attrs = REDUCE_ATTRS,
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

/* outer x len x inner around max's axis. */
static void max_dims(const vg_kernel *k, int64_t *outer, int64_t *len, int64_t *inner) {
  vg_axis_split(k->xs[0], vg_axis(k->a->v[RED_AXIS], k->xs[0]->nd), outer, len, inner);
}

static void max_forward(const vg_kernel *k) {
  int64_t outer, len, inner;
  max_dims(k, &outer, &len, &inner);
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
  max_dims(k, &outer, &len, &inner);
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
