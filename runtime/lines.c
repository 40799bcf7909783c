/* Figures of small line charts: one panel per metric, e.g. every column of
 * metrics.csv over the epochs. */
#include "plot.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "axes.h"
#include "canvas.h"
#include "pngfile.h"

static const vg_rgb WHITE = {255, 255, 255}, BLACK = {0, 0, 0};
static const vg_rgb GRAY = {128, 128, 128}, LIGHT_GRAY = {200, 200, 200};

#define MAX_PIXELS ((int64_t)64 << 20) /* 64 Mpixel: 192 MiB of RGB */

/* Geometry in font-scale units s. */
#define TITLE_BAND (4 + VG_FONT_H + 4) /* a title's band: text with space above and below */
#define MARKER 2                       /* marker radius */
#define LEG_PAD 3                      /* inside the legend box */
#define LEG_SAMPLE 12                  /* the short line in front of each label */
#define LEG_GAP 4                      /* between that line and the label */
#define LEG_ROW (VG_FONT_H + 3)

/* A series' text: its label, or its number when it has none. */
static const char *series_name(const vg_series *sr, int k, char buf[16]) {
  if (sr->label && *sr->label) return sr->label;
  snprintf(buf, 16, "%d", k);
  return buf;
}

static int finite_point(const vg_series *sr, int i) { return isfinite(sr->x[i]) && isfinite(sr->y[i]); }

/* The range of a panel's finite points; returns 0 when it has none. */
static int panel_range(const vg_panel *pn, double *xlo, double *xhi, double *ylo, double *yhi) {
  *xlo = *ylo = INFINITY;
  *xhi = *yhi = -INFINITY;
  for (int k = 0; k < pn->nseries; k++) {
    const vg_series *sr = &pn->series[k];
    for (int i = 0; i < sr->n; i++) {
      if (!finite_point(sr, i)) continue;
      *xlo = fmin(*xlo, sr->x[i]);
      *xhi = fmax(*xhi, sr->x[i]);
      *ylo = fmin(*ylo, sr->y[i]);
      *yhi = fmax(*yhi, sr->y[i]);
    }
  }
  return *xlo <= *xhi;
}

/* Each series as lines between consecutive finite points (a non-finite
 * point leaves a gap on both its sides) and a marker on every finite point,
 * so a lone point, a single epoch say, still shows. */
static void draw_series(vg_canvas *c, const vg_axes *a, const vg_panel *pn, int s) {
  for (int k = 0; k < pn->nseries; k++) {
    const vg_series *sr = &pn->series[k];
    vg_rgb col = vg_palette(k);
    for (int i = 1; i < sr->n; i++)
      if (finite_point(sr, i - 1) && finite_point(sr, i))
        vg_canvas_line(c, vg_axes_px(a, sr->x[i - 1]), vg_axes_py(a, sr->y[i - 1]), vg_axes_px(a, sr->x[i]),
                       vg_axes_py(a, sr->y[i]), s, col);
    for (int i = 0; i < sr->n; i++)
      if (finite_point(sr, i)) vg_canvas_disc(c, vg_axes_px(a, sr->x[i]), vg_axes_py(a, sr->y[i]), MARKER * s, col);
  }
}

/* Finite points of the panel whose markers touch the box [x0, x1] x [y0, y1]. */
static int points_in(const vg_axes *a, const vg_panel *pn, int x0, int y0, int x1, int y1, int r) {
  int n = 0;
  for (int k = 0; k < pn->nseries; k++) {
    const vg_series *sr = &pn->series[k];
    for (int i = 0; i < sr->n; i++) {
      if (!finite_point(sr, i)) continue;
      int x = vg_axes_px(a, sr->x[i]), y = vg_axes_py(a, sr->y[i]);
      n += x + r >= x0 && x - r <= x1 && y + r >= y0 && y - r <= y1;
    }
  }
  return n;
}

/* A legend box inside the plot area, in whichever corner covers the fewest
 * points (top right first: loss curves fall away from it). Labels are cut to
 * the plot's width; when the rows do not all fit, the last says "...". */
