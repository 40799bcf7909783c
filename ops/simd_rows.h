/* What the row kernels of pool2x2.h and upsample2x.h share, in the AVX2 and
 * AVX-512 builds of the op files (runtime/op.h compiles them once per
 * kernel path); empty in the portable and double builds. A row is worked
 * in vectors of VG_ROW_LANES, the last one under a mask, so rows a few
 * dozen values wide never fall to a scalar remainder. */
#ifndef VG_SIMD_ROWS_H
#define VG_SIMD_ROWS_H

#if !defined(VG_REAL_DOUBLE) && (defined(__AVX512F__) || defined(__AVX2__))
#include <immintrin.h>
#include <stdint.h>
#endif

#if defined(__AVX512F__) && !defined(VG_REAL_DOUBLE)
#define VG_ROW_LANES 16

/* Lanes [0, n) on; none for n <= 0, all for n >= 16. */
static inline __mmask16 vg_row_mask(int n) { return (__mmask16)(n >= 16 ? 0xffff : n <= 0 ? 0 : (1u << n) - 1); }

/* even[i] = p[2i], odd[i] = p[2i + 1] for i < n (n <= 16), 0 beyond;
 * nothing past p[2n - 1] is read. */
static inline void vg_row_pairs(const float *p, int n, __m512 *even, __m512 *odd) {
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i e = _mm512_add_epi32(lane, lane), o = _mm512_add_epi32(e, _mm512_set1_epi32(1));
  const __m512 lo = _mm512_maskz_loadu_ps(vg_row_mask(2 * n), p), hi = _mm512_maskz_loadu_ps(vg_row_mask(2 * n - 16), p + 16);
  *even = _mm512_permutex2var_ps(lo, e, hi), *odd = _mm512_permutex2var_ps(lo, o, hi);
}

#elif defined(__AVX2__) && !defined(VG_REAL_DOUBLE)
#define VG_ROW_LANES 8

static inline __m256i vg_row_mask(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* p[0, n) and zeros; a whole vector (n >= 8) by a plain load. */
static inline __m256 vg_row_load(const float *p, int n) {
  return n >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, vg_row_mask(n));
}

/* Lanes [0, n) of v to p. No vmaskmovps: AMD's Zen runs its store form in
 * microcode (4.5 ns a store on a Zen 3, against 0.6 for a plain one),
 * which made it a fifth of max-pooling's time there. A tail goes out as
 * 4, 2 and 1 values by the bits of n. */
static inline void vg_row_store(float *p, int n, __m256 v) {
  if (n >= 8) {
    _mm256_storeu_ps(p, v);
    return;
  }
  __m128 h = _mm256_castps256_ps128(v);
  if (n & 4) {
    _mm_storeu_ps(p, h);
    h = _mm256_extractf128_ps(v, 1), p += 4;
  }
  if (n & 2) {
    _mm_storel_pi((__m64 *)(void *)p, h);
    h = _mm_movehl_ps(h, h), p += 2;
  }
  if (n & 1) _mm_store_ss(p, h);
}

static inline void vg_row_store_i32(int32_t *p, int n, __m256i v) { vg_row_store((float *)(void *)p, n, _mm256_castsi256_ps(v)); }

/* As above, n <= 8: the shuffle gives [x0 x2 y0 y2 | x4 x6 y4 y6] (or the
 * odd ones), and the 64-bit permute puts them in order. */
static inline void vg_row_pairs(const float *p, int n, __m256 *even, __m256 *odd) {
  const __m256 lo = vg_row_load(p, 2 * n), hi = vg_row_load(p + 8, 2 * n - 8);
  *even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, 0x88)), 0xd8));
  *odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, 0xdd)), 0xd8));
}
#endif

#endif
