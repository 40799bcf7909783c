/* Tests vg_sgemm against the double reference vg_dgemm (run on the same float
 * inputs) over odd shapes, shapes straddling the block sizes, all four
 * transposes, padded leading dimensions, several alpha and beta (beta == 0
 * with NaN-filled C), on every path the CPU has (AVX-512, AVX2, portable),
 * the two vector paths bit-identical to each other; and
 * that 1 to 4 threads, and calls from inside a parallel region, give
 * bit-identical results. Prints the first failure; exits non-zero on any. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "gemm.h"
#include "isa.h"

static int failures, checks;
static double worst; /* largest error / allowed error seen on real data */

#define FAIL(...)                                  \
  do {                                             \
    if (failures++ == 0) {                         \
      printf("FAIL: " __VA_ARGS__);                \
      printf("\n");                                \
    }                                              \
  } while (0)

static unsigned rng = 2024;
static float frand(void) { /* uniform in [-1, 1) */
  rng = rng * 1664525u + 1013904223u;
  return (float)((rng >> 8) & 0xFFFFFF) / 8388608.0f - 1.0f;
}
static float irand(void) { /* small integers: every product and sum is exact */
  rng = rng * 1664525u + 1013904223u;
  return (float)((int)((rng >> 16) % 9) - 4);
}

typedef struct prob {
  int tA, tB, M, N, K, lda, ldb, ldc;
  float alpha, beta;
  int ints; /* integer data: the result must be exact */
} prob;

static void set_threads(int n) {
#ifdef _OPENMP
  omp_set_num_threads(n);
#else
  (void)n;
#endif
}

static const char *desc(const prob *p) {
  static char buf[200];
  snprintf(buf, sizeof buf, "%c%c M=%d N=%d K=%d lda=%d ldb=%d ldc=%d alpha=%g beta=%g %s kernel=%s",
           p->tA ? 'T' : 'N', p->tB ? 'T' : 'N', p->M, p->N, p->K, p->lda, p->ldb, p->ldc,
           (double)p->alpha, (double)p->beta, p->ints ? "int-data" : "real-data", vg_sgemm_kernel_name());
  return buf;
}

/* Runs one problem and compares with the double reference. */
static void check(const prob *p) {
  const int arows = p->tA ? p->K : p->M, brows = p->tB ? p->N : p->K;
  const size_t na = (size_t)arows * p->lda + 1, nb = (size_t)brows * p->ldb + 1;
  const size_t nc = (size_t)p->M * p->ldc + 1;
  float *A = malloc(na * sizeof *A), *B = malloc(nb * sizeof *B), *C = malloc(nc * sizeof *C);
  float *C0 = malloc(nc * sizeof *C0);
  double *Ad = malloc(na * sizeof *Ad), *Bd = malloc(nb * sizeof *Bd), *Cd = malloc(nc * sizeof *Cd);
  double *Aa = malloc(na * sizeof *Aa), *Ba = malloc(nb * sizeof *Ba), *Cb = malloc(nc * sizeof *Cb);
  if (!A || !B || !C || !C0 || !Ad || !Bd || !Cd || !Aa || !Ba || !Cb) {
    printf("out of memory\n");
    exit(2);
  }
  for (size_t i = 0; i < na; i++) A[i] = p->ints ? irand() : frand();
  for (size_t i = 0; i < nb; i++) B[i] = p->ints ? irand() : frand();
  for (size_t i = 0; i < nc; i++) C0[i] = p->beta == 0.0f ? NAN : p->ints ? irand() : frand();
  for (size_t i = 0; i < na; i++) Aa[i] = fabs(Ad[i] = A[i]);
  for (size_t i = 0; i < nb; i++) Ba[i] = fabs(Bd[i] = B[i]);
  /* Padding between rows must survive: mark it and check it after. */
  const float pad = 12345.0f;
  for (int i = 0; i < p->M; i++)
    for (int j = p->N; j < p->ldc; j++) C0[(size_t)i * p->ldc + j] = pad;
  C0[nc - 1] = pad;
  memcpy(C, C0, nc * sizeof *C);
  for (size_t i = 0; i < nc; i++) Cd[i] = C0[i];

  vg_sgemm(p->tA, p->tB, p->M, p->N, p->K, p->alpha, A, p->lda, B, p->ldb, p->beta, C, p->ldc);
  vg_dgemm(p->tA, p->tB, p->M, p->N, p->K, p->alpha, Ad, p->lda, Bd, p->ldb, p->beta, Cd, p->ldc);
  /* Scale for the error: |alpha| |op(A)| |op(B)| + |beta| |C|. */
  for (size_t i = 0; i < nc; i++) Cb[i] = p->beta == 0.0f ? 0.0 : fabs((double)p->beta * C0[i]);
  vg_dgemm(p->tA, p->tB, p->M, p->N, p->K, fabs((double)p->alpha), Aa, p->lda, Ba, p->ldb, 1.0, Cb, p->ldc);

  /* Summing K terms in float is off by a few sqrt(K) eps of the scale in
   * practice (K eps at worst); a missing or doubled term costs about 1/K. */
  const double tol = p->ints ? 0.0 : FLT_EPSILON * (4.0 + p->K / 8.0);
  int bad = 0;
  for (int i = 0; i < p->M && !bad; i++) {
    for (int j = 0; j < p->ldc && !bad; j++) {
      size_t x = (size_t)i * p->ldc + j;
      if (j >= p->N) {
        if (memcmp(&C[x], &pad, sizeof pad) != 0) {
          FAIL("%s: wrote C[%d][%d] outside N (padding)", desc(p), i, j);
          bad = 1;
        }
        continue;
      }
      double err = fabs((double)C[x] - Cd[x]);
      if (tol > 0 && Cb[x] > 0 && err / (tol * Cb[x]) > worst) worst = err / (tol * Cb[x]);
      if (!(err <= tol * Cb[x])) {
        FAIL("%s: C[%d][%d] = %.9g, reference %.9g (error %.3g, allowed %.3g)", desc(p), i, j, (double)C[x],
             Cd[x], err, tol * Cb[x]);
        bad = 1;
      }
    }
  }
  if (!bad && memcmp(&C[nc - 1], &pad, sizeof pad) != 0) {
    FAIL("%s: wrote past the end of C", desc(p));
    bad = 1;
  }
  checks++;
  free(A), free(B), free(C), free(C0), free(Ad), free(Bd), free(Cd), free(Aa), free(Ba), free(Cb);
}

