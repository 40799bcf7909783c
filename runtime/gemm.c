/* vg_sgemm: packed, cache-blocked single-precision GEMM (BLIS/GotoBLAS style).
 *
 * Loop nest (row-major C[M,N] = alpha op(A) op(B) + beta C):
 *
 *   for jc in N step NC               B panel kc x NC, packed by all threads together (L3)
 *     for pc in K step kc             kc <= KC: equal blocks, a function of K alone
 *       pack op(B)[pc:+kc, jc:+NC] into NR-wide slivers (k-major, zero padded)
 *       for ic in my rows step MC     A block MC x kc, private to each thread (L2)
 *         pack op(A)[ic:+MC, pc:+kc] into MR-tall slivers
 *         for jr in slivers           one B sliver kc x NR stays in L1
 *           for ir in MC step MR      micro-kernel: MR x NR tile of C in registers
 *
 * The micro-kernel is 6x16: 12 ymm accumulators, two B vectors and one A
 * broadcast per row per k. Edge tiles use the same code specialised on the
 * number of rows and of 8-wide column vectors, with masked loads/stores of C,
 * so no temporary tile and no access to C outside the matrix.
 *
 * Threads split C one of two ways:
 *   rows (the usual case): each thread owns a contiguous run of rows and
 *     packs its own A; the B panel is packed by all, each a run of slivers,
 *     and handed over through per-thread flags rather than a barrier, so a
 *     thread starts on its own slivers while the others finish packing. B is
 *     double buffered so the next K block can be packed while the last one
 *     is still in use.
 *   columns (when M is too small to balance, e.g. 20 rows): each thread owns
 *     whole slivers, packs only those and all of A, and never waits.
 * Either way every element of C belongs to one thread and is summed over K in
 * the same order (k within a K block, then the blocks in order) whatever the
 * thread count, so results are bit-identical at any number of threads.
 * Small products (under 2 x MIN_WORK_PER_THREAD multiply-adds) stay on one
 * thread.
 *
 * No allocation: packing buffers are static (BSS, about 18 MiB of address
 * space, touched only as far as used). vg_sgemm must not run concurrently
 * from two threads outside OpenMP. Called inside an active parallel region it
 * runs serially in a private buffer of the calling thread, split into
 * smaller A and B blocks (same K blocks, so the same bits).
 *
 * With AVX-512 the same packed slivers feed a 12x32 micro-kernel (two A
 * slivers by two B slivers), whose sums are the AVX2 kernel's, bit for bit.
 *
 * The AVX2+FMA and AVX-512 code lives in functions with target attributes,
 * so this file builds without -mavx2; the choice is isa.h's, made once at
 * run time (VAEGRAPH_ISA=avx2|portable selects an older path, as does
 * vg_isa_force, for tests). */
#if defined(__linux__) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE /* syscall() under -std=c11 */
#elif !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* sched_yield() under -std=c11 */
#endif
#include "gemm.h"
#include "isa.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#if defined(__linux__)
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#define VG_FUTEX 1
#elif defined(__unix__) || defined(__APPLE__)
#include <sched.h>
#define VG_FUTEX 0
#define VG_YIELD() sched_yield()
#else
#define VG_FUTEX 0
#define VG_YIELD() ((void)0)
#endif

#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define VG_X86 1
#include <immintrin.h>
#else
#define VG_X86 0
#endif

enum {
  MR = 6,
  NR = 16,
  /* B sliver KC x NR x 4 bytes = 25 KiB of a 32 KiB L1d. Measured on Zen 3:
   * 400 beats 256 by 3-8% on the VAE's shapes (K = 400 and 784 then take one
   * and two K blocks, so fewer passes over C and fewer hand-overs) and is
   * even on 1024^3; 512 is no better. */
  KC = 400,
  MC = 144, /* A block MC x KC x 4 bytes = 225 KiB: inside a 512 KiB L2; 72..168 measured alike */
  NC = 1024,
  MAXT = 64,      /* threads beyond this are not used */
  ABUF = MC * KC, /* floats per private A buffer (a multiple of 16: keeps 64-byte alignment) */
  /* block sizes when called inside a parallel region: A and B then share
   * the calling thread's private buffer */
  MC_NESTED = MC / 2 / MR * MR,
  NC_NESTED = MC / 2 / NR * NR,
  /* Below this many multiply-adds per thread, waking a thread costs more
   * than it saves (measured with libgomp's workers spinning: 2 threads win
   * from about 40x40x40 or 128x32x20 up). */
  MIN_WORK_PER_THREAD = 32 * 1024,
};

_Static_assert(MC % MR == 0 && MC_NESTED % MR == 0, "MC must be a multiple of MR");
_Static_assert(NC % NR == 0 && NC_NESTED % NR == 0, "NC must be a multiple of NR");
_Static_assert(NC / NR >= MAXT, "the column split gives each thread its own slivers of the B buffer");
_Static_assert(MC_NESTED * KC + NC_NESTED * KC <= ABUF, "nested blocks must fit an A buffer");

static _Alignas(64) float g_bpack[2][KC * NC];
static _Alignas(64) float g_apack[MAXT][ABUF];