static void draw_legend(vg_canvas *c, const vg_axes *a, const vg_panel *pn, int s) {
  char buf[16];
  size_t longest = 0;
  for (int k = 0; k < pn->nseries; k++) {
    size_t len = strlen(series_name(&pn->series[k], k, buf));
    if (len > longest) longest = len;
  }
  int inset = 2 * s, aw = a->x1 - a->x0 + 1 - 2 * inset, ah = a->y1 - a->y0 + 1 - 2 * inset;
  int fixed = (2 * LEG_PAD + LEG_SAMPLE + LEG_GAP) * s;
  size_t fit = vg_text_fit(aw - fixed, s);
  if (longest > fit) longest = fit;
  int rows = (ah - 2 * LEG_PAD * s + 3 * s) / (LEG_ROW * s);
  if (rows < 1 || longest == 0) return; /* no room for even one row */
  int shown = pn->nseries <= rows ? pn->nseries : rows - 1;
  int nrows = shown < pn->nseries ? shown + 1 : shown;
  int bw = fixed + vg_text_width(longest, s), bh = 2 * LEG_PAD * s + nrows * LEG_ROW * s - 3 * s;

  /* Corners: top right, bottom right, top left, bottom left. */
  int best = -1, bx = 0, by = 0;
  for (int corner = 0; corner < 4; corner++) {
    int x = corner < 2 ? a->x1 - inset - bw + 1 : a->x0 + inset;
    int y = corner % 2 == 0 ? a->y0 + inset : a->y1 - inset - bh + 1;
    int n = points_in(a, pn, x, y, x + bw - 1, y + bh - 1, MARKER * s);
    if (best < 0 || n < best) best = n, bx = x, by = y;
  }
  vg_canvas_rect(c, bx, by, bx + bw - 1, by + bh - 1, LIGHT_GRAY);
  vg_canvas_rect(c, bx + 1, by + 1, bx + bw - 2, by + bh - 2, WHITE);
  for (int k = 0; k < shown; k++) {
    int y = by + LEG_PAD * s + k * LEG_ROW * s, mid = y + VG_FONT_H * s / 2, x = bx + LEG_PAD * s;
    vg_rgb col = vg_palette(k);
    vg_canvas_line(c, x, mid, x + LEG_SAMPLE * s - 1, mid, s, col);
    vg_canvas_disc(c, x + LEG_SAMPLE * s / 2, mid, MARKER * s, col);
    vg_canvas_text(c, x + (LEG_SAMPLE + LEG_GAP) * s, y, series_name(&pn->series[k], k, buf), longest, s, BLACK);
  }
  if (shown < pn->nseries)
    vg_canvas_text(c, bx + LEG_PAD * s, by + LEG_PAD * s + shown * LEG_ROW * s, "...", 3, s, BLACK);
}

/* Text centred in the columns [x0, x0 + w), cut to fit. */
static void draw_centred(vg_canvas *c, int x0, int w, int y, const char *t, int s, vg_rgb col) {
  size_t len = strlen(t), fit = vg_text_fit(w - 4 * s, s);
  if (len > fit) len = fit;
  vg_canvas_text(c, x0 + (w - vg_text_width(len, s)) / 2, y, t, len, s, col);
}

/* Panel pn in the cell whose top-left corner is (cx, cy). */
static void draw_panel(vg_canvas *c, const vg_panel *pn, int cx, int cy, int cw, int ch, int s) {
  double xlo, xhi, ylo, yhi;
  int any = panel_range(pn, &xlo, &xhi, &ylo, &yhi);
  if (!any) xlo = ylo = 0, xhi = yhi = 1;
  int left = vg_axes_label_width(ylo, yhi, 4, s) + 9 * s;
  if (left > cw / 3) left = cw / 3;
  vg_axes a = {cx + left, cy + TITLE_BAND * s, cx + cw - 1 - 8 * s, cy + ch - 1 - (5 + VG_FONT_H + 4) * s,
               xlo, xhi, ylo, yhi};
  vg_axes_pad(&a.xmin, &a.xmax);
  vg_axes_pad(&a.ymin, &a.ymax);
  if (pn->title && *pn->title) draw_centred(c, cx, cw, cy + 4 * s, pn->title, s, BLACK);
  vg_axes_frame(c, &a, s, BLACK);
  if (!any) {
    draw_centred(c, a.x0, a.x1 - a.x0 + 1, (a.y0 + a.y1 - VG_FONT_H * s) / 2, "no data", s, GRAY);
    return;
  }
  vg_axes_ticks(c, &a, xlo, xhi, ylo, yhi, 4, s, cx + 2 * s, cx + cw - 2 * s, BLACK);
  draw_series(c, &a, pn, s);
  if (pn->nseries > 1) draw_legend(c, &a, pn, s);
}

