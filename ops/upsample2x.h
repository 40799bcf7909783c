/* upsample's common case for pool.c: nearest, scale 2. up2_row writes the
 * two output rows of one input row; down2_row, the adjoint, gives each
 * input pixel its 2x2 block of dy, ((a + b) + c) + d in scan order, added
 * to g or (set) written over it. As in pool2x2.h, the AVX2 and AVX-512
 * builds take an explicit version with the tail under a mask
 * (simd_rows.h) when a row is not a whole number of vectors (the
 * autoencoders' rows of 4, 7 and 14): the same sums in the same order. */
#ifndef VG_UPSAMPLE2X_H
#define VG_UPSAMPLE2X_H

#include "simd_rows.h"

static inline void up2_row_loop(const vg_real *src, int W, vg_real *r0, vg_real *r1) {
#pragma omp simd
  for (int w = 0; w < W; w++) r0[2 * w] = src[w], r0[2 * w + 1] = src[w];
#pragma omp simd
  for (int w = 0; w < 2 * W; w++) r1[w] = r0[w];
}

static inline void down2_row_loop(const vg_real *d0, const vg_real *d1, int W, vg_real *g, int set) {
#pragma omp simd
  for (int w = 0; w < W; w++) g[w] = (set ? (vg_real)0 : g[w]) + (((d0[2 * w] + d0[2 * w + 1]) + d1[2 * w]) + d1[2 * w + 1]);
}

#if VG_ROW_LANES == 16
static inline void up2_row_vec(const float *src, int W, float *r0, float *r1) {
  const __m512i lo = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
  const __m512i hi = _mm512_add_epi32(lo, _mm512_set1_epi32(8));
  for (int w = 0; w < W; w += 16) {
    const int n = W - w < 16 ? W - w : 16;
    const __m512 x = _mm512_maskz_loadu_ps(vg_row_mask(n), src + w);
    const __m512 a = _mm512_permutexvar_ps(lo, x), b = _mm512_permutexvar_ps(hi, x);
    const __mmask16 ma = vg_row_mask(2 * n), mb = vg_row_mask(2 * n - 16);
    _mm512_mask_storeu_ps(r0 + 2 * w, ma, a), _mm512_mask_storeu_ps(r0 + 2 * w + 16, mb, b);
    _mm512_mask_storeu_ps(r1 + 2 * w, ma, a), _mm512_mask_storeu_ps(r1 + 2 * w + 16, mb, b);
  }
}

static inline void down2_row_vec(const float *d0, const float *d1, int W, float *g, int set) {
  for (int w = 0; w < W; w += 16) {
    const int n = W - w < 16 ? W - w : 16;
    __m512 a, b, c, d;
    vg_row_pairs(d0 + 2 * w, n, &a, &b);
    vg_row_pairs(d1 + 2 * w, n, &c, &d);
    const __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a, b), c), d);
    const __m512 old = set ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(vg_row_mask(n), g + w);
    _mm512_mask_storeu_ps(g + w, vg_row_mask(n), _mm512_add_ps(old, s));
  }
}
#elif VG_ROW_LANES == 8
static inline void up2_row_vec(const float *src, int W, float *r0, float *r1) {
  const __m256i lo = _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3), hi = _mm256_setr_epi32(4, 4, 5, 5, 6, 6, 7, 7);
  for (int w = 0; w < W; w += 8) {
    const int n = W - w < 8 ? W - w : 8;
    const __m256 x = vg_row_load(src + w, n);
    const __m256 a = _mm256_permutevar8x32_ps(x, lo), b = _mm256_permutevar8x32_ps(x, hi);
    vg_row_store(r0 + 2 * w, 2 * n, a), vg_row_store(r0 + 2 * w + 8, 2 * n - 8, b);
    vg_row_store(r1 + 2 * w, 2 * n, a), vg_row_store(r1 + 2 * w + 8, 2 * n - 8, b);
  }
}

static inline void down2_row_vec(const float *d0, const float *d1, int W, float *g, int set) {
  for (int w = 0; w < W; w += 8) {
    const int n = W - w < 8 ? W - w : 8;
    __m256 a, b, c, d;
    vg_row_pairs(d0 + 2 * w, n, &a, &b);
    vg_row_pairs(d1 + 2 * w, n, &c, &d);
    const __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a, b), c), d);
    const __m256 old = set ? _mm256_setzero_ps() : vg_row_load(g + w, n);
    vg_row_store(g + w, n, _mm256_add_ps(old, s));
  }
}
#endif

static inline void up2_row(const vg_real *src, int W, vg_real *r0, vg_real *r1) {
#ifdef VG_ROW_LANES
  if (W % VG_ROW_LANES) {
    up2_row_vec(src, W, r0, r1);
    return;
  }
#endif
  up2_row_loop(src, W, r0, r1);
}

static inline void down2_row(const vg_real *d0, const vg_real *d1, int W, vg_real *g, int set) {
#ifdef VG_ROW_LANES
  if (W % VG_ROW_LANES) {
    down2_row_vec(d0, d1, W, g, set);
    return;
  }
#endif
  down2_row_loop(d0, d1, W, g, set);
}

#endif
