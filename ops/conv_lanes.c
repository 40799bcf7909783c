/* Convolution kernels on images in lanes (conv_lanes.h). A vector is one
 * pixel of the group's images; each kernel keeps a tile of NOB x NPB such
 * vectors in registers (output channels by pixels, or weight rows by
 * pixels), enough independent sums to hide the multiply-add latency. The
 * vector type is GCC's generic one, so the same code is 16 lanes of
 * AVX-512, 8 of AVX2 and 4 of the portable build (SSE2 or NEON). */
#include "conv_lanes.h"

#include <string.h>

#if !defined(VG_REAL_DOUBLE) && defined(__x86_64__) && (defined(__AVX512F__) || defined(__FMA__))
#include <immintrin.h>
#endif
#include "simd_rows.h"

enum { L = VG_LANES };
#if VG_LANES == 16
enum { NOB = 4, NPB = 6 }; /* 24 accumulators of 32 registers */
#else
enum { NOB = 4, NPB = 3 }; /* 12 of 16 */
#endif
/* Tiles: at most TILE_MAX_O output channels (or weight rows) by
 * TILE_MAX_P pixels (or, in dw, weight rows); MAX_ROWS weight rows
 * (channels x taps) is what use_lanes in conv.c lets through. */
enum { TILE_MAX_O = 4, TILE_MAX_P = 6, MAX_ROWS = VG_LANES_MAX_CHANNELS * VG_LANES_MAX_TAPS };

typedef vg_real lv __attribute__((vector_size(VG_LANES * sizeof(vg_real))));
typedef vg_real lvu __attribute__((vector_size(VG_LANES * sizeof(vg_real)), aligned(sizeof(vg_real)), may_alias));

#define INL static inline __attribute__((always_inline))

INL lv ld(const vg_real *p) { return *(const lvu *)p; }
INL void st(vg_real *p, lv v) { *(lvu *)p = v; }
INL lv bc(vg_real s) { return (lv){0} + s; }
/* a b + c, fused where the path has the instruction, whatever the
 * compiler's contraction setting */
INL lv fmadd(lv a, lv b, lv c) {
#if !defined(VG_REAL_DOUBLE) && defined(__x86_64__) && defined(__AVX512F__)
  return _mm512_fmadd_ps(a, b, c);
#elif !defined(VG_REAL_DOUBLE) && defined(__x86_64__) && defined(__FMA__)
  return _mm256_fmadd_ps(a, b, c);
#else
  return a * b + c;
#endif
}

/* The first k < L values at p, the rest zero; and their store. AVX2 takes
 * simd_rows.h's row tails (no microcoded masked store on AMD's Zen):
 * element by element, both went through the stack and were a tenth of
 * ae.lua's time on a Zen 3, every row of its padded images having a tail. */
INL lv ldn(const vg_real *p, int k) {
#if !defined(VG_REAL_DOUBLE) && defined(__x86_64__) && defined(__AVX512F__)
  return _mm512_maskz_loadu_ps((__mmask16)((1u << k) - 1), p);
#elif VG_ROW_LANES == 8
  return vg_row_load(p, k);
#else
  lv v = bc(0);
  for (int i = 0; i < k; i++) v[i] = p[i];
  return v;
#endif
}
INL void stn(vg_real *p, lv v, int k) {
#if !defined(VG_REAL_DOUBLE) && defined(__x86_64__) && defined(__AVX512F__)
  _mm512_mask_storeu_ps(p, (__mmask16)((1u << k) - 1), v);
#elif VG_ROW_LANES == 8
  vg_row_store(p, k, v);
#else
  for (int i = 0; i < k; i++) p[i] = v[i];
#endif
}

/* The lanes' sum, lane 0 first. */
INL vg_real hsum(lv v) {
  vg_real s = 0;
  for (int l = 0; l < L; l++) s += v[l];
  return s;
}

/* ---- moving images into lanes and back ----
 * A block of L pixels of L images is an L x L matrix: loaded a row per
 * image, transposed in registers, stored a row per pixel (and back). The
 * transpose swaps the off-diagonal halves of every 2k x 2k block, for
 * k = L/2 down to 1 (log2 L rounds of two-vector shuffles). */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 12
