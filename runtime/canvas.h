/* An RGB canvas and the few drawing primitives the plots share: filled
 * rectangles and discs, thick lines, text in a built-in 5x7 font, and a
 * palette of distinct colours. No other library is needed to draw a plot.
 *
 * Every primitive clips to the canvas, so callers may draw partly (or
 * wholly) outside it. Coordinates are pixels, x to the right, y down. */
#ifndef VG_CANVAS_H
#define VG_CANVAS_H

#include <stddef.h>
#include <stdint.h>

#include "shape.h"

typedef struct vg_rgb {
  uint8_t r, g, b;
} vg_rgb;

typedef struct vg_canvas {
  uint8_t *px; /* w * h RGB triples, row-major, ready for vg_png_write */
  int w, h;
} vg_canvas;

/* Allocates a w x h canvas, every pixel `background`. VG_ERR_ARG for w or h
 * < 1 or over VG_PNG_MAX_BYTES of pixels, VG_ERR_NOMEM; on error c is empty
 * (px NULL), so vg_canvas_free is always safe. */
vg_status vg_canvas_create(vg_canvas *c, int w, int h, vg_rgb background);
void vg_canvas_free(vg_canvas *c);

void vg_canvas_fill(vg_canvas *c, vg_rgb col);
void vg_canvas_put(vg_canvas *c, int x, int y, vg_rgb col);
/* Corners inclusive: also the axis-aligned lines of frames and ticks. */
void vg_canvas_rect(vg_canvas *c, int x0, int y0, int x1, int y1, vg_rgb col);
/* The pixels with dx^2 + dy^2 <= r^2 + r: rounder than <= r^2 at small
 * radii. r = 2 is 21 pixels. */
void vg_canvas_disc(vg_canvas *c, int cx, int cy, int r, vg_rgb col);
/* Both end points included (Bresenham); each point of the line is a
 * thick x thick square, centred on it for odd thick (thick < 1 draws as 1),
 * so the ends reach (thick - 1) / 2 pixels past the end points. The cost is
 * the line's length in pixels, off the canvas too. */
void vg_canvas_line(vg_canvas *c, int x0, int y0, int x1, int y1, int thick, vg_rgb col);

/* The font: 5x7 glyphs on a 6-pixel advance, each font pixel drawn as an
 * s x s block. Glyphs: A-Z, a-z, 0-9, space and - . : , ( ) = + / _ ' % #
 * [ ] < > ! * ; and '?', which also stands for any other byte. */
#define VG_FONT_W 5
#define VG_FONT_H 7
#define VG_FONT_ADVANCE 6 /* glyph width plus one column of space */

/* Draws at most `len` bytes of t (stopping at its NUL) with the top-left
 * corner of the first glyph at (x, y); pass SIZE_MAX for the whole string. */
void vg_canvas_text(vg_canvas *c, int x, int y, const char *t, size_t len, int s, vg_rgb col);
/* Width in pixels of n characters at scale s (the font is monospaced). */
int vg_text_width(size_t n, int s);
/* How many characters fit in `width` pixels at scale s (0 if none). */
size_t vg_text_fit(int width, int s);

/* Colour k of the plots' palette: matplotlib's tab10 for 0..9 (distinct
 * and familiar to readers), then tab20's ten light shades for 10..19 (with
 * its light gray, which would vanish among the scatter's gray background
 * points, swapped for tab20b's navy), then again from 0: colour k is colour
 * k mod 20, for negative k too. */
vg_rgb vg_palette(int k);

#endif
