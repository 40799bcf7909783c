/* Direct convolution kernels (conv_direct.h): plain C for any build, and
 * for float on x86 an AVX2 + FMA version that keeps a block of up to 4
 * output channels x 24 pixels (forward) or 4 output channels x 3 taps
 * (weight gradient) in 12 vector registers, and an AVX-512 version with
 * twice the lanes and accumulators. isa.h picks one. */
#include "conv_direct.h"

#include <string.h>

#include "../runtime/isa.h"

/* The double build (gradient checks) always takes the plain C loops. */
#ifdef VG_REAL_DOUBLE
static vg_isa kernel_isa(void) { return VG_ISA_PORTABLE; }
#else
static vg_isa kernel_isa(void) { return vg_isa_current(); }
#endif

static void fwd_c(int Co, int Ci, int T, const int64_t *off, const vg_real *w, const vg_real *in, int64_t plane,
                  int Q, vg_real *out, int64_t ldo) {
  for (int o = 0; o < Co; o++) {
    vg_real *r = out + o * ldo;
    memset(r, 0, (size_t)Q * sizeof *r);
    for (int ci = 0; ci < Ci; ci++)
      for (int t = 0; t < T; t++) {
        const vg_real wv = w[((int64_t)o * Ci + ci) * T + t], *src = in + ci * plane + off[t];
        for (int q = 0; q < Q; q++) r[q] += wv * src[q];
      }
  }
}

static void dw_c(int Co, int Ci, int T, const int64_t *off, const vg_real *dy, int64_t ldd, const vg_real *in,
                 int64_t plane, int Q, vg_real *dw, int first) {
  for (int o = 0; o < Co; o++)
    for (int ci = 0; ci < Ci; ci++)
      for (int t = 0; t < T; t++) {
        const vg_real *d = dy + o * ldd, *src = in + ci * plane + off[t];
        vg_real s = 0;
        for (int q = 0; q < Q; q++) s += d[q] * src[q];
        vg_real *p = dw + ((int64_t)o * Ci + ci) * T + t;
        *p = first ? s : *p + s;
      }
}

#if !defined(VG_REAL_DOUBLE) && defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define AVX2_INLINE static inline __attribute__((always_inline, target("avx2,fma")))
#define AVX2_FN static __attribute__((target("avx2,fma")))

