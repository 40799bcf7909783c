/* Moments of feature vectors, a symmetric eigendecomposition, and the
 * Fréchet distance built from them (see frechet.h). */
#include "frechet.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DIM 4096

vg_status vg_moments_init(vg_moments *m, int dim) {
  memset(m, 0, sizeof *m);
  if (dim < 1 || dim > MAX_DIM) return VG_ERR_ARG;
  m->dim = dim;
  m->shift = calloc((size_t)dim, sizeof *m->shift);
  m->sum = calloc((size_t)dim, sizeof *m->sum);
  m->outer = calloc((size_t)dim * (size_t)dim, sizeof *m->outer);
  if (!m->shift || !m->sum || !m->outer) {
    vg_moments_free(m);
    return VG_ERR_NOMEM;
  }
  return VG_OK;
}

void vg_moments_free(vg_moments *m) {
  free(m->shift), free(m->sum), free(m->outer);
  memset(m, 0, sizeof *m);
}

vg_status vg_moments_add(vg_moments *m, const float *x, int64_t rows) {
  const int D = m->dim;
  for (int64_t i = 0; i < rows * D; i++)
    if (!isfinite(x[i])) return VG_ERR_VALUE;
  if (rows < 1) return VG_OK;
  if (m->count == 0)
    for (int j = 0; j < D; j++) m->shift[j] = x[j];
  const double *shift = m->shift;
  /* Entry (i, j) belongs to the thread of row i and sums the rows in order. */
#pragma omp parallel for schedule(dynamic, 8) if ((int64_t)D * D * rows >= 1 << 20)
  for (int i = 0; i < D; i++) {
    double *oi = m->outer + (size_t)i * D;
    for (int64_t r = 0; r < rows; r++) {
      const float *xr = x + r * D;
      const double a = xr[i] - shift[i];
      for (int j = i; j < D; j++) oi[j] += a * (xr[j] - shift[j]);
    }
    for (int64_t r = 0; r < rows; r++) m->sum[i] += x[r * D + i] - shift[i];
  }
  m->count += rows;
  return VG_OK;
}

vg_status vg_moments_stats(const vg_moments *m, double *mean, double *cov) {
  const int D = m->dim;
  const double n = (double)m->count;
  if (m->count < 2) return VG_ERR_ARG;
  for (int i = 0; i < D; i++) mean[i] = m->shift[i] + m->sum[i] / n;
  for (int i = 0; i < D; i++)
    for (int j = i; j < D; j++) {
      const double c = (m->outer[(size_t)i * D + j] - m->sum[i] * m->sum[j] / n) / (n - 1);
      cov[(size_t)i * D + j] = cov[(size_t)j * D + i] = c;
    }
  return VG_OK;
}

