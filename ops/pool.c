/* Spatial resampling, NCHW, PyTorch's semantics:
 *   maxpool2d  x [B,C,H,W] -> y [B,C,(H+2p-k)/s+1,(W+2p-k)/s+1]
 *   avgpool2d  the same shapes; zero padding counts in the mean
 *              (PyTorch's count_include_pad=True)
 *   upsample   x [B,C,H,W] -> y [B,C,H*s,W*s]   (nearest or bilinear)
 *
 * Every kernel runs one thread per (b, c) plane: an output plane has one
 * writer, and in the backward so does each input plane, whose pixels then
 * sum their contributions in the output's scan order at any thread count. */
#include "kernel.h"

/* A 4-D input, by name and shape. */
static vg_status check_nchw(vg_graph *g, vg_node *n) {
  const vg_shape *x = vg_in_shape(g, n, 0);
  if (x->nd == 4) return VG_OK;
  char sx[VG_SHAPE_STRLEN];
  return vg_op_fail(g, n, VG_ERR_SHAPE, "input '%s' must be [B, C, H, W], got %s", vg_in_name(g, n, 0),
                    vg_shape_str(x, sx, sizeof sx));
}

/* ---- maxpool2d ---- */

enum { MP_KERNEL, MP_STRIDE, MP_PADDING };

typedef struct pool_geom {
  int64_t planes;
  int H, W, OH, OW, k, s, p;
} pool_geom;

static pool_geom pool_geometry(const vg_shape *x, const vg_attrs *a) {
  pool_geom g;
  g.planes = x->d[0] * x->d[1], g.H = (int)x->d[2], g.W = (int)x->d[3];
  g.k = (int)a->v[MP_KERNEL], g.s = (int)a->v[MP_STRIDE], g.p = (int)a->v[MP_PADDING];
  if (g.s == 0) g.s = g.k;
  g.OH = (g.H + 2 * g.p - g.k) / g.s + 1, g.OW = (g.W + 2 * g.p - g.k) / g.s + 1;
  return g;
}

static vg_status maxpool_infer(vg_graph *g, vg_node *n) {
  vg_status st = check_nchw(g, n);
  if (st) return st;
  const vg_shape *x = vg_in_shape(g, n, 0);
  const int k = (int)n->attr.v[MP_KERNEL], s = (int)n->attr.v[MP_STRIDE], p = (int)n->attr.v[MP_PADDING];
  char sx[VG_SHAPE_STRLEN];
  vg_shape_str(x, sx, sizeof sx);
  if (k < 1 || k > (1 << 24)) return vg_op_fail(g, n, VG_ERR_ARG, "kernel must be in 1..%d, got %d", 1 << 24, k);
  if (s < 0 || s > (1 << 24))
    return vg_op_fail(g, n, VG_ERR_ARG, "stride must be in 1..%d (or 0 for the kernel size), got %d", 1 << 24, s);
  if (p < 0 || p > k / 2)
    return vg_op_fail(g, n, VG_ERR_ARG, "padding must be between 0 and half the kernel (%d), got %d", k / 2, p);
  if (x->d[2] > INT32_MAX / 4 || x->d[3] > INT32_MAX / 4 || x->d[2] * x->d[3] > INT32_MAX)
    return vg_op_fail(g, n, VG_ERR_SHAPE, "image too large (input %s)", sx);
  if (x->d[2] + 2 * p < k || x->d[3] + 2 * p < k)
    return vg_op_fail(g, n, VG_ERR_SHAPE, "kernel %dx%d is larger than the padded input %lldx%lld (input %s)", k, k,
                      (long long)(x->d[2] + 2 * p), (long long)(x->d[3] + 2 * p), sx);
  const pool_geom ge = pool_geometry(x, &n->attr);
  const int64_t d[4] = {x->d[0], x->d[1], ge.OH, ge.OW};
  n->shape = vg_shape_of(4, d);
  /* int32 argmaxes, one per output, in reals (a float holds one). */
  n->saved_len = (size_t)vg_shape_numel(&n->shape);
  return VG_OK;
}