/* Lanes [0, n) on. */
AVX2_INLINE __m256i lanes(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* Output channels [o0, o0 + NO) at pixels [q, q + 8 NV), or the NV = 1
 * vector under `mask` when MASKED. NO, NV and MASKED are constants at every
 * call, so the loops below unroll into registers: NO * NV = 12 independent
 * accumulators hide the FMA latency (fewer leave the FMA units idle). */
AVX2_INLINE void fwd_tile(const int NO, const int NV, const int MASKED, __m256i mask, int Ci, int T, const int64_t *off,
                          const float *w, const float *in, int64_t plane, int q, float *out, int64_t ldo) {
  __m256 acc[4][12];
  for (int a = 0; a < NO; a++)
    for (int v = 0; v < NV; v++) acc[a][v] = _mm256_setzero_ps();
  const int64_t ws = (int64_t)Ci * T;
  for (int ci = 0; ci < Ci; ci++) {
    const float *base = in + ci * plane + q, *wc = w + (int64_t)ci * T;
    for (int t = 0; t < T; t++) {
      const float *p = base + off[t];
      __m256 x[12];
      for (int v = 0; v < NV; v++) x[v] = MASKED ? _mm256_maskload_ps(p, mask) : _mm256_loadu_ps(p + 8 * v);
      for (int a = 0; a < NO; a++) {
        const __m256 wv = _mm256_broadcast_ss(wc + a * ws + t);
        for (int v = 0; v < NV; v++) acc[a][v] = _mm256_fmadd_ps(wv, x[v], acc[a][v]);
      }
    }
  }
  for (int a = 0; a < NO; a++)
    for (int v = 0; v < NV; v++) {
      float *dst = out + a * ldo + q + 8 * v;
      if (MASKED) _mm256_maskstore_ps(dst, mask, acc[a][v]);
      else _mm256_storeu_ps(dst, acc[a][v]);
    }
}

AVX2_INLINE void fwd_rows(const int NO, int Ci, int T, const int64_t *off, const float *w, const float *in,
                          int64_t plane, int Q, float *out, int64_t ldo) {
  int q = 0;
  const __m256i none = _mm256_setzero_si256();
  const int NV = 12 / NO;
  for (; q + 8 * NV <= Q; q += 8 * NV) fwd_tile(NO, 12 / NO, 0, none, Ci, T, off, w, in, plane, q, out, ldo);
  for (; q + 8 <= Q; q += 8) fwd_tile(NO, 1, 0, none, Ci, T, off, w, in, plane, q, out, ldo);
  if (q < Q) fwd_tile(NO, 1, 1, lanes(Q - q), Ci, T, off, w, in, plane, q, out, ldo);
}

AVX2_FN void fwd_avx2(int Co, int Ci, int T, const int64_t *off, const float *w, const float *in, int64_t plane, int Q,
                      float *out, int64_t ldo) {
  const int64_t ws = (int64_t)Ci * T;
  int o = 0;
  for (; o + 4 <= Co; o += 4) fwd_rows(4, Ci, T, off, w + o * ws, in, plane, Q, out + o * ldo, ldo);
  switch (Co - o) {
  case 3: fwd_rows(3, Ci, T, off, w + o * ws, in, plane, Q, out + o * ldo, ldo); break;
  case 2: fwd_rows(2, Ci, T, off, w + o * ws, in, plane, Q, out + o * ldo, ldo); break;
  case 1: fwd_rows(1, Ci, T, off, w + o * ws, in, plane, Q, out + o * ldo, ldo); break;
  default: break;
  }
}

/* The 8 lanes' sum, in a fixed order. */
AVX2_INLINE float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/* Weight gradients of output channels [o0, o0 + NO) x taps [t0, t0 + NT)
 * of input channel ci: NO * NT dot products over q at once, each split
 * over U interleaved accumulators when NO * NT alone is too few to hide
 * the FMA latency (U = 12 / (NO * NT), at least 1). */
AVX2_INLINE void dw_tile(const int NO, const int NT, int Ci, int T, const int64_t *off, const float *dy, int64_t ldd,
                         const float *in, int Q, float *dw, int first) {
  enum { UMAX = 4 };
  const int U = NO * NT >= 12 ? 1 : NO * NT >= 6 ? 2 : 4;
  __m256 acc[4][3][UMAX];
  for (int a = 0; a < NO; a++)
    for (int b = 0; b < NT; b++)
      for (int u = 0; u < U; u++) acc[a][b][u] = _mm256_setzero_ps();
  int q = 0;
  for (; q + 8 * U <= Q; q += 8 * U)
    for (int u = 0; u < U; u++) {
      __m256 d[4], x[3];
      for (int a = 0; a < NO; a++) d[a] = _mm256_loadu_ps(dy + a * ldd + q + 8 * u);
      for (int b = 0; b < NT; b++) x[b] = _mm256_loadu_ps(in + off[b] + q + 8 * u);
      for (int a = 0; a < NO; a++)
        for (int b = 0; b < NT; b++) acc[a][b][u] = _mm256_fmadd_ps(d[a], x[b], acc[a][b][u]);
    }
  for (; q + 8 <= Q; q += 8) {
    __m256 d[4], x[3];
    for (int a = 0; a < NO; a++) d[a] = _mm256_loadu_ps(dy + a * ldd + q);
    for (int b = 0; b < NT; b++) x[b] = _mm256_loadu_ps(in + off[b] + q);
    for (int a = 0; a < NO; a++)
      for (int b = 0; b < NT; b++) acc[a][b][0] = _mm256_fmadd_ps(d[a], x[b], acc[a][b][0]);
  }
  for (int a = 0; a < NO; a++)
    for (int b = 0; b < NT; b++)
      for (int u = 1; u < U; u++) acc[a][b][0] = _mm256_add_ps(acc[a][b][0], acc[a][b][u]);
  if (q < Q) {
    const __m256i m = lanes(Q - q);
    __m256 d[4], x[3];
    for (int a = 0; a < NO; a++) d[a] = _mm256_maskload_ps(dy + a * ldd + q, m);
    for (int b = 0; b < NT; b++) x[b] = _mm256_maskload_ps(in + off[b] + q, m);
    for (int a = 0; a < NO; a++)
      for (int b = 0; b < NT; b++) acc[a][b][0] = _mm256_fmadd_ps(d[a], x[b], acc[a][b][0]);
  }
  for (int a = 0; a < NO; a++)
    for (int b = 0; b < NT; b++) {
      float *p = dw + (int64_t)a * Ci * T + b;
      const float s = hsum(acc[a][b][0]);
      *p = first ? s : *p + s;
    }
}

AVX2_INLINE void dw_taps(const int NO, int Ci, int T, const int64_t *off, const float *dy, int64_t ldd,
                         const float *in, int Q, float *dw, int first) {
  int t = 0;
  for (; t + 3 <= T; t += 3) dw_tile(NO, 3, Ci, T, off + t, dy, ldd, in, Q, dw + t, first);
  if (T - t == 2) dw_tile(NO, 2, Ci, T, off + t, dy, ldd, in, Q, dw + t, first);
  if (T - t == 1) dw_tile(NO, 1, Ci, T, off + t, dy, ldd, in, Q, dw + t, first);
}

AVX2_FN void dw_avx2(int Co, int Ci, int T, const int64_t *off, const float *dy, int64_t ldd, const float *in,
                     int64_t plane, int Q, float *dw, int first) {
  const int64_t ws = (int64_t)Ci * T;
  for (int ci = 0; ci < Ci; ci++) {
    const float *src = in + ci * plane;
    int o = 0;
    for (; o + 4 <= Co; o += 4) dw_taps(4, Ci, T, off, dy + o * ldd, ldd, src, Q, dw + o * ws + ci * T, first);
    switch (Co - o) {
    case 3: dw_taps(3, Ci, T, off, dy + o * ldd, ldd, src, Q, dw + o * ws + ci * T, first); break;
    case 2: dw_taps(2, Ci, T, off, dy + o * ldd, ldd, src, Q, dw + o * ws + ci * T, first); break;
    case 1: dw_taps(1, Ci, T, off, dy + o * ldd, ldd, src, Q, dw + o * ws + ci * T, first); break;
    default: break;
    }
  }
}

#define AVX512_INLINE static inline __attribute__((always_inline, target("avx512f,avx512bw,avx512vl,avx512dq,fma")))
#define AVX512_FN static __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))

/* The AVX-512 versions: 16 lanes and 32 registers, so a forward tile holds
 * 24 accumulators (up to 4 output channels x 96 pixels) and a masked load
 * covers any tail (masked-off lanes are not read). */
AVX512_INLINE void fwd_tile16(const int NO, const int NV, const int MASKED, __mmask16 mask, int Ci, int T,
                              const int64_t *off, const float *w, const float *in, int64_t plane, int q, float *out,
                              int64_t ldo) {
  __m512 acc[4][24];
  for (int a = 0; a < NO; a++)
    for (int v = 0; v < NV; v++) acc[a][v] = _mm512_setzero_ps();
  const int64_t ws = (int64_t)Ci * T;
  for (int ci = 0; ci < Ci; ci++) {
    const float *base = in + ci * plane + q, *wc = w + (int64_t)ci * T;
    for (int t = 0; t < T; t++) {
      const float *p = base + off[t];
      __m512 x[24];
      for (int v = 0; v < NV; v++) x[v] = MASKED ? _mm512_maskz_loadu_ps(mask, p) : _mm512_loadu_ps(p + 16 * v);
      for (int a = 0; a < NO; a++) {
        const __m512 wv = _mm512_set1_ps(wc[a * ws + t]);
        for (int v = 0; v < NV; v++) acc[a][v] = _mm512_fmadd_ps(wv, x[v], acc[a][v]);
      }
    }
  }
  for (int a = 0; a < NO; a++)
    for (int v = 0; v < NV; v++) {
      float *dst = out + a * ldo + q + 16 * v;
      if (MASKED) _mm512_mask_storeu_ps(dst, mask, acc[a][v]);
      else _mm512_storeu_ps(dst, acc[a][v]);
    }
}

AVX512_INLINE __mmask16 lanes16(int n) { return (__mmask16)((1u << n) - 1); }

AVX512_INLINE void fwd_rows16(const int NO, int Ci, int T, const int64_t *off, const float *w, const float *in,
                              int64_t plane, int Q, float *out, int64_t ldo) {
  int q = 0;
  const int NV = NO == 1 ? 8 : 24 / NO;
  for (; q + 16 * NV <= Q; q += 16 * NV)
    fwd_tile16(NO, NO == 1 ? 8 : 24 / NO, 0, 0xffff, Ci, T, off, w, in, plane, q, out, ldo);
  for (; q + 16 <= Q; q += 16) fwd_tile16(NO, 1, 0, 0xffff, Ci, T, off, w, in, plane, q, out, ldo);
  if (q < Q) fwd_tile16(NO, 1, 1, lanes16(Q - q), Ci, T, off, w, in, plane, q, out, ldo);
}

AVX512_FN void fwd_avx512(int Co, int Ci, int T, const int64_t *off, const float *w, const float *in, int64_t plane,
                          int Q, float *out, int64_t ldo) {
  const int64_t ws = (int64_t)Ci * T;
  int o = 0;
  for (; o + 4 <= Co; o += 4) fwd_rows16(4, Ci, T, off, w + o * ws, in, plane, Q, out + o * ldo, ldo);
  switch (Co - o) {
  case 3: fwd_rows16(3, Ci, T, off, w + o * ws, in, plane, Q, out + o * ldo, ldo); break;
  case 2: fwd_rows16(2, Ci, T, off, w + o * ws, in, plane, Q, out + o * ldo, ldo); break;
  case 1: fwd_rows16(1, Ci, T, off, w + o * ws, in, plane, Q, out + o * ldo, ldo); break;
  default: break;
  }
}

/* As dw_tile, 16 lanes: NO * NT dot products, each over U interleaved
 * accumulators (NO * NT * U <= 24). */
AVX512_INLINE void dw_tile16(const int NO, const int NT, int Ci, int T, const int64_t *off, const float *dy,
                             int64_t ldd, const float *in, int Q, float *dw, int first) {
  enum { UMAX = 4 };
  const int U = NO * NT >= 12 ? 2 : 4;
  __m512 acc[4][3][UMAX];
  for (int a = 0; a < NO; a++)
    for (int b = 0; b < NT; b++)
      for (int u = 0; u < U; u++) acc[a][b][u] = _mm512_setzero_ps();
  int q = 0;
  for (; q + 16 * U <= Q; q += 16 * U)
    for (int u = 0; u < U; u++) {
      __m512 d[4], x[3];
      for (int a = 0; a < NO; a++) d[a] = _mm512_loadu_ps(dy + a * ldd + q + 16 * u);
      for (int b = 0; b < NT; b++) x[b] = _mm512_loadu_ps(in + off[b] + q + 16 * u);
      for (int a = 0; a < NO; a++)
        for (int b = 0; b < NT; b++) acc[a][b][u] = _mm512_fmadd_ps(d[a], x[b], acc[a][b][u]);
    }
  for (; q < Q; q += 16) {
    const __mmask16 m = Q - q >= 16 ? 0xffff : lanes16(Q - q);
    __m512 d[4], x[3];
    for (int a = 0; a < NO; a++) d[a] = _mm512_maskz_loadu_ps(m, dy + a * ldd + q);
    for (int b = 0; b < NT; b++) x[b] = _mm512_maskz_loadu_ps(m, in + off[b] + q);
    for (int a = 0; a < NO; a++)
      for (int b = 0; b < NT; b++) acc[a][b][0] = _mm512_fmadd_ps(d[a], x[b], acc[a][b][0]);
  }
  for (int a = 0; a < NO; a++)
    for (int b = 0; b < NT; b++) {
      for (int u = 1; u < U; u++) acc[a][b][0] = _mm512_add_ps(acc[a][b][0], acc[a][b][u]);
      float *p = dw + (int64_t)a * Ci * T + b;
      const float s = _mm512_reduce_add_ps(acc[a][b][0]);
      *p = first ? s : *p + s;
    }
}

AVX512_INLINE void dw_taps16(const int NO, int Ci, int T, const int64_t *off, const float *dy, int64_t ldd,
                             const float *in, int Q, float *dw, int first) {
  int t = 0;
  for (; t + 3 <= T; t += 3) dw_tile16(NO, 3, Ci, T, off + t, dy, ldd, in, Q, dw + t, first);
  if (T - t == 2) dw_tile16(NO, 2, Ci, T, off + t, dy, ldd, in, Q, dw + t, first);
  if (T - t == 1) dw_tile16(NO, 1, Ci, T, off + t, dy, ldd, in, Q, dw + t, first);
}

AVX512_FN void dw_avx512(int Co, int Ci, int T, const int64_t *off, const float *dy, int64_t ldd, const float *in,
                         int64_t plane, int Q, float *dw, int first) {
  const int64_t ws = (int64_t)Ci * T;
  for (int ci = 0; ci < Ci; ci++) {
    const float *src = in + ci * plane;
    int o = 0;
    for (; o + 4 <= Co; o += 4) dw_taps16(4, Ci, T, off, dy + o * ldd, ldd, src, Q, dw + o * ws + ci * T, first);
    switch (Co - o) {
    case 3: dw_taps16(3, Ci, T, off, dy + o * ldd, ldd, src, Q, dw + o * ws + ci * T, first); break;
    case 2: dw_taps16(2, Ci, T, off, dy + o * ldd, ldd, src, Q, dw + o * ws + ci * T, first); break;
    case 1: dw_taps16(1, Ci, T, off, dy + o * ldd, ldd, src, Q, dw + o * ws + ci * T, first); break;
    default: break;
    }
  }
}
#else
#define fwd_avx2 fwd_c
#define dw_avx2 dw_c
#define fwd_avx512 fwd_c
#define dw_avx512 dw_c
#endif

void VG_SFX(vg_dconv_fwd)(int Co, int Ci, int T, const int64_t *off, const vg_real *w, const vg_real *in,
                          int64_t plane, int Q, vg_real *out, int64_t ldo) {
  switch (kernel_isa()) {
  case VG_ISA_AVX512: fwd_avx512(Co, Ci, T, off, w, in, plane, Q, out, ldo); break;
  case VG_ISA_AVX2: fwd_avx2(Co, Ci, T, off, w, in, plane, Q, out, ldo); break;
  default: fwd_c(Co, Ci, T, off, w, in, plane, Q, out, ldo); break;
  }
}

void VG_SFX(vg_dconv_dw)(int Co, int Ci, int T, const int64_t *off, const vg_real *dy, int64_t ldd,
                         const vg_real *in, int64_t plane, int Q, vg_real *dw, int first) {
  switch (kernel_isa()) {
  case VG_ISA_AVX512: dw_avx512(Co, Ci, T, off, dy, ldd, in, plane, Q, dw, first); break;
  case VG_ISA_AVX2: dw_avx2(Co, Ci, T, off, dy, ldd, in, plane, Q, dw, first); break;
  default: dw_c(Co, Ci, T, off, dy, ldd, in, plane, Q, dw, first); break;
  }
}
