/* Ops that move values without arithmetic: concat, slice, reshape,
 * flatten, stop_gradient, permute, tile, repeat_interleave. Where values
 * are copied several times (tile, repeat_interleave), the gradient adds
 * the copies, each element of dx by one thread in a fixed order. */
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
  if (dx && vg_dx_sets(k, 0)) memcpy(dx, dy, (size_t)vg_numel(k->ys) * sizeof *dx);
  else if (dx) VG_FOR(vg_numel(k->ys), dx[i] += dy[i]);
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
                         .flags = VG_OPF_BWD_NO_X | VG_OPF_BWD_NO_Y | VG_OPF_BWD_SETS,
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
                         .flags = VG_OPF_BWD_NO_X | VG_OPF_BWD_NO_Y | VG_OPF_BWD_SETS,
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

/* permute: y's axis i is x's axis dims[i], torch.permute's rule; the
 * gradient moves back by the inverse permutation.
 *   x [B, C, H, W], dims {0, 2, 3, 1} -> y [B, H, W, C] */
enum { PERMUTE_DIMS };

static vg_status permute_infer(vg_graph *g, vg_node *n) {
  const vg_shape *s = vg_in_shape(g, n, 0), *d = &n->attr.dims;
  char sx[VG_SHAPE_STRLEN], sd[VG_SHAPE_STRLEN];
  vg_shape_str(s, sx, sizeof sx), vg_shape_str(d, sd, sizeof sd);
  if (d->nd != s->nd)
    return vg_op_fail(g, n, VG_ERR_ARG, "dims %s must order all %d axes of '%s' %s", sd, s->nd, vg_in_name(g, n, 0), sx);
  unsigned seen = 0;
  n->shape.nd = s->nd;
  for (int i = 0; i < d->nd; i++) {
    const int ax = vg_axis((double)d->d[i], s->nd);
    if (ax < 0)
      return vg_op_fail(g, n, VG_ERR_ARG, "dims %s: axis %lld is out of range for '%s' %s (axes -%d..%d)", sd,
                        (long long)d->d[i], vg_in_name(g, n, 0), sx, s->nd, s->nd - 1);
    if (seen >> ax & 1)
      return vg_op_fail(g, n, VG_ERR_ARG, "dims %s name axis %d of '%s' %s twice", sd, ax, vg_in_name(g, n, 0), sx);
    seen |= 1u << ax;
    n->shape.d[i] = s->d[ax];
  }
  return VG_OK;
}

/* A permutation in its simplest form: axes of size 1 dropped, and axes
 * that stay side by side in the same order merged. [B, C, H, W] to
 * [B, H, W, C] is then src [B, C, H*W] with dst axis i = src axis p[i],
 * p = {0, 2, 1}: a transpose per example. */
typedef struct perm {
  int m, p[VG_MAX_DIMS];
  int64_t d[VG_MAX_DIMS]; /* the src shape */
} perm;

static perm perm_simplify(const vg_shape *src, const int *p) {
  int keep[VG_MAX_DIMS], q[VG_MAX_DIMS], nq = 0, nk = 0;
  for (int a = 0; a < src->nd; a++) keep[a] = src->d[a] > 1 ? nk++ : -1;
  for (int i = 0; i < src->nd; i++)
    if (keep[p[i]] >= 0) q[nq++] = keep[p[i]];
  /* groups of dst axes whose src axes follow one another */
  int start[VG_MAX_DIMS], ng = 0;
  for (int i = 0; i < nq; i++)
    if (i == 0 || q[i] != q[i - 1] + 1) start[ng++] = i;
  perm r = {.m = ng > 0 ? ng : 1, .p = {0}, .d = {1}};
  if (ng == 0) return r;
  /* a group's src position: its rank among the groups by first src axis */
  int64_t size[VG_MAX_DIMS];
  for (int gi = 0; gi < ng; gi++) {
    const int end = gi + 1 < ng ? start[gi + 1] : nq;
    size[gi] = 1;
    for (int i = start[gi]; i < end; i++) {
      int a = 0; /* the original src axis of kept axis q[i] */
      while (keep[a] != q[i]) a++;
      size[gi] *= src->d[a];
    }
    int rank = 0;
    for (int gj = 0; gj < ng; gj++) rank += q[start[gj]] < q[start[gi]];
    r.p[gi] = rank;
    r.d[rank] = size[gi];
  }
  return r;
}

