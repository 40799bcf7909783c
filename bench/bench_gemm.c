/* Benchmark: vg_sgemm against OpenBLAS cblas_sgemm on the VAE's shapes and
 * on 1024^3, same transposes, sizes and beta.
 *
 *   OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 ./bench_gemm [min_ms] [rounds] [only]
 *
 * vaegraph uses omp_get_max_threads() threads. Each measurement repeats the
 * product until at least min_ms (default 50) have passed and reports the mean
 * time per product. The two libraries are measured as a pair, one right
 * after the other (which goes first alternates), for `rounds` rounds
 * (default 7) over all shapes; the table gives each library's best rate
 * (its peak, which bench/all.sh takes as the FLOP-bound limit) and the
 * median of the pairs' ratios. This machine's speed drifts by tens
 * of percent over minutes: a ratio of two runs seconds apart is a fair
 * comparison, a ratio of two best-ofs taken at different times is not.
 * Before each measurement the product runs
 * untimed for 200 ms, so the spinning worker threads of the other library
 * have gone to sleep and the cores are up to speed. The whole run takes about
 * half a minute. `only` keeps the shapes whose layer name contains it
 * ("aae"), for many rounds of a few shapes while tuning.
 *
 * Every shape is also checked against OpenBLAS; a wrong result makes the exit
 * status non-zero. A low speed ratio does not: the goal (ratio >= 0.9) is
 * judged from the table. */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gemm.h"

typedef struct shape {
  const char *what;
  int transA, transB, M, K, N; /* C[M,N] = op(A)[M,K] op(B)[K,N] */
  float beta;
} shape;

/* For each linear layer y[M,N] = x[M,K] W^T with W stored [N,K]:
 * forward NT, dX = dY W (NN, inner size N), dW += dY^T X (TN, inner size M). */
static const shape shapes[] = {
    {"fwd", 0, 1, 128, 784, 400, 0.0f},
    {"fwd", 0, 1, 128, 400, 784, 0.0f},
    {"fwd", 0, 1, 128, 400, 20, 0.0f},
    {"dX", 0, 0, 128, 400, 784, 0.0f},
    {"dX", 0, 0, 128, 784, 400, 0.0f},
    {"dX", 0, 0, 128, 20, 400, 0.0f},
    {"dW", 1, 0, 400, 128, 784, 1.0f},
    {"dW", 1, 0, 784, 128, 400, 1.0f},
    {"dW", 1, 0, 20, 128, 400, 1.0f},
    /* the adversarial autoencoder's 1000-wide layers at batch 256 */
    {"aae fwd", 0, 1, 256, 1000, 1000, 0.0f},
    {"aae dX", 0, 0, 256, 1000, 1000, 0.0f},
    {"aae dW", 1, 0, 1000, 1000, 256, 1.0f},
    {"square", 0, 0, 1024, 1024, 1024, 0.0f},
};

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct problem {
  const shape *s;
  const float *A, *B;
  float *C;
  int lda, ldb, ldc;
} problem;

static void run(const problem *p, int lib) {
  const shape *s = p->s;
  if (lib == 0)
    vg_sgemm(s->transA, s->transB, s->M, s->N, s->K, 1.0f, p->A, p->lda, p->B, p->ldb, s->beta, p->C,
             p->ldc);
  else
    cblas_sgemm(CblasRowMajor, s->transA ? CblasTrans : CblasNoTrans, s->transB ? CblasTrans : CblasNoTrans,
                s->M, s->N, s->K, 1.0f, p->A, p->lda, p->B, p->ldb, s->beta, p->C, p->ldc);
}

/* Mean seconds per product over a run of at least min_s. */
static double time_one(const problem *p, int lib, double min_s) {
  long reps = 0;
  double t0 = now(), t;
  do {
    run(p, lib);
    reps++;
    t = now() - t0;
  } while (t < min_s);
  return t / (double)reps;
}

