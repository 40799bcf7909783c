/* Convolutions, NCHW, PyTorch's semantics and weight layouts:
 *   conv2d            x [B,Cin,H,W], W [Cout,Cin,kh,kw], b [Cout] -> y [B,Cout,Ho,Wo]
 *   conv_transpose2d  x [B,Cin,H,W], W [Cin,Cout,kh,kw], b [Cout] -> y [B,Cout,Ho,Wo]
 *
 * Both are one GEMM over the whole batch against an im2col matrix in the
 * kernel's shared scratch: one large product keeps the GEMM's packing
 * amortised, where a product per image (Cout = 8 rows) would not. The
 * transpose is the adjoint of conv2d: its forward is conv2d's input
 * gradient, its input gradient conv2d's forward.
 *
 * Determinism: im2col and the permutes have one writer per element; col2im
 * runs one thread per (image, channel) plane, adding the kernel offsets in a
 * fixed order; bias sums go channel by channel in order, in double. */
#include "kernel.h"

/* The sliding-window geometry shared by im2col and col2im: an image side
 * [B, C, H, W] (conv2d's input, the transpose's output) and a grid of
 * OH x OW window positions (conv2d's output, the transpose's input). Window
 * position (oh, ow), offset (i, j) reads image pixel
 * (oh * s - ph + i * d, ow * s - pw + j * d); outside the image it reads 0. */
typedef struct geom {
  int B, C, H, W, OH, OW, kh, kw, s, d, ph, pw;
} geom;

/* ow in [*lo, *hi) keep ow * s + off inside [0, n): the window positions
 * whose pixel for this kernel offset lies inside the image. */
static inline void inside(int nout, int n, int s, int off, int *lo, int *hi) {
  int a = off >= 0 ? 0 : (-off + s - 1) / s;
  int b = n - 1 - off < 0 ? 0 : (n - 1 - off) / s + 1;
  if (a > nout) a = nout;
  if (b > nout) b = nout;
  if (b < a) b = a;
  *lo = a, *hi = b;
}

/* im2col: image x [B, C, H, W] -> cols [C*kh*kw, B*OH*OW]; row
 * (c*kh + i)*kw + j, column b*OH*OW + oh*OW + ow. One writer per row chunk. */
static void im2col(const geom *g, const vg_real *x, vg_real *cols) {
  const int64_t K = (int64_t)g->C * g->kh * g->kw, P = (int64_t)g->OH * g->OW, N = g->B * P;
  const int64_t HW = (int64_t)g->H * g->W;
#pragma omp parallel for schedule(static) if (K * N >= VG_PAR_MIN)
  for (int64_t rb = 0; rb < K * g->B; rb++) {
    const int64_t r = rb / g->B, b = rb % g->B;
    const int c = (int)(r / (g->kh * g->kw)), i = (int)(r / g->kw % g->kh), j = (int)(r % g->kw);
    const vg_real *plane = x + (b * g->C + c) * HW;
    vg_real *dst = cols + r * N + b * P;
    const int offw = j * g->d - g->pw;
    int lo, hi;
    inside(g->OW, g->W, g->s, offw, &lo, &hi);
    for (int oh = 0; oh < g->OH; oh++, dst += g->OW) {
      const int ih = oh * g->s - g->ph + i * g->d;
      if (ih < 0 || ih >= g->H) {
        memset(dst, 0, (size_t)g->OW * sizeof *dst);
        continue;
      }
      const vg_real *src = plane + (int64_t)ih * g->W;
      for (int ow = 0; ow < lo; ow++) dst[ow] = 0;
      if (g->s == 1) memcpy(dst + lo, src + lo + offw, (size_t)(hi - lo) * sizeof *dst);
      else
        for (int ow = lo; ow < hi; ow++) dst[ow] = src[ow * g->s + offw];
      for (int ow = hi; ow < g->OW; ow++) dst[ow] = 0;
    }
  }
}