/* Index within the plane of the window's maximum: the first in scan order
 * wins ties, a NaN wins over everything (as PyTorch). The window is clipped
 * to the image: the -inf padding never wins, since a window always holds a
 * pixel (padding <= kernel / 2). */
static inline int32_t window_argmax(const pool_geom *g, const vg_real *plane, int oh, int ow, vg_real *val) {
  int h0 = oh * g->s - g->p, w0 = ow * g->s - g->p;
  int h1 = h0 + g->k < g->H ? h0 + g->k : g->H, w1 = w0 + g->k < g->W ? w0 + g->k : g->W;
  if (h0 < 0) h0 = 0;
  if (w0 < 0) w0 = 0;
  int32_t best = h0 * g->W + w0;
  vg_real m = -INFINITY;
  for (int ih = h0; ih < h1; ih++) {
    const vg_real *row = plane + (int64_t)ih * g->W;
    for (int iw = w0; iw < w1; iw++)
      if (row[iw] > m || isnan(row[iw])) m = row[iw], best = ih * g->W + iw;
  }
  *val = m;
  return best;
}

#include "pool2x2.h"
#include "upsample2x.h"

/* Forward also saves each output's argmax (an int32 index within its input
 * plane, in the saved buffer), so the backward is one pass over dy that
 * never reads x. */
static void maxpool_forward(const vg_kernel *k) {
  const pool_geom g = pool_geometry(k->xs[0], k->a);
  const int64_t HW = (int64_t)g.H * g.W, OHW = (int64_t)g.OH * g.OW;
  const vg_real *x = k->x[0];
  vg_real *y = k->y;
  int32_t *arg = (int32_t *)(void *)k->saved;
  const int fast = g.k == 2 && g.s == 2 && g.p == 0;
#pragma omp parallel for schedule(static) if (g.planes * OHW * g.k * g.k >= VG_PAR_MIN)
  for (int64_t pl = 0; pl < g.planes; pl++) {
    const vg_real *plane = x + pl * HW;
    vg_real *out = y + pl * OHW;
    int32_t *am = arg + pl * OHW;
    for (int oh = 0; oh < g.OH; oh++) {
      vg_real *o = out + (int64_t)oh * g.OW;
      int32_t *a = am + (int64_t)oh * g.OW;
      if (fast) {
        const int32_t base = 2 * oh * g.W;
        pool2x2_row(plane + base, plane + base + g.W, g.W, g.OW, base, o, a);
      } else {
        for (int ow = 0; ow < g.OW; ow++) a[ow] = window_argmax(&g, plane, oh, ow, &o[ow]);
      }
    }
  }
}

/* dx[argmax] += dy, per input plane in output scan order. */
static void maxpool_backward(const vg_kernel *k) {
  const pool_geom g = pool_geometry(k->xs[0], k->a);
  const int64_t HW = (int64_t)g.H * g.W, OHW = (int64_t)g.OH * g.OW;
  const vg_real *dy = k->dy;
  const int32_t *arg = (const int32_t *)(const void *)k->saved;
  vg_real *dx = k->dx[0];
  if (!dx) return;
  const int set = vg_dx_sets(k, 0);
#pragma omp parallel for schedule(static) if (g.planes * OHW >= VG_PAR_MIN)
  for (int64_t pl = 0; pl < g.planes; pl++) {
    const vg_real *d = dy + pl * OHW;
    const int32_t *a = arg + pl * OHW;
    vg_real *dplane = dx + pl * HW;
    if (set) memset(dplane, 0, (size_t)HW * sizeof *dplane);
    for (int64_t i = 0; i < OHW; i++) dplane[a[i]] += d[i];
  }
}

static double maxpool_flops(const vg_graph *g, const vg_node *n) {
  const double k = n->attr.v[MP_KERNEL];
  (void)g;
  return (double)vg_shape_numel(&n->shape) * k * k;
}

