/* Pictures of what a model learned, one file each: image grids of
 * reconstructions and samples (grid.c) and scatter plots of latent codes
 * (scatter.c). They draw with canvas.h and write with vg_png_write.
 *
 * Functions that write a file take err/errlen: on error err gets a message
 * that starts with the file's path ("out/z.png: ..."); err may be NULL. */
#ifndef VG_PLOT_H
#define VG_PLOT_H

#include <stddef.h>
#include <stdint.h>

#include "shape.h"

/* Tiles n images into a grid of `cols` columns and ceil(n / cols) rows,
 * image i at row i / cols, column i % cols.
 *   channels 1: each image is h x w floats row-major; the grid is gray,
 *               out_w * out_h bytes.
 *   channels 3: each image is 3 * h * w floats in planar order, as a
 *               [C, H, W] tensor (all of R, then G, then B); the grid is
 *               interleaved RGB, out_w * out_h * 3 bytes, ready for
 *               vg_png_write.
 * Values map linearly from [lo, hi] to 0..255 (rounded, clamped; NaN -> 0),
 * each channel alike. `pad` pixels of mid-gray (128 in every channel)
 * separate the tiles and surround the grid, so dark digits on a dark
 * background stay apart; unused slots are also 128. `scale` >= 1 enlarges
 * the whole grid, padding included, by pixel replication: the result is
 * exactly the scale-1 grid, scale times larger:
 *   out_w = scale * (cols * w + (cols + 1) * pad)
 *   out_h = scale * (rows * h + (rows + 1) * pad)
 * *out is malloc'd, the caller frees.
 * VG_ERR_ARG for n, h, w, cols, scale < 1, pad < 0, channels other than 1
 * or 3, !(hi > lo), non-finite lo/hi, or a grid over 2^30 bytes;
 * VG_ERR_NOMEM. */
vg_status vg_image_grid(const float *images, int n, int channels, int h, int w, int cols, int pad, int scale,
                        float lo, float hi, uint8_t **out, int *out_w, int *out_h);

/* A scatter plot as an RGB PNG of size x size pixels (64..8192), written with
 * vg_png_write (atomic). White background, a black frame around the plot
 * area; the data range (of both point sets, 5% margin each side) fills it,
 * y pointing up, aspect not kept.
 *   bg_xy: nbg optional background points (NULL/0 for none), e.g. samples
 *          from the prior, drawn first in light gray (200,200,200).
 *   xy:    n points (x, y pairs) drawn on top as discs of radius 2, coloured
 *          by class: label k >= 0 gets vg_palette(k) (canvas.h: tab10 for
 *          0..9, then ten more colours, then again); labels NULL or a
 *          negative label draws dark gray (64,64,64).
 * Tick marks and labels ("%.3g") show the min and max of the data on each
 * axis. A legend on the right lists every class present (label >= 0 with a
 * finite point), in label order, as a colour swatch and names[label] when
 * names is not NULL, label < nnames and that name is neither NULL nor
 * empty, else the label's number. The legend is as wide as its longest
 * name, but leaves the plot at least half the picture's width (longer names
 * are cut); when more classes are present than rows fit beside the plot, it
 * lists as many as fit and ends with "...". `title` (may be NULL) is drawn
 * at the top. Text uses the built-in 5x7 font (canvas.h; a character it
 * lacks is drawn as '?') and grows with size (1 + size/500 pixels per font
 * pixel); a title too long for the width is cut.
 * Points with a non-finite coordinate (in either set) are skipped; *skipped
 * (may be NULL) gets how many. VG_ERR_ARG for bad arguments (nnames < 0
 * among them), VG_ERR_NOMEM, or vg_png_write's errors; err always names
 * the file. */
vg_status vg_scatter_png(const char *path, const float *xy, const int *labels, int n, const float *bg_xy, int nbg,
                         int size, const char *title, const char *const *names, int nnames, int *skipped, char *err,
                         size_t errlen);

#endif
