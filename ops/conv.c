/* Convolutions, NCHW, PyTorch's semantics and weight layouts:
 *   conv2d            x [B,Cin,H,W], W [Cout,Cin,kh,kw], b [Cout] -> y [B,Cout,Ho,Wo]
 *   conv_transpose2d  x [B,Cin,H,W], W [Cin,Cout,kh,kw], b [Cout] -> y [B,Cout,Ho,Wo]
 *
 * One parallel loop per call over images (or fixed chunks of images), each
 * image, or group of images, on one thread. With up to 32 channels the
 * lanes kernels (conv_lanes.h) work on groups of images transposed so that
 * a vector holds one pixel of each, any stride; otherwise im2col of one
 * image into the thread's scratch ([K, Ho*Wo], cache-sized), then a serial
 * GEMM writing NCHW directly (see use_lanes). The transpose is the adjoint
 * of conv2d: its forward is conv2d's input gradient, its input gradient
 * conv2d's forward.
 *
 * Determinism: every output image, and every input-gradient image, has one
 * writer. Weight and bias gradients are summed per fixed chunk of images
 * (the chunking depends on the batch size alone) into partials in the
 * shared scratch, which are then added in chunk order, in double. */
#include <omp.h>
#include <stdlib.h>

#include "act.h"
#include "conv_lanes.h"
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

/* im2col of one image: x [C, H, W] -> cols [C*kh*kw, OH*OW]; row
 * (c*kh + i)*kw + j, column oh*OW + ow. Serial: the caller's thread owns
 * the image. */