#error "ops/conv_lanes.c needs __builtin_shufflevector: GCC 12 or later, or clang"
#endif
#define TA(j, k) (((j) & (k)) ? L + (j) - (k) : (j))
#define TB(j, k) (((j) & (k)) ? L + (j) : (j) + (k))
#if VG_LANES == 16
#define SHUF(x, y, F, k)                                                                                          \
  __builtin_shufflevector(x, y, F(0, k), F(1, k), F(2, k), F(3, k), F(4, k), F(5, k), F(6, k), F(7, k), F(8, k), \
                          F(9, k), F(10, k), F(11, k), F(12, k), F(13, k), F(14, k), F(15, k))
#elif VG_LANES == 8
#define SHUF(x, y, F, k) \
  __builtin_shufflevector(x, y, F(0, k), F(1, k), F(2, k), F(3, k), F(4, k), F(5, k), F(6, k), F(7, k))
#elif VG_LANES == 4
#define SHUF(x, y, F, k) __builtin_shufflevector(x, y, F(0, k), F(1, k), F(2, k), F(3, k))
#else
#define SHUF(x, y, F, k) __builtin_shufflevector(x, y, F(0, k), F(1, k))
#endif
#define STAGE(k)                                  \
  for (int a = 0; a < L; a++)                     \
    if (!(a & (k))) {                             \
      const lv x = r[a], y = r[a + (k)];          \
      r[a] = SHUF(x, y, TA, k);                   \
      r[a + (k)] = SHUF(x, y, TB, k);             \
    }

INL void transpose(lv *r) {
#if VG_LANES >= 16
  STAGE(8)
#endif
#if VG_LANES >= 8
  STAGE(4)
#endif
#if VG_LANES >= 4
  STAGE(2)
#endif
  STAGE(1)
}

/* dst[p L + l] = src[l is + p] for p < n, l < m; lanes from m on zero. */
static void to_lanes(const vg_real *src, int64_t is, int m, int n, vg_real *dst) {
  lv r[L];
  int p = 0;
  for (; p + L <= n; p += L) {
    for (int l = 0; l < L; l++) r[l] = l < m ? ld(src + l * is + p) : bc(0);
    transpose(r);
    for (int q = 0; q < L; q++) st(dst + (int64_t)(p + q) * L, r[q]);
  }
  if (p == n) return;
  const int k = n - p;
  for (int l = 0; l < L; l++) r[l] = l < m ? ldn(src + l * is + p, k) : bc(0);
  transpose(r);
  for (int q = 0; q < k; q++) st(dst + (int64_t)(p + q) * L, r[q]);
}

/* dst[l is + p] = (add ? dst[l is + p] : 0) + src[p L + l] + bv for
 * p < n, l < m. */
static void from_lanes(const vg_real *src, int n, vg_real *dst, int64_t is, int m, int add, vg_real bv) {
  lv r[L];
  const lv b = bc(bv);
  int p = 0;
  for (; p + L <= n; p += L) {
    for (int q = 0; q < L; q++) r[q] = ld(src + (int64_t)(p + q) * L);
    transpose(r);
    for (int l = 0; l < m; l++) {
      vg_real *d = dst + l * is + p;
      st(d, (add ? ld(d) : bc(0)) + r[l] + b);
    }
  }
  if (p == n) return;
  const int k = n - p;
  for (int q = 0; q < L; q++) r[q] = q < k ? ld(src + (int64_t)(p + q) * L) : bc(0);
  transpose(r);
  for (int l = 0; l < m; l++) {
    vg_real *d = dst + l * is + p;
    stn(d, (add ? ldn(d, k) : bc(0)) + r[l] + b, k);
  }
}

