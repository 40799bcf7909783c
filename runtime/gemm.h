/* Matrix multiply, row-major:
 *   C[M,N] = alpha * op(A) * op(B) + beta * C
 * op(A) is A[M,K] (lda >= K) or, transposed, A is stored [K,M] (lda >= M);
 * op(B) is B[K,N] (ldb >= N) or, transposed, B is stored [N,K] (ldb >= K).
 * beta == 0 overwrites C without reading it (NaNs in C do not leak through).
 *
 * Every element of C is written by one thread and summed over K in an order
 * that does not depend on the thread count, so results are bit-identical at
 * any number of threads. No allocation: packing buffers are static. */
#ifndef VG_GEMM_H
#define VG_GEMM_H

void vg_sgemm(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
              const float *B, int ldb, float beta, float *C, int ldc);

/* The same in double with plain loops: the reference for tests and the
 * double build of the ops used by gradient checks. */
void vg_dgemm(int transA, int transB, int M, int N, int K, double alpha, const double *A, int lda,
              const double *B, int ldb, double beta, double *C, int ldc);

/* Which micro-kernel vg_sgemm uses (isa.h's path): "avx512", "avx2+fma" or
 * "portable". */
const char *vg_sgemm_kernel_name(void);

#endif