static void im2col(const geom *g, const vg_real *x, vg_real *cols) {
  const int64_t K = (int64_t)g->C * g->kh * g->kw, P = (int64_t)g->OH * g->OW;
  const int64_t HW = (int64_t)g->H * g->W;
  for (int64_t r = 0; r < K; r++) {
    const int c = (int)(r / (g->kh * g->kw)), i = (int)(r / g->kw % g->kh), j = (int)(r % g->kw);
    const vg_real *plane = x + c * HW;
    vg_real *dst = cols + r * P;
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

/* col2im of one image, the adjoint: x [C, H, W] += the column entries
 * landing on each pixel, kernel offsets (i, j) added in order. */
static void col2im(const geom *g, const vg_real *cols, vg_real *x) {
  const int64_t N = (int64_t)g->OH * g->OW, HW = (int64_t)g->H * g->W;
  /* Stride 1 adds a kernel row's kw offsets in one pass over the image row
   * (the same order per pixel, a third of the loads and stores at kw = 3). */
  const int fuse = g->s == 1 && g->kw <= 8;
  for (int64_t c = 0; c < g->C; c++) {
    vg_real *plane = x + c * HW;
    for (int i = 0; i < g->kh; i++) {
      const vg_real *row0 = cols + (c * g->kh + i) * g->kw * N;
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

/* A 1x1 kernel at stride 1 without padding: im2col is the identity. */
static int identity_cols(const geom *g) {
  return g->kh == 1 && g->kw == 1 && g->s == 1 && g->ph == 0 && g->pw == 0 && g->OH == g->H && g->OW == g->W;
}

/* Weight and bias gradients sum over images in fixed chunks of whole
 * groups of nb images: a chunk's images go in order into its own partial,
 * the partials then in chunk order. The chunking depends on the batch size
 * and the path alone, so the sums are the same at any thread count. */
#define CONV_NCHUNK 32
typedef struct chunks {
  int n, size;
} chunks;

static chunks batch_chunks(int64_t B, int nb) {
  chunks c;
  const int64_t groups = (B + nb - 1) / nb;
  c.n = (int)(groups < CONV_NCHUNK ? groups : CONV_NCHUNK);
  if (c.n < 1) c.n = 1;
  c.size = (int)((groups + c.n - 1) / c.n) * nb;
  c.n = (int)((B + c.size - 1) / c.size);
  if (c.n < 1) c.n = 1;
  return c;
}

/* Shared scratch: bias partials [nchunks, Cout] in double first (the base
 * is aligned for it), then weight partials [nchunks, rows * K], then the
 * weights flipped for the lanes path's adjoint [rows * K]. Sized for
 * min(B, CONV_NCHUNK) chunks, at least batch_chunks' count for any group
 * size and growing with B (a plan built for a batch runs smaller ones).
 * The length is a whole number of 64-byte lines, so that the per-thread
 * scratch after it starts on one. */
static int64_t flipped_at(int64_t B, int64_t cout, int64_t rows, int64_t K) {
  const int64_t n = B < CONV_NCHUNK ? (B > 1 ? B : 1) : CONV_NCHUNK;
  return n * cout * (int64_t)(sizeof(double) / sizeof(float)) + n * rows * K;
}
static size_t shared_len(int64_t B, int64_t cout, int64_t rows, int64_t K) {
  return (size_t)((flipped_at(B, cout, rows, K) + rows * K + 15) / 16 * 16);
}


/* dw [n] += sum over chunks of part [nch, n], in chunk order, in double;
 * db likewise from dbp [nch, cout]. Inputs 1 and 2 of k: set, not added,
 * when the plan says so (VG_OPF_BWD_SETS). */
static void reduce_partials(const vg_kernel *k, const vg_real *part, int nch, int64_t n, vg_real *dw,
                            const double *dbp, int64_t cout, vg_real *db) {
  if (dw) {
    const int set = vg_dx_sets(k, 1);
#pragma omp parallel for schedule(static) if (n * nch >= VG_PAR_MIN)
    for (int64_t i = 0; i < n; i++) {
      double acc = 0;
      for (int c = 0; c < nch; c++) acc += part[c * n + i];
      dw[i] = (set ? (vg_real)0 : dw[i]) + (vg_real)acc;
    }
  }
  if (db) {
    const int set = vg_dx_sets(k, 2);
    for (int64_t o = 0; o < cout; o++) {
      double acc = 0;
      for (int c = 0; c < nch; c++) acc += dbp[c * cout + o];
      db[o] = (set ? (vg_real)0 : db[o]) + (vg_real)acc;
    }
  }
}

/* Zeroes images [b0, b1) of a gradient the backward writes outright
 * (VG_OPF_BWD_SETS) but col2im adds into, in the thread that adds next. */
static void zero_images(const vg_kernel *k, vg_real *dx, int b0, int b1, int64_t per) {
  if (dx && vg_dx_sets(k, 0)) memset(dx + b0 * per, 0, (size_t)((b1 - b0) * per) * sizeof *dx);
}

/* dbp[o] (+)= sum of dy's row o of [cout, S], in double: eight running
 * sums (element i into lane i % 8), then the lanes in order. Independent
 * lanes vectorise; one running sum would wait on each add's latency. */
static void bias_rows(const vg_real *dy, int64_t cout, int64_t S, double *dbp, int first) {
  for (int64_t o = 0; o < cout; o++) {
    const vg_real *p = dy + o * S;
    double lane[8] = {0};
    int64_t i = 0;
    for (; i + 8 <= S; i += 8)
      for (int j = 0; j < 8; j++) lane[j] += p[i + j];
    for (int j = 0; i < S; i++, j++) lane[j] += p[i];
    double s = 0;
    for (int j = 0; j < 8; j++) s += lane[j];
    dbp[o] = first ? s : dbp[o] + s;
  }
}

/* ---- lanes ----
 * With few channels the GEMMs are too thin for the packed kernel (8 or 16
 * rows against a 6-row micro-tile, every im2col value packed for a handful
 * of multiply-adds), and a layout per image leaves vectors short: rows of
 * 28, 14 or 7 pixels. The lanes path (conv_lanes.h) takes VG_LANES images
 * at a time, transposed so that a vector holds one pixel of each: the
 * image side padded (its margin zero), the grid side as it is.
 * The image side's gradient (conv2d's dx, the transpose's y) is the
 * adjoint: at stride 1 itself a convolution (of the grid side padded by
 * the kernel's extent less the padding, kernel flipped, its two channel
 * axes swapped), which the forward kernel sums in registers; at other
 * strides the bwd kernel scatters into the padded image side. Per group:
 *   conv2d forward       pack x padded, fwd, unpack y (+ bias, act)
 *   conv2d backward      pack dy as the adjoint reads it (once for both):
 *                        dw from it and x packed; dx = the adjoint
 *   transpose forward    y = the adjoint of x (+ bias, act)
 *   transpose backward   pack dy padded (once for both): dw with x packed,
 *                        dx = fwd, unpacked */

/* The lanes geometry of a convolution (the image side padded [C, Hp, Wp],
 * the grid side [Co, OH, OW]), of its adjoint as a forward at stride 1
 * (image side the grid padded by (top, left), grid the image side), and the
 * per-thread scratch: three buffers of `buf` reals, each as large as the
 * largest of those four sides in VG_LANES_MAX lanes whatever the path. */
typedef struct lanes {
  vg_lgeom g, adj;
  int top, left;
  int64_t buf;
} lanes;

static lanes lanes_geom(const geom *g, int64_t cout) {
  lanes q;
  q.g = (vg_lgeom){.C = g->C, .Co = (int)cout, .OH = g->OH, .OW = g->OW, .kh = g->kh, .kw = g->kw, .s = g->s,
                   .d = g->d};
  q.g.Hp = (g->OH - 1) * g->s + g->d * (g->kh - 1) + 1;
  q.g.Wp = (g->OW - 1) * g->s + g->d * (g->kw - 1) + 1;
  q.adj = (vg_lgeom){.C = (int)cout, .Co = g->C, .OH = g->H, .OW = g->W, .kh = g->kh, .kw = g->kw, .s = 1,
                     .d = g->d};
  q.adj.Hp = g->H + g->d * (g->kh - 1), q.adj.Wp = g->W + g->d * (g->kw - 1);
  q.top = g->d * (g->kh - 1) - g->ph, q.left = g->d * (g->kw - 1) - g->pw;
  int64_t n = (int64_t)g->C * q.g.Hp * q.g.Wp;
  const int64_t sides[3] = {cout * g->OH * g->OW, cout * q.adj.Hp * q.adj.Wp, (int64_t)g->C * g->H * g->W};
  for (int i = 0; i < 3; i++) n = sides[i] > n ? sides[i] : n;
  q.buf = n * VG_LANES_MAX;
  return q;
}

/* wf [C][Co][kh][kw] = w [Co][C][kh][kw] flipped in both spatial axes: the
 * stride-1 adjoint's kernel. Before the parallel loop, so every thread
 * reads it. */
static void flip_weights(const geom *g, const lanes *q, const vg_real *w, vg_real *wf) {
  const int T = g->kh * g->kw, C = g->C, Co = q->g.Co;
  for (int o = 0; o < Co; o++)
    for (int c = 0; c < C; c++)
      for (int t = 0; t < T; t++) wf[((int64_t)c * Co + o) * T + (T - 1 - t)] = w[((int64_t)o * C + c) * T + t];
}

/* The grid side of m images (grid [m, Co, OH, OW] in NCHW) in lanes at t,
 * as the adjoint reads it: padded by (top, left) at stride 1 (the forward
 * kernel's image side), else as it is. */
static void adjoint_pack(const geom *g, const lanes *q, int m, const vg_real *grid, vg_real *t) {
  if (g->s == 1) VG_SFX(vg_lanes_pack)(grid, m, q->g.Co, g->OH, g->OW, q->top, q->left, q->adj.Hp, q->adj.Wp, t);
  else VG_SFX(vg_lanes_pack)(grid, m, q->g.Co, g->OH, g->OW, 0, 0, g->OH, g->OW, t);
}

/* The grid inside adjoint_pack's buffer t (its first pixel; rows and planes
 * *row and *plane pixels apart), or NULL where the padding cropped it. */
static const vg_real *adjoint_grid(const geom *g, const lanes *q, const vg_real *t, int64_t *row, int64_t *plane) {
  if (g->s != 1) {
    *row = g->OW, *plane = (int64_t)g->OH * g->OW;
    return t;
  }
  if (q->top < 0 || q->left < 0) return NULL;
  *row = q->adj.Wp, *plane = (int64_t)q->adj.Hp * q->adj.Wp;
  return t + ((int64_t)q->top * q->adj.Wp + q->left) * VG_LANES;
}

/* The image side of m images [m, C, H, W] = (add ? it : 0) + the adjoint
 * applied to their grid side, packed at t by adjoint_pack, + bias (if
 * given), through the thread's buffer `out`. wf: flip_weights' at
 * stride 1. */
static void adjoint_run(const geom *g, const lanes *q, int m, const vg_real *w, const vg_real *wf, const vg_real *t,
                        vg_real *out, vg_real *img, int add, const vg_real *bias) {
  if (g->s == 1) {
    VG_SFX(vg_lconv_fwd)(&q->adj, wf, t, out);
    VG_SFX(vg_lanes_unpack)(out, m, g->C, g->H, g->W, 0, 0, g->H, g->W, img, add, bias);
    return;
  }
  memset(out, 0, (size_t)g->C * q->g.Hp * q->g.Wp * VG_LANES * sizeof *out);
  VG_SFX(vg_lconv_bwd)(&q->g, w, t, out);
  VG_SFX(vg_lanes_unpack)(out, m, g->C, q->g.Hp, q->g.Wp, g->ph, g->pw, g->H, g->W, img, add, bias);
}

/* The lanes path or im2col + GEMM. Lanes wherever its limits allow: on the
 * Xeon (AVX-512), conv_vae's layers widened to 32 channels take half the
 * GEMM path's time or less on it, forward and backward.
 * VG_CONV_PATH=gemm or =lanes forces one, for tests and benchmarks. It is
 * read once by each build of this file (runtime/op.h): shape inference
 * (which sizes the scratch) and the kernels agree as long as nothing
 * changes the environment while the process runs. */
static int use_lanes(const geom *g, int cout) {
  static int forced = -2; /* -2 unread, -1 none, 0 gemm, 1 lanes */
  if (forced == -2) {
    const char *e = getenv("VG_CONV_PATH");
    forced = e && !strcmp(e, "gemm") ? 0 : e && !strcmp(e, "lanes") ? 1 : -1;
  }
  const int able = g->kh * g->kw <= VG_LANES_MAX_TAPS && g->C <= VG_LANES_MAX_CHANNELS &&
                   cout <= VG_LANES_MAX_CHANNELS && !identity_cols(g);
  if (forced >= 0) return able && forced;
  return able;
}

/* Reals of per-thread scratch for one image's cols or a group's lanes. */
static int64_t conv_work_len(const geom *g, int64_t cout) {
  if (use_lanes(g, (int)cout)) return 3 * lanes_geom(g, cout).buf;
  return (int64_t)g->C * g->kh * g->kw * g->OH * g->OW;
}

/* Images the kernels take at once, at most (scratch sizes). */
static int group_size(const geom *g, int64_t cout) { return use_lanes(g, (int)cout) ? VG_LANES_MAX : 1; }

/* Attribute slots, the same in both ops but the third. */
enum { A_STRIDE, A_PADDING, A_SAME_OR_OUTPAD, A_DILATION, A_ACT };

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

/* Per-thread scratch for a fused activation: dy * act'(y) of the images a
 * thread takes at once, `images` reals; none without an activation. */
static int64_t act_len(const vg_node *n, int64_t images) {
  return attr_int(&n->attr, A_ACT) == VG_ACT_NONE ? 0 : images;
}

/* With a fused activation the backward reads y. */
static void act_flags(vg_node *n) {
  if (attr_int(&n->attr, A_ACT) != VG_ACT_NONE) n->flags &= ~(unsigned)VG_OPF_BWD_NO_Y;
}

/* dy for images [b, b + m) before the activation: dy itself without one,
 * else dy * act'(y) in the thread's scratch at `buf`. */
static const vg_real *pre_act_grad(const vg_kernel *k, int64_t b, int m, int64_t image, vg_real *buf) {
  const int act = attr_int(k->a, A_ACT);
  const vg_real *dyb = k->dy + b * image;
  if (act == VG_ACT_NONE) return dyb;
  vg_act_grad(act, k->y + b * image, dyb, buf, m * image);
  return buf;
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

/* Stride, dilation and padding, shared by both convolutions. */
static vg_status check_steps(vg_graph *g, vg_node *n, int s, int d, int p) {
  if (s < 1) return vg_op_fail(g, n, VG_ERR_ARG, "stride must be >= 1, got %d", s);
  if (d < 1) return vg_op_fail(g, n, VG_ERR_ARG, "dilation must be >= 1, got %d", d);
  if (p < 0) return vg_op_fail(g, n, VG_ERR_ARG, "padding must be >= 0, got %d", p);
  if (s > VG_CONV_ATTR_MAX || d > VG_CONV_ATTR_MAX || p > VG_CONV_ATTR_MAX)
    return vg_op_fail(g, n, VG_ERR_ARG, "stride, padding and dilation must be at most %d", VG_CONV_ATTR_MAX);
  return VG_OK;
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
  if ((st = check_steps(g, n, s, d, p))) return st;
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
  /* Per thread one image's cols [K, Ho*Wo] or a group's lanes buffers,
   * then dy * act'(y) of a group; shared: shared_len. */
  n->scratch_len = shared_len(x->d[0], w->d[0], w->d[0], K);
  n->scratch_thread_len =
      (size_t)(conv_work_len(&ge, w->d[0]) + act_len(n, group_size(&ge, w->d[0]) * w->d[0] * ge.OH * ge.OW));
  act_flags(n);
  return VG_OK;
}

/* Threads for a call of this much work (multiply-adds): one below
 * VG_PAR_MIN, else the count in use now (training may lower it while a
 * neighbour takes a core: train/threads.lua), at most the plan's, which
 * sized the per-thread scratch. */
static int nthreads(const vg_kernel *k, double work) {
  const int now = omp_get_max_threads(), t = now < k->threads ? now : k->threads;
  return work >= VG_PAR_MIN && t > 1 ? t : 1;
}

/* Per image b, on the thread that owns it:
 * y_b [Cout, S] = W [Cout, K] im2col(x_b) [K, S] + b */
static void conv2d_forward(const vg_kernel *k) {
  const geom g = conv_geom(k->xs[0], k->xs[1], k->a);
  const int Cout = (int)k->xs[1]->d[0], K = g.C * g.kh * g.kw, S = g.OH * g.OW;
  const int64_t HW = (int64_t)g.H * g.W;
  const vg_real *x = k->x[0], *w = k->x[1], *bias = k->nin == 3 ? k->x[2] : NULL;
  vg_real *y = k->y;
  const int ident = identity_cols(&g), lanes_path = use_lanes(&g, Cout);
  const int act = attr_int(k->a, A_ACT);
  const lanes q = lanes_geom(&g, Cout);
  const int nb = lanes_path ? VG_LANES : 1, ngroups = (g.B + nb - 1) / nb;
#pragma omp parallel for schedule(static) num_threads(nthreads(k, (double)g.B * Cout * S * K))
  for (int gi = 0; gi < ngroups; gi++) {
    const int b = gi * nb, m = g.B - b < nb ? g.B - b : nb;
    const vg_real *xb = x + (int64_t)b * g.C * HW;
    vg_real *yb = y + (int64_t)b * Cout * S, *cols = (vg_real *)xb;
    if (lanes_path) {
      vg_real *xl = vg_thread_scratch(k), *yl = xl + q.buf;
      VG_SFX(vg_lanes_pack)(xb, m, g.C, g.H, g.W, g.ph, g.pw, q.g.Hp, q.g.Wp, xl);
      VG_SFX(vg_lconv_fwd)(&q.g, w, xl, yl);
      VG_SFX(vg_lanes_unpack)(yl, m, Cout, g.OH, g.OW, 0, 0, g.OH, g.OW, yb, 0, bias);
      vg_act_apply(act, yb, (int64_t)m * Cout * S);
      continue;
    }
    if (!ident) im2col(&g, xb, cols = vg_thread_scratch(k));
    vg_gemm_real(0, 0, Cout, S, K, 1, w, K, cols, S, 0, yb, S);
    if (bias)
      for (int o = 0; o < m * Cout; o++) {
        const vg_real bv = bias[o % Cout];
        vg_real *r = yb + (int64_t)o * S;
        for (int i = 0; i < S; i++) r[i] += bv;
      }
    vg_act_apply(act, yb, (int64_t)m * Cout * S);
  }
}

/* Per image b, in fixed chunks of images:
 * dW [Cout, K] += dy_b [Cout, S] im2col(x_b)^T;  db += sums of dy_b's rows
 * dx_b += col2im(W^T dy_b) */
static void conv2d_backward(const vg_kernel *k) {
  const geom g = conv_geom(k->xs[0], k->xs[1], k->a);
  const int Cout = (int)k->xs[1]->d[0], K = g.C * g.kh * g.kw, S = g.OH * g.OW;
  const int64_t HW = (int64_t)g.H * g.W;
  const int ident = identity_cols(&g), lanes_path = use_lanes(&g, Cout);
  const lanes q = lanes_geom(&g, Cout);
  const int nb = lanes_path ? VG_LANES : 1, set = vg_dx_sets(k, 0);
  const chunks ch = batch_chunks(g.B, nb);
  vg_real *dx = k->dx[0], *dw = k->dx[1], *db = k->nin == 3 ? k->dx[2] : NULL;
  if (!dx && !dw && !db) return;
  const vg_real *x = k->x[0], *w = k->x[1];
  double *dbp = (double *)(void *)k->scratch;
  vg_real *wpart = k->scratch + (int64_t)ch.n * Cout * (int64_t)(sizeof(double) / sizeof(float));
  vg_real *wf = k->scratch + flipped_at(g.B, Cout, Cout, K);
  if (lanes_path && dx && g.s == 1) flip_weights(&g, &q, w, wf);
  const double work = (double)g.B * Cout * S * K * ((dx != NULL) + (dw != NULL)) + (double)g.B * Cout * S;
#pragma omp parallel for schedule(static) num_threads(nthreads(k, work))
  for (int c = 0; c < ch.n; c++) {
    vg_real *tmp = ident ? NULL : vg_thread_scratch(k), *pre = vg_thread_scratch(k) + conv_work_len(&g, Cout);
    const int b0 = c * ch.size, b1 = b0 + ch.size < g.B ? b0 + ch.size : g.B;
    if (!lanes_path) zero_images(k, dx, b0, b1, g.C * HW);
    for (int b = b0; b < b1; b += nb) {
      const int m = b1 - b < nb ? b1 - b : nb;
      const vg_real *xb = x + (int64_t)b * g.C * HW, *dyb = pre_act_grad(k, b, m, (int64_t)Cout * S, pre);
      if (db)
        for (int i = 0; i < m; i++) bias_rows(dyb + (int64_t)i * Cout * S, Cout, S, dbp + (int64_t)c * Cout, b + i == b0);
      if (lanes_path) {
        /* dy in lanes, the adjoint's output, x in lanes */
        vg_real *dyl = tmp, *out = tmp + q.buf, *xl = tmp + 2 * q.buf, *part = wpart + (int64_t)c * Cout * K;
        vg_real *dxb = dx ? dx + (int64_t)b * g.C * HW : NULL;
        if (dw) VG_SFX(vg_lanes_pack)(xb, m, g.C, g.H, g.W, g.ph, g.pw, q.g.Hp, q.g.Wp, xl);
        adjoint_pack(&g, &q, m, dyb, dyl);
        if (dw) {
          int64_t row, plane;
          const vg_real *d = adjoint_grid(&g, &q, dyl, &row, &plane);
          if (!d) { /* cropped: dy as it is, for the weight gradient alone */
            VG_SFX(vg_lanes_pack)(dyb, m, Cout, g.OH, g.OW, 0, 0, g.OH, g.OW, out);
            d = out, row = g.OW, plane = S;
          }
          VG_SFX(vg_lconv_dw)(&q.g, d, row, plane, xl, part, b == b0);
        }
        if (dx) adjoint_run(&g, &q, m, w, wf, dyl, out, dxb, !set, NULL);
        continue;
      }
      if (dw) {
        const vg_real *cols = xb;
        if (!ident) im2col(&g, xb, tmp), cols = tmp;
        vg_gemm_real(0, 1, Cout, K, S, 1, dyb, S, cols, S, b == b0 ? 0 : 1, wpart + (int64_t)c * Cout * K, K);
      }
      if (dx) {
        vg_real *dxb = dx + (int64_t)b * g.C * HW;
        if (ident) vg_gemm_real(1, 0, K, S, Cout, 1, w, K, dyb, S, 1, dxb, S);
        else {
          vg_gemm_real(1, 0, K, S, Cout, 1, w, K, dyb, S, 0, tmp, S);
          col2im(&g, tmp, dxb);
        }
      }
    }
  }
  reduce_partials(k, wpart, ch.n, (int64_t)Cout * K, dw, dbp, Cout, db);
}

static double conv2d_flops(const vg_graph *g, const vg_node *n) {
  const vg_shape *w = &g->nodes[n->in[1]].shape;
  return 2.0 * (double)vg_shape_numel(&n->shape) * (double)(w->d[1] * w->d[2] * w->d[3]);
}

VG_OP_RECORD(conv2d) = {
    .name = "conv2d", .doc = "x `[B, cin, H, W]`, weight `[cout, cin, k, k]` [, bias] → `[B, cout, Ho, Wo]` (made by `vg.conv2d`)",
    .nin_min = 2,
    .nin_max = 3,
    .flags = VG_OPF_BWD_NO_Y | VG_OPF_BWD_SETS,
    .attrs = {[A_STRIDE] = {"stride", VG_ATTR_INT, 1, NULL},
              [A_PADDING] = {"padding", VG_ATTR_INT, 0, NULL},
              [A_SAME_OR_OUTPAD] = {"same", VG_ATTR_INT, 0, NULL},
              [A_DILATION] = {"dilation", VG_ATTR_INT, 1, NULL},
              [A_ACT] = {"act", VG_ATTR_ENUM, VG_ACT_NONE, VG_ACTS}},
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
  if ((st = check_steps(g, n, s, d, p))) return st;
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
  /* Per thread one image's cols [K, H*W of x] or a group's lanes buffers,
   * then dy * act'(y) of a group; shared: shared_len. */
  n->scratch_len = shared_len(x->d[0], w->d[1], w->d[0], K);
  n->scratch_thread_len =
      (size_t)(conv_work_len(&ge, w->d[0]) + act_len(n, group_size(&ge, w->d[0]) * w->d[1] * ge.H * ge.W));
  act_flags(n);
  return VG_OK;
}

/* Per image b: y_b [Cout, H, W] = b + col2im(W^T [K, Cin] x_b [Cin, S]) */
static void convt_forward(const vg_kernel *k) {
  const geom g = convt_geom(k->xs[0], k->xs[1], k->a);
  const int Cin = (int)k->xs[1]->d[0], K = g.C * g.kh * g.kw, S = g.OH * g.OW;
  const int64_t HW = (int64_t)g.H * g.W;
  const vg_real *x = k->x[0], *w = k->x[1], *bias = k->nin == 3 ? k->x[2] : NULL;
  vg_real *y = k->y;
  const int ident = identity_cols(&g), lanes_path = use_lanes(&g, Cin);
  const lanes q = lanes_geom(&g, Cin);
  const int nb = lanes_path ? VG_LANES : 1, ngroups = (g.B + nb - 1) / nb;
  vg_real *wf = k->scratch + flipped_at(g.B, g.C, Cin, K);
  if (lanes_path && g.s == 1) flip_weights(&g, &q, w, wf);
#pragma omp parallel for schedule(static) num_threads(nthreads(k, (double)g.B * Cin * S * K))
  for (int gi = 0; gi < ngroups; gi++) {
    const int b = gi * nb, m = g.B - b < nb ? g.B - b : nb;
    const vg_real *xb = x + (int64_t)b * Cin * S;
    vg_real *yb = y + (int64_t)b * g.C * HW;
    if (lanes_path) {
      vg_real *xl = vg_thread_scratch(k);
      adjoint_pack(&g, &q, m, xb, xl);
      adjoint_run(&g, &q, m, w, wf, xl, xl + q.buf, yb, 0, bias);
      vg_act_apply(attr_int(k->a, A_ACT), yb, (int64_t)m * g.C * HW);
      continue;
    }
    for (int o = 0; o < m * g.C; o++) {
      const vg_real bv = bias ? bias[o % g.C] : 0;
      vg_real *r = yb + (int64_t)o * HW;
      for (int64_t i = 0; i < HW; i++) r[i] = bv;
    }
    if (ident) vg_gemm_real(1, 0, K, S, Cin, 1, w, K, xb, S, 1, yb, S);
    else {
      vg_real *cols = vg_thread_scratch(k);
      vg_gemm_real(1, 0, K, S, Cin, 1, w, K, xb, S, 0, cols, S);
      col2im(&g, cols, yb);
    }
    vg_act_apply(attr_int(k->a, A_ACT), yb, (int64_t)m * g.C * HW);
  }
}

/* Per image b, in fixed chunks of images, with cols = im2col(dy_b) [K, S]:
 * dW [Cin, K] += x_b [Cin, S] cols^T;  db += sums of dy_b's rows
 * dx_b [Cin, S] += W [Cin, K] cols */
static void convt_backward(const vg_kernel *k) {
  const geom g = convt_geom(k->xs[0], k->xs[1], k->a);
  const int Cin = (int)k->xs[1]->d[0], K = g.C * g.kh * g.kw, S = g.OH * g.OW;
  const int64_t HW = (int64_t)g.H * g.W;
  const int ident = identity_cols(&g), lanes_path = use_lanes(&g, Cin);
  const lanes q = lanes_geom(&g, Cin);
  const int nb = lanes_path ? VG_LANES : 1;
  const chunks ch = batch_chunks(g.B, nb);
  vg_real *dx = k->dx[0], *dw = k->dx[1], *db = k->nin == 3 ? k->dx[2] : NULL;
  if (!dx && !dw && !db) return;
  const vg_real *x = k->x[0], *w = k->x[1];
  double *dbp = (double *)(void *)k->scratch;
  vg_real *wpart = k->scratch + (int64_t)ch.n * g.C * (int64_t)(sizeof(double) / sizeof(float));
  const int set = vg_dx_sets(k, 0); /* dx: each image written whole by one call below */
  const double work = (double)g.B * Cin * S * K * ((dx != NULL) + (dw != NULL)) + (double)g.B * g.C * HW;
#pragma omp parallel for schedule(static) num_threads(nthreads(k, work))
  for (int c = 0; c < ch.n; c++) {
    vg_real *tmp = ident ? NULL : vg_thread_scratch(k), *pre = vg_thread_scratch(k) + conv_work_len(&g, Cin);
    const int b0 = c * ch.size, b1 = b0 + ch.size < g.B ? b0 + ch.size : g.B;
    for (int b = b0; b < b1; b += nb) {
      const int m = b1 - b < nb ? b1 - b : nb;
      const vg_real *dyb = pre_act_grad(k, b, m, g.C * HW, pre);
      if (db)
        for (int i = 0; i < m; i++) bias_rows(dyb + (int64_t)i * g.C * HW, g.C, HW, dbp + (int64_t)c * g.C, b + i == b0);
      if (!dw && !dx) continue;
      if (lanes_path) {
        /* the transpose's weight gradient is conv2d's with x and dy swapped;
         * its input gradient is conv2d's forward; both read dy padded */
        vg_real *dyl = tmp, *xl = tmp + q.buf, *out = tmp + 2 * q.buf;
        VG_SFX(vg_lanes_pack)(dyb, m, g.C, g.H, g.W, g.ph, g.pw, q.g.Hp, q.g.Wp, dyl);
        if (dw) {
          VG_SFX(vg_lanes_pack)(x + (int64_t)b * Cin * S, m, Cin, g.OH, g.OW, 0, 0, g.OH, g.OW, xl);
          VG_SFX(vg_lconv_dw)(&q.g, xl, g.OW, S, dyl, wpart + (int64_t)c * Cin * K, b == b0);
        }
        if (dx) {
          VG_SFX(vg_lconv_fwd)(&q.g, w, dyl, out);
          VG_SFX(vg_lanes_unpack)(out, m, Cin, g.OH, g.OW, 0, 0, g.OH, g.OW, dx + (int64_t)b * Cin * S, !set, NULL);
        }
        continue;
      }
      const vg_real *cols = dyb;
      if (!ident) im2col(&g, dyb, tmp), cols = tmp;
      if (dw)
        vg_gemm_real(0, 1, Cin, K, S, 1, x + (int64_t)b * Cin * S, S, cols, S, b == b0 ? 0 : 1,
                     wpart + (int64_t)c * Cin * K, K);
      if (dx) vg_gemm_real(0, 0, Cin, S, K, 1, w, K, cols, S, set ? 0 : 1, dx + (int64_t)b * Cin * S, S);
    }
  }
  reduce_partials(k, wpart, ch.n, (int64_t)Cin * K, dw, dbp, g.C, db);
}

static double convt_flops(const vg_graph *g, const vg_node *n) {
  const vg_shape *x = &g->nodes[n->in[0]].shape, *w = &g->nodes[n->in[1]].shape;
  return 2.0 * (double)vg_shape_numel(x) * (double)(w->d[1] * w->d[2] * w->d[3]);
}

VG_OP_RECORD(conv_transpose2d) = {
    .name = "conv_transpose2d", .doc = "x `[B, cin, H, W]`, weight `[cin, cout, k, k]` [, bias] → `[B, cout, (H-1) stride - 2 padding + k + output_padding, ...]` (made by `vg.conv_transpose2d`)",
    .nin_min = 2,
    .nin_max = 3,
    .flags = VG_OPF_BWD_NO_Y | VG_OPF_BWD_SETS,
    .attrs = {[A_STRIDE] = {"stride", VG_ATTR_INT, 1, NULL},
              [A_PADDING] = {"padding", VG_ATTR_INT, 0, NULL},
              [A_SAME_OR_OUTPAD] = {"output_padding", VG_ATTR_INT, 0, NULL},
              [A_DILATION] = {"dilation", VG_ATTR_INT, 1, NULL},
              [A_ACT] = {"act", VG_ATTR_ENUM, VG_ACT_NONE, VG_ACTS}},
    .infer = convt_infer,
    .forward = convt_forward,
    .backward = convt_backward,
    .flops = convt_flops,
};