/* col2im, the adjoint: x [B, C, H, W] += the column entries landing on each
 * pixel. A thread owns whole (b, c) planes and adds kernel offsets (i, j) in
 * order, so every pixel's sum has one order whatever the thread count. */
static void col2im(const geom *g, const vg_real *cols, vg_real *x) {
  const int64_t P = (int64_t)g->OH * g->OW, N = g->B * P, HW = (int64_t)g->H * g->W;
  const int64_t planes = (int64_t)g->B * g->C;
  /* Stride 1 adds a kernel row's kw offsets in one pass over the image row
   * (the same order per pixel, a third of the loads and stores at kw = 3). */
  const int fuse = g->s == 1 && g->kw <= 8;
#pragma omp parallel for schedule(static) if (planes * g->kh * g->kw * P >= VG_PAR_MIN)
  for (int64_t pl = 0; pl < planes; pl++) {
    const int64_t b = pl / g->C, c = pl % g->C;
    vg_real *plane = x + pl * HW;
    for (int i = 0; i < g->kh; i++) {
      const vg_real *row0 = cols + (c * g->kh + i) * g->kw * N + b * P;
      if (fuse) {
        /* Offset j covers image columns [a[j], e[j]); all cover [A, E). */
        int a[8], e[8], off[8], A = 0, E = g->W;
        for (int j = 0; j < g->kw; j++) {
          int lo, hi;
          off[j] = j * g->d - g->pw;
          inside(g->OW, g->W, 1, off[j], &lo, &hi);
          a[j] = lo + off[j], e[j] = hi + off[j];
          if (a[j] > A) A = a[j];
          if (e[j] < E) E = e[j];
        }
        if (E < A) E = A;
        for (int oh = 0; oh < g->OH; oh++) {
          const int ih = oh - g->ph + i * g->d;
          if (ih < 0 || ih >= g->H) continue;
          vg_real *dst = plane + (int64_t)ih * g->W;
          const vg_real *src = row0 + (int64_t)oh * g->OW;
          for (int j = 0; j < g->kw; j++) {
            const vg_real *sj = src + j * N;
            const int o = off[j];
            for (int iw = a[j]; iw < (e[j] < A ? e[j] : A); iw++) dst[iw] += sj[iw - o];
            for (int iw = (a[j] > E ? a[j] : E); iw < e[j]; iw++) dst[iw] += sj[iw - o];
          }
          if (g->kw == 3) {
            const vg_real *s0 = src, *s1 = src + N, *s2 = src + 2 * N;
            const int o0 = off[0], o1 = off[1], o2 = off[2];
#pragma omp simd
            for (int iw = A; iw < E; iw++) dst[iw] = dst[iw] + s0[iw - o0] + s1[iw - o1] + s2[iw - o2];
          } else {
            for (int j = 0; j < g->kw; j++) {
              const vg_real *sj = src + j * N;
              const int o = off[j];
#pragma omp simd
              for (int iw = A; iw < E; iw++) dst[iw] += sj[iw - o];
            }
          }
        }
        continue;
      }
      for (int j = 0; j < g->kw; j++) {
        const vg_real *src = row0 + j * N;
        const int offw = j * g->d - g->pw;
        int lo, hi;
        inside(g->OW, g->W, g->s, offw, &lo, &hi);
        for (int oh = 0; oh < g->OH; oh++, src += g->OW) {
          const int ih = oh * g->s - g->ph + i * g->d;
          if (ih < 0 || ih >= g->H) continue;
          vg_real *dst = plane + (int64_t)ih * g->W;
          for (int ow = lo; ow < hi; ow++) dst[ow * g->s + offw] += src[ow];
        }
      }
    }
  }
}

/* [B, C, S] -> [C, B*S]: channels first, for the GEMM. */
static void to_cm(const vg_real *x, vg_real *xm, int64_t B, int64_t C, int64_t S) {
#pragma omp parallel for schedule(static) if (B * C * S >= VG_PAR_MIN)
  for (int64_t cb = 0; cb < C * B; cb++) {
    const int64_t c = cb / B, b = cb % B;
    memcpy(xm + cb * S, x + (b * C + c) * S, (size_t)S * sizeof *xm);
  }
}

