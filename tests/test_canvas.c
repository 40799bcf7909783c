/* The drawing canvas: clipping, lines, the font and the palette, checked
 * pixel by pixel in memory. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "canvas.h"
#include "check.h"

static const vg_rgb WHITE = {255, 255, 255}, INK = {10, 20, 30};

static int is_ink(const vg_canvas *c, int x, int y) {
  const uint8_t *p = c->px + 3 * ((size_t)y * c->w + x);
  return p[0] == INK.r && p[1] == INK.g && p[2] == INK.b;
}

static int ink(const vg_canvas *c) {
  int k = 0;
  for (int y = 0; y < c->h; y++)
    for (int x = 0; x < c->w; x++) k += is_ink(c, x, y);
  return k;
}

static void test_create(void) {
  vg_canvas c;
  CHECK(vg_canvas_create(&c, 0, 5, WHITE) == VG_ERR_ARG && c.px == NULL, "a 0x5 canvas was made");
  CHECK(vg_canvas_create(&c, 5, -1, WHITE) == VG_ERR_ARG && c.px == NULL, "a 5x-1 canvas was made");
  CHECK(vg_canvas_create(&c, 40000, 40000, WHITE) == VG_ERR_ARG && c.px == NULL, "a 40000x40000 canvas was made");
  vg_canvas_free(&c); /* safe on an empty canvas */
  CHECK(vg_canvas_create(&c, 3, 2, (vg_rgb){1, 2, 3}) == VG_OK, "a 3x2 canvas failed");
  for (int i = 0; i < 6; i++)
    CHECK(c.px[3 * i] == 1 && c.px[3 * i + 1] == 2 && c.px[3 * i + 2] == 3, "pixel %d is not the background", i);
  /* Everything outside is clipped, including huge shapes. */
  vg_canvas_put(&c, -1, 0, INK);
  vg_canvas_put(&c, 3, 0, INK);
  vg_canvas_put(&c, 0, 2, INK);
  vg_canvas_rect(&c, -1000000, 5, 1000000, 1000000, INK);
  vg_canvas_disc(&c, -10, -10, 3, INK);
  CHECK(ink(&c) == 0, "drawing outside the canvas left %d pixels", ink(&c));
  vg_canvas_rect(&c, -1000000, -1000000, 1000000, 1000000, INK);
  CHECK(ink(&c) == 6, "a rectangle over the whole canvas painted %d of 6 pixels", ink(&c));
  vg_canvas_free(&c);
  CHECK(c.px == NULL && c.w == 0, "a freed canvas is not empty");
}

static void test_disc_and_line(void) {
  vg_canvas c;
  if (vg_canvas_create(&c, 40, 30, WHITE) != VG_OK) return;
  vg_canvas_disc(&c, 20, 15, 2, INK);
  CHECK(ink(&c) == 21, "a disc of radius 2 has %d pixels, want 21", ink(&c));

  /* A 45-degree line: one pixel per column, both ends included. */
  vg_canvas_fill(&c, WHITE);
  vg_canvas_line(&c, 2, 3, 12, 13, 1, INK);
  CHECK(ink(&c) == 11, "a diagonal of 11 pixels drew %d", ink(&c));
  for (int k = 0; k <= 10; k++) CHECK(is_ink(&c, 2 + k, 3 + k), "diagonal misses (%d, %d)", 2 + k, 3 + k);

  /* A shallow line, drawn both ways: one pixel per column, each within
   * half a pixel of the true line. */
  for (int reversed = 0; reversed < 2; reversed++) {
    vg_canvas_fill(&c, WHITE);
    if (reversed) vg_canvas_line(&c, 31, 10, 1, 20, 1, INK);
    else vg_canvas_line(&c, 1, 20, 31, 10, 1, INK);
    CHECK(ink(&c) == 31, "a line over 31 columns drew %d pixels (reversed %d)", ink(&c), reversed);
    for (int x = 1; x <= 31; x++) {
      double want = 20 - (x - 1) / 3.0;
      int near = 0;
      for (int y = 0; y < c.h; y++)
        if (is_ink(&c, x, y)) near += (y - want) * (y - want) <= 0.25 + 1e-9;
      CHECK(near == 1, "column %d of the shallow line has %d pixels near y %.2f (reversed %d)", x, near, want,
            reversed);
    }
  }

  /* Thickness 3: a 3x3 square at every point, so rows 9..11 and, past
   * each end, one more column. */
  vg_canvas_fill(&c, WHITE);
  vg_canvas_line(&c, 5, 10, 15, 10, 3, INK);
  CHECK(ink(&c) == 3 * 13, "a thick line drew %d pixels, want 3 x 13", ink(&c));
  CHECK(is_ink(&c, 4, 9) && is_ink(&c, 16, 11) && !is_ink(&c, 5, 8) && !is_ink(&c, 5, 12) && !is_ink(&c, 17, 10),
        "the thick line is not rows 9..11, columns 4..16");
  /* One point: a dot. */
  vg_canvas_fill(&c, WHITE);
  vg_canvas_line(&c, 7, 7, 7, 7, 1, INK);
  CHECK(ink(&c) == 1 && is_ink(&c, 7, 7), "a zero-length line drew %d pixels", ink(&c));
  /* Partly outside: clipped, the inside part still drawn. */
  vg_canvas_fill(&c, WHITE);
  vg_canvas_line(&c, -20, 5, 60, 5, 1, INK);
  CHECK(ink(&c) == 40, "a line across the canvas drew %d of 40 pixels", ink(&c));
  vg_canvas_free(&c);
}

