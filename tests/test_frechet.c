/* The Fréchet distance and its parts on cases worked out by hand. */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "frechet.h"

static void test_eig(void) {
  /* [[2, 1], [1, 2]]: eigenvalues 1 and 3, vectors (1, -1) and (1, 1) / sqrt 2. */
  double a[4] = {2, 1, 1, 2}, w[2], v[4];
  CHECK(vg_sym_eig(2, a, w, v) == VG_OK, "eig failed");
  CHECK(fabs(w[0] - 1) < 1e-12 && fabs(w[1] - 3) < 1e-12, "eigenvalues %g %g, want 1 3", w[0], w[1]);
  CHECK(fabs(fabs(v[0]) - M_SQRT1_2) < 1e-12 && fabs(v[0] + v[2]) < 1e-12, "first vector (%g, %g), want +-(1, -1)/sqrt 2", v[0], v[2]);
  CHECK(fabs(fabs(v[1]) - M_SQRT1_2) < 1e-12 && fabs(v[1] - v[3]) < 1e-12, "second vector (%g, %g), want +-(1, 1)/sqrt 2", v[1], v[3]);

  /* A random symmetric 30 x 30: A v = w v for each column, V orthonormal. */
  enum { N = 30 };
  static double m[N * N], orig[N * N], vv[N * N], ww[N];
  srand(7);
  for (int i = 0; i < N; i++)
    for (int j = i; j < N; j++) m[i * N + j] = m[j * N + i] = (double)rand() / RAND_MAX - 0.5;
  for (int i = 0; i < N * N; i++) orig[i] = m[i];
  CHECK(vg_sym_eig(N, m, ww, vv) == VG_OK, "eig 30 failed");
  double worst = 0, worst_orth = 0;
  for (int k = 0; k < N; k++) {
    if (k) CHECK(ww[k - 1] <= ww[k], "eigenvalues not ascending at %d", k);
    for (int i = 0; i < N; i++) {
      double s = 0;
      for (int j = 0; j < N; j++) s += orig[i * N + j] * vv[j * N + k];
      worst = fmax(worst, fabs(s - ww[k] * vv[i * N + k]));
    }
    for (int l = 0; l < N; l++) {
      double s = 0;
      for (int i = 0; i < N; i++) s += vv[i * N + k] * vv[i * N + l];
      worst_orth = fmax(worst_orth, fabs(s - (k == l)));
    }
  }
  CHECK(worst < 1e-10, "A v - w v is up to %g", worst);
  CHECK(worst_orth < 1e-10, "V^T V - I is up to %g", worst_orth);
}

static void test_frechet(void) {
  double d;
  /* Diagonal: |(1, 2)|^2 + (4 + 9 + 1 + 1) - 2 (sqrt 4 + sqrt 9) = 5 + 15 - 10. */
  const double mu0[2] = {0, 0}, mu1[2] = {1, 2}, cd[4] = {4, 0, 0, 9}, ci[4] = {1, 0, 0, 1};
  CHECK(vg_frechet(2, mu0, cd, mu1, ci, &d) == VG_OK && fabs(d - 10) < 1e-12, "diagonal case: %.15g, want 10", d);
  /* Matrices that do not commute: c1 = diag(4, 1), c2 = [[2, 1], [1, 2]].
   * R c2 R = [[8, 2], [2, 2]] has eigenvalues 5 +- sqrt 13, so
   * d = 5 + 4 - 2 (sqrt(5 + sqrt 13) + sqrt(5 - sqrt 13)). */
  const double c1[4] = {4, 0, 0, 1}, c2[4] = {2, 1, 1, 2};
  const double want = 9 - 2 * (sqrt(5 + sqrt(13.0)) + sqrt(5 - sqrt(13.0)));
  CHECK(vg_frechet(2, mu0, c1, mu0, c2, &d) == VG_OK && fabs(d - want) < 1e-12, "non-commuting case: %.15g, want %.15g", d, want);
  CHECK(vg_frechet(2, mu0, c2, mu0, c1, &d) == VG_OK && fabs(d - want) < 1e-12, "swapped: %.15g, want %.15g", d, want);
  /* A Gaussian against itself, and a singular covariance (rank 1). */
  CHECK(vg_frechet(2, mu1, c2, mu1, c2, &d) == VG_OK && fabs(d) < 1e-12, "itself: %g, want 0", d);
  const double rank1[4] = {1, 1, 1, 1};
  CHECK(vg_frechet(2, mu0, rank1, mu0, rank1, &d) == VG_OK && fabs(d) < 1e-7, "rank-1 itself: %g, want 0", d);
  CHECK(vg_frechet(0, mu0, c1, mu0, c2, &d) == VG_ERR_ARG, "dimension 0 accepted");
}

static void test_moments(void) {
  /* (1, 2), (3, 4), (5, 0): mean (3, 2); variances 4 and 4, covariance -2.
   * Far from zero (1e6 added), the shift keeps them exact. */
  for (int far = 0; far < 2; far++) {
    const float off = far ? 1e6f : 0;
    const float x[6] = {1 + off, 2 + off, 3 + off, 4 + off, 5 + off, 0 + off};
    vg_moments m;
    CHECK(vg_moments_init(&m, 2) == VG_OK, "init failed");
    CHECK(vg_moments_add(&m, x, 1) == VG_OK && vg_moments_add(&m, x + 2, 2) == VG_OK, "add failed");
    double mean[2], cov[4];
    CHECK(vg_moments_stats(&m, mean, cov) == VG_OK, "stats failed");
    CHECK(fabs(mean[0] - 3 - off) < 1e-9 && fabs(mean[1] - 2 - off) < 1e-9, "mean (%g, %g)", mean[0] - off, mean[1] - off);
    CHECK(fabs(cov[0] - 4) < 1e-9 && fabs(cov[3] - 4) < 1e-9 && fabs(cov[1] + 2) < 1e-9 && cov[1] == cov[2],
          "cov [[%g, %g], [%g, %g]], want [[4, -2], [-2, 4]]", cov[0], cov[1], cov[2], cov[3]);
    const float bad[2] = {1, NAN};
    CHECK(vg_moments_add(&m, bad, 1) == VG_ERR_VALUE && m.count == 3, "a NaN was added");
    vg_moments_free(&m);
  }
  vg_moments one;
  CHECK(vg_moments_init(&one, 0) == VG_ERR_ARG, "dimension 0 accepted");
  CHECK(vg_moments_init(&one, 3) == VG_OK, "init failed");
  double mean[3], cov[9];
  const float x[3] = {1, 2, 3};
  vg_moments_add(&one, x, 1);
  CHECK(vg_moments_stats(&one, mean, cov) == VG_ERR_ARG, "a covariance from one vector");
  vg_moments_free(&one);
}

int main(void) {
  test_eig();
  test_frechet();
  test_moments();
  CHECK_DONE();
}