/* [C, B*S] -> [B, C, S]: y = ym + bias[c] (bias may be NULL), or with
 * add = 1, y += ym. */
static void from_cm(const vg_real *ym, vg_real *y, const vg_real *bias, int add, int64_t B, int64_t C, int64_t S) {
#pragma omp parallel for schedule(static) if (B * C * S >= VG_PAR_MIN)
  for (int64_t bc = 0; bc < B * C; bc++) {
    const int64_t b = bc / C, c = bc % C;
    const vg_real *src = ym + (c * B + b) * S;
    vg_real *dst = y + bc * S;
    if (add)
      for (int64_t s = 0; s < S; s++) dst[s] += src[s];
    else if (bias) {
      const vg_real bv = bias[c];
      for (int64_t s = 0; s < S; s++) dst[s] = src[s] + bv;
    } else
      memcpy(dst, src, (size_t)S * sizeof *dst);
  }
}

/* db[c] += sum over b, s of dy [B, C, S], in order, in double. */
static void bias_grad(const vg_real *dy, vg_real *db, int64_t B, int64_t C, int64_t S) {
#pragma omp parallel for schedule(static) if (B * C * S >= VG_PAR_MIN)
  for (int64_t c = 0; c < C; c++) {
    double acc = 0;
    for (int64_t b = 0; b < B; b++) {
      const vg_real *p = dy + (b * C + c) * S;
      for (int64_t s = 0; s < S; s++) acc += p[s];
    }
    db[c] += (vg_real)acc;
  }
}

/* Attribute slots, the same in both ops but the third. */
enum { A_STRIDE, A_PADDING, A_SAME_OR_OUTPAD, A_DILATION };

static int attr_int(const vg_attrs *a, int slot) { return (int)a->v[slot]; }

/* Keeps the geometry's int arithmetic far from overflow. */
#define VG_CONV_ATTR_MAX (1 << 24)

/* Bias, when given, is [n]. */
static vg_status check_bias(vg_graph *g, vg_node *n, int64_t cout, const char *wname, const char *sw) {
  if (n->nin < 3) return VG_OK;
  const vg_shape *b = vg_in_shape(g, n, 2);
  if (b->nd == 1 && b->d[0] == cout) return VG_OK;
  char sb[VG_SHAPE_STRLEN];
  return vg_op_fail(g, n, VG_ERR_SHAPE, "bias '%s' must be [%lld] for %lld output channels, got %s (weight '%s' %s)",
                    vg_in_name(g, n, 2), (long long)cout, (long long)cout, vg_shape_str(b, sb, sizeof sb), wname, sw);
}

/* The im2col workspace must index with int64 and the GEMM with int. */
static vg_status check_sizes(vg_graph *g, vg_node *n, int64_t K, int64_t N, int64_t rows, const char *sx) {
  if (K > INT32_MAX || N > INT32_MAX || rows > INT32_MAX || (double)(K + rows) * (double)N > (double)VG_MAX_NUMEL)
    return vg_op_fail(g, n, VG_ERR_SHAPE, "im2col workspace of %lld x %lld values is too large (input %s)", (long long)K,
                      (long long)N, sx);
  return VG_OK;
}

/* ---- conv2d ---- */

/* conv2d's geometry from its shapes and attributes; the image side is x. */
static geom conv_geom(const vg_shape *x, const vg_shape *w, const vg_attrs *a) {
  geom g;
  g.B = (int)x->d[0], g.C = (int)x->d[1], g.H = (int)x->d[2], g.W = (int)x->d[3];
  g.kh = (int)w->d[2], g.kw = (int)w->d[3];
  g.s = attr_int(a, A_STRIDE), g.d = attr_int(a, A_DILATION);
  if (attr_int(a, A_SAME_OR_OUTPAD)) {
    /* PyTorch's 'same': total d*(k-1), the smaller half on the left. */
    g.ph = g.d * (g.kh - 1) / 2, g.pw = g.d * (g.kw - 1) / 2;
    g.OH = g.H, g.OW = g.W;
  } else {
    const int p = attr_int(a, A_PADDING);
    g.ph = g.pw = p;
    g.OH = (g.H + 2 * p - g.d * (g.kh - 1) - 1) / g.s + 1;
    g.OW = (g.W + 2 * p - g.d * (g.kw - 1) - 1) / g.s + 1;
  }
  return g;
}