void VG_SFX(vg_lanes_pack)(const vg_real *src, int m, int C, int H, int W, int top, int left, int Hp, int Wp,
                           vg_real *dst) {
  const int64_t is = (int64_t)C * H * W;
  if (!top && !left && H == Hp && W == Wp) { /* planes in and out alike: one run each */
    for (int c = 0; c < C; c++) to_lanes(src + (int64_t)c * H * W, is, m, H * W, dst + (int64_t)c * H * W * L);
    return;
  }
  int y0 = top > 0 ? top : 0, y1 = top + H < Hp ? top + H : Hp;
  const int x0 = left > 0 ? left : 0, x1 = left + W < Wp ? left + W : Wp;
  if (x1 <= x0 || y1 <= y0) y0 = y1 = Hp; /* no pixel lands: all margin */
  const size_t row = (size_t)Wp * L * sizeof *dst;
  for (int c = 0; c < C; c++) {
    vg_real *plane = dst + (int64_t)c * Hp * Wp * L;
    /* the margin only: rows above and below, then columns left and right */
    memset(plane, 0, (size_t)y0 * row);
    memset(plane + (int64_t)y1 * Wp * L, 0, (size_t)(Hp - y1) * row);
    for (int y = y0; y < y1; y++) {
      vg_real *d = plane + (int64_t)y * Wp * L;
      memset(d, 0, (size_t)x0 * L * sizeof *d);
      memset(d + (int64_t)x1 * L, 0, (size_t)(Wp - x1) * L * sizeof *d);
      to_lanes(src + ((int64_t)c * H + y - top) * W + x0 - left, is, m, x1 - x0, d + (int64_t)x0 * L);
    }
  }
}

void VG_SFX(vg_lanes_unpack)(const vg_real *src, int m, int C, int Hs, int Ws, int top, int left, int H, int W,
                             vg_real *dst, int add, const vg_real *bias) {
  const int64_t is = (int64_t)C * H * W;
  if (!top && !left && H == Hs && W == Ws) {
    for (int c = 0; c < C; c++)
      from_lanes(src + (int64_t)c * H * W * L, H * W, dst + (int64_t)c * H * W, is, m, add, bias ? bias[c] : 0);
    return;
  }
  int x0 = -left, x1 = Ws - left; /* the x with a source pixel */
  if (x0 < 0) x0 = 0;
  if (x0 > W) x0 = W;
  if (x1 > W) x1 = W;
  if (x1 < x0) x1 = x0;
  for (int c = 0; c < C; c++) {
    const vg_real bv = bias ? bias[c] : 0;
    for (int y = 0; y < H; y++) {
      const int sy = y + top, inside = sy >= 0 && sy < Hs;
      vg_real *d = dst + ((int64_t)c * H + y) * W;
      if (inside) from_lanes(src + (((int64_t)c * Hs + sy) * Ws + x0 + left) * L, x1 - x0, d + x0, is, m, add, bv);
      /* pixels no window reaches: [0, x0) and [x1, W), or the whole row
       * (the + 0 stands for the missing sum, as in from_lanes) */
      const int e0 = inside ? x0 : W, e1 = inside ? x1 : W;
      for (int l = 0; l < m; l++) {
        vg_real *dl = d + l * is;
        for (int x = 0; x < e0; x++) dl[x] = (add ? dl[x] : 0) + 0 + bv;
        for (int x = e1; x < W; x++) dl[x] = (add ? dl[x] : 0) + 0 + bv;
      }
    }
  }
}

/* Tap t = (i, j)'s offset from a window's corner: i d rows, j d columns. */
static void tap_offsets(const vg_lgeom *g, int64_t *toff) {
  for (int i = 0; i < g->kh; i++)
    for (int j = 0; j < g->kw; j++) toff[i * g->kw + j] = ((int64_t)i * g->d * g->Wp + (int64_t)j * g->d) * L;
}

/* ---- forward: y = sum over (ci, t) of w[o][ci][t] x[ci][window + t] ----
 * Output channels [0, NO) (w, y at the first) at pixels (oh, ow + p), p < NP;
 * x at the window corner of (oh, ow). */
