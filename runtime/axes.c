/* Axes: the plot area's geometry and its labels. */
#include "axes.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void vg_axes_pad(double *lo, double *hi) {
  double span = *hi - *lo;
  if (!(span > 0)) {
    double half = *lo != 0 ? fabs(*lo) * 0.5 : 1.0;
    *lo -= half;
    *hi += half;
    span = *hi - *lo;
  }
  *lo -= 0.05 * span;
  *hi += 0.05 * span;
}

/* The fraction t of the way across, as a pixel between a (t = 0) and b
 * (t = 1). Data inside the window never needs t outside [-1, 2]; clamping
 * to it keeps an overflowing window (values near DBL_MAX) or a NaN from
 * reaching lround as something no int can hold. */
static int lerp_px(double t, int a, int b) {
  if (isnan(t)) t = 0;
  else if (t < -1) t = -1;
  else if (t > 2) t = 2;
  return a + (int)lround(t * (b - a));
}

int vg_axes_px(const vg_axes *a, double x) { return lerp_px((x - a->xmin) / (a->xmax - a->xmin), a->x0, a->x1); }

/* y grows upwards in the plot and downwards on the canvas. */
int vg_axes_py(const vg_axes *a, double y) { return lerp_px((y - a->ymin) / (a->ymax - a->ymin), a->y1, a->y0); }

void vg_axes_frame(vg_canvas *c, const vg_axes *a, int s, vg_rgb col) {
  vg_canvas_rect(c, a->x0 - s, a->y0 - s, a->x1 + s, a->y0 - 1, col);
  vg_canvas_rect(c, a->x0 - s, a->y1 + 1, a->x1 + s, a->y1 + s, col);
  vg_canvas_rect(c, a->x0 - s, a->y0, a->x0 - 1, a->y1, col);
  vg_canvas_rect(c, a->x1 + 1, a->y0, a->x1 + s, a->y1, col);
}

int vg_axes_label_width(double lo, double hi, int digits, int s) {
  char a[32], b[32];
  snprintf(a, sizeof a, "%.*g", digits, lo);
  snprintf(b, sizeof b, "%.*g", digits, hi);
  size_t n = strlen(a) > strlen(b) ? strlen(a) : strlen(b);
  return vg_text_width(n, s);
}

void vg_axes_ticks(vg_canvas *c, const vg_axes *a, double xlo, double xhi, double ylo, double yhi, int digits, int s,
                   int left, int right, vg_rgb col) {
  double xs[2] = {xlo, xhi}, ys[2] = {ylo, yhi};
  char buf[32];
  for (int k = 0; k < 2; k++) {
    if (k == 0 || xs[1] != xs[0]) {
      int x = vg_axes_px(a, xs[k]);
      vg_canvas_rect(c, x, a->y1 + 1, x + s - 1, a->y1 + 3 * s, col);
      snprintf(buf, sizeof buf, "%.*g", digits, xs[k]);
      int tw = vg_text_width(strlen(buf), s);
      int tx = x - tw / 2;
      if (tx + tw > right) tx = right - tw;
      if (tx < left) tx = left;
      vg_canvas_text(c, tx, a->y1 + 5 * s, buf, sizeof buf, s, col);
    }
    if (k == 0 || ys[1] != ys[0]) {
      int y = vg_axes_py(a, ys[k]);
      vg_canvas_rect(c, a->x0 - 3 * s, y, a->x0 - 1, y + s - 1, col);
      snprintf(buf, sizeof buf, "%.*g", digits, ys[k]);
      vg_canvas_text(c, a->x0 - 5 * s - vg_text_width(strlen(buf), s), y - VG_FONT_H * s / 2, buf, sizeof buf, s,
                     col);
    }
  }
}