static vg_status conv2d_infer(vg_graph *g, vg_node *n) {
  const vg_shape *x = vg_in_shape(g, n, 0), *w = vg_in_shape(g, n, 1);
  const char *wname = vg_in_name(g, n, 1);
  char sx[VG_SHAPE_STRLEN], sw[VG_SHAPE_STRLEN];
  vg_shape_str(x, sx, sizeof sx), vg_shape_str(w, sw, sizeof sw);
  const int s = attr_int(&n->attr, A_STRIDE), p = attr_int(&n->attr, A_PADDING);
  const int same = attr_int(&n->attr, A_SAME_OR_OUTPAD), d = attr_int(&n->attr, A_DILATION);
  if (x->nd != 4)
    return vg_op_fail(g, n, VG_ERR_SHAPE, "input '%s' must be [B, Cin, H, W], got %s (weight '%s' %s)",
                      vg_in_name(g, n, 0), sx, wname, sw);
  if (w->nd != 4)
    return vg_op_fail(g, n, VG_ERR_SHAPE, "weight '%s' must be [Cout, Cin, kh, kw], got %s (input %s)", wname, sw, sx);
  if (x->d[1] != w->d[1])
    return vg_op_fail(g, n, VG_ERR_SHAPE, "input has %lld channels, weight expects %lld (input %s, weight '%s' %s)",
                      (long long)x->d[1], (long long)w->d[1], sx, wname, sw);
  vg_status st = check_bias(g, n, w->d[0], wname, sw);
  if (st) return st;
  if (s < 1) return vg_op_fail(g, n, VG_ERR_ARG, "stride must be >= 1, got %d", s);
  if (d < 1) return vg_op_fail(g, n, VG_ERR_ARG, "dilation must be >= 1, got %d", d);
  if (p < 0) return vg_op_fail(g, n, VG_ERR_ARG, "padding must be >= 0, got %d", p);
  if (s > VG_CONV_ATTR_MAX || d > VG_CONV_ATTR_MAX || p > VG_CONV_ATTR_MAX)
    return vg_op_fail(g, n, VG_ERR_ARG, "stride, padding and dilation must be at most %d", VG_CONV_ATTR_MAX);
  if (same != 0 && same != 1) return vg_op_fail(g, n, VG_ERR_ARG, "same must be 0 or 1, got %d", same);
  if (same && s != 1) return vg_op_fail(g, n, VG_ERR_ARG, "padding 'same' needs stride 1, got stride %d", s);
  if (same && p != 0)
    return vg_op_fail(g, n, VG_ERR_ARG, "give padding or same, not both (padding %d with same=1)", p);
  for (int ax = 2; ax < 4; ax++) {
    const int64_t extent = (int64_t)d * (w->d[ax] - 1) + 1;
    if (x->d[ax] > INT32_MAX / 4 || w->d[ax] > INT32_MAX / 4 || extent > INT32_MAX / 4)
      return vg_op_fail(g, n, VG_ERR_SHAPE, "image or kernel too large (input %s, weight '%s' %s)", sx, wname, sw);
    if (!same && x->d[ax] + 2 * (int64_t)p < extent)
      return vg_op_fail(g, n, VG_ERR_SHAPE,
                        "kernel %lldx%lld (dilation %d) is larger than the padded input %lldx%lld (input %s, weight '%s' %s)",
                        (long long)w->d[2], (long long)w->d[3], d, (long long)(x->d[2] + 2 * p),
                        (long long)(x->d[3] + 2 * p), sx, wname, sw);
  }
  const geom ge = conv_geom(x, w, &n->attr);
  const int64_t K = w->d[1] * w->d[2] * w->d[3], N = x->d[0] * ge.OH * ge.OW;
  if ((st = check_sizes(g, n, K, N, w->d[0], sx))) return st;
  const int64_t dims[4] = {x->d[0], w->d[0], ge.OH, ge.OW};
  n->shape = vg_shape_of(4, dims);
  /* cols [K, N] then the product [Cout, N]; the backward reuses both. */
  n->scratch_len = (size_t)((K + w->d[0]) * N);
  return VG_OK;
}