VG_OP_RECORD(maxpool2d) = {
    .name = "maxpool2d", .doc = "`[B, C, H, W]` → the maximum of each window (padding is -inf)",
    .nin_min = 1,
    .nin_max = 1,
    .flags = VG_OPF_BWD_NO_X | VG_OPF_BWD_NO_Y | VG_OPF_BWD_SETS,
    .attrs = {[MP_KERNEL] = {"kernel", VG_ATTR_INT, 2, NULL}, [MP_STRIDE] = {"stride", VG_ATTR_INT, 0, NULL, "kernel"},
              [MP_PADDING] = {"padding", VG_ATTR_INT, 0, NULL}},
    .infer = maxpool_infer,
    .forward = maxpool_forward,
    .backward = maxpool_backward,
    .flops = maxpool_flops,
};

/* ---- avgpool2d ---- */

/* maxpool's shapes and checks, without the saved argmaxes. */
static vg_status avgpool_infer(vg_graph *g, vg_node *n) {
  vg_status st = maxpool_infer(g, n);
  n->saved_len = 0;
  return st;
}

static void avgpool_forward(const vg_kernel *k) {
  const pool_geom ge = pool_geometry(k->xs[0], k->a);
  const vg_real *x = k->x[0], inv = (vg_real)1 / (vg_real)(ge.k * ge.k);
  vg_real *y = k->y;
#pragma omp parallel for schedule(static) if (ge.planes * ge.OH * ge.OW * ge.k * ge.k >= VG_PAR_MIN)
  for (int64_t pl = 0; pl < ge.planes; pl++) {
    const vg_real *in = x + pl * ge.H * ge.W;
    vg_real *out = y + pl * ge.OH * ge.OW;
    for (int oh = 0; oh < ge.OH; oh++)
      for (int ow = 0; ow < ge.OW; ow++) {
        vg_real s = 0;
        for (int i = oh * ge.s - ge.p; i < oh * ge.s - ge.p + ge.k; i++)
          for (int j = ow * ge.s - ge.p; j < ow * ge.s - ge.p + ge.k; j++)
            if (i >= 0 && i < ge.H && j >= 0 && j < ge.W) s += in[i * ge.W + j];
        out[oh * ge.OW + ow] = s * inv;
      }
  }
}

static void avgpool_backward(const vg_kernel *k) {
  const pool_geom ge = pool_geometry(k->xs[0], k->a);
  const vg_real *dy = k->dy, inv = (vg_real)1 / (vg_real)(ge.k * ge.k);
  vg_real *dx = k->dx[0];
  if (!dx) return;
  const int set = vg_dx_sets(k, 0);
#pragma omp parallel for schedule(static) if (ge.planes * ge.OH * ge.OW * ge.k * ge.k >= VG_PAR_MIN)
  for (int64_t pl = 0; pl < ge.planes; pl++) {
    vg_real *din = dx + pl * ge.H * ge.W;
    if (set) memset(din, 0, (size_t)ge.H * ge.W * sizeof *din);
    const vg_real *g = dy + pl * ge.OH * ge.OW;
    for (int oh = 0; oh < ge.OH; oh++)
      for (int ow = 0; ow < ge.OW; ow++) {
        const vg_real v = g[oh * ge.OW + ow] * inv;
        for (int i = oh * ge.s - ge.p; i < oh * ge.s - ge.p + ge.k; i++)
          for (int j = ow * ge.s - ge.p; j < ow * ge.s - ge.p + ge.k; j++)
            if (i >= 0 && i < ge.H && j >= 0 && j < ge.W) din[i * ge.W + j] += v;
      }
  }
}

VG_OP_RECORD(avgpool2d) = {
    .name = "avgpool2d", .doc = "`[B, C, H, W]` → the mean of each window (zero padding counted)",
    .nin_min = 1,
    .nin_max = 1,
    .flags = VG_OPF_BWD_NO_X | VG_OPF_BWD_NO_Y | VG_OPF_BWD_SETS,
    .attrs = {[MP_KERNEL] = {"kernel", VG_ATTR_INT, 2, NULL}, [MP_STRIDE] = {"stride", VG_ATTR_INT, 0, NULL, "kernel"},
              [MP_PADDING] = {"padding", VG_ATTR_INT, 0, NULL}},
    .infer = avgpool_infer,
    .forward = avgpool_forward,
    .backward = avgpool_backward,
    .flops = maxpool_flops,
};