INL void fwd_tile(const int NO, const int NP, const vg_lgeom *g, const int64_t *toff, const vg_real *w,
                  const vg_real *x, vg_real *y) {
  lv acc[TILE_MAX_O][TILE_MAX_P];
  for (int a = 0; a < NO; a++)
    for (int p = 0; p < NP; p++) acc[a][p] = bc(0);
  const int T = g->kh * g->kw;
  const int64_t CT = (int64_t)g->C * T, plane = (int64_t)g->Hp * g->Wp * L, ps = (int64_t)g->s * L;
  for (int ci = 0; ci < g->C; ci++) {
    const vg_real *xc = x + ci * plane, *wc = w + (int64_t)ci * T;
    for (int t = 0; t < T; t++) {
      lv xv[TILE_MAX_P];
      for (int p = 0; p < NP; p++) xv[p] = ld(xc + toff[t] + p * ps);
      for (int a = 0; a < NO; a++) {
        const lv wv = bc(wc[a * CT + t]);
        for (int p = 0; p < NP; p++) acc[a][p] = fmadd(wv, xv[p], acc[a][p]);
      }
    }
  }
  const int64_t ys = (int64_t)g->OH * g->OW * L;
  for (int a = 0; a < NO; a++)
    for (int p = 0; p < NP; p++) st(y + a * ys + p * L, acc[a][p]);
}

/* Constant tile sizes for the compiler, chosen at run time. */
/* np is at most NPB: clamping the switch's value tells the compiler so,
 * and it drops the cases wider than this build's tiles. */
#define VG_TILE_P(F, NO, np, ...)                     \
  switch ((np) < NPB ? (np) : NPB) {                   \
  case 1: F(NO, 1, __VA_ARGS__); break;                \
  case 2: F(NO, 2, __VA_ARGS__); break;                \
  case 3: F(NO, 3, __VA_ARGS__); break;                \
  case 4: F(NO, 4, __VA_ARGS__); break;                \
  case 5: F(NO, 5, __VA_ARGS__); break;                \
  default: F(NO, 6, __VA_ARGS__); break;               \
  }
#define VG_TILE(F, no, np, ...)                     \
  switch (no) {                                     \
  case 1: VG_TILE_P(F, 1, np, __VA_ARGS__) break;   \
  case 2: VG_TILE_P(F, 2, np, __VA_ARGS__) break;   \
  case 3: VG_TILE_P(F, 3, np, __VA_ARGS__) break;   \
  default: VG_TILE_P(F, 4, np, __VA_ARGS__) break;  \
  }

void VG_SFX(vg_lconv_fwd)(const vg_lgeom *g, const vg_real *w, const vg_real *xp, vg_real *y) {
  int64_t toff[VG_LANES_MAX_TAPS];
  tap_offsets(g, toff);
  const int64_t CT = (int64_t)g->C * g->kh * g->kw, ys = (int64_t)g->OH * g->OW * L;
  for (int oh = 0; oh < g->OH; oh++)
    for (int ow = 0; ow < g->OW; ow += NPB) {
      const int np = g->OW - ow < NPB ? g->OW - ow : NPB;
      const vg_real *x = xp + ((int64_t)oh * g->s * g->Wp + (int64_t)ow * g->s) * L;
      vg_real *yp = y + ((int64_t)oh * g->OW + ow) * L;
      for (int o = 0; o < g->Co; o += NOB) {
        const int no = g->Co - o < NOB ? g->Co - o : NOB;
        VG_TILE(fwd_tile, no, np, g, toff, w + o * CT, x, yp + o * ys)
      }
    }
}

/* ---- input gradient: dx[ci][window + t] += sum over o of w[o][ci][t] dy[o] ----
 * Weight rows r = ci T + t in [0, NA) (w at the first; their offsets in
 * roff) at grid pixels (oh, ow + p), p < NP: the sums over o stay in
 * registers, then each goes once into dx, whose corner for (oh, ow) is x. */
INL void bwd_tile(const int NA, const int NP, const vg_lgeom *g, const int64_t *roff, const vg_real *w,
                  const vg_real *dy, vg_real *x) {
  lv acc[TILE_MAX_O][TILE_MAX_P];
  for (int a = 0; a < NA; a++)
    for (int p = 0; p < NP; p++) acc[a][p] = bc(0);
  const int64_t CT = (int64_t)g->C * g->kh * g->kw, ds = (int64_t)g->OH * g->OW * L, ps = (int64_t)g->s * L;
  for (int o = 0; o < g->Co; o++) {
    lv dv[TILE_MAX_P];
    for (int p = 0; p < NP; p++) dv[p] = ld(dy + o * ds + p * L);
    for (int a = 0; a < NA; a++) {
      const lv wv = bc(w[o * CT + a]);
      for (int p = 0; p < NP; p++) acc[a][p] = fmadd(wv, dv[p], acc[a][p]);
    }
  }
  for (int a = 0; a < NA; a++)
    for (int p = 0; p < NP; p++) {
      vg_real *q = x + roff[a] + p * ps;
      st(q, ld(q) + acc[a][p]);
    }
}