/* cols = im2col(x); Ym [Cout, N] = W [Cout, K] cols; y = permute(Ym) + b */
static void conv2d_forward(const vg_kernel *k) {
  const geom g = conv_geom(k->xs[0], k->xs[1], k->a);
  const int Cout = (int)k->xs[1]->d[0], K = g.C * g.kh * g.kw, S = g.OH * g.OW, N = g.B * S;
  vg_real *cols = k->scratch, *ym = k->scratch + (int64_t)K * N;
  im2col(&g, k->x[0], cols);
  vg_gemm_real(0, 0, Cout, N, K, 1, k->x[1], K, cols, N, 0, ym, N);
  from_cm(ym, k->y, k->nin == 3 ? k->x[2] : NULL, 0, g.B, Cout, S);
}

/* dYm [Cout, N] = permute(dy)
 * dW [Cout, K] += dYm im2col(x)^T;  db += sums of dy per channel
 * dx += col2im(W^T dYm) */
static void conv2d_backward(const vg_kernel *k) {
  const geom g = conv_geom(k->xs[0], k->xs[1], k->a);
  const int Cout = (int)k->xs[1]->d[0], K = g.C * g.kh * g.kw, S = g.OH * g.OW, N = g.B * S;
  vg_real *cols = k->scratch, *dym = k->scratch + (int64_t)K * N;
  if (k->nin == 3 && k->dx[2]) bias_grad(k->dy, k->dx[2], g.B, Cout, S);
  if (!k->dx[0] && !k->dx[1]) return;
  to_cm(k->dy, dym, g.B, Cout, S);
  if (k->dx[1]) {
    im2col(&g, k->x[0], cols);
    vg_gemm_real(0, 1, Cout, K, N, 1, dym, N, cols, N, 1, k->dx[1], K);
  }
  if (k->dx[0]) {
    vg_gemm_real(1, 0, K, N, Cout, 1, k->x[1], K, dym, N, 0, cols, N);
    col2im(&g, cols, k->dx[0]);
  }
}

static double conv2d_flops(const vg_graph *g, const vg_node *n) {
  const vg_shape *w = &g->nodes[n->in[1]].shape;
  return 2.0 * (double)vg_shape_numel(&n->shape) * (double)(w->d[1] * w->d[2] * w->d[3]);
}

VG_OP_RECORD(conv2d) = {
    .name = "conv2d",
    .nin_min = 2,
    .nin_max = 3,
    .flags = VG_OPF_BWD_NO_Y,
    .attrs = {{"stride", VG_ATTR_INT, 1, NULL},
              {"padding", VG_ATTR_INT, 0, NULL},
              {"same", VG_ATTR_INT, 0, NULL},
              {"dilation", VG_ATTR_INT, 1, NULL}},
    .infer = conv2d_infer,
    .forward = conv2d_forward,
    .backward = conv2d_backward,
    .flops = conv2d_flops,
};

/* ---- conv_transpose2d ---- */

/* The transpose's geometry: the image side is its output y, the window
 * grid its input x. */
