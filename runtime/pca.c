/* PCA onto two axes by power iteration, in double precision. */
#include "pca.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PCA_MAX_D 4096 /* the covariance is d*d doubles: 128 MiB here */
#define PCA_MAX_ITERS 1000
#define PCA_TOL 1e-12

static int finite_row(const float *r, int d) {
  for (int j = 0; j < d; j++)
    if (!isfinite(r[j])) return 0;
  return 1;
}

static double dot(const double *a, const double *b, int d) {
  double s = 0;
  for (int j = 0; j < d; j++) s += a[j] * b[j];
  return s;
}

/* Removes v's component along the unit vector `prev` (if any), which keeps
 * the second axis out of the first one's direction: deflation by projection. */
static void deflate(double *v, const double *prev, int d) {
  if (!prev) return;
  double p = dot(v, prev, d);
  for (int j = 0; j < d; j++) v[j] -= p * prev[j];
}

/* The dominant eigenvector of the symmetric d x d matrix `cov` restricted to
 * the complement of `prev`, by power iteration; all zeros when there is no
 * spread left (variance below 1e-12 of the total). w is scratch. */
static void top_axis(const double *cov, int d, double trace, const double *prev, double *v, double *w) {
  /* A fixed pseudo-random start: deterministic, and unlike a structured
   * vector (all ones, e_1) not orthogonal to the answer for tidy inputs. */
  uint32_t s = 0x9e3779b9u;
  for (int j = 0; j < d; j++) {
    s = s * 1664525u + 1013904223u;
    v[j] = (double)(s >> 8) / (double)(1u << 24) - 0.5;
  }
  deflate(v, prev, d);
  double nv = sqrt(dot(v, v, d));
  for (int j = 0; j < d; j++) v[j] /= nv;
  for (int it = 0; it < PCA_MAX_ITERS; it++) {
    for (int a = 0; a < d; a++) w[a] = dot(cov + (size_t)a * d, v, d);
    deflate(w, prev, d);
    /* v is a unit vector, so |w| estimates the variance along it. */
    double nw = sqrt(dot(w, w, d));
    if (!(nw > 1e-12 * trace)) {
      memset(v, 0, (size_t)d * sizeof *v);
      return;
    }
    double change = 0;
    for (int j = 0; j < d; j++) {
      double t = w[j] / nw;
      change = fmax(change, fabs(t - v[j]));
      v[j] = t;
    }
    if (change < PCA_TOL) break;
  }
  int big = 0;
  for (int j = 1; j < d; j++)
    if (fabs(v[j]) > fabs(v[big])) big = j;
  if (v[big] < 0)
    for (int j = 0; j < d; j++) v[j] = -v[j];
}

vg_status vg_pca2(const float *x, int n, int d, float *out_xy) {
  if (!x || !out_xy || n < 1 || d < 1 || d > PCA_MAX_D) return VG_ERR_ARG;
  if (d == 2) {
    memcpy(out_xy, x, (size_t)n * 2 * sizeof *x);
    return VG_OK;
  }
  if (d == 1) {
    for (int i = 0; i < n; i++) {
      out_xy[2 * i] = x[i];
      out_xy[2 * i + 1] = 0;
    }
    return VG_OK;
  }
  double *mean = calloc((size_t)d, sizeof *mean);
  double *cov = calloc((size_t)d * d, sizeof *cov);
  double *axes = malloc((size_t)d * 2 * sizeof *axes);
  double *r = malloc((size_t)d * sizeof *r);
  if (!mean || !cov || !axes || !r) {
    free(mean);
    free(cov);
    free(axes);
    free(r);
    return VG_ERR_NOMEM;
  }
  int64_t m = 0;
  for (int i = 0; i < n; i++) {
    const float *row = x + (size_t)i * d;
    if (!finite_row(row, d)) continue;
    m++;
    for (int j = 0; j < d; j++) mean[j] += row[j];
  }
  for (int j = 0; j < d; j++) mean[j] /= (double)(m ? m : 1);
  /* Upper triangle only, mirrored afterwards: half the work. */
  for (int i = 0; i < n; i++) {
    const float *row = x + (size_t)i * d;
    if (!finite_row(row, d)) continue;
    for (int j = 0; j < d; j++) r[j] = row[j] - mean[j];
    for (int a = 0; a < d; a++) {
      double *c = cov + (size_t)a * d;
      for (int b = a; b < d; b++) c[b] += r[a] * r[b];
    }
  }
  double trace = 0;
  for (int a = 0; a < d; a++) {
    for (int b = a; b < d; b++) cov[(size_t)b * d + a] = cov[(size_t)a * d + b] /= (double)(m ? m : 1);
    trace += cov[(size_t)a * d + a];
  }
  top_axis(cov, d, trace, NULL, axes, r);
  top_axis(cov, d, trace, axes, axes + d, r);
  for (int i = 0; i < n; i++) {
    const float *row = x + (size_t)i * d;
    if (!finite_row(row, d)) {
      out_xy[2 * i] = out_xy[2 * i + 1] = NAN;
      continue;
    }
    double px = 0, py = 0;
    for (int j = 0; j < d; j++) {
      double c = row[j] - mean[j];
      px += c * axes[j];
      py += c * axes[d + j];
    }
    out_xy[2 * i] = (float)px;
    out_xy[2 * i + 1] = (float)py;
  }
  free(mean);
  free(cov);
  free(axes);
  free(r);
  return VG_OK;
}
