/* maxpool2d's common case for pool.c: 2x2 windows at stride 2 without
 * padding, one output row from input rows r0 and r1, values and argmaxes
 * (indices within the plane, from `base`, r0's first). In the AVX2 and
 * AVX-512 builds a row whose width is not a whole number of vectors (the
 * autoencoders' 14 and 7, which the compiler's loop runs mostly in its
 * scalar remainder) takes an explicit version with the tail under a mask
 * (simd_rows.h): the same picks in the same order, so the same values and
 * argmaxes. */
#ifndef VG_POOL2X2_H
#define VG_POOL2X2_H

#include "simd_rows.h"

/* The same values and argmaxes as pool.c's window_argmax, branch-free so
 * that it vectorises. Each step keeps the running max unless the new value
 * is greater or a NaN. */
static inline void pool2x2_row_loop(const vg_real *r0, const vg_real *r1, int W, int OW, int32_t base, vg_real *o,
                                    int32_t *arg) {
#pragma omp simd
  for (int ow = 0; ow < OW; ow++) {
    const vg_real a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1];
    vg_real m = a;
    int32_t i = 0;
    const int tb = b > m || b != b;
    m = tb ? b : m, i = tb ? 1 : i;
    const int tc = c > m || c != c;
    m = tc ? c : m, i = tc ? W : i;
    const int td = d > m || d != d;
    m = td ? d : m, i = td ? W + 1 : i;
    o[ow] = m;
    arg[ow] = base + 2 * ow + i;
  }
}

#if VG_ROW_LANES == 16
static inline void pool2x2_row_vec(const float *r0, const float *r1, int W, int OW, int32_t base, float *o,
                                   int32_t *arg) {
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const int32_t step[4] = {0, 1, W, W + 1};
  for (int ow = 0; ow < OW; ow += 16) {
    const int n = OW - ow < 16 ? OW - ow : 16;
    __m512 v[4];
    vg_row_pairs(r0 + 2 * ow, n, &v[0], &v[1]);
    vg_row_pairs(r1 + 2 * ow, n, &v[2], &v[3]);
    const __m512i first = _mm512_add_epi32(_mm512_set1_epi32(base + 2 * ow), _mm512_add_epi32(lane, lane));
    __m512 mx = v[0];
    __m512i ix = first;
    for (int t = 1; t < 4; t++) {
      const __mmask16 take = _mm512_cmp_ps_mask(v[t], mx, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v[t], v[t], _CMP_UNORD_Q);
      mx = _mm512_mask_mov_ps(mx, take, v[t]);
      ix = _mm512_mask_add_epi32(ix, take, first, _mm512_set1_epi32(step[t]));
    }
    _mm512_mask_storeu_ps(o + ow, vg_row_mask(n), mx);
    _mm512_mask_storeu_epi32(arg + ow, vg_row_mask(n), ix);
  }
}
#elif VG_ROW_LANES == 8
static inline void pool2x2_row_vec(const float *r0, const float *r1, int W, int OW, int32_t base, float *o,
                                   int32_t *arg) {
  const __m256i even = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
  const int32_t step[4] = {0, 1, W, W + 1};
  for (int ow = 0; ow < OW; ow += 8) {
    const int n = OW - ow < 8 ? OW - ow : 8;
    __m256 v[4];
    vg_row_pairs(r0 + 2 * ow, n, &v[0], &v[1]);
    vg_row_pairs(r1 + 2 * ow, n, &v[2], &v[3]);
    const __m256i first = _mm256_add_epi32(_mm256_set1_epi32(base + 2 * ow), even);
    __m256 mx = v[0];
    __m256i ix = first;
    for (int t = 1; t < 4; t++) {
      const __m256 take = _mm256_or_ps(_mm256_cmp_ps(v[t], mx, _CMP_GT_OQ), _mm256_cmp_ps(v[t], v[t], _CMP_UNORD_Q));
      const __m256i at = _mm256_add_epi32(first, _mm256_set1_epi32(step[t]));
      mx = _mm256_blendv_ps(mx, v[t], take);
      ix = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(ix), _mm256_castsi256_ps(at), take));
    }
    vg_row_store(o + ow, n, mx);
    vg_row_store_i32(arg + ow, n, ix);
  }
}
#endif

static inline void pool2x2_row(const vg_real *r0, const vg_real *r1, int W, int OW, int32_t base, vg_real *o,
                               int32_t *arg) {
#ifdef VG_ROW_LANES
  if (OW % VG_ROW_LANES) {
    pool2x2_row_vec(r0, r1, W, OW, base, o, arg);
    return;
  }
#endif
  pool2x2_row_loop(r0, r1, W, OW, base, o, arg);
}

#endif
