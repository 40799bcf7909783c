/* Reference double-precision GEMM: plain loops, no blocking beyond a
 * cache-friendly loop order. It is the oracle for the float kernel's tests
 * and the matmul of the double build used by gradient checks, so clarity and
 * exactness of the BLAS semantics matter more than speed.
 *
 * The inner loop always runs along a contiguous row of C, and where op(B) is
 * stored row-major it runs along a contiguous row of B too (i-k-j order).
 * For transposed B each C element is a dot product of two contiguous rows
 * (i-j-k order), which is also unit stride. */
#include "gemm.h"

#include <stddef.h>

void vg_dgemm(int transA, int transB, int M, int N, int K, double alpha, const double *A, int lda,
              const double *B, int ldb, double beta, double *C, int ldc) {
  if (M <= 0 || N <= 0) return;

  /* beta == 0 must not read C: NaN garbage there would survive 0 * NaN. */
  for (int i = 0; i < M; i++) {
    double *c = C + (ptrdiff_t)i * ldc;
    if (beta == 0.0)
      for (int j = 0; j < N; j++) c[j] = 0.0;
    else if (beta != 1.0)
      for (int j = 0; j < N; j++) c[j] *= beta;
  }
  if (K <= 0 || alpha == 0.0) return;

  for (int i = 0; i < M; i++) {
    double *c = C + (ptrdiff_t)i * ldc;
    if (!transB) {
      for (int k = 0; k < K; k++) {
        double a = transA ? A[(ptrdiff_t)k * lda + i] : A[(ptrdiff_t)i * lda + k];
        a *= alpha;
        const double *b = B + (ptrdiff_t)k * ldb;
        for (int j = 0; j < N; j++) c[j] += a * b[j];
      }
    } else {
      for (int j = 0; j < N; j++) {
        const double *b = B + (ptrdiff_t)j * ldb;
        double s = 0.0;
        if (!transA) {
          const double *a = A + (ptrdiff_t)i * lda;
          for (int k = 0; k < K; k++) s += a[k] * b[k];
        } else {
          for (int k = 0; k < K; k++) s += A[(ptrdiff_t)k * lda + i] * b[k];
        }
        c[j] += alpha * s;
      }
    }
  }
}
