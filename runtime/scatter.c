/* Scatter plots of latent codes, coloured by class. */
#include "plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axes.h"
#include "canvas.h"
#include "pngfile.h"

static const vg_rgb WHITE = {255, 255, 255}, BLACK = {0, 0, 0};
static const vg_rgb LIGHT_GRAY = {200, 200, 200}, DARK_GRAY = {64, 64, 64};

typedef struct range {
  double xmin, xmax, ymin, ymax;
} range;

/* Widens r to the finite points among n and counts the others. */
static void widen(range *r, const float *xy, int n, int *bad) {
  for (int i = 0; i < n; i++) {
    float x = xy[2 * i], y = xy[2 * i + 1];
    if (!isfinite(x) || !isfinite(y)) {
      (*bad)++;
      continue;
    }
    r->xmin = fmin(r->xmin, x);
    r->xmax = fmax(r->xmax, x);
    r->ymin = fmin(r->ymin, y);
    r->ymax = fmax(r->ymax, y);
  }
}

static void draw_points(vg_canvas *c, const vg_axes *p, const float *xy, const int *labels, int n, int is_bg) {
  for (int i = 0; i < n; i++) {
    float x = xy[2 * i], y = xy[2 * i + 1];
    if (!isfinite(x) || !isfinite(y)) continue;
    vg_rgb col = is_bg ? LIGHT_GRAY : DARK_GRAY;
    if (!is_bg && labels && labels[i] >= 0) col = vg_palette(labels[i]);
    vg_canvas_disc(c, vg_axes_px(p, x), vg_axes_py(p, y), 2, col);
  }
}