/* M, N, K triples: tiny and odd ones, ones straddling MR=6, NR=16, KC=400,
 * MC=144 and NC=1024 (and the old KC=256), several K blocks, and the VAE's
 * sizes. */
static const int shapes[][3] = {
    {1, 1, 1},      {7, 5, 13},      {17, 65, 33},    {6, 16, 1},     {5, 15, 3},     {12, 32, 8},
    {13, 33, 257},  {11, 17, 255},   {19, 31, 256},   {143, 17, 40},  {144, 16, 9},   {145, 47, 129},
    {289, 23, 31},  {50, 40, 600},   {3, 2100, 9},    {7, 2049, 70},  {20, 400, 128}, {128, 20, 400},
    {9, 21, 399},   {8, 19, 400},    {10, 18, 401},   {5, 1025, 20},  {31, 1024, 3},  {4, 7, 1201},
    {128, 400, 20}, {128, 784, 400}, {6, 200, 50},    {1, 300, 300},  {300, 1, 300},  {64, 64, 513},
};
enum { NSHAPES = sizeof shapes / sizeof shapes[0] };

static void run_suite(int quick) {
  static const float alphas[] = {1.0f, -0.75f, 2.5f};
  static const float betas[] = {0.0f, 1.0f, 0.5f};
  int variant = 0;
  for (int s = 0; s < NSHAPES; s++) {
    const int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
    const double size = (double)M * N * K;
    for (int t = 0; t < 4; t++) {
      /* Big shapes get fewer parameter sets: the double reference is slow. */
      const int nvar = quick ? 1 : size > 4e6 ? 1 : size > 5e5 ? 2 : 4;
      for (int v = 0; v < nvar; v++, variant++) {
        prob p = {t >> 1, t & 1, M, N, K, 0, 0, 0, alphas[variant % 3], betas[(variant / 3) % 3],
                  variant % 2};
        const int padded = (variant / 2) % 2;
        p.lda = (p.tA ? M : K) + (padded ? 3 : 0);
        p.ldb = (p.tB ? K : N) + (padded ? 5 : 0);
        p.ldc = N + (padded ? 7 : 0);
        check(&p);
      }
    }
  }
  /* beta == 0 with NaN in C on every transpose, independent of the cycling above. */
  for (int t = 0; t < 4; t++) {
    prob p = {t >> 1, t & 1, 37, 45, 300, 0, 0, 0, 1.0f, 0.0f, 0};
    p.lda = (p.tA ? p.M : p.K) + 1;
    p.ldb = (p.tB ? p.K : p.N) + 2;
    p.ldc = p.N + 3;
    check(&p);
  }
}