/* ---- upsample ---- */

enum { UP_SCALE, UP_MODE };
enum { UP_NEAREST, UP_BILINEAR };

static vg_status upsample_infer(vg_graph *g, vg_node *n) {
  vg_status st = check_nchw(g, n);
  if (st) return st;
  const vg_shape *x = vg_in_shape(g, n, 0);
  const int s = (int)n->attr.v[UP_SCALE];
  char sx[VG_SHAPE_STRLEN];
  if (s < 1) return vg_op_fail(g, n, VG_ERR_ARG, "scale must be >= 1, got %d", s);
  if (x->d[2] > INT32_MAX / s / 4 || x->d[3] > INT32_MAX / s / 4 ||
      (double)vg_shape_numel(x) * s * s > (double)VG_MAX_NUMEL)
    return vg_op_fail(g, n, VG_ERR_SHAPE, "output too large (input %s, scale %d)", vg_shape_str(x, sx, sizeof sx), s);
  const int64_t d[4] = {x->d[0], x->d[1], x->d[2] * s, x->d[3] * s};
  n->shape = vg_shape_of(4, d);
  return VG_OK;
}

/* Bilinear with align_corners = False: output pixel o reads the input at
 * (o + 0.5) / s - 0.5, clamped at 0; i0 and i1 = i0 + 1 (or i0 at the last
 * pixel) with weights l0 and l1. */
typedef struct lerp {
  int i0, i1;
  vg_real l0, l1;
} lerp;

static inline lerp lerp_at(int o, int s, int n) {
  double src = ((double)o + 0.5) / s - 0.5;
  if (src < 0) src = 0;
  lerp t;
  t.i0 = (int)src;
  t.i1 = t.i0 + (t.i0 < n - 1);
  t.l1 = (vg_real)(src - t.i0);
  t.l0 = 1 - t.l1;
  return t;
}

static void upsample_forward(const vg_kernel *k) {
  const int64_t planes = k->xs[0]->d[0] * k->xs[0]->d[1];
  const int H = (int)k->xs[0]->d[2], W = (int)k->xs[0]->d[3], s = (int)k->a->v[UP_SCALE];
  const int OH = H * s, OW = W * s;
  const int64_t HW = (int64_t)H * W, OHW = (int64_t)OH * OW;
  const vg_real *x = k->x[0];
  vg_real *y = k->y;
  const int bilinear = (int)k->a->v[UP_MODE] == UP_BILINEAR;
#pragma omp parallel for schedule(static) if (planes * OHW >= VG_PAR_MIN)
  for (int64_t pl = 0; pl < planes; pl++) {
    const vg_real *in = x + pl * HW;
    vg_real *out = y + pl * OHW;
    if (!bilinear && s == 2) {
      for (int h = 0; h < H; h++) up2_row(in + (int64_t)h * W, W, out + (int64_t)2 * h * OW, out + (int64_t)(2 * h + 1) * OW);
      continue;
    }
    for (int oh = 0; oh < OH; oh++) {
      vg_real *row = out + (int64_t)oh * OW;
      if (!bilinear) {
        /* Each input row once, copied to the s - 1 rows below it. */
        if (oh % s) {
          const vg_real *above = row - OW;
#pragma omp simd
          for (int w = 0; w < OW; w++) row[w] = above[w]; /* inline: rows are short */
          continue;
        }
        const vg_real *src = in + (int64_t)(oh / s) * W;
        for (int w = 0; w < W; w++)
          for (int a = 0; a < s; a++) row[w * s + a] = src[w];
        continue;
      }
      const lerp th = lerp_at(oh, s, H);
      const vg_real *r0 = in + (int64_t)th.i0 * W, *r1 = in + (int64_t)th.i1 * W;
      for (int ow = 0; ow < OW; ow++) {
        const lerp tw = lerp_at(ow, s, W);
        row[ow] = th.l0 * (tw.l0 * r0[tw.i0] + tw.l1 * r0[tw.i1]) + th.l1 * (tw.l0 * r1[tw.i0] + tw.l1 * r1[tw.i1]);
      }
    }
  }
}