/* Offset of weight row r = ci T + t into the image side from a corner. */
static int rows_offsets(const vg_lgeom *g, int64_t *roff) {
  int64_t toff[VG_LANES_MAX_TAPS];
  tap_offsets(g, toff);
  const int T = g->kh * g->kw;
  const int64_t plane = (int64_t)g->Hp * g->Wp * L;
  for (int ci = 0; ci < g->C; ci++)
    for (int t = 0; t < T; t++) roff[ci * T + t] = ci * plane + toff[t];
  return g->C * T;
}

void VG_SFX(vg_lconv_bwd)(const vg_lgeom *g, const vg_real *w, const vg_real *dy, vg_real *dxp) {
  int64_t roff[MAX_ROWS];
  const int R = rows_offsets(g, roff);
  for (int oh = 0; oh < g->OH; oh++)
    for (int ow = 0; ow < g->OW; ow += NPB) {
      const int np = g->OW - ow < NPB ? g->OW - ow : NPB;
      const vg_real *d = dy + ((int64_t)oh * g->OW + ow) * L;
      vg_real *x = dxp + ((int64_t)oh * g->s * g->Wp + (int64_t)ow * g->s) * L;
      for (int r = 0; r < R; r += NOB) {
        const int na = R - r < NOB ? R - r : NOB;
        VG_TILE(bwd_tile, na, np, g, roff + r, w + r, d, x)
      }
    }
}

/* ---- weight gradient: dw[o][r] = sum over pixels and lanes of dy[o] x[window + r] ----
 * Output channels [0, NO) (dy, dw at the first) by weight rows [0, NR)
 * (roff, dw's columns at the first), over every grid pixel. */
INL void dw_tile(const int NO, const int NR, const vg_lgeom *g, const int64_t *roff, const vg_real *dy, int64_t drow,
                 int64_t ds, const vg_real *xp, vg_real *dw, int first) {
  lv acc[TILE_MAX_O][TILE_MAX_P];
  for (int a = 0; a < NO; a++)
    for (int b = 0; b < NR; b++) acc[a][b] = bc(0);
  const int64_t ps = (int64_t)g->s * L;
  for (int oh = 0; oh < g->OH; oh++) {
    const vg_real *x = xp + (int64_t)oh * g->s * g->Wp * L, *d = dy + oh * drow;
    for (int ow = 0; ow < g->OW; ow++, x += ps, d += L) {
      lv dv[TILE_MAX_O];
      for (int a = 0; a < NO; a++) dv[a] = ld(d + a * ds);
      for (int b = 0; b < NR; b++) {
        const lv xv = ld(x + roff[b]);
        for (int a = 0; a < NO; a++) acc[a][b] = fmadd(dv[a], xv, acc[a][b]);
      }
    }
  }
  const int64_t CT = (int64_t)g->C * g->kh * g->kw;
  for (int a = 0; a < NO; a++)
    for (int b = 0; b < NR; b++) {
      vg_real *p = dw + a * CT + b;
      const vg_real s = hsum(acc[a][b]);
      *p = first ? s : *p + s;
    }
}

void VG_SFX(vg_lconv_dw)(const vg_lgeom *g, const vg_real *dy, int64_t dyrow, int64_t dyplane, const vg_real *xp,
                         vg_real *dw, int first) {
  int64_t roff[MAX_ROWS];
  const int R = rows_offsets(g, roff);
  const int64_t ds = dyplane * L, drow = dyrow * L;
  for (int o = 0; o < g->Co; o += NOB) {
    const int no = g->Co - o < NOB ? g->Co - o : NOB;
    for (int r = 0; r < R; r += NPB) {
      const int nr = R - r < NPB ? R - r : NPB;
      VG_TILE(dw_tile, no, nr, g, roff + r, dy + o * ds, drow, ds, xp, dw + o * (int64_t)R + r, first)
    }
  }
}
