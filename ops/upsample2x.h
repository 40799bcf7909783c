/* upsample's common case for pool.c: nearest, scale 2. up2_row writes the
 * two output rows of one input row; down2_row_add, the adjoint, adds each
 * 2x2 block of dy to its input pixel, ((a + b) + c) + d in scan order. As
 * in pool2x2.h, the AVX2 and AVX-512 builds take an explicit version with
 * the tail under a mask when a row is not a whole number of vectors (the
 * autoencoders' rows of 4, 7 and 14): the same sums in the same order. */
#ifndef VG_UPSAMPLE2X_H
#define VG_UPSAMPLE2X_H

static inline void up2_row_loop(const vg_real *src, int W, vg_real *r0, vg_real *r1) {
#pragma omp simd
  for (int w = 0; w < W; w++) r0[2 * w] = src[w], r0[2 * w + 1] = src[w];
#pragma omp simd
  for (int w = 0; w < 2 * W; w++) r1[w] = r0[w];
}

static inline void down2_row_add_loop(const vg_real *d0, const vg_real *d1, int W, vg_real *g) {
#pragma omp simd
  for (int w = 0; w < W; w++) g[w] += ((d0[2 * w] + d0[2 * w + 1]) + d1[2 * w]) + d1[2 * w + 1];
}

#if !defined(VG_REAL_DOUBLE) && (defined(__AVX512F__) || defined(__AVX2__))
#include <immintrin.h>
#endif

#if defined(__AVX512F__) && !defined(VG_REAL_DOUBLE)
#define UP2_LANES 16
static inline __mmask16 up2_mask(int n) { return (__mmask16)(n >= 16 ? 0xffff : n <= 0 ? 0 : (1u << n) - 1); }

static inline void up2_row_vec(const float *src, int W, float *r0, float *r1) {
  const __m512i lo = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
  const __m512i hi = _mm512_add_epi32(lo, _mm512_set1_epi32(8));
  for (int w = 0; w < W; w += 16) {
    const int n = W - w < 16 ? W - w : 16;
    const __m512 x = _mm512_maskz_loadu_ps(up2_mask(n), src + w);
    const __m512 a = _mm512_permutexvar_ps(lo, x), b = _mm512_permutexvar_ps(hi, x);
    const __mmask16 ma = up2_mask(2 * n), mb = up2_mask(2 * n - 16);
    _mm512_mask_storeu_ps(r0 + 2 * w, ma, a), _mm512_mask_storeu_ps(r0 + 2 * w + 16, mb, b);
    _mm512_mask_storeu_ps(r1 + 2 * w, ma, a), _mm512_mask_storeu_ps(r1 + 2 * w + 16, mb, b);
  }
}

static inline void down2_row_add_vec(const float *d0, const float *d1, int W, float *g) {
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i even = _mm512_add_epi32(lane, lane), odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  for (int w = 0; w < W; w += 16) {
    const int n = W - w < 16 ? W - w : 16;
    const __mmask16 m = up2_mask(n), lo = up2_mask(2 * n), hi = up2_mask(2 * n - 16);
    const __m512 a0 = _mm512_maskz_loadu_ps(lo, d0 + 2 * w), a1 = _mm512_maskz_loadu_ps(hi, d0 + 2 * w + 16);
    const __m512 c0 = _mm512_maskz_loadu_ps(lo, d1 + 2 * w), c1 = _mm512_maskz_loadu_ps(hi, d1 + 2 * w + 16);
    __m512 s = _mm512_add_ps(_mm512_permutex2var_ps(a0, even, a1), _mm512_permutex2var_ps(a0, odd, a1));
    s = _mm512_add_ps(s, _mm512_permutex2var_ps(c0, even, c1));
    s = _mm512_add_ps(s, _mm512_permutex2var_ps(c0, odd, c1));
    _mm512_mask_storeu_ps(g + w, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, g + w), s));
  }
}
#elif defined(__AVX2__) && !defined(VG_REAL_DOUBLE)
#define UP2_LANES 8
static inline __m256i up2_mask(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

static inline void up2_row_vec(const float *src, int W, float *r0, float *r1) {
  const __m256i lo = _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3), hi = _mm256_setr_epi32(4, 4, 5, 5, 6, 6, 7, 7);
  for (int w = 0; w < W; w += 8) {
    const int n = W - w < 8 ? W - w : 8;
    const __m256 x = _mm256_maskload_ps(src + w, up2_mask(n));
    const __m256 a = _mm256_permutevar8x32_ps(x, lo), b = _mm256_permutevar8x32_ps(x, hi);
    const __m256i ma = up2_mask(2 * n), mb = up2_mask(2 * n - 8);
    _mm256_maskstore_ps(r0 + 2 * w, ma, a), _mm256_maskstore_ps(r0 + 2 * w + 8, mb, b);
    _mm256_maskstore_ps(r1 + 2 * w, ma, a), _mm256_maskstore_ps(r1 + 2 * w + 8, mb, b);
  }
}

/* The even (0x88) or odd (0xdd) elements of x then y, in order. */
#define UP2_DEAL(x, y, sel) \
  _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(x, y, sel)), 0xd8))
static inline void down2_row_add_vec(const float *d0, const float *d1, int W, float *g) {
  for (int w = 0; w < W; w += 8) {
    const int n = W - w < 8 ? W - w : 8;
    const __m256i m = up2_mask(n), lo = up2_mask(2 * n), hi = up2_mask(2 * n - 8);
    const __m256 a0 = _mm256_maskload_ps(d0 + 2 * w, lo), a1 = _mm256_maskload_ps(d0 + 2 * w + 8, hi);
    const __m256 c0 = _mm256_maskload_ps(d1 + 2 * w, lo), c1 = _mm256_maskload_ps(d1 + 2 * w + 8, hi);
    __m256 s = _mm256_add_ps(UP2_DEAL(a0, a1, 0x88), UP2_DEAL(a0, a1, 0xdd));
    s = _mm256_add_ps(s, UP2_DEAL(c0, c1, 0x88));
    s = _mm256_add_ps(s, UP2_DEAL(c0, c1, 0xdd));
    _mm256_maskstore_ps(g + w, m, _mm256_add_ps(_mm256_maskload_ps(g + w, m), s));
  }
}
#undef UP2_DEAL
#endif

static inline void up2_row(const vg_real *src, int W, vg_real *r0, vg_real *r1) {
#ifdef UP2_LANES
  if (W % UP2_LANES) {
    up2_row_vec(src, W, r0, r1);
    return;
  }
#endif
  up2_row_loop(src, W, r0, r1);
}

static inline void down2_row_add(const vg_real *d0, const vg_real *d1, int W, vg_real *g) {
#ifdef UP2_LANES
  if (W % UP2_LANES) {
    down2_row_add_vec(d0, d1, W, g);
    return;
  }
#endif
  down2_row_add_loop(d0, d1, W, g);
}

#endif