/* ---------------------------------------------------------------------------
 * Kernel selection */

/* The path vg_sgemm takes: isa.h's, read at every call (it is cached
 * there), so that tests can switch paths with vg_isa_force. */
static vg_isa kernel_isa(void) {
#if VG_X86
  return vg_isa_current();
#else
  return VG_ISA_PORTABLE;
#endif
}

const char *vg_sgemm_kernel_name(void) {
  switch (kernel_isa()) {
    case VG_ISA_AVX512: return "avx512";
    case VG_ISA_AVX2: return "avx2+fma";
    default: return "portable";
  }
}

/* ---------------------------------------------------------------------------
 * Problem description shared by the threads */

typedef struct job {
  int transA, transB, M, N, K;
  float alpha, beta;
  const float *A, *B;
  float *C;
  ptrdiff_t lda, ldb, ldc;
  int kcn;      /* nominal kc: every K block but possibly the last has this size */
  int mc, nc;   /* block sizes in use */
  int avx2;   /* AVX2 packing and kernels (also under AVX-512) */
  int avx512; /* the 12x32 AVX-512 kernel */
  int nsplit;   /* 1: split columns among threads, 0: rows */
  float *bbuf[2];
  long long stamp0; /* row split: stamp of the first K step of this call */
} job;

static inline int imin(int a, int b) { return a < b ? a : b; }

/* ---------------------------------------------------------------------------
 * Portable packing and micro-kernel */

/* A sliver: out[k*MR + i] = op(A)[i0 + i][p0 + k], rows >= mr zeroed. */
static void packA_c(const job *j, int i0, int mc, int p0, int kc, float *out) {
  for (int r = 0; r < mc; r += MR, out += (ptrdiff_t)kc * MR) {
    int mr = imin(MR, mc - r);
    if (!j->transA) {
      for (int i = 0; i < mr; i++) {
        const float *src = j->A + (ptrdiff_t)(i0 + r + i) * j->lda + p0;
        for (int k = 0; k < kc; k++) out[k * MR + i] = src[k];
      }
    } else {
      for (int k = 0; k < kc; k++) {
        const float *src = j->A + (ptrdiff_t)(p0 + k) * j->lda + i0 + r;
        for (int i = 0; i < mr; i++) out[k * MR + i] = src[i];
      }
    }
    for (int k = 0; mr < MR && k < kc; k++)
      for (int i = mr; i < MR; i++) out[k * MR + i] = 0.0f;
  }
}

/* One B sliver: out[k*NR + c] = op(B)[p0 + k][j0 + c], columns >= nr zeroed. */
static void packB_sliver_c(const job *j, int j0, int nr, int p0, int kc, float *out) {
  if (!j->transB) {
    for (int k = 0; k < kc; k++) {
      const float *src = j->B + (ptrdiff_t)(p0 + k) * j->ldb + j0;
      for (int c = 0; c < nr; c++) out[k * NR + c] = src[c];
    }
  } else {
    for (int c = 0; c < nr; c++) {
      const float *src = j->B + (ptrdiff_t)(j0 + c) * j->ldb + p0;
      for (int k = 0; k < kc; k++) out[k * NR + c] = src[k];
    }
  }
  for (int k = 0; nr < NR && k < kc; k++)
    for (int c = nr; c < NR; c++) out[k * NR + c] = 0.0f;
}

static void ukr_c(int mr, int nr, int kc, const float *a, const float *b, float *c, ptrdiff_t ldc,
                  float alpha, float beta) {
  float acc[MR][NR];
  memset(acc, 0, sizeof acc);
  for (int k = 0; k < kc; k++, a += MR, b += NR)
    for (int i = 0; i < MR; i++) {
      float ai = a[i];
      for (int x = 0; x < NR; x++) acc[i][x] += ai * b[x];
    }
  for (int i = 0; i < mr; i++) {
    float *ci = c + (ptrdiff_t)i * ldc;
    if (beta == 0.0f)
      for (int x = 0; x < nr; x++) ci[x] = alpha * acc[i][x];
    else if (beta == 1.0f)
      for (int x = 0; x < nr; x++) ci[x] += alpha * acc[i][x];
    else
      for (int x = 0; x < nr; x++) ci[x] = beta * ci[x] + alpha * acc[i][x];
  }
}

/* ---------------------------------------------------------------------------
 * AVX2 + FMA packing and micro-kernel */

#if VG_X86
#define VG_AVX2 __attribute__((target("avx2,fma")))
#define VG_AVX2_INLINE static inline __attribute__((always_inline, target("avx2,fma")))

/* Transposes 8 floats from each of `rows` (6 or 8) rows, ld apart, starting
 * at r, and stores column q (element q of every row, zeros for missing rows)
 * at o + q * os. Loading rows c and c+4 into the two halves of one register
 * leaves only in-lane shuffles: packing a transposed B went from 5.3 to 7.4
 * G floats/s over the textbook 8x8 transpose with lane permutes. With 6 rows
 * (packing A, os = 6) each store also writes two zeros into the next
 * column's place, which the next store overwrites; the last is split so
 * nothing lands past o + 48. */