/* Degenerate calls: nothing to multiply, C = beta C; beta == 0 clears NaNs. */
static void check_degenerate(void) {
  float A[4] = {1, 2, 3, 4}, B[4] = {1, 2, 3, 4}, C[4] = {NAN, NAN, NAN, NAN};
  vg_sgemm(0, 0, 2, 2, 0, 1.0f, A, 2, B, 2, 0.0f, C, 2);
  for (int i = 0; i < 4; i++)
    if (C[i] != 0.0f) FAIL("K=0 beta=0: C[%d] = %g, expected 0", i, (double)C[i]);
  float D[4] = {1, 2, 3, 4};
  vg_sgemm(0, 0, 2, 2, 2, 0.0f, A, 2, B, 2, 0.5f, D, 2);
  for (int i = 0; i < 4; i++)
    if (D[i] != 0.5f * (float)(i + 1)) FAIL("alpha=0 beta=0.5: C[%d] = %g", i, (double)D[i]);
  float E[1] = {7};
  vg_sgemm(0, 0, 0, 1, 1, 1.0f, A, 1, B, 1, 0.0f, E, 1);
  vg_sgemm(0, 0, 1, 0, 1, 1.0f, A, 1, B, 1, 0.0f, E, 1);
  if (E[0] != 7.0f) FAIL("M=0 or N=0 touched C");
  checks += 3;
}

/* Same inputs at 1 to 4 threads (more than the cores, to shake out races),
 * and from inside a parallel region: the bytes of C must match. */
static void check_determinism(int quick) {
  static const int dshapes[][3] = {
      {128, 400, 784}, {128, 784, 400}, {128, 20, 400}, {20, 400, 128}, {400, 784, 128},
      {300, 50, 700},  {10, 2100, 40},  {97, 131, 517}, {6, 1000, 300}, {1000, 6, 300},
      /* row split (2 and 4 threads) over two N panels and two K blocks: both B buffers reused */
      {200, 1030, 450},
  };
  for (size_t s = 0; s < sizeof dshapes / sizeof dshapes[0]; s++)
    for (int t = 0; t < 4; t++) {
      const int M = dshapes[s][0], N = dshapes[s][1], K = dshapes[s][2], tA = t >> 1, tB = t & 1;
      /* The portable kernel shares all the threading code: sample it. */
      if (quick && ((double)M * N * K > 2e7 || t % 2)) continue;
      const int lda = tA ? M : K, ldb = tB ? K : N;
      const size_t na = (size_t)M * K, nb = (size_t)K * N, nc = (size_t)M * N;
      float *A = malloc(na * sizeof *A), *B = malloc(nb * sizeof *B), *C0 = malloc(nc * sizeof *C0);
      float *C[4];
      for (int r = 0; r < 4; r++) C[r] = malloc(nc * sizeof *C[r]);
      for (size_t i = 0; i < na; i++) A[i] = frand();
      for (size_t i = 0; i < nb; i++) B[i] = frand();
      for (size_t i = 0; i < nc; i++) C0[i] = frand();
      const float beta = (s % 2) ? 0.5f : 0.0f;
      for (int r = 0; r < 4; r++) {
        set_threads(r + 1);
        memcpy(C[r], C0, nc * sizeof *C0);
        vg_sgemm(tA, tB, M, N, K, 1.25f, A, lda, B, ldb, beta, C[r], N);
      }
      /* Nested, two levels deep (2 x 2 threads, so thread numbers repeat
       * across the inner teams): every thread runs the same product, and
       * each must produce the same bytes as a top-level call. */
      int nested_ok = 1;
#ifdef _OPENMP
      omp_set_max_active_levels(2);
#pragma omp parallel num_threads(2) reduction(&& : nested_ok)
      {
#pragma omp parallel num_threads(2) reduction(&& : nested_ok)
        {
          float *mine = malloc(nc * sizeof *mine);
          if (mine) {
            memcpy(mine, C0, nc * sizeof *C0);
            vg_sgemm(tA, tB, M, N, K, 1.25f, A, lda, B, ldb, beta, mine, N);
            nested_ok = memcmp(mine, C[0], nc * sizeof *C0) == 0;
            free(mine);
          }
        }
      }
      omp_set_max_active_levels(1);
#endif
      for (int r = 1; r < 4; r++)
        if (memcmp(C[0], C[r], nc * sizeof *C0) != 0)
          FAIL("%c%c M=%d N=%d K=%d kernel=%s: 1 and %d threads differ", tA ? 'T' : 'N', tB ? 'T' : 'N', M, N,
               K, vg_sgemm_kernel_name(), r + 1);
      if (!nested_ok)
        FAIL("%c%c M=%d N=%d K=%d kernel=%s: call inside a parallel region differs", tA ? 'T' : 'N',
             tB ? 'T' : 'N', M, N, K, vg_sgemm_kernel_name());
      checks += 4;
      free(A), free(B), free(C0);
      for (int r = 0; r < 4; r++) free(C[r]);
    }
  set_threads(2);
}

