/* Convolutions, NCHW, PyTorch's semantics and weight layouts:
 *   conv2d            x [B,Cin,H,W], W [Cout,Cin,kh,kw], b [Cout] -> y [B,Cout,Ho,Wo]
 *   conv_transpose2d  x [B,Cin,H,W], W [Cin,Cout,kh,kw], b [Cout] -> y [B,Cout,Ho,Wo]
 *
 * One parallel loop per call over images (or fixed chunks of images), each
 * image, or small group of images, on one thread. With up to 32 channels
 * the direct kernels (conv_direct.h) work on a padded copy of the images,
 * any stride; otherwise im2col of one image into the thread's scratch
 * ([K, Ho*Wo], cache-sized), then a serial GEMM writing NCHW directly (see
 * use_direct). The transpose is the adjoint of conv2d: its forward is
 * conv2d's input gradient, its input gradient conv2d's forward.
 *
 * Determinism: every output image, and every input-gradient image, has one
 * writer. Weight and bias gradients are summed per fixed chunk of images
 * (the chunking depends on the batch size alone) into partials in the
 * shared scratch, which are then added in chunk order, in double. */
#include <omp.h>
#include <stdlib.h>

#include "act.h"
#include "conv_direct.h"
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

/* Weight and bias gradients sum over images in fixed chunks: a chunk's
 * images go in order into its own partial, the partials then in chunk
 * order. The chunking depends on the batch size alone, so the sums are the
 * same at any thread count. */
#define CONV_NCHUNK 32
typedef struct chunks {
  int n, size;
} chunks;

static chunks batch_chunks(int64_t B) {
  chunks c;
  c.n = (int)(B < CONV_NCHUNK ? B : CONV_NCHUNK);
  if (c.n < 1) c.n = 1;
  c.size = (int)((B + c.n - 1) / c.n);
  c.n = (int)((B + c.size - 1) / c.size);
  if (c.n < 1) c.n = 1;
  return c;
}

/* Shared scratch: bias partials [nchunks, Cout] in double first (the base
 * is aligned for it), then weight partials [nchunks, rows * K]. */
