/* Drawing on an RGB canvas: everything goes through vg_canvas_put, which
 * clips, so no shape can write outside the pixels. */
#include "canvas.h"

#include <stdlib.h>
#include <string.h>

#include "pngfile.h"

vg_status vg_canvas_create(vg_canvas *c, int w, int h, vg_rgb background) {
  if (!c) return VG_ERR_ARG;
  *c = (vg_canvas){NULL, 0, 0};
  if (w < 1 || h < 1 || (int64_t)w * h * 3 > VG_PNG_MAX_BYTES) return VG_ERR_ARG;
  c->px = malloc((size_t)w * (size_t)h * 3);
  if (!c->px) return VG_ERR_NOMEM;
  c->w = w;
  c->h = h;
  vg_canvas_fill(c, background);
  return VG_OK;
}

void vg_canvas_free(vg_canvas *c) {
  if (!c) return;
  free(c->px);
  *c = (vg_canvas){NULL, 0, 0};
}

void vg_canvas_fill(vg_canvas *c, vg_rgb col) {
  for (size_t i = 0; i < (size_t)c->w * (size_t)c->h; i++) {
    c->px[3 * i] = col.r;
    c->px[3 * i + 1] = col.g;
    c->px[3 * i + 2] = col.b;
  }
}

void vg_canvas_put(vg_canvas *c, int x, int y, vg_rgb col) {
  if (x < 0 || y < 0 || x >= c->w || y >= c->h) return;
  uint8_t *p = c->px + 3 * ((size_t)y * (size_t)c->w + (size_t)x);
  p[0] = col.r;
  p[1] = col.g;
  p[2] = col.b;
}

void vg_canvas_rect(vg_canvas *c, int x0, int y0, int x1, int y1, vg_rgb col) {
  /* Clipped here rather than pixel by pixel, so a huge rectangle far off
   * the canvas costs nothing. */
  if (x0 < 0) x0 = 0;
  if (y0 < 0) y0 = 0;
  if (x1 >= c->w) x1 = c->w - 1;
  if (y1 >= c->h) y1 = c->h - 1;
  for (int y = y0; y <= y1; y++)
    for (int x = x0; x <= x1; x++) vg_canvas_put(c, x, y, col);
}

void vg_canvas_disc(vg_canvas *c, int cx, int cy, int r, vg_rgb col) {
  for (int dy = -r; dy <= r; dy++)
    for (int dx = -r; dx <= r; dx++)
      if (dx * dx + dy * dy <= r * r + r) vg_canvas_put(c, cx + dx, cy + dy, col);
}

void vg_canvas_line(vg_canvas *c, int x0, int y0, int x1, int y1, int thick, vg_rgb col) {
  if (thick < 1) thick = 1;
  int lo = -(thick - 1) / 2, hi = thick / 2;
  /* Bresenham in 64 bits: the end points may lie far outside the canvas (a
   * data point off the plot), where int differences could overflow. */
  int64_t dx = x1 > x0 ? (int64_t)x1 - x0 : (int64_t)x0 - x1;
  int64_t dy = y1 > y0 ? (int64_t)y0 - y1 : (int64_t)y1 - y0; /* -|dy| */
  int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
  int64_t e = dx + dy, x = x0, y = y0;
  for (;;) {
    if (x + lo < c->w && x + hi >= 0 && y + lo < c->h && y + hi >= 0)
      vg_canvas_rect(c, (int)(x + lo), (int)(y + lo), (int)(x + hi), (int)(y + hi), col);
    if (x == x1 && y == y1) break;
    int64_t e2 = 2 * e;
    if (e2 >= dy) {
      e += dy;
      x += sx;
    }
    if (e2 <= dx) {
      e += dx;
      y += sy;
    }
  }
}

/* The 5x7 font, indexed by character: one byte per row, bit 4 the leftmost
 * column. Shapes follow the HD44780 character ROM, a 5x7 font made to be
 * read at this size. A character without a glyph has all rows 0 (only the
 * space is meant to look like that). */