/* dst = src with its axes moved (dst axis i = src axis p[i]), or dst +=
 * that. Each element of dst has one writer. */
static void permute_move(const vg_real *src, const vg_shape *ss, const int *p, vg_real *dst, int add) {
  const perm r = perm_simplify(ss, p);
  const int m = r.m;
  const int64_t n = vg_shape_numel(ss);
  if (m == 1) { /* nothing moves: axes that stay in order merged into one */
    if (add) VG_FOR(n, dst[i] += src[i]);
    else memcpy(dst, src, (size_t)n * sizeof *dst);
    return;
  }
  int identity_prefix = 1;
  for (int i = 0; i < m - 2; i++) identity_prefix &= r.p[i] == i;
  if (identity_prefix && r.p[m - 2] == m - 1 && r.p[m - 1] == m - 2) {
    /* transposes of R x C matrices, in T x T tiles that stay in cache:
     * dst [.., C, R] from src [.., R, C]; a unit is one batch's T rows of
     * dst */
    enum { T = 16 };
    const int64_t R = r.d[m - 2], C = r.d[m - 1], nb = n / (R * C), tc = (C + T - 1) / T;
#pragma omp parallel for schedule(static) if (n >= VG_PAR_MIN)
    for (int64_t u = 0; u < nb * tc; u++) {
      const int64_t b = u / tc, c0 = u % tc * T, c1 = c0 + T < C ? c0 + T : C;
      const vg_real *sb = src + b * R * C;
      vg_real *db = dst + b * R * C;
      for (int64_t r0 = 0; r0 < R; r0 += T) {
        const int64_t r1 = r0 + T < R ? r0 + T : R;
        for (int64_t c = c0; c < c1; c++) {
          if (add)
            for (int64_t q = r0; q < r1; q++) db[c * R + q] += sb[q * C + c];
          else
            for (int64_t q = r0; q < r1; q++) db[c * R + q] = sb[q * C + c];
        }
      }
    }
    return;
  }
  /* Anything else: rows of dst's last axis, each gathered from src with
   * that axis's stride (1 when the last axis stays last). */
  int64_t stride[VG_MAX_DIMS], dd[VG_MAX_DIMS];
  for (int a = m - 1, st = 1; a >= 0; a--) stride[a] = st, st *= r.d[a];
  for (int i = 0; i < m; i++) dd[i] = r.d[r.p[i]];
  const int64_t L = dd[m - 1], ls = stride[r.p[m - 1]];
  VG_FOR_ROWS(n / L, L, {
    int64_t rest = i, off = 0;
    for (int a = m - 2; a >= 0; a--) off += rest % dd[a] * stride[r.p[a]], rest /= dd[a];
    const vg_real *sr = src + off;
    vg_real *dr = dst + i * L;
    if (add)
      for (int64_t j = 0; j < L; j++) dr[j] += sr[j * ls];
    else
      for (int64_t j = 0; j < L; j++) dr[j] = sr[j * ls];
  });
}

static void permute_axes(const vg_kernel *k, int *p, int *inv) {
  const int nd = k->xs[0]->nd;
  for (int i = 0; i < nd; i++) p[i] = vg_axis((double)k->a->dims.d[i], nd), inv[p[i]] = i;
}

static void permute_forward(const vg_kernel *k) {
  int p[VG_MAX_DIMS], inv[VG_MAX_DIMS];
  permute_axes(k, p, inv);
  permute_move(k->x[0], k->xs[0], p, k->y, 0);
}

static void permute_backward(const vg_kernel *k) {
  int p[VG_MAX_DIMS], inv[VG_MAX_DIMS];
  if (!k->dx[0]) return;
  permute_axes(k, p, inv);
  permute_move(k->dy, k->ys, inv, k->dx[0], 1);
}