static geom convt_geom(const vg_shape *x, const vg_shape *w, const vg_attrs *a) {
  geom g;
  g.B = (int)x->d[0], g.C = (int)w->d[1], g.OH = (int)x->d[2], g.OW = (int)x->d[3];
  g.kh = (int)w->d[2], g.kw = (int)w->d[3];
  g.s = attr_int(a, A_STRIDE), g.d = attr_int(a, A_DILATION);
  g.ph = g.pw = attr_int(a, A_PADDING);
  const int op = attr_int(a, A_SAME_OR_OUTPAD);
  g.H = (g.OH - 1) * g.s - 2 * g.ph + g.d * (g.kh - 1) + op + 1;
  g.W = (g.OW - 1) * g.s - 2 * g.pw + g.d * (g.kw - 1) + op + 1;
  return g;
}

static vg_status convt_infer(vg_graph *g, vg_node *n) {
  const vg_shape *x = vg_in_shape(g, n, 0), *w = vg_in_shape(g, n, 1);
  const char *wname = vg_in_name(g, n, 1);
  char sx[VG_SHAPE_STRLEN], sw[VG_SHAPE_STRLEN];
  vg_shape_str(x, sx, sizeof sx), vg_shape_str(w, sw, sizeof sw);
  const int s = attr_int(&n->attr, A_STRIDE), p = attr_int(&n->attr, A_PADDING);
  const int op = attr_int(&n->attr, A_SAME_OR_OUTPAD), d = attr_int(&n->attr, A_DILATION);
  if (x->nd != 4)
    return vg_op_fail(g, n, VG_ERR_SHAPE, "input '%s' must be [B, Cin, H, W], got %s (weight '%s' %s)",
                      vg_in_name(g, n, 0), sx, wname, sw);
  if (w->nd != 4)
    return vg_op_fail(g, n, VG_ERR_SHAPE, "weight '%s' must be [Cin, Cout, kh, kw], got %s (input %s)", wname, sw, sx);
  if (x->d[1] != w->d[0])
    return vg_op_fail(g, n, VG_ERR_SHAPE,
                      "input has %lld channels, weight expects %lld (input %s, weight '%s' %s: [Cin, Cout, kh, kw])",
                      (long long)x->d[1], (long long)w->d[0], sx, wname, sw);
  vg_status st = check_bias(g, n, w->d[1], wname, sw);
  if (st) return st;
  if (s < 1) return vg_op_fail(g, n, VG_ERR_ARG, "stride must be >= 1, got %d", s);
  if (d < 1) return vg_op_fail(g, n, VG_ERR_ARG, "dilation must be >= 1, got %d", d);
  if (p < 0) return vg_op_fail(g, n, VG_ERR_ARG, "padding must be >= 0, got %d", p);
  if (s > VG_CONV_ATTR_MAX || d > VG_CONV_ATTR_MAX || p > VG_CONV_ATTR_MAX)
    return vg_op_fail(g, n, VG_ERR_ARG, "stride, padding and dilation must be at most %d", VG_CONV_ATTR_MAX);
  if (op < 0 || (op >= s && op >= d))
    return vg_op_fail(g, n, VG_ERR_ARG, "output_padding %d must be >= 0 and smaller than stride %d or dilation %d", op, s,
                      d);
  for (int ax = 2; ax < 4; ax++)
    if (x->d[ax] > INT32_MAX / 4 || w->d[ax] > INT32_MAX / 4 ||
        ((double)x->d[ax] - 1) * s + (double)d * (double)(w->d[ax] - 1) + op + 1 > INT32_MAX / 4)
      return vg_op_fail(g, n, VG_ERR_SHAPE, "image or kernel too large (input %s, weight '%s' %s)", sx, wname, sw);
  const geom ge = convt_geom(x, w, &n->attr);
  if (ge.H < 1 || ge.W < 1)
    return vg_op_fail(g, n, VG_ERR_SHAPE, "padding %d leaves an empty output (%dx%d) (input %s, weight '%s' %s)", p, ge.H,
                      ge.W, sx, wname, sw);
  const int64_t K = w->d[1] * w->d[2] * w->d[3], N = x->d[0] * x->d[2] * x->d[3];
  if ((st = check_sizes(g, n, K, N, w->d[0], sx))) return st;
  const int64_t dims[4] = {x->d[0], w->d[1], ge.H, ge.W};
  if ((double)dims[0] * (double)dims[1] * (double)ge.H * (double)ge.W > (double)VG_MAX_NUMEL)
    return vg_op_fail(g, n, VG_ERR_SHAPE, "output too large (input %s, weight '%s' %s)", sx, wname, sw);
  n->shape = vg_shape_of(4, dims);
  /* Xm [Cin, N] then cols [K, N]; the backward reuses both. */
  n->scratch_len = (size_t)((K + w->d[0]) * N);
  return VG_OK;
}

