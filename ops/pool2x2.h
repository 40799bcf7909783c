/* maxpool2d's common case for pool.c: 2x2 windows at stride 2 without
 * padding, one output row from input rows r0 and r1, values and argmaxes
 * (indices within the plane, from `base`, r0's first). The op file is
 * compiled once per kernel path (runtime/op.h); in the AVX2 and AVX-512
 * builds a row whose width is not a whole number of vectors (the
 * autoencoders' 14 and 7, which the compiler's loop runs mostly in its
 * scalar remainder) takes an explicit version with the tail under a mask:
 * the same picks in the same order, so the same values and argmaxes. */
#ifndef VG_POOL2X2_H
#define VG_POOL2X2_H

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

#if !defined(VG_REAL_DOUBLE) && (defined(__AVX512F__) || defined(__AVX2__))
#include <immintrin.h>
#endif

#if defined(__AVX512F__) && !defined(VG_REAL_DOUBLE)
#define POOL2X2_LANES 16
static inline void pool2x2_row_vec(const float *r0, const float *r1, int W, int OW, int32_t base, float *o,
                                   int32_t *arg) {
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i even = _mm512_add_epi32(lane, lane), odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  for (int ow = 0; ow < OW; ow += 16) {
    const int n = OW - ow < 16 ? OW - ow : 16, n2 = 2 * n;
    const __mmask16 m = (__mmask16)((1u << n) - 1), lo = (__mmask16)(n2 >= 16 ? 0xffff : (1u << n2) - 1),
                    hi = (__mmask16)(n2 > 16 ? (1u << (n2 - 16)) - 1 : 0);
    const __m512 a0 = _mm512_maskz_loadu_ps(lo, r0 + 2 * ow), a1 = _mm512_maskz_loadu_ps(hi, r0 + 2 * ow + 16);
    const __m512 c0 = _mm512_maskz_loadu_ps(lo, r1 + 2 * ow), c1 = _mm512_maskz_loadu_ps(hi, r1 + 2 * ow + 16);
    const __m512 v[4] = {_mm512_permutex2var_ps(a0, even, a1), _mm512_permutex2var_ps(a0, odd, a1),
                         _mm512_permutex2var_ps(c0, even, c1), _mm512_permutex2var_ps(c0, odd, c1)};
    const int32_t step[4] = {0, 1, W, W + 1};
    const __m512i first = _mm512_add_epi32(_mm512_set1_epi32(base + 2 * ow), even);
    __m512 mx = v[0];
    __m512i ix = first;
    for (int t = 1; t < 4; t++) {
      const __mmask16 take = _mm512_cmp_ps_mask(v[t], mx, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v[t], v[t], _CMP_UNORD_Q);
      mx = _mm512_mask_mov_ps(mx, take, v[t]);
      ix = _mm512_mask_add_epi32(ix, take, first, _mm512_set1_epi32(step[t]));
    }
    _mm512_mask_storeu_ps(o + ow, m, mx);
    _mm512_mask_storeu_epi32(arg + ow, m, ix);
  }
}
#elif defined(__AVX2__) && !defined(VG_REAL_DOUBLE)
#define POOL2X2_LANES 8
static inline __m256i pool2x2_lanes(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
/* The even (or, with 0xdd, odd) elements of x then y: shuffle gives
 * [x0 x2 y0 y2 | x4 x6 y4 y6], and the 64-bit permute puts them in order. */
#define POOL2X2_DEAL(x, y, sel) \
  _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(x, y, sel)), 0xd8))
static inline void pool2x2_row_vec(const float *r0, const float *r1, int W, int OW, int32_t base, float *o,
                                   int32_t *arg) {
  const __m256i even = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
  for (int ow = 0; ow < OW; ow += 8) {
    const int n = OW - ow < 8 ? OW - ow : 8;
    const __m256i m = pool2x2_lanes(n), lo = pool2x2_lanes(2 * n), hi = pool2x2_lanes(2 * n - 8);
    const __m256 a0 = _mm256_maskload_ps(r0 + 2 * ow, lo), a1 = _mm256_maskload_ps(r0 + 2 * ow + 8, hi);
    const __m256 c0 = _mm256_maskload_ps(r1 + 2 * ow, lo), c1 = _mm256_maskload_ps(r1 + 2 * ow + 8, hi);
    const __m256 v[4] = {POOL2X2_DEAL(a0, a1, 0x88), POOL2X2_DEAL(a0, a1, 0xdd), POOL2X2_DEAL(c0, c1, 0x88),
                         POOL2X2_DEAL(c0, c1, 0xdd)};
    const int32_t step[4] = {0, 1, W, W + 1};
    const __m256i first = _mm256_add_epi32(_mm256_set1_epi32(base + 2 * ow), even);
    __m256 mx = v[0];
    __m256i ix = first;
    for (int t = 1; t < 4; t++) {
      const __m256 take = _mm256_or_ps(_mm256_cmp_ps(v[t], mx, _CMP_GT_OQ), _mm256_cmp_ps(v[t], v[t], _CMP_UNORD_Q));
      const __m256i at = _mm256_add_epi32(first, _mm256_set1_epi32(step[t]));
      mx = _mm256_blendv_ps(mx, v[t], take);
      ix = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(ix), _mm256_castsi256_ps(at), take));
    }
    _mm256_maskstore_ps(o + ow, m, mx);
    _mm256_maskstore_epi32(arg + ow, m, ix);
  }
}
#undef POOL2X2_DEAL
#endif

static inline void pool2x2_row(const vg_real *r0, const vg_real *r1, int W, int OW, int32_t base, vg_real *o,
                               int32_t *arg) {
#ifdef POOL2X2_LANES
  if (OW % POOL2X2_LANES) {
    pool2x2_row_vec(r0, r1, W, OW, base, o, arg);
    return;
  }
#endif
  pool2x2_row_loop(r0, r1, W, OW, base, o, arg);
}

#endif
