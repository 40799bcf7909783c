/* Pictures of what a model learned, one file each: image grids of
 * reconstructions and samples (grid.c), scatter plots of latent codes
 * (scatter.c) and line charts of training curves (lines.c). The plots draw
 * with canvas.h (axes.h for what they share) and write with vg_png_write,
 * atomically. A new picture is one more file here and one declaration.
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

/* A run of `count` images lying one after another in memory (rows of a
 * tensor's value), each channels x h x w floats. */
typedef struct vg_image_run {
  const float *images;
  int count;
} vg_image_run;

/* The images of the runs, in order, as a grid (vg_image_grid's layout and
 * mapping, padding 1) written to a PNG with vg_png_write: a picture of
 * originals over reconstructions, say, taken from several tensors.
 * VG_ERR_ARG when there is no image or vg_image_grid refuses the sizes;
 * VG_ERR_NOMEM; vg_png_write's errors. err names the file. */
vg_status vg_grid_png(const char *path, const vg_image_run *runs, int nruns, int channels, int h, int w, int cols,
                      int scale, float lo, float hi, char *err, size_t errlen);

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

/* One line of a chart: n points (x[i], y[i]), joined in order. */
typedef struct vg_series {
  const char *label; /* legend text; NULL or "" shows the series' index */
  const double *x, *y;
  int n;
} vg_series;

/* One chart: a title and the series drawn in it, series k in colour
 * vg_palette(k). */
typedef struct vg_panel {
  const char *title; /* may be NULL */
  const vg_series *series;
  int nseries;
} vg_panel;

/* A figure of small line charts as an RGB PNG, written with vg_png_write
 * (atomic): training curves, one panel per metric (every metrics.csv
 * column over the epochs).
 *
 * Layout: panels in min(cols, npanels) columns, row-major (panel i at row
 * i / cols, column i % cols), each a panel_w x panel_h cell (64..8192),
 * below an optional figure `title` (NULL or "" for none) in a band of
 * 15 * s pixels, where s = 1 + min(panel_w, panel_h) / 500 is the text
 * scale. The figure is therefore
 *   width  = min(cols, npanels) * panel_w
 *   height = (title ? 15 * s : 0) + ceil(npanels / cols) * panel_h
 * and may not exceed 64 Mpixel.
 *
 * Each panel: its title centred on top (cut to fit), a black frame, and
 * tick marks labelled ("%.4g") at the min and max of its finite data on
 * both axes. The data range fills the frame with a 5% margin, a constant
 * range getting a window around it (as in the scatter plot), so a flat
 * curve or a single epoch shows in the middle. Each series is a line
 * s pixels thick through its finite points in order (a point with a
 * non-finite x or y is skipped and breaks the line: nothing joins its
 * neighbours) with a disc of radius 2 * s on every finite point. With more
 * than one series, a legend (a line sample and the label per series; "..."
 * when they do not all fit) sits inside the frame, in whichever corner
 * covers the fewest points. A panel with no finite point shows "no data".
 * White background.
 *
 * VG_ERR_ARG (messages start with the path, then name the panel and
 * series): npanels < 1, panels NULL, cols < 1, a panel size outside
 * 64..8192, a figure over 64 Mpixel, nseries < 0 or series NULL with
 * nseries > 0, n < 0, x or y NULL with n > 0. VG_ERR_NOMEM, or
 * vg_png_write's errors. */
vg_status vg_lines_png(const char *path, const vg_panel *panels, int npanels, int cols, int panel_w, int panel_h,
                       const char *title, char *err, size_t errlen);

#endif