VG_OP_RECORD(permute) = {.name = "permute", .doc = "x → its axes reordered: axis i of the output is axis `dims[i]` of x (`{0, 2, 3, 1}`: `[B, C, H, W]` → `[B, H, W, C]`)",
                         .flags = VG_OPF_BWD_NO_X | VG_OPF_BWD_NO_Y,
                         .nin_min = 1,
                         .nin_max = 1,
                         .attrs = {[PERMUTE_DIMS] = {"dims", VG_ATTR_DIMS, 0, NULL}},
                         .infer = permute_infer,
                         .forward = permute_forward,
                         .backward = permute_backward};

/* tile and repeat_interleave: copies along one axis.
 *   tile:              x [a, n, b] -> y [a, n*times, b], y[o, t*n + r] = x[o, r]
 *                      (numpy.tile, torch.Tensor.repeat on one axis)
 *   repeat_interleave: x [a, n, b] -> y [a, n*times, b], y[o, r*times + t] = x[o, r]
 *                      (numpy.repeat, torch.repeat_interleave)
 * With a second input `like` [B, ...] instead of `times`, times is its first
 * dimension at run time: a constant copied once for each example of a
 * batch, whatever the batch's size (M2's one-hot rows of every class). */
enum { COPIES_AXIS, COPIES_TIMES };

/* The copies to make: the attribute, or the like input's batch. */
static double copies_times(const vg_attrs *a, int nin, const vg_shape *like) {
  return nin == 2 ? (double)(like->nd ? like->d[0] : 1) : a->v[COPIES_TIMES];
}

static vg_status copies_infer(vg_graph *g, vg_node *n) {
  const vg_shape *s = vg_in_shape(g, n, 0);
  if (n->nin == 2 && n->attr.v[COPIES_TIMES] != 0)
    return vg_op_fail(g, n, VG_ERR_ARG, "give times or a second input whose batch sets it, not both");
  const double times = copies_times(&n->attr, n->nin, n->nin == 2 ? vg_in_shape(g, n, 1) : NULL);
  char sx[VG_SHAPE_STRLEN];
  vg_shape_str(s, sx, sizeof sx);
  const int axis = vg_axis(n->attr.v[COPIES_AXIS], s->nd);
  if (axis < 0) return vg_op_fail(g, n, VG_ERR_ARG, "axis %g out of range for '%s' %s", n->attr.v[COPIES_AXIS], vg_in_name(g, n, 0), sx);
  if (!(times >= 1)) return vg_op_fail(g, n, VG_ERR_ARG, "times must be a whole number >= 1, got %g", times);
  if (times > (double)(VG_MAX_NUMEL / vg_shape_numel(s)))
    return vg_op_fail(g, n, VG_ERR_SHAPE, "'%s' %s copied %g times is more than 2^36 values", vg_in_name(g, n, 0), sx, times);
  n->shape = *s;
  n->shape.d[axis] *= (int64_t)times;
  return VG_OK;
}

/* outer, the axis's length and inner of x; times. */
static void copies_dims(const vg_kernel *k, int64_t *outer, int64_t *len, int64_t *inner, int64_t *times) {
  const int axis = vg_axis(k->a->v[COPIES_AXIS], k->xs[0]->nd);
  split_at(k->xs[0], axis, outer, inner);
  *len = k->xs[0]->d[axis];
  *times = (int64_t)copies_times(k->a, k->nin, k->nin == 2 ? k->xs[1] : NULL);
}

static void tile_forward(const vg_kernel *k) {
  int64_t outer, len, inner, times;
  copies_dims(k, &outer, &len, &inner, &times);
  const int64_t w = len * inner; /* x's block per outer index, copied whole */
  const vg_real *x = k->x[0];
  vg_real *y = k->y;
#pragma omp parallel for schedule(static) if (outer * times * w >= VG_PAR_MIN)
  for (int64_t u = 0; u < outer * times; u++) memcpy(y + u * w, x + u / times * w, (size_t)w * sizeof *y);
}