VG_AVX2_INLINE void transpose8(const float *r, ptrdiff_t ld, int rows, float *o, int os) {
  __m256 t[8];
  for (int c = 0; c < 4; c++) {
    const int hi = c + 4 < rows;
    const __m128 z = _mm_setzero_ps();
    t[c] = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(r + c * ld)),
                                hi ? _mm_loadu_ps(r + (c + 4) * ld) : z, 1);
    t[c + 4] = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(r + c * ld + 4)),
                                    hi ? _mm_loadu_ps(r + (c + 4) * ld + 4) : z, 1);
  }
  for (int g = 0; g < 8; g += 4) {
    const __m256 u0 = _mm256_unpacklo_ps(t[g], t[g + 1]), u1 = _mm256_unpackhi_ps(t[g], t[g + 1]);
    const __m256 u2 = _mm256_unpacklo_ps(t[g + 2], t[g + 3]), u3 = _mm256_unpackhi_ps(t[g + 2], t[g + 3]);
    float *p = o + g * os;
    _mm256_storeu_ps(p, _mm256_shuffle_ps(u0, u2, 0x44));
    _mm256_storeu_ps(p + os, _mm256_shuffle_ps(u0, u2, 0xEE));
    _mm256_storeu_ps(p + 2 * os, _mm256_shuffle_ps(u1, u3, 0x44));
    const __m256 last = _mm256_shuffle_ps(u1, u3, 0xEE);
    if (rows == 8 || g == 0) {
      _mm256_storeu_ps(p + 3 * os, last);
    } else {
      _mm_storeu_ps(p + 3 * os, _mm256_castps256_ps128(last));
      _mm_storel_pi((__m64 *)(void *)(p + 3 * os + 4), _mm256_extractf128_ps(last, 1));
    }
  }
}

static VG_AVX2 void packA_avx2(const job *j, int i0, int mc, int p0, int kc, float *out) {
  for (int r = 0; r < mc; r += MR, out += (ptrdiff_t)kc * MR) {
    int mr = imin(MR, mc - r);
    if (mr < MR) {
      packA_c(j, i0 + r, mr, p0, kc, out);
      continue;
    }
    if (j->transA) { /* the 6 values of each k are contiguous: copy 4 + 2 */
      const float *src = j->A + (ptrdiff_t)p0 * j->lda + i0 + r;
      for (int k = 0; k < kc; k++, src += j->lda) {
        const __m128 hi = _mm_loadl_pi(_mm_setzero_ps(), (const __m64 *)(const void *)(src + 4));
        _mm_storeu_ps(out + k * MR, _mm_loadu_ps(src));
        _mm_storel_pi((__m64 *)(void *)(out + k * MR + 4), hi);
      }
      continue;
    }
    const float *src = j->A + (ptrdiff_t)(i0 + r) * j->lda + p0;
    const ptrdiff_t lda = j->lda;
    int k = 0;
    for (; k + 8 <= kc; k += 8) transpose8(src + k, lda, MR, out + (ptrdiff_t)k * MR, MR);
    for (; k < kc; k++)
      for (int i = 0; i < MR; i++) out[k * MR + i] = src[i * lda + k];
  }
}

static VG_AVX2 void packB_sliver_avx2(const job *j, int j0, int nr, int p0, int kc, float *out) {
  if (nr < NR) {
    packB_sliver_c(j, j0, nr, p0, kc, out);
    return;
  }
  const ptrdiff_t ldb = j->ldb;
  if (!j->transB) {
    const float *src = j->B + (ptrdiff_t)p0 * ldb + j0;
    for (int k = 0; k < kc; k++, src += ldb) {
      /* The hardware prefetcher is slow to pick up this strided walk;
       * prefetching 8 rows ahead gained 1-2% on 128x784x400. */
      if (k + 8 < kc) {
        _mm_prefetch((const char *)(src + 8 * ldb), _MM_HINT_T0);
        _mm_prefetch((const char *)(src + 8 * ldb + 15), _MM_HINT_T0);
      }
      _mm256_store_ps(out + k * NR, _mm256_loadu_ps(src));
      _mm256_store_ps(out + k * NR + 8, _mm256_loadu_ps(src + 8));
    }
    return;
  }
  const float *src = j->B + (ptrdiff_t)j0 * ldb + p0;
  int k = 0;
  for (; k + 8 <= kc; k += 8) {
    transpose8(src + k, ldb, 8, out + k * NR, NR);
    transpose8(src + 8 * ldb + k, ldb, 8, out + k * NR + 8, NR);
  }
  for (; k < kc; k++)
    for (int c = 0; c < NR; c++) out[k * NR + c] = src[c * ldb + k];
}

/* Writes one 8-wide vector of a C row: alpha*acc (+ beta*C). n < 8 masks the
 * tail, so the kernel never touches C beyond the tile. */