static const uint8_t FONT[128][VG_FONT_H] = {
    ['0'] = {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}, ['1'] = {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E},
    ['2'] = {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}, ['3'] = {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E},
    ['4'] = {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}, ['5'] = {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E},
    ['6'] = {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}, ['7'] = {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08},
    ['8'] = {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}, ['9'] = {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C},
    ['A'] = {0x0E, 0x11, 0x11, 0x11, 0x1F, 0x11, 0x11}, ['B'] = {0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E},
    ['C'] = {0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E}, ['D'] = {0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C},
    ['E'] = {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F}, ['F'] = {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10},
    ['G'] = {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F}, ['H'] = {0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11},
    ['I'] = {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E}, ['J'] = {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C},
    ['K'] = {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11}, ['L'] = {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F},
    ['M'] = {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11}, ['N'] = {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11},
    ['O'] = {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}, ['P'] = {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10},
    ['Q'] = {0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D}, ['R'] = {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11},
    ['S'] = {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E}, ['T'] = {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04},
    ['U'] = {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}, ['V'] = {0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04},
    ['W'] = {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A}, ['X'] = {0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11},
    ['Y'] = {0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04}, ['Z'] = {0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F},
    ['-'] = {0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00}, ['.'] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C},
    [':'] = {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00}, [','] = {0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08},
    ['('] = {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02}, [')'] = {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08},
    ['='] = {0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00}, ['+'] = {0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00},
    ['/'] = {0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00}, ['_'] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1F},
    ['?'] = {0x0E, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04},
};

/* Lower case is drawn as upper case; anything without a glyph as '?'. */
static const uint8_t *glyph_of(char ch) {
  unsigned char u = (unsigned char)ch;
  if (u >= 'a' && u <= 'z') u = (unsigned char)(u - 'a' + 'A');
  if (u == ' ') return FONT[' '];
  if (u >= 128) return FONT['?'];
  for (int r = 0; r < VG_FONT_H; r++)
    if (FONT[u][r]) return FONT[u];
  return FONT['?'];
}

static void draw_glyph(vg_canvas *c, int x, int y, char ch, int s, vg_rgb col) {
  const uint8_t *g = glyph_of(ch);
  for (int gy = 0; gy < VG_FONT_H; gy++)
    for (int gx = 0; gx < VG_FONT_W; gx++)
      if (g[gy] >> (VG_FONT_W - 1 - gx) & 1)
        vg_canvas_rect(c, x + gx * s, y + gy * s, x + gx * s + s - 1, y + gy * s + s - 1, col);
}

void vg_canvas_text(vg_canvas *c, int x, int y, const char *t, size_t len, int s, vg_rgb col) {
  if (!t) return;
  for (size_t i = 0; i < len && t[i]; i++) {
    int64_t gx = x + (int64_t)i * VG_FONT_ADVANCE * s;
    if (gx >= c->w) break; /* the rest lies further right still */
    draw_glyph(c, (int)gx, y, t[i], s, col);
  }
}

int vg_text_width(size_t n, int s) { return n ? (int)(n * VG_FONT_ADVANCE - 1) * s : 0; }

size_t vg_text_fit(int width, int s) {
  /* n glyphs need n * ADVANCE - 1 font pixels: the last has no space after. */
  if (s < 1 || width < VG_FONT_W * s) return 0;
  return (size_t)(width / s + 1) / VG_FONT_ADVANCE;
}

/* tab10, then tab20's light shades with navy for the light gray. */
static const vg_rgb PALETTE[20] = {
    {31, 119, 180},  {255, 127, 14},  {44, 160, 44},   {214, 39, 40},   {148, 103, 189},
    {140, 86, 75},   {227, 119, 194}, {127, 127, 127}, {188, 189, 34},  {23, 190, 207},
    {174, 199, 232}, {255, 187, 120}, {152, 223, 138}, {255, 152, 150}, {197, 176, 213},
    {196, 156, 148}, {247, 182, 210}, {57, 59, 121},   {219, 219, 141}, {158, 218, 229},
};

vg_rgb vg_palette(int k) {
  int m = k % 20;
  return PALETTE[m < 0 ? m + 20 : m];
}