/* dx[o, q] += dy[o, t, q] for t = 0, 1, ..; threads split o and chunks of q. */
static void tile_backward(const vg_kernel *k) {
  vg_real *dx = k->dx[0];
  if (!dx) return;
  int64_t outer, len, inner, times;
  copies_dims(k, &outer, &len, &inner, &times);
  const int64_t w = len * inner, CH = 2048, nc = (w + CH - 1) / CH;
  const vg_real *dy = k->dy;
#pragma omp parallel for schedule(static) if (outer * times * w >= VG_PAR_MIN)
  for (int64_t u = 0; u < outer * nc; u++) {
    const int64_t o = u / nc, q0 = u % nc * CH, q1 = q0 + CH < w ? q0 + CH : w;
    vg_real *d = dx + o * w;
    for (int64_t t = 0; t < times; t++) {
      const vg_real *g = dy + (o * times + t) * w;
      for (int64_t q = q0; q < q1; q++) d[q] += g[q];
    }
  }
}

static void repeat_interleave_forward(const vg_kernel *k) {
  int64_t outer, len, inner, times;
  copies_dims(k, &outer, &len, &inner, &times);
  const vg_real *x = k->x[0];
  vg_real *y = k->y;
  if (inner == 1) { /* along the last axis: x[i] to y[i*times + t] */
    VG_FOR_ROWS(outer * len, times, {
      const vg_real v = x[i];
      for (int64_t t = 0; t < times; t++) y[i * times + t] = v;
    });
    return;
  }
  /* row i of x (inner values) becomes rows i*times .. i*times + times-1 of y */
  VG_FOR_ROWS(outer * len, times * inner, {
    const vg_real *xr = x + i * inner;
    vg_real *yr = y + i * times * inner;
    for (int64_t t = 0; t < times; t++)
      for (int64_t j = 0; j < inner; j++) yr[t * inner + j] = xr[j];
  });
}

static void repeat_interleave_backward(const vg_kernel *k) {
  vg_real *dx = k->dx[0];
  if (!dx) return;
  int64_t outer, len, inner, times;
  copies_dims(k, &outer, &len, &inner, &times);
  const vg_real *dy = k->dy;
  if (inner == 1) {
    VG_FOR_ROWS(outer * len, times, {
      vg_real s = dx[i];
      for (int64_t t = 0; t < times; t++) s += dy[i * times + t];
      dx[i] = s;
    });
    return;
  }
  VG_FOR_ROWS(outer * len, times * inner, {
    vg_real *d = dx + i * inner;
    const vg_real *g = dy + i * times * inner;
    for (int64_t t = 0; t < times; t++)
      for (int64_t j = 0; j < inner; j++) d[j] += g[t * inner + j];
  });
}

#define COPIES_ATTRS                                                   \
  {[COPIES_AXIS] = {"axis", VG_ATTR_INT, -1, NULL},                    \
   [COPIES_TIMES] = {"times", VG_ATTR_INT, 0, NULL, "required"}}

VG_OP_RECORD(tile) = {.name = "tile", .doc = "x → x repeated `times` times whole along `axis` (`[a, n, b]` → `[a, n·times, b]`: 1 2 3 1 2 3); with a second input, `times` is its batch",
                      .flags = VG_OPF_BWD_NO_X | VG_OPF_BWD_NO_Y,
                      .nin_min = 1,
                      .nin_max = 2,
                      .nograd = 1u << 1,
                      .attrs = COPIES_ATTRS,
                      .infer = copies_infer,
                      .forward = tile_forward,
                      .backward = tile_backward};

VG_OP_RECORD(repeat_interleave) = {.name = "repeat_interleave", .doc = "x → each entry along `axis` repeated `times` times in a row (`[a, n, b]` → `[a, n·times, b]`: 1 1 2 2 3 3)",
                                   .flags = VG_OPF_BWD_NO_X | VG_OPF_BWD_NO_Y,
                                   .nin_min = 1,
                                   .nin_max = 2,
                                   .nograd = 1u << 1,
                                   .attrs = COPIES_ATTRS,
                                   .infer = copies_infer,
                                   .forward = repeat_interleave_forward,
                                   .backward = repeat_interleave_backward};
