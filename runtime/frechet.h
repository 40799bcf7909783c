/* The Fréchet distance between two Gaussians fitted to two sets of feature
 * vectors (the FID formula of Heusel et al. 2017):
 *   d = |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2)).
 * Samples' features and the test images' features are each summed into a
 * vg_moments as they are computed, batch by batch, so neither set is held. */
#ifndef VG_FRECHET_H
#define VG_FRECHET_H

#include <stdint.h>

#include "shape.h"

/* Running sums of dim-vectors: their count, their sum and the upper
 * triangle of the sum of their outer products, in double, each taken
 * relative to the first vector added (a shift that spares the covariance
 * the cancellation of E[xx] - E[x]^2 when the mean is large). */
typedef struct vg_moments {
  int dim;
  int64_t count;
  double *shift, *sum, *outer; /* dim, dim, dim * dim (row-major, i <= j used) */
} vg_moments;

/* VG_ERR_ARG for dim < 1 or past 4096; VG_ERR_NOMEM. */
vg_status vg_moments_init(vg_moments *m, int dim);
void vg_moments_free(vg_moments *m);
/* Adds rows vectors x[r * dim .. r * dim + dim - 1]. Sums are taken in row
 * order for each entry, whatever the thread count, so the result is the
 * same bytes at any thread count. VG_ERR_VALUE (and nothing added) when a
 * value is not finite: a NaN would silently poison the distance. */
vg_status vg_moments_add(vg_moments *m, const float *x, int64_t rows);
/* The mean (dim) and the covariance (dim * dim, divided by count - 1, as
 * numpy's cov) of what was added; VG_ERR_ARG with fewer than two vectors. */
vg_status vg_moments_stats(const vg_moments *m, double *mean, double *cov);

/* Eigenvalues w (ascending) and eigenvectors (the columns of v, n x n
 * row-major) of the symmetric n x n matrix a, which is overwritten; the
 * cyclic Jacobi method, in double. VG_ERR_ARG for n < 1; VG_ERR_NOMEM. */
vg_status vg_sym_eig(int n, double *a, double *w, double *v);

/* The Fréchet distance between N(mu1, c1) and N(mu2, c2) of dimension n:
 * tr((c1 c2)^(1/2)) as tr((R c2 R)^(1/2)), R = c1^(1/2), so that both
 * square roots are of symmetric matrices. Eigenvalues below zero (rounding
 * in a covariance of rank below n) count as zero. */
vg_status vg_frechet(int n, const double *mu1, const double *c1, const double *mu2, const double *c2, double *out);

#endif