/* Checks every panel and series; returns VG_OK or fills err. */
static vg_status check_panels(const char *path, const vg_panel *panels, int npanels, char *err, size_t errlen) {
  for (int p = 0; p < npanels; p++) {
    const vg_panel *pn = &panels[p];
    const char *pt = pn->title ? pn->title : "";
    if (pn->nseries < 0 || (pn->nseries > 0 && !pn->series))
      return vg_file_error(err, errlen, VG_ERR_ARG, path, "panel %d ('%s'): %d series at %s", p, pt, pn->nseries,
                           pn->series ? "an address" : "NULL");
    for (int k = 0; k < pn->nseries; k++) {
      const vg_series *sr = &pn->series[k];
      const char *st = sr->label ? sr->label : "";
      if (sr->n < 0)
        return vg_file_error(err, errlen, VG_ERR_ARG, path, "panel %d ('%s'), series %d ('%s'): %d points", p, pt, k,
                             st, sr->n);
      if (sr->n > 0 && (!sr->x || !sr->y))
        return vg_file_error(err, errlen, VG_ERR_ARG, path, "panel %d ('%s'), series %d ('%s'): %s is NULL", p, pt, k,
                             st, !sr->x ? "x" : "y");
    }
  }
  return VG_OK;
}

vg_status vg_lines_png(const char *path, const vg_panel *panels, int npanels, int cols, int panel_w, int panel_h,
                       const char *title, char *err, size_t errlen) {
  if (!path) return vg_file_error(err, errlen, VG_ERR_ARG, path, "no file name given");
  if (npanels < 1 || !panels)
    return vg_file_error(err, errlen, VG_ERR_ARG, path, "no panels to draw (%d at %s)", npanels,
                         panels ? "an address" : "NULL");
  if (cols < 1) return vg_file_error(err, errlen, VG_ERR_ARG, path, "%d columns of panels (want 1 or more)", cols);
  if (panel_w < 64 || panel_w > 8192 || panel_h < 64 || panel_h > 8192)
    return vg_file_error(err, errlen, VG_ERR_ARG, path, "panel size %dx%d is outside 64..8192", panel_w, panel_h);
  int s = 1 + (panel_w < panel_h ? panel_w : panel_h) / 500;
  int ncols = cols < npanels ? cols : npanels, nrows = (npanels - 1) / ncols + 1;
  int top = title && *title ? TITLE_BAND * s : 0;
  /* Each side is below 2^45, and one over the bound already makes the
   * figure too large (the other is at least 64): no product overflows. */
  int64_t w = (int64_t)ncols * panel_w, h = top + (int64_t)nrows * panel_h;
  if (w > MAX_PIXELS || h > MAX_PIXELS || w * h > MAX_PIXELS)
    return vg_file_error(err, errlen, VG_ERR_ARG, path,
                         "a figure of %lldx%lld pixels (%d panels of %dx%d in %d columns) is over 64 Mpixel",
                         (long long)w, (long long)h, npanels, panel_w, panel_h, ncols);
  vg_status st = check_panels(path, panels, npanels, err, errlen);
  if (st) return st;

  vg_canvas c;
  if (vg_canvas_create(&c, (int)w, (int)h, WHITE) != VG_OK)
    return vg_file_error(err, errlen, VG_ERR_NOMEM, path, "out of memory for a %lldx%lld figure", (long long)w,
                         (long long)h);
  if (top) draw_centred(&c, 0, (int)w, 4 * s, title, s, BLACK);
  for (int p = 0; p < npanels; p++)
    draw_panel(&c, &panels[p], (p % ncols) * panel_w, top + (p / ncols) * panel_h, panel_w, panel_h, s);
  st = vg_png_write(path, (int)w, (int)h, 3, c.px, err, errlen);
  vg_canvas_free(&c);
  return st;
}