static size_t shared_len(int64_t B, int64_t cout, int64_t rows, int64_t K) {
  const chunks c = batch_chunks(B);
  return (size_t)(c.n * cout * (int64_t)(sizeof(double) / sizeof(float)) + c.n * rows * K);
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
 * (VG_OPF_BWD_SETS), in the thread that adds into them next. */
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

/* ---- direct ----
 * With few channels the GEMMs are too thin for the packed kernel (8 or 16
 * rows against a 6-row micro-tile, every im2col value packed for a handful
 * of multiply-adds). The direct path skips im2col: the image is padded and
 * split into stride x stride phases, phase (a, b) holding the padded
 * pixels (u s + a, v s + b). Tap (i, j) of the window at (oh, ow) then
 * reads phase ((i d) % s, (j d) % s) at (oh + (i d) / s, ow + (j d) / s):
 * at a fixed offset from oh * Ws + ow in the phase flattened, which is the
 * form conv_direct.h computes. At stride 1 there is one phase, the padded
 * image itself. The input gradient, the adjoint, runs per phase over the
 * taps that land on it. */

#define DIRECT_MAX_TAPS 64

/* dst [C, Hp, Wp] = src [C, H, W] placed at (top, left), zero elsewhere
 * (top and left may be negative: rows and columns cut off). One memset per
 * plane, then each row by an inline loop: the rows are a few dozen values,
 * less than a library call costs. */
static void pad_planes(const vg_real *src, int C, int H, int W, int top, int left, int Hp, int Wp, vg_real *dst) {
  int lo = left > 0 ? left : 0, hi = left + W < Wp ? left + W : Wp;
  int r0 = top > 0 ? top : 0, r1 = top + H < Hp ? top + H : Hp;
  memset(dst, 0, (size_t)C * Hp * Wp * sizeof *dst);
  if (hi <= lo) return;
  for (int c = 0; c < C; c++)
    for (int r = r0; r < r1; r++) {
      vg_real *d = dst + ((int64_t)c * Hp + r) * Wp + lo;
      const vg_real *s = src + ((int64_t)c * H + r - top) * W + (lo - left);
#pragma omp simd
      for (int i = 0; i < hi - lo; i++) d[i] = s[i];
    }
}

/* A group of nb images goes through the kernels at once, stacked: each
 * channel's planes of the nb images follow one another, so the flat index
 * runs over all of them (rows between two images' outputs are computed and
 * dropped, like the padding columns). Small images then fill the kernels'
 * tiles. nb depends on the shapes alone (so do the weight-gradient sums). */
enum { DIRECT_GROUP_PIXELS = 1024, DIRECT_GROUP_MAX = 16 };

/* Per-thread buffers of the direct path, for a group of nb images: phases
 * [s*s, C, nb, Hs, Ws]; the output grid flattened on width Ws [Cout, Q];
 * dy padded by (Rm, Cm) on the top and left [Cout, nb, Hd, Wd]; one
 * phase's input gradient [C, nb * Hd rows of width Wd]; one phase's
 * weights [C, Cout, taps]. */
typedef struct dgeom {
  int s, nb, Hs, Ws, Q, Rm, Cm, Hd, Wd;
  int64_t xph, grid, dyp, dxo, wt, pad, len; /* offsets into the thread's scratch, and its length */
} dgeom;

static dgeom direct_geom(const geom *g, int64_t cout) {
  dgeom q;
  const int s = g->s;
  const int Hp = (g->OH - 1) * s + g->d * (g->kh - 1) + 1, Wp = (g->OW - 1) * s + g->d * (g->kw - 1) + 1;
  q.s = s, q.Hs = (Hp + s - 1) / s, q.Ws = (Wp + s - 1) / s;
  q.nb = DIRECT_GROUP_PIXELS / (q.Hs * q.Ws);
  if (q.nb > DIRECT_GROUP_MAX) q.nb = DIRECT_GROUP_MAX;
  if (q.nb > batch_chunks(g->B).size) q.nb = batch_chunks(g->B).size; /* a group lies in one chunk */
  if (q.nb < 1) q.nb = 1;
  q.Q = ((q.nb - 1) * q.Hs + g->OH - 1) * q.Ws + g->OW;
  q.Rm = g->d * (g->kh - 1) / s, q.Cm = g->d * (g->kw - 1) / s;
  q.Hd = q.Hs + q.Rm, q.Wd = q.Ws + q.Cm;
  const int64_t nb = q.nb;
  q.xph = 0;
  q.grid = q.xph + (int64_t)s * s * g->C * nb * q.Hs * q.Ws;
  q.dyp = q.grid + cout * q.Q;
  q.dxo = q.dyp + cout * nb * q.Hd * q.Wd;
  q.wt = q.dxo + (int64_t)g->C * nb * q.Hd * q.Wd;
  q.pad = q.wt + cout * g->C * g->kh * g->kw;
  q.len = q.pad + (s > 1 ? (int64_t)q.Hs * s * q.Ws * s : 0);
  return q;
}

static int floor_div(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/* [lo, hi): the u in [0, n) with u * s + off inside [0, size). */
static void phase_range(int n, int s, int off, int size, int *lo, int *hi) {
  int a = -floor_div(off, s), b = floor_div(size - 1 - off, s) + 1;
  if (a < 0) a = 0;
  if (b > n) b = n;
  if (b < a) b = a;
  *lo = a, *hi = b;
}

/* The phases of nb images [nb, C, H, W], each padded by (ph, pw). Slots
 * past nb are left as they are: no kernel reads them. At stride s > 1 each
 * plane is padded whole into `pad` first, then dealt out to the phases
 * (fixed-stride loops that vectorise). */
static void phase_pad(const geom *g, const dgeom *q, int nb, const vg_real *img, vg_real *P, vg_real *pad) {
  const int s = q->s, Hp = q->Hs * s, Wp = q->Ws * s;
  const int64_t plane = (int64_t)q->Hs * q->Ws, phase = (int64_t)g->C * q->nb * plane;
  for (int c = 0; c < g->C; c++)
    for (int m = 0; m < nb; m++) {
      const vg_real *src = img + ((int64_t)m * g->C + c) * g->H * g->W;
      vg_real *dst = P + ((int64_t)c * q->nb + m) * plane;
      if (s == 1) {
        pad_planes(src, 1, g->H, g->W, g->ph, g->pw, q->Hs, q->Ws, dst);
        continue;
      }
      pad_planes(src, 1, g->H, g->W, g->ph, g->pw, Hp, Wp, pad);
      for (int y = 0; y < Hp; y++) {
        const vg_real *row = pad + (int64_t)y * Wp;
        vg_real *d = dst + (int64_t)(y % s) * s * phase + (int64_t)(y / s) * q->Ws;
        if (s == 2) {
          vg_real *d1 = d + phase;
          for (int v = 0; v < q->Ws; v++) d[v] = row[2 * v], d1[v] = row[2 * v + 1];
        } else {
          for (int b = 0; b < s; b++)
            for (int v = 0; v < q->Ws; v++) d[b * phase + v] = row[v * s + b];
        }
      }
    }
}

/* Offset of each tap into the phases, from (channel, phase 0) at q. */
static void phase_offsets(const geom *g, const dgeom *q, int64_t *off) {
  const int s = q->s;
  for (int i = 0; i < g->kh; i++)
    for (int j = 0; j < g->kw; j++) {
      const int r = i * g->d, c = j * g->d;
      off[i * g->kw + j] = ((int64_t)((r % s) * s + c % s) * g->C * q->nb * q->Hs + r / s) * q->Ws + c / s;
    }
}

/* The positions [0, Q) of a group's output grid that hold outputs of its
 * first nb images: the rest are dropped. */
static int64_t grid_len(const geom *g, const dgeom *q, int nb) {
  return ((int64_t)(nb - 1) * q->Hs + g->OH - 1) * q->Ws + g->OW;
}

/* out [nb, cout, OH, OW] += the convolution of img [nb, C, H, W] by w, or
 * (add = 0) out = act(that + bias), bias optional: the epilogue runs on each
 * output plane while it is in cache, and its rows (a few dozen values) are
 * moved by inline loops, since a library call per row costs more than the
 * row. */
static void direct_fwd(const geom *g, const dgeom *q, int nb, int cout, const int64_t *off, const vg_real *w,
                       const vg_real *img, vg_real *out, int add, const vg_real *bias, int act, vg_real *t) {
  const int64_t Q = grid_len(g, q, nb);
  phase_pad(g, q, nb, img, t + q->xph, t + q->pad);
  VG_SFX(vg_dconv_fwd)(cout, g->C, g->kh * g->kw, off, w, t + q->xph, (int64_t)q->nb * q->Hs * q->Ws, (int)Q,
                       t + q->grid, q->Q);
  const int OW = g->OW;
  for (int m = 0; m < nb; m++)
    for (int o = 0; o < cout; o++) {
      vg_real *plane = out + ((int64_t)m * cout + o) * g->OH * OW;
      const vg_real bv = bias ? bias[o] : 0;
      for (int r = 0; r < g->OH; r++) {
        const vg_real *src = t + q->grid + (int64_t)o * q->Q + ((int64_t)m * q->Hs + r) * q->Ws;
        vg_real *d = plane + (int64_t)r * OW;
        if (add)
          for (int c = 0; c < OW; c++) d[c] += src[c];
        else if (bias)
          for (int c = 0; c < OW; c++) d[c] = src[c] + bv;
        else
#pragma omp simd
          for (int c = 0; c < OW; c++) d[c] = src[c];
      }
      if (!add) vg_act_apply(act, plane, (int64_t)g->OH * OW);
    }
}

/* part [cout, C, kh*kw] (+)= the correlation of dy [nb, cout, OH, OW] with
 * the windows of img [nb, C, H, W]. */
static void direct_dw(const geom *g, const dgeom *q, int nb, int cout, const int64_t *off, const vg_real *dy,
                      const vg_real *img, vg_real *part, int first, vg_real *t) {
  const int64_t Q = grid_len(g, q, nb);
  vg_real *dyf = t + q->grid; /* dy on the grid, zero in the gaps */
  for (int o = 0; o < cout; o++) memset(dyf + (int64_t)o * q->Q, 0, (size_t)Q * sizeof *dyf);
  for (int m = 0; m < nb; m++)
    for (int o = 0; o < cout; o++)
      for (int r = 0; r < g->OH; r++) {
        vg_real *d = dyf + (int64_t)o * q->Q + ((int64_t)m * q->Hs + r) * q->Ws;
        const vg_real *src = dy + (((int64_t)m * cout + o) * g->OH + r) * g->OW;
#pragma omp simd
        for (int c = 0; c < g->OW; c++) d[c] = src[c];
      }
  phase_pad(g, q, nb, img, t + q->xph, t + q->pad);
  VG_SFX(vg_dconv_dw)(cout, g->C, g->kh * g->kw, off, dyf, q->Q, t + q->xph, (int64_t)q->nb * q->Hs * q->Ws, (int)Q,
                      part, first);
}

/* img [nb, C, H, W] += the adjoint of direct_fwd applied to dy [nb, cout,
 * OH, OW]: per phase, the taps that land on it, flipped. */
static void direct_dx(const geom *g, const dgeom *q, int nb, int cout, const vg_real *w, const vg_real *dy,
                      vg_real *img, vg_real *t) {
  const int s = q->s, T = g->kh * g->kw;
  const int64_t blk = (int64_t)q->Hd * q->Wd, plane = q->nb * blk;
  vg_real *dyp = t + q->dyp;
  for (int o = 0; o < cout; o++)
    for (int m = 0; m < nb; m++)
      pad_planes(dy + ((int64_t)m * cout + o) * g->OH * g->OW, 1, g->OH, g->OW, q->Rm, q->Cm, q->Hd, q->Wd,
                 dyp + (int64_t)o * plane + m * blk);
  for (int a = 0; a < s; a++)
    for (int b = 0; b < s; b++) {
      int tap[DIRECT_MAX_TAPS], n = 0;
      int64_t off[DIRECT_MAX_TAPS];
      for (int i = 0; i < g->kh; i++)
        for (int j = 0; j < g->kw; j++) {
          const int r = i * g->d, c = j * g->d;
          if (r % s != a || c % s != b) continue;
          tap[n] = i * g->kw + j;
          off[n++] = (int64_t)(q->Rm - r / s) * q->Wd + (q->Cm - c / s);
        }
      int u0, u1, v0, v1;
      phase_range(q->Hs, s, a - g->ph, g->H, &u0, &u1);
      phase_range(q->Ws, s, b - g->pw, g->W, &v0, &v1);
      if (!n || u1 == u0 || v1 == v0) continue;
      vg_real *wt = t + q->wt, *dxo = t + q->dxo;
      for (int ci = 0; ci < g->C; ci++)
        for (int o = 0; o < cout; o++)
          for (int k = 0; k < n; k++) wt[((int64_t)ci * cout + o) * n + k] = w[((int64_t)o * g->C + ci) * T + tap[k]];
      const int nu = u1 - u0, nv = v1 - v0;
      const int64_t Qd = ((int64_t)(nb - 1) * q->Hd + nu - 1) * q->Wd + nv;
      VG_SFX(vg_dconv_fwd)(g->C, cout, n, off, wt, dyp + (int64_t)u0 * q->Wd + v0, plane, (int)Qd, dxo, Qd);
      for (int m = 0; m < nb; m++)
        for (int ci = 0; ci < g->C; ci++)
          for (int u = 0; u < nu; u++) {
            const vg_real *src = dxo + (int64_t)ci * Qd + ((int64_t)m * q->Hd + u) * q->Wd;
            vg_real *d = img + (((int64_t)m * g->C + ci) * g->H + (u0 + u) * s + a - g->ph) * g->W + b - g->pw;
            if (s == 1)
              for (int v = 0; v < nv; v++) d[v0 + v] += src[v];
            else
              for (int v = 0; v < nv; v++) d[(int64_t)(v0 + v) * s] += src[v];
          }
    }
}

/* The direct path or im2col + GEMM. Measured on Zen 3 (batch 256, 3x3,
 * ae.lua's and conv_vae.lua's layers): direct wins at every channel count
 * up to 16. VG_CONV_PATH=gemm or =direct forces one, for tests and
 * benchmarks; it is read once, so shape inference (which sizes the
 * scratch) and the kernels always agree. */
static int use_direct(const geom *g, int cout) {
  static int forced = -2; /* -2 unread, -1 none, 0 gemm, 1 direct */
  if (forced == -2) {
    const char *e = getenv("VG_CONV_PATH");
    forced = e && !strcmp(e, "gemm") ? 0 : e && !strcmp(e, "direct") ? 1 : -1;
  }
  const int able = g->kh * g->kw <= DIRECT_MAX_TAPS && !identity_cols(g);
  if (forced >= 0) return able && forced;
  return able && cout <= 32 && g->C <= 32;
}

/* Reals of per-thread scratch for one image's cols or direct buffers. */
static int64_t conv_work_len(const geom *g, int64_t cout) {
  if (use_direct(g, (int)cout)) return direct_geom(g, cout).len;
  return (int64_t)g->C * g->kh * g->kw * g->OH * g->OW;
}

static int group_size(const geom *g, int64_t cout) { return use_direct(g, (int)cout) ? direct_geom(g, cout).nb : 1; }

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

/* Images the kernels take at once: a direct group, or one. */
static int group_size(const geom *g, int64_t cout);

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
  /* Per thread one image's cols [K, Ho*Wo]; shared the chunk partials of
   * the weight and bias gradients. */
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
  const int ident = identity_cols(&g), direct = use_direct(&g, Cout);
  const int act = attr_int(k->a, A_ACT);
  const dgeom q = direct_geom(&g, Cout);
  const int nb = direct ? q.nb : 1, ngroups = (g.B + nb - 1) / nb;
  int64_t off[DIRECT_MAX_TAPS];
  if (direct) phase_offsets(&g, &q, off);
#pragma omp parallel for schedule(static) num_threads(nthreads(k, (double)g.B * Cout * S * K))
  for (int gi = 0; gi < ngroups; gi++) {
    const int b = gi * nb, m = g.B - b < nb ? g.B - b : nb;
    const vg_real *xb = x + (int64_t)b * g.C * HW;
    vg_real *yb = y + (int64_t)b * Cout * S, *cols = (vg_real *)xb;
    if (direct) {
      direct_fwd(&g, &q, m, Cout, off, w, xb, yb, 0, bias, act, vg_thread_scratch(k));
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
  const chunks ch = batch_chunks(g.B);
  vg_real *dx = k->dx[0], *dw = k->dx[1], *db = k->nin == 3 ? k->dx[2] : NULL;
  if (!dx && !dw && !db) return;
  const vg_real *x = k->x[0], *w = k->x[1];
  double *dbp = (double *)(void *)k->scratch;
  vg_real *wpart = k->scratch + (int64_t)ch.n * Cout * (int64_t)(sizeof(double) / sizeof(float));
  const int ident = identity_cols(&g), direct = use_direct(&g, Cout);
  const dgeom q = direct_geom(&g, Cout);
  const int nb = direct ? q.nb : 1;
  int64_t off[DIRECT_MAX_TAPS];
  if (direct) phase_offsets(&g, &q, off);
  const double work = (double)g.B * Cout * S * K * ((dx != NULL) + (dw != NULL)) + (double)g.B * Cout * S;
#pragma omp parallel for schedule(static) num_threads(nthreads(k, work))
  for (int c = 0; c < ch.n; c++) {
    vg_real *tmp = ident ? NULL : vg_thread_scratch(k), *pre = vg_thread_scratch(k) + conv_work_len(&g, Cout);
    const int b0 = c * ch.size, b1 = b0 + ch.size < g.B ? b0 + ch.size : g.B;
    zero_images(k, dx, b0, b1, g.C * HW);
    for (int b = b0; b < b1; b += nb) {
      const int m = b1 - b < nb ? b1 - b : nb;
      const vg_real *xb = x + (int64_t)b * g.C * HW, *dyb = pre_act_grad(k, b, m, (int64_t)Cout * S, pre);
      if (db)
        for (int i = 0; i < m; i++) bias_rows(dyb + (int64_t)i * Cout * S, Cout, S, dbp + (int64_t)c * Cout, b + i == b0);
      if (direct) {
        if (dw) direct_dw(&g, &q, m, Cout, off, dyb, xb, wpart + (int64_t)c * Cout * K, b == b0, tmp);
        if (dx) direct_dx(&g, &q, m, Cout, w, dyb, dx + (int64_t)b * g.C * HW, tmp);
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
  /* Per thread one image's cols [K, H*W of x]; shared the chunk partials
   * of the weight and bias gradients. */
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
  const int ident = identity_cols(&g), direct = use_direct(&g, Cin);
  const dgeom q = direct_geom(&g, Cin);
  const int nb = direct ? q.nb : 1, ngroups = (g.B + nb - 1) / nb;
#pragma omp parallel for schedule(static) num_threads(nthreads(k, (double)g.B * Cin * S * K))
  for (int gi = 0; gi < ngroups; gi++) {
    const int b = gi * nb, m = g.B - b < nb ? g.B - b : nb;
    const vg_real *xb = x + (int64_t)b * Cin * S;
    vg_real *yb = y + (int64_t)b * g.C * HW;
    for (int o = 0; o < m * g.C; o++) {
      const vg_real bv = bias ? bias[o % g.C] : 0;
      vg_real *r = yb + (int64_t)o * HW;
      for (int64_t i = 0; i < HW; i++) r[i] = bv;
    }
    if (direct) direct_dx(&g, &q, m, Cin, w, xb, yb, vg_thread_scratch(k));
    else if (ident) vg_gemm_real(1, 0, K, S, Cin, 1, w, K, xb, S, 1, yb, S);
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
  const chunks ch = batch_chunks(g.B);
  vg_real *dx = k->dx[0], *dw = k->dx[1], *db = k->nin == 3 ? k->dx[2] : NULL;
  if (!dx && !dw && !db) return;
  const vg_real *x = k->x[0], *w = k->x[1];
  double *dbp = (double *)(void *)k->scratch;
  vg_real *wpart = k->scratch + (int64_t)ch.n * g.C * (int64_t)(sizeof(double) / sizeof(float));
  const int ident = identity_cols(&g), direct = use_direct(&g, Cin);
  const dgeom q = direct_geom(&g, Cin);
  const int nb = direct ? q.nb : 1;
  int64_t off[DIRECT_MAX_TAPS];
  if (direct) phase_offsets(&g, &q, off);
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
      if (direct) {
        /* the transpose's weight gradient is conv2d's with x and dy swapped;
         * its input gradient is conv2d's forward */
        if (dw) direct_dw(&g, &q, m, Cin, off, x + (int64_t)b * Cin * S, dyb, wpart + (int64_t)c * Cin * K, b == b0, tmp);
        if (dx) direct_fwd(&g, &q, m, Cin, off, w, dyb, dx + (int64_t)b * Cin * S, !set, NULL, VG_ACT_NONE, tmp);
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