/* The AVX-512 kernel's tiles (12x32) must give the AVX2 kernel's bits:
 * shapes with every kind of edge, all four transposes, beta 0, 1 and other. */
static void check_paths_agree(void) {
  const int shapes[][3] = {{1, 1, 1}, {5, 17, 3}, {13, 33, 7}, {12, 32, 400}, {37, 53, 29}, {128, 784, 400},
                           {130, 70, 801}, {256, 1000, 300}};
  const float betas[] = {0.0f, 1.0f, 0.5f};
  for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++)
    for (int tr = 0; tr < 4; tr++) {
      const int M = shapes[si][0], N = shapes[si][1], K = shapes[si][2], tA = tr & 1, tB = tr >> 1;
      float *A = malloc(sizeof(float) * M * K), *B = malloc(sizeof(float) * K * N);
      float *C[2] = {malloc(sizeof(float) * M * N), malloc(sizeof(float) * M * N)};
      if (!A || !B || !C[0] || !C[1]) {
        FAIL("out of memory");
        free(A), free(B), free(C[0]), free(C[1]);
        return;
      }
      for (int i = 0; i < M * K; i++) A[i] = (float)((int)((long long)i * 7919 % 1000) - 500) / 250.0f;
      for (int i = 0; i < K * N; i++) B[i] = (float)((int)((long long)i * 104729 % 1000) - 500) / 300.0f;
      for (int b = 0; b < 3; b++) {
        for (int p = 0; p < 2; p++) {
          vg_isa_force(p ? VG_ISA_AVX2 : VG_ISA_AVX512);
          for (int i = 0; i < M * N; i++) C[p][i] = (float)(i % 13) - 6.0f;
          vg_sgemm(tA, tB, M, N, K, 1.25f, A, tA ? M : K, B, tB ? K : N, betas[b], C[p], N);
        }
        checks++;
        if (memcmp(C[0], C[1], sizeof(float) * M * N) != 0)
          FAIL("%c%c M=%d N=%d K=%d beta=%g: the AVX-512 and AVX2 kernels differ", tA ? 'T' : 'N', tB ? 'T' : 'N', M, N,
               K, betas[b]);
      }
      free(A), free(B), free(C[0]), free(C[1]);
    }
  vg_isa_force(VG_ISA_AVX512);
}

int main(void) {
  const char *native = vg_sgemm_kernel_name();
  printf("native kernel: %s\n", native);
  set_threads(2);
  run_suite(0);
  check_degenerate();
  check_determinism(0);

  /* Every older path this CPU has, each against the reference; the vector
   * paths (AVX2, AVX-512) sum alike, so they must agree bit for bit. */
  const vg_isa best = vg_isa_current();
  for (int isa = (int)best - 1; isa >= (int)VG_ISA_PORTABLE; isa--) {
    vg_isa_force((vg_isa)isa);
    printf("kernel: %s\n", vg_sgemm_kernel_name());
    run_suite(isa == VG_ISA_PORTABLE);
    check_determinism(isa == VG_ISA_PORTABLE);
  }
  if (best >= VG_ISA_AVX512) check_paths_agree();
  vg_isa_force(best);
  if (strcmp(vg_sgemm_kernel_name(), native) != 0) FAIL("could not return to the %s kernel", native);

  if (failures) {
    printf("%d of %d checks failed\n", failures, checks);
    return 1;
  }
  printf("all %d checks passed (largest error: %.2f of the tolerance)\n", checks, worst);
  return 0;
}