vg_status vg_sym_eig(int n, double *a, double *w, double *v) {
  if (n < 1) return VG_ERR_ARG;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) v[(size_t)i * n + j] = i == j;
  double total = 0;
  for (size_t i = 0; i < (size_t)n * n; i++) total += a[i] * a[i];
  /* Sweeps of rotations, each zeroing one off-diagonal pair (p, q), until
   * what is off the diagonal is negligible beside the whole. */
  for (int sweep = 0; sweep < 100; sweep++) {
    double off = 0;
    for (int p = 0; p < n; p++)
      for (int q = p + 1; q < n; q++) off += 2 * a[(size_t)p * n + q] * a[(size_t)p * n + q];
    if (!(off > 1e-30 * total)) break;
    for (int p = 0; p < n; p++)
      for (int q = p + 1; q < n; q++) {
        const double apq = a[(size_t)p * n + q];
        if (apq == 0) continue;
        const double app = a[(size_t)p * n + p], aqq = a[(size_t)q * n + q];
        /* tan of the rotation angle, the smaller root, for stability */
        const double theta = (aqq - app) / (2 * apq);
        const double t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
        const double c = 1 / sqrt(t * t + 1), s = t * c;
        for (int k = 0; k < n; k++) {
          const double akp = a[(size_t)k * n + p], akq = a[(size_t)k * n + q];
          a[(size_t)k * n + p] = c * akp - s * akq;
          a[(size_t)k * n + q] = s * akp + c * akq;
        }
        for (int k = 0; k < n; k++) {
          const double apk = a[(size_t)p * n + k], aqk = a[(size_t)q * n + k];
          a[(size_t)p * n + k] = c * apk - s * aqk;
          a[(size_t)q * n + k] = s * apk + c * aqk;
        }
        for (int k = 0; k < n; k++) {
          const double vkp = v[(size_t)k * n + p], vkq = v[(size_t)k * n + q];
          v[(size_t)k * n + p] = c * vkp - s * vkq;
          v[(size_t)k * n + q] = s * vkp + c * vkq;
        }
      }
  }
  for (int i = 0; i < n; i++) w[i] = a[(size_t)i * n + i];
  /* Ascending, columns of v moved along (selection sort: n is small). */
  for (int i = 0; i < n; i++) {
    int m = i;
    for (int j = i + 1; j < n; j++)
      if (w[j] < w[m]) m = j;
    if (m == i) continue;
    const double t = w[i];
    w[i] = w[m], w[m] = t;
    for (int k = 0; k < n; k++) {
      const double u = v[(size_t)k * n + i];
      v[(size_t)k * n + i] = v[(size_t)k * n + m], v[(size_t)k * n + m] = u;
    }
  }
  return VG_OK;
}

/* out = V diag(f(w)) V^T for the n x n eigenvectors v. */
static void recompose(int n, const double *v, const double *fw, double *out) {
  for (int i = 0; i < n; i++)
    for (int j = i; j < n; j++) {
      double s = 0;
      for (int k = 0; k < n; k++) s += v[(size_t)i * n + k] * fw[k] * v[(size_t)j * n + k];
      out[(size_t)i * n + j] = out[(size_t)j * n + i] = s;
    }
}

vg_status vg_frechet(int n, const double *mu1, const double *c1, const double *mu2, const double *c2, double *out) {
  if (n < 1 || n > MAX_DIM) return VG_ERR_ARG;
  const size_t nn = (size_t)n * n;
  double *a = malloc(nn * sizeof *a), *v = malloc(nn * sizeof *v), *r = malloc(nn * sizeof *r);
  double *t = malloc(nn * sizeof *t), *w = malloc((size_t)n * sizeof *w);
  vg_status st = VG_ERR_NOMEM;
  if (!a || !v || !r || !t || !w) goto done;
  /* R = c1^(1/2) */
  memcpy(a, c1, nn * sizeof *a);
  if ((st = vg_sym_eig(n, a, w, v))) goto done;
  for (int i = 0; i < n; i++) w[i] = sqrt(w[i] > 0 ? w[i] : 0);
  recompose(n, v, w, r);
  /* a = R c2 R, by t = c2 R then a = R t, made exactly symmetric */
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double s = 0;
      for (int k = 0; k < n; k++) s += c2[(size_t)i * n + k] * r[(size_t)k * n + j];
      t[(size_t)i * n + j] = s;
    }
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double s = 0;
      for (int k = 0; k < n; k++) s += r[(size_t)i * n + k] * t[(size_t)k * n + j];
      a[(size_t)i * n + j] = s;
    }
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      const double s = 0.5 * (a[(size_t)i * n + j] + a[(size_t)j * n + i]);
      a[(size_t)i * n + j] = a[(size_t)j * n + i] = s;
    }
  if ((st = vg_sym_eig(n, a, w, v))) goto done;
  double d = 0;
  for (int i = 0; i < n; i++) {
    const double dm = mu1[i] - mu2[i];
    d += dm * dm + c1[(size_t)i * n + i] + c2[(size_t)i * n + i] - 2 * sqrt(w[i] > 0 ? w[i] : 0);
  }
  *out = d;
  st = VG_OK;
done:
  free(a), free(v), free(r), free(t), free(w);
  return st;
}
