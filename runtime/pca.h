/* Two-dimensional views of many-dimensional points (latent codes): the
 * input of the latent scatter plot. */
#ifndef VG_PCA_H
#define VG_PCA_H

#include "shape.h"

/* Projects n points of dimension d (row-major) onto their top two principal
 * components: centred, covariance in double, power iteration from a fixed
 * starting vector with the second axis kept orthogonal to the first
 * (deflation), each axis's sign chosen so its largest-magnitude component is
 * positive. The result is deterministic: same input, same bytes.
 * out_xy gets 2*n floats (x0, y0, x1, y1, ...) and must not overlap x.
 * Cost O(n d^2) for the covariance: fine for latent codes, slow (seconds)
 * for tens of thousands of raw 784-pixel images.
 *   d == 2: the points are returned as they are (no centring, no rotation),
 *           so already-2-D latents plot in their own coordinates.
 *   d == 1: x = the value, y = 0.
 * A point with a non-finite coordinate (d >= 3) is left out of the mean and
 * covariance and projects to (NaN, NaN), which vg_scatter_png skips and counts.
 * If the data has less than two dimensions of spread, the missing axis
 * projects to 0. VG_ERR_ARG for n < 1, d < 1, d > 4096 or NULL pointers;
 * VG_ERR_NOMEM. */
vg_status vg_pca2(const float *x, int n, int d, float *out_xy);

#endif
