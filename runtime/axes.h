/* What the scatter and line plots share: a plot area on a canvas and the
 * data window it shows, the padding of that window, the mapping from data
 * to pixels, the frame, and tick labels at the data's min and max. */
#ifndef VG_AXES_H
#define VG_AXES_H

#include "canvas.h"

typedef struct vg_axes {
  int x0, y0, x1, y1;            /* the plot area in canvas pixels, inclusive */
  double xmin, xmax, ymin, ymax; /* the data window it shows, y pointing up */
} vg_axes;

/* Widens [lo, hi] by 5% each side, which keeps markers at the extremes off
 * the frame; a single value (lo == hi) first gets a window of its own size
 * (or of 1 around 0), so a constant series still shows, in the middle. */
void vg_axes_pad(double *lo, double *hi);

/* Canvas pixel of a data coordinate. Values outside the window map outside
 * the plot area (by at most its size again); NaN maps to its left or
 * bottom edge. */
int vg_axes_px(const vg_axes *a, double x);
int vg_axes_py(const vg_axes *a, double y);

/* A frame s pixels thick just outside the plot area. */
void vg_axes_frame(vg_canvas *c, const vg_axes *a, int s, vg_rgb col);

/* Width in pixels of the wider of the labels of lo and hi ("%.*g" with
 * `digits` significant digits): what the y labels need on the left. */
int vg_axes_label_width(double lo, double hi, int digits, int s);

/* Tick marks and "%.*g" labels at lo and hi of each axis (the data's min
 * and max; one tick where they are equal): x labels centred under their
 * ticks but kept within canvas columns [left, right], y labels right-aligned
 * left of the frame. Text scale s. */
void vg_axes_ticks(vg_canvas *c, const vg_axes *a, double xlo, double xhi, double ylo, double yhi, int digits, int s,
                   int left, int right, vg_rgb col);

#endif