/* The pixels of `t` drawn at scale 1 on a fresh canvas, as a malloc'd copy. */
static uint8_t *render(const char *t, int *npx) {
  vg_canvas c;
  int w = vg_text_width(strlen(t), 1) + 2;
  if (vg_canvas_create(&c, w, 9, WHITE) != VG_OK) return NULL;
  vg_canvas_text(&c, 1, 1, t, SIZE_MAX, 1, INK);
  *npx = ink(&c);
  return c.px;
}

static int same_pixels(const char *a, const char *b) {
  int na = 0, nb = 0;
  uint8_t *pa = render(a, &na), *pb = render(b, &nb);
  size_t bytes = (size_t)(vg_text_width(strlen(a), 1) + 2) * 9 * 3;
  int same = pa && pb && strlen(a) == strlen(b) && memcmp(pa, pb, bytes) == 0;
  free(pa);
  free(pb);
  return same;
}

static void test_font(void) {
  /* Every lower-case letter has its own glyph, unlike its capital and not '?'. */
  for (char ch = 'a'; ch <= 'z'; ch++) {
    char lo[2] = {ch, 0}, up[2] = {(char)(ch - 'a' + 'A'), 0};
    int n = 0;
    free(render(lo, &n));
    CHECK(n > 0, "'%s' draws nothing", lo);
    CHECK(!same_pixels(lo, up), "'%s' is drawn like '%s'", lo, up);
    CHECK(!same_pixels(lo, "?"), "'%s' is drawn as '?'", lo);
  }
  CHECK(!same_pixels("test_loss", "TEST_LOSS"), "test_loss is drawn in capitals");
  CHECK(!same_pixels("T-shirt/top", "T-SHIRT/TOP"), "T-shirt/top is drawn in capitals");
  /* The punctuation labels need. */
  const char *marks = "'%#[]<>!*;-.:,()=+/_";
  for (const char *m = marks; *m; m++) {
    char one[2] = {*m, 0};
    int n = 0;
    free(render(one, &n));
    CHECK(n > 0 && !same_pixels(one, "?"), "'%s' has no glyph of its own", one);
  }
  /* Unknown bytes are '?'; space is blank. */
  CHECK(same_pixels("~", "?") && same_pixels("\x80", "?") && same_pixels("\t", "?"), "an unknown byte is not '?'");
  int n = -1;
  free(render(" ", &n));
  CHECK(n == 0, "a space drew %d pixels", n);

  /* Width and fit agree, at scale 1 and 3. */
  CHECK(vg_text_width(0, 2) == 0 && vg_text_width(1, 1) == 5 && vg_text_width(3, 2) == 34, "text widths are off");
  for (int s = 1; s <= 3; s += 2)
    for (int w = -3; w < 80; w++) {
      size_t k = vg_text_fit(w, s);
      CHECK(vg_text_width(k, s) <= (w > 0 ? w : 0) && vg_text_width(k + 1, s) > w,
            "%zu characters fit in %d pixels at scale %d", k, w, s);
    }
  /* Drawing stops at len and at the NUL. */
  CHECK(same_pixels("ab", "ab"), "rendering is not deterministic");
  vg_canvas c;
  if (vg_canvas_create(&c, 40, 9, WHITE) == VG_OK) {
    vg_canvas_text(&c, 1, 1, "lll", 1, 1, INK);
    int one = ink(&c);
    vg_canvas_fill(&c, WHITE);
    vg_canvas_text(&c, 1, 1, "l", SIZE_MAX, 1, INK);
    CHECK(one == ink(&c) && one > 0, "len 1 drew %d pixels, one 'l' %d", one, ink(&c));
    vg_canvas_text(&c, -1000, -3, "clipped", SIZE_MAX, 1, INK); /* off the left edge: nothing to check but ASan */
    vg_canvas_free(&c);
  }
}

static void test_palette(void) {
  static const uint8_t TAB10[10][3] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44},  {214, 39, 40},
                                       {148, 103, 189}, {140, 86, 75}, {227, 119, 194}, {127, 127, 127},
                                       {188, 189, 34},  {23, 190, 207}};
  for (int k = 0; k < 10; k++) {
    vg_rgb c = vg_palette(k);
    CHECK(c.r == TAB10[k][0] && c.g == TAB10[k][1] && c.b == TAB10[k][2], "palette %d is not tab10's", k);
  }
  /* Twenty distinct colours, none the plots' white, light gray background
   * points or dark gray unlabelled points. */
  for (int a = 0; a < 20; a++) {
    vg_rgb ca = vg_palette(a);
    CHECK(!(ca.r == 255 && ca.g == 255 && ca.b == 255) && !(ca.r == 200 && ca.g == 200 && ca.b == 200) &&
              !(ca.r == 64 && ca.g == 64 && ca.b == 64),
          "palette %d is a colour the plots use otherwise", a);
    for (int b = 0; b < a; b++) {
      vg_rgb cb = vg_palette(b);
      int d = abs(ca.r - cb.r) + abs(ca.g - cb.g) + abs(ca.b - cb.b);
      /* The closest pair, tab20's light blue and light cyan, is 38 apart. */
      CHECK(d >= 30, "palette %d and %d are too close (distance %d)", a, b, d);
    }
    vg_rgb next = vg_palette(a + 20), before = vg_palette(a - 20);
    CHECK(memcmp(&next, &ca, sizeof ca) == 0 && memcmp(&before, &ca, sizeof ca) == 0, "palette %d does not cycle", a);
  }
  vg_rgb m = vg_palette(-1), last = vg_palette(19);
  CHECK(memcmp(&m, &last, sizeof m) == 0, "palette -1 is not palette 19");
}

int main(void) {
  test_create();
  test_disc_and_line();
  test_font();
  test_palette();
  CHECK_DONE();
}
