/* Pictures of what a model learned: PNG files, image grids (reconstructions,
 * samples) and 2-D scatter plots of latent codes.
 *
 * Functions that touch files take err/errlen: on error err gets a message
 * that starts with the file's path ("out/z.png: ..."); err may be NULL. */
#ifndef VG_IMAGE_H
#define VG_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "shape.h"

/* Writes an 8-bit PNG (channels 1 = gray, 3 = RGB; pixels row-major,
 * interleaved, no row padding) atomically: to "<path>.tmp", flushed to disk,
 * then renamed, so a crash never leaves a half-written file under the final
 * name. On any error the temporary file is removed.
 * VG_ERR_ARG for bad sizes, VG_ERR_IO for file system errors. */
vg_status vg_png_write(const char *path, int width, int height, int channels, const uint8_t *pixels, char *err,
                       size_t errlen);

/* Reads an 8-bit gray or RGB PNG exactly (no gamma or colour conversion).
 * Palette images come back as RGB and 1/2/4-bit gray as 8-bit gray; 16-bit
 * and alpha images are refused (VG_ERR_FORMAT), as is anything not a PNG.
 * *pixels is malloc'd (width * height * channels bytes), the caller frees;
 * on error it is NULL. VG_ERR_IO when the file cannot be opened. */
vg_status vg_png_read(const char *path, int *width, int *height, int *channels, uint8_t **pixels, char *err,
                      size_t errlen);

/* Tiles n images, each h x w floats row-major, into a gray grid of `cols`
 * columns and ceil(n / cols) rows, image i at row i / cols, column i % cols.
 * Values map linearly from [lo, hi] to 0..255 (rounded, clamped; NaN -> 0).
 * `pad` pixels of mid-gray (128) separate the tiles and surround the grid, so
 * dark digits on a dark background stay apart; unused slots are also 128.
 * `scale` >= 1 enlarges the whole grid, padding included, by pixel
 * replication: the result is exactly the scale-1 grid, scale times larger:
 *   out_w = scale * (cols * w + (cols + 1) * pad)
 *   out_h = scale * (rows * h + (rows + 1) * pad)
 * *out is malloc'd (out_w * out_h bytes), the caller frees.
 * VG_ERR_ARG for n, h, w, cols, scale < 1, pad < 0, !(hi > lo), non-finite
 * lo/hi, or an image over 2^30 pixels; VG_ERR_NOMEM. */
vg_status vg_image_grid(const float *images, int n, int h, int w, int cols, int pad, int scale, float lo, float hi,
                        uint8_t **out, int *out_w, int *out_h);

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
 * projects to 0. VG_ERR_ARG for n < 1, d < 1, d > 8192 or NULL pointers;
 * VG_ERR_NOMEM. */
vg_status vg_pca2(const float *x, int n, int d, float *out_xy);

/* A scatter plot as an RGB PNG of size x size pixels (64..8192), written with
 * vg_png_write (atomic). White background, a black frame around the plot
 * area; the data range (of both point sets, 5% margin each side) fills it,
 * y pointing up, aspect not kept.
 *   bg_xy: nbg optional background points (NULL/0 for none), e.g. samples
 *          from the prior, drawn first in light gray (200,200,200).
 *   xy:    n points (x, y pairs) drawn on top as discs of radius 2, coloured
 *          by labels[i] with matplotlib's tab10 palette for 0..9; labels NULL
 *          or any other label (-1 etc.) draws dark gray (64,64,64).
 * Tick marks and labels ("%.3g") show the min and max of the data on each
 * axis; a legend on the right shows a colour swatch and the digit of each
 * class 0..9 present; `title` (may be NULL) is drawn at the top. Text uses a
 * built-in 5x7 font: A-Z (lower case is drawn as upper case), 0-9, space and
 * - . : , ( ) = + / _ ; anything else is drawn as '?'. Text grows with size
 * (1 + size/500 pixels per font pixel); a title too long for the width is cut.
 * Points with a non-finite coordinate (in either set) are skipped; *skipped
 * (may be NULL) gets how many. VG_ERR_ARG for bad arguments, VG_ERR_NOMEM,
 * or vg_png_write's errors; err always names the file. */
vg_status vg_scatter_png(const char *path, const float *xy, const int *labels, int n, const float *bg_xy, int nbg,
                         int size, const char *title, int *skipped, char *err, size_t errlen);

#endif