VG_AVX2_INLINE void store8(float *p, __m256 acc, __m256 va, __m256 vb, int bmode, int n) {
  if (n >= 8) {
    if (bmode == 0)
      _mm256_storeu_ps(p, _mm256_mul_ps(va, acc));
    else if (bmode == 1)
      _mm256_storeu_ps(p, _mm256_fmadd_ps(va, acc, _mm256_loadu_ps(p)));
    else
      _mm256_storeu_ps(p, _mm256_fmadd_ps(va, acc, _mm256_mul_ps(vb, _mm256_loadu_ps(p))));
  } else {
    __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    __m256 r;
    if (bmode == 0)
      r = _mm256_mul_ps(va, acc);
    else if (bmode == 1)
      r = _mm256_fmadd_ps(va, acc, _mm256_maskload_ps(p, m));
    else
      r = _mm256_fmadd_ps(va, acc, _mm256_mul_ps(vb, _mm256_maskload_ps(p, m)));
    _mm256_maskstore_ps(p, m, r);
  }
}

/* The 6x16 micro-kernel, specialised at compile time on the number of rows
 * (mr) and of column vectors (nv); nr is the count of valid columns. */
VG_AVX2_INLINE void ukr_avx2_body(const int mr, const int nv, int nr, int kc, const float *a,
                                  const float *b, float *c, ptrdiff_t ldc, float alpha, float beta) {
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  __m256 b0, b1 = c00;

  /* Start fetching the C tile now: it is needed only after the k loop, and
   * C often comes from L3 (1.25 MiB for 784x400). */
  for (int i = 0; i < mr; i++) {
    _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch((const char *)(c + i * ldc + nr - 1), _MM_HINT_T0);
  }

#define VG_ROW(i)                                          \
  if (mr > i) {                                            \
    __m256 ai = _mm256_broadcast_ss(a + (i));              \
    c##i##0 = _mm256_fmadd_ps(ai, b0, c##i##0);            \
    if (nv > 1) c##i##1 = _mm256_fmadd_ps(ai, b1, c##i##1); \
  }
#define VG_STEP                             \
  b0 = _mm256_load_ps(b);                   \
  if (nv > 1) b1 = _mm256_load_ps(b + 8);   \
  VG_ROW(0) VG_ROW(1) VG_ROW(2) VG_ROW(3) VG_ROW(4) VG_ROW(5) \
  a += MR;                                  \
  b += NR;

  /* Unrolled by two only: gcc 12 spills an accumulator when unrolling by four. */
  int k = kc;
  for (; k >= 2; k -= 2) {
    VG_STEP VG_STEP
  }
  for (; k > 0; k--) {
    VG_STEP
  }
#undef VG_STEP
#undef VG_ROW

  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  const int bmode = beta == 0.0f ? 0 : beta == 1.0f ? 1 : 2;
  const int n0 = imin(nr, 8), n1 = nr - 8;
#define VG_STORE(i)                                                  \
  if (mr > i) {                                                      \
    float *ci = c + (i) * ldc;                                       \
    store8(ci, c##i##0, va, vb, bmode, n0);                          \
    if (nv > 1) store8(ci + 8, c##i##1, va, vb, bmode, n1);          \
  }
  VG_STORE(0) VG_STORE(1) VG_STORE(2) VG_STORE(3) VG_STORE(4) VG_STORE(5)
#undef VG_STORE
}

static VG_AVX2 void ukr_avx2(int mr, int nr, int kc, const float *a, const float *b, float *c,
                             ptrdiff_t ldc, float alpha, float beta) {
  if (nr > 8) {
    switch (mr) {
      case 6: ukr_avx2_body(6, 2, nr, kc, a, b, c, ldc, alpha, beta); break;
      case 5: ukr_avx2_body(5, 2, nr, kc, a, b, c, ldc, alpha, beta); break;
      case 4: ukr_avx2_body(4, 2, nr, kc, a, b, c, ldc, alpha, beta); break;
      case 3: ukr_avx2_body(3, 2, nr, kc, a, b, c, ldc, alpha, beta); break;
      case 2: ukr_avx2_body(2, 2, nr, kc, a, b, c, ldc, alpha, beta); break;
      default: ukr_avx2_body(1, 2, nr, kc, a, b, c, ldc, alpha, beta); break;
    }
  } else {
    switch (mr) {
      case 6: ukr_avx2_body(6, 1, nr, kc, a, b, c, ldc, alpha, beta); break;
      case 5: ukr_avx2_body(5, 1, nr, kc, a, b, c, ldc, alpha, beta); break;
      case 4: ukr_avx2_body(4, 1, nr, kc, a, b, c, ldc, alpha, beta); break;
      case 3: ukr_avx2_body(3, 1, nr, kc, a, b, c, ldc, alpha, beta); break;
      case 2: ukr_avx2_body(2, 1, nr, kc, a, b, c, ldc, alpha, beta); break;
      default: ukr_avx2_body(1, 1, nr, kc, a, b, c, ldc, alpha, beta); break;
    }
  }
}

/* ---------------------------------------------------------------------------
 * AVX-512 micro-kernel: 12x32, two packed A slivers (6 rows each) by two
 * packed B slivers (16 columns each), so the packing stays the AVX2 path's
 * and only the tile grows: 24 zmm accumulators, two B vectors and one A
 * broadcast, 24 FMAs to 14 loads a k step. Each element of C is still one
 * FMA chain over k in order, so this path gives the AVX2 path's bits. */

#define VG_AVX512_INLINE static inline __attribute__((always_inline, target("avx512f,avx512bw,avx512vl,avx512dq,fma")))
#define VG_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))

/* alpha*acc (+ beta*C) into the columns of mask m of one C row. */
VG_AVX512_INLINE void store16(float *p, __m512 acc, __m512 va, __m512 vb, int bmode, __mmask16 m) {
  __m512 r;
  if (bmode == 0)
    r = _mm512_mul_ps(va, acc);
  else if (bmode == 1)
    r = _mm512_fmadd_ps(va, acc, _mm512_maskz_loadu_ps(m, p));
  else
    r = _mm512_fmadd_ps(va, acc, _mm512_mul_ps(vb, _mm512_maskz_loadu_ps(m, p)));
  _mm512_mask_storeu_ps(p, m, r);
}

/* Specialised at compile time on the rows (mr, up to 12: rows 0-5 from a0,
 * 6-11 from a1) and column vectors (nv: b0, and b1 when 2); nr is the count
 * of valid columns. */
VG_AVX512_INLINE void ukr_avx512_body(const int mr, const int nv, int nr, int kc, const float *a0, const float *a1,
                                      const float *b0p, const float *b1p, float *c, ptrdiff_t ldc, float alpha,
                                      float beta) {
  const __m512 z = _mm512_setzero_ps();
  __m512 c0_0 = z, c0_1 = z, c1_0 = z, c1_1 = z, c2_0 = z, c2_1 = z, c3_0 = z, c3_1 = z;
  __m512 c4_0 = z, c4_1 = z, c5_0 = z, c5_1 = z, c6_0 = z, c6_1 = z, c7_0 = z, c7_1 = z;
  __m512 c8_0 = z, c8_1 = z, c9_0 = z, c9_1 = z, c10_0 = z, c10_1 = z, c11_0 = z, c11_1 = z;
  __m512 b0, b1 = z;
  for (int i = 0; i < mr; i++) {
    _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch((const char *)(c + i * ldc + nr - 1), _MM_HINT_T0);
  }
#define VG_ROW(i, src, o)                                     \
  if (mr > i) {                                               \
    const __m512 ai = _mm512_set1_ps((src)[o]);               \
    c##i##_0 = _mm512_fmadd_ps(ai, b0, c##i##_0);             \
    if (nv > 1) c##i##_1 = _mm512_fmadd_ps(ai, b1, c##i##_1); \
  }
#define VG_STEP                                                                                    \
  b0 = _mm512_load_ps(b0p);                                                                        \
  if (nv > 1) b1 = _mm512_load_ps(b1p);                                                            \
  VG_ROW(0, a0, 0) VG_ROW(1, a0, 1) VG_ROW(2, a0, 2) VG_ROW(3, a0, 3) VG_ROW(4, a0, 4) VG_ROW(5, a0, 5) \
  VG_ROW(6, a1, 0) VG_ROW(7, a1, 1) VG_ROW(8, a1, 2) VG_ROW(9, a1, 3) VG_ROW(10, a1, 4) VG_ROW(11, a1, 5) \
  a0 += MR;                                                                                        \
  if (mr > MR) a1 += MR;                                                                           \
  b0p += NR;                                                                                       \
  if (nv > 1) b1p += NR;
  for (int k = 0; k < kc; k++) {
    VG_STEP
  }
#undef VG_STEP
#undef VG_ROW
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  const int bmode = beta == 0.0f ? 0 : beta == 1.0f ? 1 : 2;
  const __mmask16 m0 = nr >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nr) - 1);
  const __mmask16 m1 = nr >= 32 ? (__mmask16)0xFFFF : nr > 16 ? (__mmask16)((1u << (nr - 16)) - 1) : 0;
#define VG_STORE(i)                                          \
  if (mr > i) {                                              \
    float *ci = c + (i) * ldc;                               \
    store16(ci, c##i##_0, va, vb, bmode, m0);                \
    if (nv > 1) store16(ci + 16, c##i##_1, va, vb, bmode, m1); \
  }
  VG_STORE(0) VG_STORE(1) VG_STORE(2) VG_STORE(3) VG_STORE(4) VG_STORE(5)
  VG_STORE(6) VG_STORE(7) VG_STORE(8) VG_STORE(9) VG_STORE(10) VG_STORE(11)
#undef VG_STORE
}

#define VG_UKR512(MRV)                                                                     \
  case MRV:                                                                                \
    if (nr > NR)                                                                           \
      ukr_avx512_body(MRV, 2, nr, kc, a0, a1, b0, b1, c, ldc, alpha, beta);                \
    else                                                                                   \
      ukr_avx512_body(MRV, 1, nr, kc, a0, a1, b0, b1, c, ldc, alpha, beta);                \
    break;

static VG_AVX512 void ukr_avx512(int mr, int nr, int kc, const float *a0, const float *a1, const float *b0,
                                 const float *b1, float *c, ptrdiff_t ldc, float alpha, float beta) {
  switch (mr) {
    VG_UKR512(12) VG_UKR512(11) VG_UKR512(10) VG_UKR512(9) VG_UKR512(8) VG_UKR512(7)
    VG_UKR512(6) VG_UKR512(5) VG_UKR512(4) VG_UKR512(3) VG_UKR512(2)
    default: ukr_avx512_body(1, nr > NR ? 2 : 1, nr, kc, a0, a1, b0, b1, c, ldc, alpha, beta); break;
  }
}
#undef VG_UKR512
#endif /* VG_X86 */

/* ---------------------------------------------------------------------------
 * Blocked driver */

static void packA(const job *j, int i0, int mc, int p0, int kc, float *out) {
#if VG_X86
  if (j->avx2) {
    packA_avx2(j, i0, mc, p0, kc, out);
    return;
  }
#endif
  packA_c(j, i0, mc, p0, kc, out);
}

/* Packs slivers [s0, s1) of the panel whose first column is jc. Slivers sit
 * KC*NR apart whatever this block's kc: with the column split, threads move
 * to the next (possibly shorter) K block at different times, and a kc-based
 * stride would shift one thread's slivers onto another's still in use. */
static void packB(const job *j, int jc, int s0, int s1, int p0, int kc, float *bp) {
  for (int s = s0; s < s1; s++) {
    int j0 = jc + s * NR, nr = imin(NR, j->N - j0);
    float *out = bp + (ptrdiff_t)s * KC * NR;
#if VG_X86
    if (j->avx2) {
      packB_sliver_avx2(j, j0, nr, p0, kc, out);
      continue;
    }
#endif
    packB_sliver_c(j, j0, nr, p0, kc, out);
  }
}

/* Multiplies a packed A block (rows ic..ic+mc) by B slivers [s0, s1). */
static void macro_kernel(const job *j, const float *ap, const float *bp, int ic, int mc, int jc,
                         int s0, int s1, int kc, float beta) {
#if VG_X86
  if (j->avx512) { /* two slivers and two A slivers a tile */
    for (int s = s0; s < s1; s += 2) {
      const int j0 = jc + s * NR, nr = imin(s + 1 < s1 ? 2 * NR : NR, j->N - j0);
      const float *b0 = bp + (ptrdiff_t)s * KC * NR, *b1 = b0 + (ptrdiff_t)KC * NR;
      for (int r = 0; r < mc; r += 2 * MR) {
        const int mr = imin(2 * MR, mc - r);
        const float *a0 = ap + (ptrdiff_t)r * kc, *a1 = a0 + (ptrdiff_t)MR * kc;
        ukr_avx512(mr, nr, kc, a0, a1, b0, b1, j->C + (ptrdiff_t)(ic + r) * j->ldc + j0, j->ldc, j->alpha, beta);
      }
    }
    return;
  }
#endif
  for (int s = s0; s < s1; s++) {
    int j0 = jc + s * NR, nr = imin(NR, j->N - j0);
    const float *bs = bp + (ptrdiff_t)s * KC * NR;
    for (int r = 0; r < mc; r += MR) {
      int mr = imin(MR, mc - r);
      const float *as = ap + (ptrdiff_t)r * kc;
      float *c = j->C + (ptrdiff_t)(ic + r) * j->ldc + j0;
#if VG_X86
      if (j->avx2) {
        ukr_avx2(mr, nr, kc, as, bs, c, j->ldc, j->alpha, beta);
        continue;
      }
#endif
      ukr_c(mr, nr, kc, as, bs, c, j->ldc, j->alpha, beta);
    }
  }
}

static void split_range(int n, int nt, int t, int *lo, int *hi) {
  *lo = (int)((long long)n * t / nt);
  *hi = (int)((long long)n * (t + 1) / nt);
}

/* Point-to-point hand-over of B slivers between the threads of the row
 * split, instead of a barrier: a thread starts on the slivers it packed
 * itself and only then needs the others', which are usually ready by then.
 * Stamps grow across calls (one per K step), so no reset is needed; a flag
 * keeps their low 32 bits, compared by wrapping difference. One cache line
 * per flag: each is written by one thread and polled by the others. */
typedef struct flag {
  unsigned seq;     /* the stamp's low 32 bits; the futex word */
  unsigned waiters; /* threads asleep on seq */
  char pad[64 - 2 * sizeof(unsigned)];
} flag;
static _Alignas(64) flag g_packed[MAXT]; /* last step whose B slivers thread t packed */
static _Alignas(64) flag g_used[MAXT];   /* last step thread t finished computing */
static long long g_stamp;                /* last stamp handed out */

static int reached(unsigned seq, long long v) { return (int)(seq - (unsigned)v) >= 0; }

static void publish(flag *f, long long v) {
  __atomic_store_n(&f->seq, (unsigned)v, __ATOMIC_SEQ_CST);
#if VG_FUTEX
  if (__atomic_load_n(&f->waiters, __ATOMIC_SEQ_CST))
    syscall(SYS_futex, &f->seq, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
#endif
}

/* Waits until f reaches stamp v. Waits are normally a few microseconds, so
 * spin first (about 50 us); then sleep on a futex, as libgomp's barriers
 * do, so that on a busy machine the core goes to whoever can use it.
 * (Yielding in a loop instead was measured, with another 2-thread program
 * on the 2-core machine, to make some products wait whole scheduler slices:
 * 7 ms each.) The timeout is only a safety net. */
static void wait_for(flag *f, long long v) {
  for (int spins = 0; spins < 2000; spins++) {
    if (reached(__atomic_load_n(&f->seq, __ATOMIC_ACQUIRE), v)) return;
#if VG_X86
    _mm_pause();
#endif
  }
#if VG_FUTEX
  /* The publisher stores seq, then reads waiters; we count ourselves in,
   * then read seq: one of us sees the other, and FUTEX_WAIT returns at
   * once if seq changed after we read it. */
  __atomic_add_fetch(&f->waiters, 1, __ATOMIC_SEQ_CST);
  for (;;) {
    const unsigned cur = __atomic_load_n(&f->seq, __ATOMIC_SEQ_CST);
    if (reached(cur, v)) break;
    const struct timespec timeout = {0, 10 * 1000 * 1000};
    syscall(SYS_futex, &f->seq, FUTEX_WAIT_PRIVATE, cur, &timeout, NULL, 0);
  }
  __atomic_sub_fetch(&f->waiters, 1, __ATOMIC_SEQ_CST);
#else
  while (!reached(__atomic_load_n(&f->seq, __ATOMIC_ACQUIRE), v)) VG_YIELD();
#endif
}

/* Column split: this thread owns whole slivers [s0, s1) of C's columns and
 * packs them into its own stretch of the B buffer, a chunk at a time, so no
 * other thread ever touches them and no barrier is needed. It packs all of A. */
static void worker_cols(const job *j, int t, int nt, float *abuf) {
  const int M = j->M, K = j->K, per = j->nc / NR / nt;
  int s0, s1;
  split_range((j->N + NR - 1) / NR, nt, t, &s0, &s1);
  float *bp = j->bbuf[0] + (ptrdiff_t)t * per * KC * NR;
  for (int sc = s0; sc < s1; sc += per) {
    const int jc = sc * NR, ns = imin(per, s1 - sc);
    for (int pc = 0; pc < K; pc += j->kcn) {
      const int kc = imin(j->kcn, K - pc);
      const float beta = pc == 0 ? j->beta : 1.0f;
      packB(j, jc, 0, ns, pc, kc, bp);
      for (int ic = 0; ic < M; ic += j->mc) {
        const int mc = imin(j->mc, M - ic);
        packA(j, ic, mc, pc, kc, abuf);
        macro_kernel(j, abuf, bp, ic, mc, jc, 0, ns, kc, beta);
      }
    }
  }
}

/* Row split: this thread owns rows [row0, row1) and packs its own A; the B
 * panel is packed by all threads together, each a contiguous run of slivers,
 * handed over through g_packed. The rows need not start on a multiple of MR:
 * an element's arithmetic is the same in a tile of any height, so an even
 * split (128 rows: 64 + 64, not 66 + 62) keeps results bit-identical and
 * balances better. */
static void worker_rows(const job *j, int t, int nt, float *abuf) {
  const int M = j->M, N = j->N, K = j->K;
  int row0, row1;
  split_range(M, nt, t, &row0, &row1);
  int step = 0;
  for (int jc = 0; jc < N; jc += j->nc) {
    const int nc = imin(j->nc, N - jc), ns = (nc + NR - 1) / NR;
    for (int pc = 0; pc < K; pc += j->kcn, step++) {
      const int kc = imin(j->kcn, K - pc);
      const float beta = pc == 0 ? j->beta : 1.0f;
      const long long stamp = j->stamp0 + step;
      float *bp = j->bbuf[step & 1];
      /* B is double buffered: this buffer was last read two steps ago, and
       * everyone must be done with that step before it is overwritten. */
      if (step >= 2)
        for (int u = 0; u < nt; u++)
          if (u != t) wait_for(&g_used[u], stamp - 2);
      int s0, s1;
      split_range(ns, nt, t, &s0, &s1);
      packB(j, jc, s0, s1, pc, kc, bp);
      if (nt > 1) publish(&g_packed[t], stamp);
      for (int ic = row0; ic < row1; ic += j->mc) {
        const int mc = imin(j->mc, row1 - ic);
        packA(j, ic, mc, pc, kc, abuf);
        /* Own slivers first, then the next threads' in turn. */
        for (int q = 0; q < nt; q++) {
          const int u = (t + q) % nt;
          int a, b;
          split_range(ns, nt, u, &a, &b);
          if (a == b) continue;
          if (q > 0 && ic == row0) wait_for(&g_packed[u], stamp);
          macro_kernel(j, abuf, bp, ic, mc, jc, a, b, kc, beta);
        }
      }
      if (nt > 1) publish(&g_used[t], stamp);
    }
  }
}

static void worker(const job *j, int t, int nt, float *abuf) {
  if (j->nsplit)
    worker_cols(j, t, nt, abuf);
  else
    worker_rows(j, t, nt, abuf);
}

/* Time to run `rows` rows through the micro-kernel, in full 6-row tiles: a
 * tile of r < 6 rows has 2r independent FMA chains, too few to hide the
 * 4-cycle FMA latency below r = 4, so it costs max(r, 4) / 6 of a full one. */
static double rows_cost(int rows) {
  const int r = rows % MR;
  return rows / MR + (r ? (r < 4 ? 4 : r) / (double)MR : 0.0);
}

/* C = beta * C, never reading C when beta == 0. */
static void scale_c(int M, int N, float beta, float *C, int ldc) {
  for (int i = 0; i < M; i++) {
    float *c = C + (ptrdiff_t)i * ldc;
    if (beta == 0.0f)
      memset(c, 0, (size_t)N * sizeof *c);
    else if (beta != 1.0f)
      for (int x = 0; x < N; x++) c[x] *= beta;
  }
}

/* For nested calls from threads beyond MAXT, which have no buffer of their
 * own: slow but needs no memory. Its rounding differs from the blocked
 * path's, so such calls are not bit-identical to others. */
static void gemm_unpacked(const job *j) {
  scale_c(j->M, j->N, j->beta, j->C, (int)j->ldc);
  for (int i = 0; i < j->M; i++) {
    float *c = j->C + (ptrdiff_t)i * j->ldc;
    for (int k = 0; k < j->K; k++) {
      float a = j->alpha * (j->transA ? j->A[(ptrdiff_t)k * j->lda + i] : j->A[(ptrdiff_t)i * j->lda + k]);
      for (int x = 0; x < j->N; x++)
        c[x] += a * (j->transB ? j->B[(ptrdiff_t)x * j->ldb + k] : j->B[(ptrdiff_t)k * j->ldb + x]);
    }
  }
}

#ifdef _OPENMP
/* A buffer slot unique to the calling thread among all threads of all
 * enclosing teams (thread numbers alone repeat across nested teams), or -1
 * when beyond MAXT. */
static int nested_slot(void) {
  long long id = 0;
  for (int l = 1, levels = omp_get_level(); l <= levels; l++) {
    id = id * omp_get_team_size(l) + omp_get_ancestor_thread_num(l);
    if (id >= MAXT) return -1;
  }
  return (int)id;
}
#endif

void vg_sgemm(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
              const float *B, int ldb, float beta, float *C, int ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0.0f) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  const vg_isa isa = kernel_isa();
  job j = {
      .transA = transA != 0, .transB = transB != 0, .M = M, .N = N, .K = K,
      .alpha = alpha, .beta = beta, .A = A, .B = B, .C = C,
      .lda = lda, .ldb = ldb, .ldc = ldc,
      .mc = MC, .nc = NC,
      .avx2 = isa >= VG_ISA_AVX2,
      .avx512 = isa >= VG_ISA_AVX512,
  };
  /* Equal K blocks of at most KC; a function of K alone, so the summation
   * order is the same for any thread count. */
  const int nkb = (K + KC - 1) / KC;
  j.kcn = (K + nkb - 1) / nkb;

  int nested = 0, me = 0, nt = 1;
#ifdef _OPENMP
  nested = omp_in_parallel();
  if (nested) me = nested_slot();
  else nt = imin(omp_get_max_threads(), MAXT);
#endif
  if (nested) {
    if (me < 0) {
      gemm_unpacked(&j);
      return;
    }
    j.mc = MC_NESTED;
    j.nc = NC_NESTED;
    j.nsplit = 1;
    j.bbuf[0] = j.bbuf[1] = g_apack[me] + MC_NESTED * KC;
    worker(&j, 0, 1, g_apack[me]);
    return;
  }

  const int tm = (M + MR - 1) / MR, tn = (N + NR - 1) / NR;
  const double work = (double)M * N * K;
  if (nt > 1 && work / nt < MIN_WORK_PER_THREAD) nt = (int)(work / MIN_WORK_PER_THREAD);
  if (nt > (long long)tm * tn) nt = (int)((long long)tm * tn);
  if (nt < 1) nt = 1;
  /* Rows unless splitting columns gives the busiest thread less work
   * (columns make every thread pack all of A). */
  const double loadm = rows_cost((M + nt - 1) / nt) * tn, loadn = rows_cost(M) * ((tn + nt - 1) / nt);
  j.nsplit = nt > 1 && loadn < loadm;
  j.bbuf[0] = g_bpack[0];
  j.bbuf[1] = g_bpack[1];
  j.stamp0 = g_stamp + 1;
  g_stamp += (long long)((N + NC - 1) / NC) * nkb;

  if (nt == 1) {
    worker(&j, 0, 1, g_apack[0]);
    return;
  }
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
  {
    const int t = omp_get_thread_num(), n = omp_get_num_threads();
    /* The runtime may give fewer threads than asked; the split follows n. */
    worker(&j, t, n, g_apack[t]);
  }
#endif
}
