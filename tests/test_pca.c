/* PCA on data whose answer is known. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "pca.h"

static void test_pca_line(void) {
  /* Points on a line in 5-D: x = t v + c. */
  enum { N = 50, D = 5 };
  const double v[D] = {1, 2, -1, 0.5, 3}, c[D] = {10, -5, 2, 0, 1};
  float x[N * D], out[2 * N], again[2 * N];
  double t[N], tmean = 0, vnorm = 0;
  for (int j = 0; j < D; j++) vnorm += v[j] * v[j];
  vnorm = sqrt(vnorm);
  for (int i = 0; i < N; i++) {
    t[i] = -2 + 5.0 * i / (N - 1);
    tmean += t[i] / N;
    for (int j = 0; j < D; j++) x[i * D + j] = (float)(t[i] * v[j] + c[j]);
  }
  CHECK(vg_pca2(x, N, D, out) == VG_OK, "pca2 on a line failed");
  /* The axis is v / |v| (its largest component, 3, is positive), so the
   * first coordinate is (t - mean t) |v| and the second is 0. */
  double worst_x = 0, worst_y = 0;
  for (int i = 0; i < N; i++) {
    worst_x = fmax(worst_x, fabs(out[2 * i] - (t[i] - tmean) * vnorm));
    worst_y = fmax(worst_y, fabs(out[2 * i + 1]));
  }
  CHECK(worst_x < 1e-4 * 5 * vnorm, "first coordinate is off (t - mean t) |v| by up to %g", worst_x);
  CHECK(worst_y < 1e-4 * 5 * vnorm, "second coordinate of points on a line is up to %g, want ~0", worst_y);
  CHECK(vg_pca2(x, N, D, again) == VG_OK && memcmp(out, again, sizeof out) == 0, "two pca2 calls differ");

  /* A point with a NaN is left out and projects to NaN; the rest are as if
   * it were not there. */
  float with_nan[(N + 1) * D], out_nan[2 * (N + 1)];
  memcpy(with_nan, x, 7 * D * sizeof(float));
  for (int j = 0; j < D; j++) with_nan[7 * D + j] = j == 2 ? NAN : 1e6f;
  memcpy(with_nan + 8 * D, x + 7 * D, (N - 7) * D * sizeof(float));
  CHECK(vg_pca2(with_nan, N + 1, D, out_nan) == VG_OK, "pca2 with a NaN row failed");
  CHECK(isnan(out_nan[14]) && isnan(out_nan[15]), "the NaN row projects to (%g, %g), want NaN", out_nan[14],
        out_nan[15]);
  double worst = 0;
  for (int i = 0; i < N; i++) {
    int k = i < 7 ? i : i + 1;
    worst = fmax(worst, fabs(out_nan[2 * k] - out[2 * i]) + fabs(out_nan[2 * k + 1] - out[2 * i + 1]));
  }
  CHECK(worst < 1e-5, "a NaN row changed the other projections by %g", worst);
}

static void test_pca_plane(void) {
  /* Uncorrelated spreads along e1 = (3,4,0,0)/5 (variance ~2.9), e2 =
   * (-4,3,0,0)/5 (0.3 w: ~0.18) and e3 (tiny), offset by c. The sign rule
   * turns e2 into (4,-3,0,0)/5, so the answer is (u, -0.3 w). */
  enum { N = 60, D = 4 };
  float x[N * D], out[2 * N];
  const double c[D] = {1, -2, 3, 0.5};
  double u[N], w[N];
  for (int i = 0; i < N; i++) {
    u[i] = (i % 6) - 2.5;
    w[i] = ((i / 6) % 5) - 2;
    double z = (i / 30) - 0.5;
    const double p[D] = {0.6 * u[i] - 0.8 * 0.3 * w[i], 0.8 * u[i] + 0.6 * 0.3 * w[i], 0.01 * z, 0};
    for (int j = 0; j < D; j++) x[i * D + j] = (float)(p[j] + c[j]);
  }
  CHECK(vg_pca2(x, N, D, out) == VG_OK, "pca2 on a plane failed");
  double worst_x = 0, worst_y = 0;
  for (int i = 0; i < N; i++) {
    worst_x = fmax(worst_x, fabs(out[2 * i] - u[i]));
    worst_y = fmax(worst_y, fabs(out[2 * i + 1] + 0.3 * w[i]));
  }
  CHECK(worst_x < 1e-4, "plane: first coordinate off u by up to %g", worst_x);
  CHECK(worst_y < 1e-4, "plane: second coordinate off -0.3 w by up to %g", worst_y);
}

static void test_pca_small_d(void) {
  const float two[6] = {1, 2, -3, 4.5f, NAN, 7};
  float out[6];
  CHECK(vg_pca2(two, 3, 2, out) == VG_OK && memcmp(out, two, sizeof out) == 0, "d == 2 is not passed through");
  const float one[3] = {5, -1, 2};
  CHECK(vg_pca2(one, 3, 1, out) == VG_OK && out[0] == 5 && out[1] == 0 && out[2] == -1 && out[3] == 0 &&
            out[4] == 2 && out[5] == 0,
        "d == 1: got %g %g %g %g %g %g", out[0], out[1], out[2], out[3], out[4], out[5]);
  /* All points equal: no spread, so both coordinates are 0. */
  const float same[9] = {1, 2, 3, 1, 2, 3, 1, 2, 3};
  CHECK(vg_pca2(same, 3, 3, out) == VG_OK && out[0] == 0 && out[1] == 0 && out[4] == 0 && out[5] == 0,
        "identical points project to (%g, %g), want 0", out[0], out[1]);
  CHECK(vg_pca2(one, 0, 3, out) == VG_ERR_ARG, "n 0 accepted");
  CHECK(vg_pca2(NULL, 3, 3, out) == VG_ERR_ARG, "NULL x accepted");
}

int main(void) {
  test_pca_line();
  test_pca_plane();
  test_pca_small_d();
  CHECK_DONE();
}