/* Xm [Cin, N] = permute(x); cols [K, N] = W^T Xm; y = b + col2im(cols) */
static void convt_forward(const vg_kernel *k) {
  const geom g = convt_geom(k->xs[0], k->xs[1], k->a);
  const int Cin = (int)k->xs[1]->d[0], K = g.C * g.kh * g.kw, S = g.OH * g.OW, N = g.B * S;
  vg_real *xm = k->scratch, *cols = k->scratch + (int64_t)Cin * N;
  to_cm(k->x[0], xm, g.B, Cin, S);
  vg_gemm_real(1, 0, K, N, Cin, 1, k->x[1], K, xm, N, 0, cols, N);
  const int64_t HW = (int64_t)g.H * g.W, planes = (int64_t)g.B * g.C;
  vg_real *y = k->y;
  const vg_real *bias = k->nin == 3 ? k->x[2] : NULL;
#pragma omp parallel for schedule(static) if (planes * HW >= VG_PAR_MIN)
  for (int64_t pl = 0; pl < planes; pl++) {
    const vg_real bv = bias ? bias[pl % g.C] : 0;
    for (int64_t i = 0; i < HW; i++) y[pl * HW + i] = bv;
  }
  col2im(&g, cols, y);
}

/* cols [K, N] = im2col(dy)
 * dW [Cin, K] += Xm cols^T;  db += sums of dy per channel
 * dx += permute(W cols) */
static void convt_backward(const vg_kernel *k) {
  const geom g = convt_geom(k->xs[0], k->xs[1], k->a);
  const int Cin = (int)k->xs[1]->d[0], K = g.C * g.kh * g.kw, S = g.OH * g.OW, N = g.B * S;
  vg_real *xm = k->scratch, *cols = k->scratch + (int64_t)Cin * N;
  if (k->nin == 3 && k->dx[2]) bias_grad(k->dy, k->dx[2], g.B, g.C, (int64_t)g.H * g.W);
  if (!k->dx[0] && !k->dx[1]) return;
  im2col(&g, k->dy, cols);
  if (k->dx[1]) {
    to_cm(k->x[0], xm, g.B, Cin, S);
    vg_gemm_real(0, 1, Cin, K, N, 1, xm, N, cols, N, 1, k->dx[1], K);
  }
  if (k->dx[0]) {
    vg_gemm_real(0, 0, Cin, N, K, 1, k->x[1], K, cols, N, 0, xm, N);
    from_cm(xm, k->dx[0], NULL, 1, g.B, Cin, S);
  }
}

static double convt_flops(const vg_graph *g, const vg_node *n) {
  const vg_shape *x = &g->nodes[n->in[0]].shape, *w = &g->nodes[n->in[1]].shape;
  return 2.0 * (double)vg_shape_numel(x) * (double)(w->d[1] * w->d[2] * w->d[3]);
}

VG_OP_RECORD(conv_transpose2d) = {
    .name = "conv_transpose2d",
    .nin_min = 2,
    .nin_max = 3,
    .flags = VG_OPF_BWD_NO_Y,
    .attrs = {{"stride", VG_ATTR_INT, 1, NULL},
              {"padding", VG_ATTR_INT, 0, NULL},
              {"output_padding", VG_ATTR_INT, 0, NULL},
              {"dilation", VG_ATTR_INT, 1, NULL}},
    .infer = convt_infer,
    .forward = convt_forward,
    .backward = convt_backward,
    .flops = convt_flops,
};