static int by_value(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

/* The classes (labels >= 0) of the finite points, sorted, each once, into
 * classes (room for n); returns how many. */
static int present_classes(const float *xy, const int *labels, int n, int *classes) {
  int k = 0;
  for (int i = 0; labels && i < n; i++)
    if (labels[i] >= 0 && isfinite(xy[2 * i]) && isfinite(xy[2 * i + 1])) classes[k++] = labels[i];
  qsort(classes, (size_t)k, sizeof *classes, by_value);
  int u = 0;
  for (int i = 0; i < k; i++)
    if (u == 0 || classes[i] != classes[u - 1]) classes[u++] = classes[i];
  return u;
}

/* A class's legend text: its name when there is one, else its number. */
static const char *class_name(int label, const char *const *names, int nnames, char buf[16]) {
  if (names && label < nnames && names[label] && *names[label]) return names[label];
  snprintf(buf, 16, "%d", label);
  return buf;
}

/* Legend geometry, in font-scale units s: a swatch FONT_H wide, 3 apart from
 * the text; rows 11 apart; 7 from the frame and 4 from the picture's edge. */
#define LEGEND_GAP 7
#define LEGEND_TEXT (VG_FONT_H + 3)
#define LEGEND_ROW 11
#define LEGEND_EDGE 4

/* One row per class present, in label order: a colour swatch and the name,
 * cut to the legend's width. When the rows do not all fit beside the plot,
 * the last row that fits says "..." instead. */
static void draw_legend(vg_canvas *c, const vg_axes *p, const int *classes, int nclasses, const char *const *names,
                        int nnames, int s) {
  int x = p->x1 + LEGEND_GAP * s, tx = x + LEGEND_TEXT * s;
  size_t fit = vg_text_fit(c->w - LEGEND_EDGE * s - tx, s);
  int rows = (p->y1 - p->y0 + 1 - VG_FONT_H * s) / (LEGEND_ROW * s) + 1;
  int shown = nclasses <= rows ? nclasses : rows - 1;
  char buf[16];
  for (int k = 0; k < shown; k++) {
    int y = p->y0 + k * LEGEND_ROW * s;
    vg_canvas_rect(c, x, y, x + VG_FONT_H * s - 1, y + VG_FONT_H * s - 1, vg_palette(classes[k]));
    vg_canvas_text(c, tx, y, class_name(classes[k], names, nnames, buf), fit, s, BLACK);
  }
  if (shown < nclasses && shown >= 0) vg_canvas_text(c, x, p->y0 + shown * LEGEND_ROW * s, "...", 3, s, BLACK);
}

vg_status vg_scatter_png(const char *path, const float *xy, const int *labels, int n, const float *bg_xy, int nbg,
                         int size, const char *title, const char *const *names, int nnames, int *skipped, char *err,
                         size_t errlen) {
  if (skipped) *skipped = 0;
  if (!path) return vg_file_error(err, errlen, VG_ERR_ARG, path, "no file name given");
  if (n < 0 || nbg < 0 || (n > 0 && !xy) || (nbg > 0 && !bg_xy))
    return vg_file_error(err, errlen, VG_ERR_ARG, path, "bad point arrays (n %d, nbg %d, xy %s, bg_xy %s)", n, nbg,
                         xy ? "set" : "NULL", bg_xy ? "set" : "NULL");
  if (size < 64 || size > 8192)
    return vg_file_error(err, errlen, VG_ERR_ARG, path, "plot size %d is outside 64..8192", size);
  if (nnames < 0) return vg_file_error(err, errlen, VG_ERR_ARG, path, "nnames is %d", nnames);

  range data = {INFINITY, -INFINITY, INFINITY, -INFINITY};
  int bad = 0;
  widen(&data, xy, n, &bad);
  widen(&data, bg_xy, nbg, &bad);
  if (skipped) *skipped = bad;
  int empty = !(data.xmin <= data.xmax);
  if (empty) data = (range){-1, 1, -1, 1};
  vg_axes p = {0, 0, 0, 0, data.xmin, data.xmax, data.ymin, data.ymax};
  vg_axes_pad(&p.xmin, &p.xmax);
  vg_axes_pad(&p.ymin, &p.ymax);

  int *classes = malloc((size_t)(n ? n : 1) * sizeof *classes);
  if (!classes) return vg_file_error(err, errlen, VG_ERR_NOMEM, path, "out of memory for %d labels", n);
  int nclasses = present_classes(xy, labels, n, classes);
  size_t longest = 0;
  char buf[16];
  for (int k = 0; k < nclasses; k++) {
    size_t len = strlen(class_name(classes[k], names, nnames, buf));
    if (len > longest) longest = len;
  }
  if (longest > (size_t)size) longest = (size_t)size; /* cut anyway; keeps the width's int in range */

  /* Margins: room for the y tick labels on the left, x tick labels below,
   * the legend on the right and the title on top. The left one is never
   * more than a third of the picture, and the legend leaves the plot at
   * least half the width: long labels and names get cut rather than
   * squeezing the plot. */
  int s = 1 + size / 500;
  int left = vg_axes_label_width(data.ymin, data.ymax, 3, s) + 9 * s;
  if (left > size / 3) left = size / 3;
  int right = 8 * s;
  if (nclasses) {
    int64_t want = (int64_t)(LEGEND_GAP + LEGEND_TEXT + LEGEND_EDGE) * s + vg_text_width(longest, s);
    int most = size - left - size / 2;
    right = want < most ? (int)want : most;
  }
  int top = title && *title ? (4 + VG_FONT_H + 7) * s : 8 * s;
  int bottom = (5 + VG_FONT_H + 4) * s;
  p.x0 = left;
  p.x1 = size - 1 - right;
  p.y0 = top;
  p.y1 = size - 1 - bottom;

  vg_canvas c;
  if (vg_canvas_create(&c, size, size, WHITE) != VG_OK) {
    free(classes);
    return vg_file_error(err, errlen, VG_ERR_NOMEM, path, "out of memory for a %dx%d plot", size, size);
  }
  /* The frame sits just outside the plot area; the 5% margin keeps the
   * discs of extreme points off it. */
  vg_axes_frame(&c, &p, s, BLACK);
  draw_points(&c, &p, bg_xy, NULL, nbg, 1);
  draw_points(&c, &p, xy, labels, n, 0);
  if (!empty) vg_axes_ticks(&c, &p, data.xmin, data.xmax, data.ymin, data.ymax, 3, s, 2 * s, size - 2 * s, BLACK);
  draw_legend(&c, &p, classes, nclasses, names, nnames, s);
  free(classes);
  if (title && *title) {
    size_t len = strlen(title), fits = vg_text_fit(size - 8 * s, s);
    if (len > fits) len = fits;
    vg_canvas_text(&c, (size - vg_text_width(len, s)) / 2, 4 * s, title, len, s, BLACK);
  }
  vg_status st = vg_png_write(path, size, size, 3, c.px, err, errlen);
  vg_canvas_free(&c);
  return st;
}