/* The adjoint: nearest gathers its s x s block in order; bilinear scatters
 * each output's four weights into its (privately owned) input plane. */
static void upsample_backward(const vg_kernel *k) {
  const int64_t planes = k->xs[0]->d[0] * k->xs[0]->d[1];
  const int H = (int)k->xs[0]->d[2], W = (int)k->xs[0]->d[3], s = (int)k->a->v[UP_SCALE];
  const int OH = H * s, OW = W * s;
  const int64_t HW = (int64_t)H * W, OHW = (int64_t)OH * OW;
  const vg_real *dy = k->dy;
  vg_real *dx = k->dx[0];
  const int bilinear = (int)k->a->v[UP_MODE] == UP_BILINEAR;
  if (!dx) return;
  const int set = vg_dx_sets(k, 0);
#pragma omp parallel for schedule(static) if (planes * OHW >= VG_PAR_MIN)
  for (int64_t pl = 0; pl < planes; pl++) {
    const vg_real *d = dy + pl * OHW;
    vg_real *g = dx + pl * HW;
    if (!bilinear) { /* each input pixel written once: set or added */
      for (int h = 0; h < H; h++) {
        vg_real *gr = g + (int64_t)h * W;
        if (s == 2) {
          down2_row(d + (int64_t)2 * h * OW, d + (int64_t)(2 * h + 1) * OW, W, gr, set);
          continue;
        }
        for (int w = 0; w < W; w++) {
          vg_real acc = 0;
          for (int a = 0; a < s; a++)
            for (int b = 0; b < s; b++) acc += d[(int64_t)(h * s + a) * OW + w * s + b];
          gr[w] = (set ? (vg_real)0 : gr[w]) + acc;
        }
      }
      continue;
    }
    if (set) memset(g, 0, (size_t)HW * sizeof *g); /* bilinear scatters */
    for (int oh = 0; oh < OH; oh++) {
      const lerp th = lerp_at(oh, s, H);
      vg_real *g0 = g + (int64_t)th.i0 * W, *g1 = g + (int64_t)th.i1 * W;
      const vg_real *row = d + (int64_t)oh * OW;
      for (int ow = 0; ow < OW; ow++) {
        const lerp tw = lerp_at(ow, s, W);
        const vg_real v0 = th.l0 * row[ow], v1 = th.l1 * row[ow];
        g0[tw.i0] += tw.l0 * v0;
        g0[tw.i1] += tw.l1 * v0;
        g1[tw.i0] += tw.l0 * v1;
        g1[tw.i1] += tw.l1 * v1;
      }
    }
  }
}

static double upsample_flops(const vg_graph *g, const vg_node *n) {
  (void)g;
  return (double)vg_shape_numel(&n->shape) * ((int)n->attr.v[UP_MODE] == UP_BILINEAR ? 11 : 1);
}

VG_OP_RECORD(upsample) = {
    .name = "upsample", .doc = "`[B, C, H, W]` → `[B, C, H scale, W scale]`, nearest or bilinear (PyTorch's `align_corners=False`)",
    .nin_min = 1,
    .nin_max = 1,
    .flags = VG_OPF_BWD_NO_X | VG_OPF_BWD_NO_Y | VG_OPF_BWD_SETS,
    .attrs = {[UP_SCALE] = {"scale", VG_ATTR_INT, 2, NULL}, [UP_MODE] = {"mode", VG_ATTR_ENUM, UP_NEAREST, "nearest|bilinear"}},
    .infer = upsample_infer,
    .forward = upsample_forward,
    .backward = upsample_backward,
    .flops = upsample_flops,
};