static float frand(unsigned *state) {
  *state = *state * 1664525u + 1013904223u;
  return (float)((*state >> 8) & 0xFFFF) / 32768.0f - 1.0f;
}

enum { NSHAPES = sizeof shapes / sizeof shapes[0], MAX_ROUNDS = 31 };

static int by_value(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The median of v[0..n), n <= MAX_ROUNDS; v is left as it was. */
static double median(const double *v, int n) {
  double s[MAX_ROUNDS];
  memcpy(s, v, (size_t)n * sizeof *s);
  qsort(s, (size_t)n, sizeof *s, by_value);
  return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

int main(int argc, char **argv) {
  double min_s = (argc > 1 ? atof(argv[1]) : 50.0) * 1e-3;
  int rounds = argc > 2 ? atoi(argv[2]) : 7;
  if (min_s <= 0) min_s = 0.05;
  if (rounds < 1) rounds = 1;
  if (rounds > MAX_ROUNDS) rounds = MAX_ROUNDS;
  const char *only = argc > 3 ? argv[3] : "";

  const char *e1 = getenv("OMP_NUM_THREADS"), *e2 = getenv("OPENBLAS_NUM_THREADS");
  printf("OMP_NUM_THREADS=%s OPENBLAS_NUM_THREADS=%s (set both; vaegraph uses %d threads)\n",
         e1 ? e1 : "(unset)", e2 ? e2 : "(unset)", omp_get_max_threads());
#ifdef OPENBLAS_VERSION
  /* OpenBLAS picks its kernel by CPU model and may take a new CPU for an
   * old one; OPENBLAS_CORETYPE (bench/openblas_core.sh) overrides it. */
  const char *core = getenv("OPENBLAS_CORETYPE");
  printf("vaegraph kernel: %s; reference:%s, kernel %s (OPENBLAS_CORETYPE=%s)\n", vg_sgemm_kernel_name(),
         OPENBLAS_VERSION, openblas_get_corename(), core ? core : "unset: its own guess");
#else
  printf("vaegraph kernel: %s; reference: cblas\n", vg_sgemm_kernel_name());
#endif

  problem pv[NSHAPES], po[NSHAPES];
  double maxerr[NSHAPES];
  int failed = 0;
  unsigned seed = 12345;
  for (int si = 0; si < NSHAPES; si++) {
    const shape *s = &shapes[si];
    const int M = s->M, N = s->N, K = s->K;
    /* Stored dimensions: op(A) is [M,K], so A is [K,M] when transposed. */
    const int arows = s->transA ? K : M, acols = s->transA ? M : K;
    const int brows = s->transB ? N : K, bcols = s->transB ? K : N;
    size_t na = (size_t)arows * acols, nb = (size_t)brows * bcols, nc = (size_t)M * N;
    float *A = malloc(na * sizeof *A), *B = malloc(nb * sizeof *B);
    float *C0 = malloc(nc * sizeof *C0), *Cv = malloc(nc * sizeof *Cv), *Co = malloc(nc * sizeof *Co);
    float *Aa = malloc(na * sizeof *Aa), *Ba = malloc(nb * sizeof *Ba), *bound = malloc(nc * sizeof *bound);
    if (!A || !B || !C0 || !Cv || !Co || !Aa || !Ba || !bound) {
      fprintf(stderr, "out of memory\n");
      return 2;
    }
    for (size_t i = 0; i < na; i++) Aa[i] = fabsf(A[i] = frand(&seed));
    for (size_t i = 0; i < nb; i++) Ba[i] = fabsf(B[i] = frand(&seed));
    for (size_t i = 0; i < nc; i++) C0[i] = frand(&seed);

    /* Correctness: both libraries from the same C, error relative to
     * |alpha| |op(A)| |op(B)| + |beta| |C| per element. */
    memcpy(Cv, C0, nc * sizeof *Cv);
    memcpy(Co, C0, nc * sizeof *Co);
    pv[si] = (problem){s, A, B, Cv, acols, bcols, N};
    po[si] = (problem){s, A, B, Co, acols, bcols, N};
    run(&pv[si], 0);
    run(&po[si], 1);
    cblas_sgemm(CblasRowMajor, s->transA ? CblasTrans : CblasNoTrans,
                s->transB ? CblasTrans : CblasNoTrans, M, N, K, 1.0f, Aa, acols, Ba, bcols, 0.0f, bound, N);
    maxerr[si] = 0.0;
    for (size_t i = 0; i < nc; i++) {
      double b = (double)bound[i] + fabs((double)s->beta * C0[i]);
      double err = fabs((double)Cv[i] - (double)Co[i]) / (b > 0 ? b : 1.0);
      if (!(err <= maxerr[si])) maxerr[si] = err; /* NaN sticks */
    }
    free(C0), free(Aa), free(Ba), free(bound);
  }

  /* Rounds outermost: each shape's measurements are spread over the whole
   * run, so a burst of load from elsewhere spoils at most some of them. */
  static double secs[NSHAPES][2][MAX_ROUNDS];
  for (int r = 0; r < rounds; r++)
    for (int si = 0; si < NSHAPES; si++)
      for (int i = 0; i < 2 && strstr(shapes[si].what, only); i++) {
        const int lib = (i + r) % 2;
        const problem *p = lib ? &po[si] : &pv[si];
        /* Both libgomp and OpenBLAS keep their workers spinning for about
         * 100 ms after a call, and the cores take a while to come back to
         * full speed: run untimed long enough for the other library's
         * workers to go to sleep and for ours to be up to speed. */
        time_one(p, lib, 0.2);
        secs[si][lib][r] = time_one(p, lib, min_s);
      }

  printf("%-6s %-16s %-5s %5s %10s %10s %7s %10s\n", "layer", "MxKxN", "trans", "beta", "vaegraph",
         "OpenBLAS", "ratio", "max err");
  printf("%-6s %-16s %-5s %5s %10s %10s %7s %10s\n", "", "", "", "", "best", "best", "median", "(rel)");
  double min_ratio = INFINITY;
  for (int si = 0; si < NSHAPES; si++) {
    const shape *s = &shapes[si];
    if (!strstr(s->what, only)) continue;
    /* Both results are within about K eps of the exact one. */
    const int ok = maxerr[si] <= 2.0 * (s->K + 2) * FLT_EPSILON;
    if (!ok) failed = 1;
    const double flop = 2.0 * s->M * s->N * s->K;
    double pair[MAX_ROUNDS];
    for (int r = 0; r < rounds; r++) pair[r] = secs[si][1][r] / secs[si][0][r];
    double fastest[2] = {INFINITY, INFINITY};
    for (int lib = 0; lib < 2; lib++)
      for (int r = 0; r < rounds; r++) fastest[lib] = fmin(fastest[lib], secs[si][lib][r]);
    const double gv = flop / fastest[0] * 1e-9, go = flop / fastest[1] * 1e-9;
    const double ratio = median(pair, rounds);
    if (ratio < min_ratio) min_ratio = ratio;
    char dims[48], tr[3] = {s->transA ? 'T' : 'N', s->transB ? 'T' : 'N', 0};
    snprintf(dims, sizeof dims, "%dx%dx%d", s->M, s->K, s->N);
    printf("%-6s %-16s %-5s %5.1f %10.1f %10.1f %7.3f %10.2e%s\n", s->what, dims, tr, (double)s->beta, gv, go,
           ratio, maxerr[si], ok ? "" : "  WRONG");
  }
  for (int si = 0; si < NSHAPES; si++)
    free((void *)pv[si].A), free((void *)pv[si].B), free(pv[si].C), free(po[si].C);
  printf("minimum ratio: %.3f (each shape's median of %d paired ratios)\n", min_ratio, rounds);
  if (failed) {
    printf("FAILED: vaegraph's result differs from OpenBLAS beyond tolerance\n");
    return 1;
  }
  return 0;
}
