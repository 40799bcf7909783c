/* Plots: the grid's exact layout and value mapping, and scatter plots and
 * line charts read back pixel by pixel. Usage: test_plot [dir for temporary
 * files]. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "canvas.h"
#include "check.h"
#include "pixels.h"
#include "plot.h"
#include "pngfile.h"

/* ---------------------------------------------------------------- grid */

static void test_grid(void) {
  /* Three 2x2 images in a 2-column grid with 1 pixel of padding: 7x7, the
   * fourth slot empty. Values in [0, 1]; 0.75 -> 191.25 -> 191. */
  const float imgs[12] = {0, 0.25f, 0.5f, 1,          /* 0 64 128 255 */
                          2, -1, NAN, 0.75f,          /* clamped high, clamped low, NaN, 191 */
                          INFINITY, -INFINITY, 0.2f, 0.6f}; /* 255 0 51 153 */
  const uint8_t want[7][7] = {
      {128, 128, 128, 128, 128, 128, 128}, {128, 0, 64, 128, 255, 0, 128},     {128, 128, 255, 128, 0, 191, 128},
      {128, 128, 128, 128, 128, 128, 128}, {128, 255, 0, 128, 128, 128, 128}, {128, 51, 153, 128, 128, 128, 128},
      {128, 128, 128, 128, 128, 128, 128}};
  uint8_t *g = NULL;
  int w = 0, h = 0;
  vg_status st = vg_image_grid(imgs, 3, 1, 2, 2, 2, 1, 1, 0.0f, 1.0f, &g, &w, &h);
  CHECK(st == VG_OK, "grid status %d", st);
  CHECK(w == 7 && h == 7, "grid is %dx%d, want 7x7", w, h);
  if (st == VG_OK && w == 7 && h == 7) {
    int mismatches = 0;
    for (int y = 0; y < 7; y++)
      for (int x = 0; x < 7; x++)
        if (g[y * 7 + x] != want[y][x] && mismatches++ < 5)
          CHECK(0, "grid pixel (x %d, y %d) is %d, want %d", x, y, g[y * 7 + x], want[y][x]);
  }

  /* scale 2: padding included, every pixel a 2x2 block. */
  uint8_t *g2 = NULL;
  int w2 = 0, h2 = 0;
  st = vg_image_grid(imgs, 3, 1, 2, 2, 2, 1, 2, 0.0f, 1.0f, &g2, &w2, &h2);
  CHECK(st == VG_OK && w2 == 14 && h2 == 14, "scale 2: status %d, %dx%d, want 14x14", st, w2, h2);
  if (st == VG_OK && g && w2 == 14 && h2 == 14) {
    int mismatches = 0;
    for (int y = 0; y < 14; y++)
      for (int x = 0; x < 14; x++)
        if (g2[y * 14 + x] != g[(y / 2) * 7 + x / 2] && mismatches++ < 5)
          CHECK(0, "scale 2 pixel (x %d, y %d) is %d, want %d", x, y, g2[y * 14 + x], g[(y / 2) * 7 + x / 2]);
  }
  free(g);
  free(g2);

  /* One image, one column, no padding, other range: a plain conversion. */
  const float one[3] = {-1, 0, 1};
  st = vg_image_grid(one, 1, 1, 1, 3, 1, 0, 1, -1.0f, 1.0f, &g, &w, &h);
  CHECK(st == VG_OK && w == 3 && h == 1 && g[0] == 0 && g[1] == 128 && g[2] == 255,
        "range [-1, 1]: status %d, %dx%d, pixels %d %d %d", st, w, h, g ? g[0] : -1, g ? g[1] : -1, g ? g[2] : -1);
  free(g);

  /* Bad arguments leave the outputs empty. */
  st = vg_image_grid(imgs, 3, 1, 2, 2, 2, 1, 1, 1.0f, 1.0f, &g, &w, &h);
  CHECK(st == VG_ERR_ARG && g == NULL && w == 0 && h == 0, "hi == lo: status %d", st);
  CHECK(vg_image_grid(imgs, 3, 1, 2, 2, 2, 1, 0, 0.0f, 1.0f, &g, &w, &h) == VG_ERR_ARG, "scale 0 accepted");
  CHECK(vg_image_grid(imgs, 0, 1, 2, 2, 2, 1, 1, 0.0f, 1.0f, &g, &w, &h) == VG_ERR_ARG, "n 0 accepted");
  CHECK(vg_image_grid(imgs, 3, 1, 2, 2, 0, 1, 1, 0.0f, 1.0f, &g, &w, &h) == VG_ERR_ARG, "cols 0 accepted");
  CHECK(vg_image_grid(imgs, 3, 1, 2, 2, 2, -1, 1, 0.0f, 1.0f, &g, &w, &h) == VG_ERR_ARG, "pad -1 accepted");
  CHECK(vg_image_grid(imgs, 3, 1, 2, 2, 2, 1, 1, 0.0f, NAN, &g, &w, &h) == VG_ERR_ARG, "hi NaN accepted");
  CHECK(vg_image_grid(imgs, 3, 1, 50000, 50000, 2, 1, 1, 0.0f, 1.0f, &g, &w, &h) == VG_ERR_ARG, "huge grid accepted");
}

static void test_grid_rgb(void) {
  /* Two 1x2 RGB images as [C, H, W] (all R, then G, then B) in a 2-column
   * grid with 1 pixel of padding: 7x3 RGB, interleaved. */
  const float imgs[2 * 3 * 2] = {0,    1,   /* image 0, R */
                                 0.5f, 0.25f, /*          G */
                                 1,    0,   /*          B */
                                 0.2f, NAN, /* image 1, R */
                                 2,    -1,  /*          G: clamped */
                                 0.6f, 0.75f}; /*       B */
  const uint8_t P[3] = {128, 128, 128};
  const uint8_t mid[7][3] = {{128, 128, 128}, {0, 128, 255}, {255, 64, 0}, {128, 128, 128},
                             {51, 255, 153},  {0, 0, 191},   {128, 128, 128}};
  uint8_t want[3 * 7 * 3];
  for (int x = 0; x < 7; x++) {
    memcpy(want + 3 * x, P, 3);
    memcpy(want + 3 * (7 + x), mid[x], 3);
    memcpy(want + 3 * (14 + x), P, 3);
  }
  uint8_t *g = NULL;
  int w = 0, h = 0;
  vg_status st = vg_image_grid(imgs, 2, 3, 1, 2, 2, 1, 1, 0.0f, 1.0f, &g, &w, &h);
  CHECK(st == VG_OK && w == 7 && h == 3, "RGB grid: status %d, %dx%d, want 7x3", st, w, h);
  if (st == VG_OK && w == 7 && h == 3) {
    int mismatches = 0;
    for (int i = 0; i < 7 * 3 * 3; i++)
      if (g[i] != want[i] && mismatches++ < 5)
        CHECK(0, "RGB grid byte %d (x %d, y %d, channel %d) is %d, want %d", i, i / 3 % 7, i / 21, i % 3, g[i],
              want[i]);
  }

  /* scale 3: every RGB pixel a 3x3 block. */
  uint8_t *g3 = NULL;
  int w3 = 0, h3 = 0;
  st = vg_image_grid(imgs, 2, 3, 1, 2, 2, 1, 3, 0.0f, 1.0f, &g3, &w3, &h3);
  CHECK(st == VG_OK && w3 == 21 && h3 == 9, "RGB scale 3: status %d, %dx%d, want 21x9", st, w3, h3);
  if (st == VG_OK && g && w3 == 21 && h3 == 9) {
    int mismatches = 0;
    for (int y = 0; y < 9; y++)
      for (int x = 0; x < 21; x++)
        if (memcmp(g3 + 3 * (y * 21 + x), g + 3 * ((y / 3) * 7 + x / 3), 3) != 0 && mismatches++ < 5)
          CHECK(0, "RGB scale 3 pixel (x %d, y %d) is not pixel (%d, %d) of the scale-1 grid", x, y, x / 3, y / 3);
  }
  free(g);
  free(g3);

  /* Three equal planes: the gray grid with each byte three times. */
  const float gray[4] = {0, 0.3f, 0.7f, 1};
  float planes[12];
  for (int c = 0; c < 3; c++) memcpy(planes + 4 * c, gray, sizeof gray);
  uint8_t *g1 = NULL;
  int w1 = 0, h1 = 0;
  st = vg_image_grid(gray, 1, 1, 2, 2, 1, 2, 1, 0.0f, 1.0f, &g1, &w1, &h1);
  vg_status st3 = vg_image_grid(planes, 1, 3, 2, 2, 1, 2, 1, 0.0f, 1.0f, &g3, &w3, &h3);
  CHECK(st == VG_OK && st3 == VG_OK && w1 == w3 && h1 == h3, "gray and RGB grids of one image differ in size");
  if (st == VG_OK && st3 == VG_OK && w1 == w3 && h1 == h3)
    for (int i = 0; i < w1 * h1; i++)
      CHECK(g3[3 * i] == g1[i] && g3[3 * i + 1] == g1[i] && g3[3 * i + 2] == g1[i], "pixel %d: RGB of gray planes is "
            "not the gray grid", i);
  free(g1);
  free(g3);

  for (int ch = -1; ch <= 4; ch++) {
    if (ch == 1 || ch == 3) continue;
    g = (uint8_t *)1;
    st = vg_image_grid(imgs, 2, ch, 1, 2, 2, 1, 1, 0.0f, 1.0f, &g, &w, &h);
    CHECK(st == VG_ERR_ARG && g == NULL, "%d channels: status %d", ch, st);
  }
  /* The byte bound counts the channels: 20000 x 20000 gray is under 2^30
   * bytes, RGB is over. */
  CHECK(vg_image_grid(imgs, 1, 3, 20000, 20000, 1, 0, 1, 0.0f, 1.0f, &g, &w, &h) == VG_ERR_ARG,
        "a 1.2 GB RGB grid accepted");
}

/* ------------------------------------------------------------- scatter */

/* matplotlib's tab10, written out here so the test does not trust the
 * palette it checks. */
static const uint8_t TAB10[10][3] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44},  {214, 39, 40},  {148, 103, 189},
                                     {140, 86, 75},  {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};

static void test_scatter(void) {
  /* A dense block of label-3 points around the data's centre (which is
   * near the picture's centre), two labelled corners, background points,
   * and non-finite points of labels 2 and 5 that must leave no trace. */
  enum { G = 21, N = G * G + 4, NBG = 5, SIZE = 256 };
  float xy[2 * N], bg[2 * NBG];
  int labels[N];
  for (int i = 0; i < G * G; i++) {
    xy[2 * i] = -0.4f + 0.8f * (i % G) / (G - 1);
    xy[2 * i + 1] = -0.4f + 0.8f * (i / G) / (G - 1);
    labels[i] = 3;
  }
  const float extra[8] = {-1, -1, 1, 1, NAN, 0, INFINITY, 1};
  const int extra_labels[4] = {0, 1, 5, 2};
  memcpy(xy + 2 * G * G, extra, sizeof extra);
  memcpy(labels + G * G, extra_labels, sizeof extra_labels);
  const float bgp[2 * NBG] = {-0.8f, 0.8f, 0.8f, -0.8f, -0.8f, -0.6f, 0.7f, 0.75f, 0, -INFINITY};
  memcpy(bg, bgp, sizeof bg);

  char p[512], err[1024] = "";
  path_of(p, sizeof p, "scatter.png");
  int skipped = -1;
  vg_status st = vg_scatter_png(p, xy, labels, N, bg, NBG, SIZE, "latent z (epoch 3): kl=1.5", NULL, 0, &skipped, err,
                                sizeof err);
  CHECK(st == VG_OK, "scatter: status %d: %s", st, err);
  CHECK(skipped == 3, "scatter skipped %d points, want 3 (two in xy, one in bg)", skipped);
  CHECK(!tmp_exists(p), "scatter left %s.tmp", p);

  uint8_t *px = NULL;
  int w = 0, h = 0, ch = 0;
  st = vg_png_read(p, &w, &h, &ch, &px, err, sizeof err);
  CHECK(st == VG_OK, "read back %s: %s", p, err);
  if (st != VG_OK) return;
  CHECK(w == SIZE && h == SIZE && ch == 3, "scatter is %dx%dx%d, want %dx%dx3", w, h, ch, SIZE, SIZE);
  if (w == SIZE && h == SIZE && ch == 3) {
    const uint8_t *c3 = TAB10[3];
    CHECK(is(px, w, SIZE / 2, SIZE / 2, c3[0], c3[1], c3[2]), "centre pixel is not tab10 colour 3");
    CHECK(is(px, w, 0, 0, 255, 255, 255) && is(px, w, SIZE - 1, 0, 255, 255, 255) &&
              is(px, w, 0, SIZE - 1, 255, 255, 255) && is(px, w, SIZE - 1, SIZE - 1, 255, 255, 255),
          "a corner of the picture is not white");
    /* A disc of radius 2 is 21 pixels; the legend swatch adds more. */
    CHECK(count(px, w, h, TAB10[0][0], TAB10[0][1], TAB10[0][2]) >= 21, "label 0's point is missing");
    CHECK(count(px, w, h, TAB10[1][0], TAB10[1][1], TAB10[1][2]) >= 21, "label 1's point is missing");
    CHECK(count(px, w, h, TAB10[2][0], TAB10[2][1], TAB10[2][2]) == 0, "an infinite point (label 2) was drawn");
    CHECK(count(px, w, h, TAB10[5][0], TAB10[5][1], TAB10[5][2]) == 0, "a NaN point (label 5) was drawn");
    CHECK(count(px, w, h, 200, 200, 200) >= 4 * 21, "background points are missing (light gray)");
    int title_ink = 0;
    for (int y = 0; y < 12; y++)
      for (int x = 0; x < SIZE; x++) title_ink += is(px, w, x, y, 0, 0, 0);
    CHECK(title_ink > 50, "no title at the top (%d black pixels)", title_ink);
  }
  free(px);

  /* No labels: dark gray; no points at all: still a picture. */
  path_of(p, sizeof p, "scatter_plain.png");
  st = vg_scatter_png(p, xy, NULL, 2, NULL, 0, 128, NULL, NULL, 0, NULL, err, sizeof err);
  CHECK(st == VG_OK, "unlabelled scatter: %s", err);
  px = NULL;
  if (st == VG_OK && vg_png_read(p, &w, &h, &ch, &px, err, sizeof err) == VG_OK)
    CHECK(count(px, w, h, 64, 64, 64) >= 2 * 21, "unlabelled points are not dark gray");
  free(px);
  skipped = -1;
  st = vg_scatter_png(p, NULL, NULL, 0, NULL, 0, 64, "empty", NULL, 0, &skipped, err, sizeof err);
  CHECK(st == VG_OK && skipped == 0, "empty scatter: status %d, skipped %d: %s", st, skipped, err);

  err[0] = 0;
  CHECK(vg_scatter_png(p, xy, labels, N, NULL, 0, 10, NULL, NULL, 0, NULL, err, sizeof err) == VG_ERR_ARG,
        "size 10 accepted");
  CHECK_CONTAINS(err, p);
  err[0] = 0;
  CHECK(vg_scatter_png(p, xy, labels, N, NULL, 0, 128, NULL, NULL, -1, NULL, err, sizeof err) == VG_ERR_ARG,
        "nnames -1 accepted");
  CHECK_CONTAINS(err, p);
  path_of(p, sizeof p, "no_such_dir/scatter.png");
  err[0] = 0;
  CHECK(vg_scatter_png(p, xy, labels, N, NULL, 0, 128, NULL, NULL, 0, NULL, err, sizeof err) == VG_ERR_IO,
        "scatter into a missing directory did not fail");
  CHECK_CONTAINS(err, p);
}

/* The plot frame's right edge: the right end of the longest black run in
 * the lower half (the frame's bottom line; tick marks and text are short). */
static int frame_right(const uint8_t *px, int w, int h) {
  int best = 0, right = -1;
  for (int y = h / 2; y < h; y++)
    for (int x = 0, run = 0; x < w; x++) {
      run = is(px, w, x, y, 0, 0, 0) ? run + 1 : 0;
      if (run > best) best = run, right = x;
    }
  return right;
}

static int frame_width(const uint8_t *px, int w, int h) {
  int best = 0;
  for (int y = h / 2; y < h; y++)
    for (int x = 0, run = 0; x < w; x++) {
      run = is(px, w, x, y, 0, 0, 0) ? run + 1 : 0;
      if (run > best) best = run;
    }
  return best;
}

/* The legend's swatches, top to bottom: solid 7x7 blocks of one colour
 * (not white or black) right of x0, found by their top-left corners. The
 * points are inside the frame, so nothing else there is such a block. */
typedef struct swatch {
  int x, y;
  vg_rgb col;
} swatch;

static int find_swatches(const uint8_t *px, int w, int h, int x0, swatch *out, int max) {
  int k = 0;
  for (int y = 0; y + 7 <= h; y++)
    for (int x = x0; x + 7 <= w; x++) {
      const uint8_t *c = px + 3 * ((size_t)y * w + x);
      if (is(px, w, x, y, 255, 255, 255) || is(px, w, x, y, 0, 0, 0)) continue;
      if ((x > x0 && is(px, w, x - 1, y, c[0], c[1], c[2])) || (y > 0 && is(px, w, x, y - 1, c[0], c[1], c[2])))
        continue;
      if (count_in(px, w, x, y, x + 7, y + 7, c[0], c[1], c[2]) != 49) continue;
      if (k < max) out[k] = (swatch){x, y, {c[0], c[1], c[2]}};
      k++;
    }
  return k;
}

/* Renders a scatter and reads it back; NULL on failure (already reported). */
static uint8_t *scatter_pixels(const char *name, const float *xy, const int *labels, int n, int size,
                               const char *const *names, int nnames) {
  char p[512], err[1024] = "";
  path_of(p, sizeof p, name);
  vg_status st = vg_scatter_png(p, xy, labels, n, NULL, 0, size, NULL, names, nnames, NULL, err, sizeof err);
  CHECK(st == VG_OK, "%s: status %d: %s", name, st, err);
  uint8_t *px = NULL;
  int w = 0, h = 0, ch = 0;
  if (st == VG_OK) st = vg_png_read(p, &w, &h, &ch, &px, err, sizeof err);
  CHECK(st == VG_OK && w == size && h == size && ch == 3, "%s read back: status %d, %dx%dx%d", name, st, w, h, ch);
  if (st == VG_OK && (w != size || h != size || ch != 3)) {
    free(px);
    return NULL;
  }
  return px;
}

static void test_scatter_legend(void) {
  /* Labels 12, 0, 3 and -1, in that order, with names for 0..9: the legend
   * lists 0, 3, 12 (label order), 12 by its number in vg_palette(12)'s
   * colour, and nothing for -1. */
  enum { SIZE = 256 };
  const float xy[8] = {0, 0, 1, 1, -1, 0.5f, 0.5f, -1};
  const int labels[4] = {12, 0, 3, -1};
  const char *const names[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
  uint8_t *named = scatter_pixels("scatter_names.png", xy, labels, 4, SIZE, names, 10);
  uint8_t *plain = scatter_pixels("scatter_numbers.png", xy, labels, 4, SIZE, NULL, 0);
  if (!named || !plain) {
    free(named);
    free(plain);
    return;
  }
  const vg_rgb c12 = vg_palette(12);
  /* The point (a disc of 21 pixels) and the swatch (49) in colour 12. */
  CHECK(count(named, SIZE, SIZE, c12.r, c12.g, c12.b) >= 21 + 49, "label 12 has %d pixels of vg_palette(12)",
        count(named, SIZE, SIZE, c12.r, c12.g, c12.b));
  swatch sw[8];
  int right = frame_right(named, SIZE, SIZE);
  int k = find_swatches(named, SIZE, SIZE, right + 1, sw, 8);
  CHECK(k == 3, "%d legend swatches, want 3 (labels 0, 3, 12)", k);
  const int order[3] = {0, 3, 12};
  for (int i = 0; i < 3 && i < k; i++) {
    vg_rgb want = vg_palette(order[i]);
    CHECK(memcmp(&sw[i].col, &want, 3) == 0 && (i == 0 || sw[i].y > sw[i - 1].y),
          "legend row %d is not label %d's colour, below the one before", i, order[i]);
  }
  CHECK(count(named, SIZE, SIZE, 64, 64, 64) >= 21, "the label -1 point is not dark gray");
  /* "T-shirt/top" is wider than "0": the legend is, and the plot narrower. */
  int right_plain = frame_right(plain, SIZE, SIZE);
  CHECK(right < right_plain - 30, "the frame ends at x %d with names, %d with numbers: the legend did not widen",
        right, right_plain);
  int ink_named = count_in(named, SIZE, right + 1, 0, SIZE, SIZE, 0, 0, 0);
  int ink_plain = count_in(plain, SIZE, right_plain + 1, 0, SIZE, SIZE, 0, 0, 0);
  CHECK(ink_named > 2 * ink_plain, "the names drew %d black pixels in the legend, the numbers %d", ink_named,
        ink_plain);
  free(named);
  free(plain);

  /* A very long name is cut: the plot keeps at least half the width. */
  char longname[400];
  memset(longname, 'w', sizeof longname - 1);
  longname[sizeof longname - 1] = 0;
  const char *const long_names[1] = {longname};
  const int zero[4] = {0, 0, 0, 0};
  uint8_t *px = scatter_pixels("scatter_long_name.png", xy, zero, 4, SIZE, long_names, 1);
  if (px) {
    int fw = frame_width(px, SIZE, SIZE);
    CHECK(fw >= SIZE / 2, "a long name left the plot %d of %d pixels wide", fw, SIZE);
    CHECK(find_swatches(px, SIZE, SIZE, frame_right(px, SIZE, SIZE) + 1, sw, 8) == 1, "the long name's swatch is "
          "missing");
  }
  free(px);

  /* 60 classes on a small plot: as many rows as fit, in label order, then
   * "..." (black ink below the last swatch). */
  enum { M = 60, SMALL = 128 };
  float many[2 * M];
  int many_labels[M];
  for (int i = 0; i < M; i++) {
    many[2 * i] = (float)(i % 8);
    many[2 * i + 1] = (float)(i / 8);
    many_labels[M - 1 - i] = i;
  }
  px = scatter_pixels("scatter_many.png", many, many_labels, M, SMALL, NULL, 0);
  if (px) {
    swatch msw[M];
    int r = frame_right(px, SMALL, SMALL);
    int nsw = find_swatches(px, SMALL, SMALL, r + 1, msw, M);
    CHECK(nsw >= 3 && nsw < M, "%d swatches for %d classes on a %d-pixel plot", nsw, M, SMALL);
    for (int i = 0; i < nsw && i < M; i++) {
      vg_rgb want = vg_palette(i);
      CHECK(memcmp(&msw[i].col, &want, 3) == 0, "legend row %d is not label %d's colour", i, i);
    }
    if (nsw >= 1 && nsw < M) {
      int below = count_in(px, SMALL, r + 1, msw[nsw - 1].y + 8, SMALL, SMALL, 0, 0, 0);
      CHECK(below >= 3, "no \"...\" below the last swatch (%d black pixels)", below);
      /* And the "..." row still fits above the bottom frame line. */
      CHECK(msw[nsw - 1].y + 2 * 11 + 7 <= SMALL, "the legend runs off the bottom");
    }
    /* Exactly as many classes as rows fit (the swatches and the "..."
     * row): all of them listed, no "...". */
    free(px);
    px = NULL;
    int fit = nsw + 1, exact_labels[M];
    for (int i = 0; i < fit && i < M; i++) exact_labels[i] = i;
    if (fit <= M) px = scatter_pixels("scatter_fit.png", many, exact_labels, fit, SMALL, NULL, 0);
    if (px) {
      r = frame_right(px, SMALL, SMALL);
      int n2 = find_swatches(px, SMALL, SMALL, r + 1, msw, M);
      CHECK(n2 == fit, "%d classes that fit got %d swatches", fit, n2);
      if (n2 >= 1) {
        int below = count_in(px, SMALL, r + 1, msw[n2 - 1].y + 8, SMALL, SMALL, 0, 0, 0);
        CHECK(below == 0, "%d black pixels below the last swatch when all classes fit", below);
      }
    }
  }
  free(px);
}

/* --------------------------------------------------------------- lines */

/* Writes a figure and reads it back; NULL on failure (already reported). */
static uint8_t *lines_pixels(const char *name, const vg_panel *panels, int npanels, int cols, int pw, int ph,
                             const char *title, int *w, int *h) {
  char p[512], err[1024] = "";
  path_of(p, sizeof p, name);
  vg_status st = vg_lines_png(p, panels, npanels, cols, pw, ph, title, err, sizeof err);
  CHECK(st == VG_OK, "%s: status %d: %s", name, st, err);
  CHECK(!tmp_exists(p), "%s left %s.tmp", name, p);
  uint8_t *px = NULL;
  int ch = 0;
  if (st == VG_OK) st = vg_png_read(p, w, h, &ch, &px, err, sizeof err);
  CHECK(st == VG_OK && ch == 3, "%s read back: status %d, %d channels: %s", name, st, ch, err);
  if (st == VG_OK && ch != 3) {
    free(px);
    return NULL;
  }
  return px;
}

/* The plot area inside a one-panel figure's frame, found from the pixels:
 * the frame's lines are the only rows (columns) more than half black. */
typedef struct area {
  int x0, y0, x1, y1;
} area;

static area find_area(const uint8_t *px, int w, int h) {
  area a = {-1, -1, -1, -1};
  for (int y = 0; y < h; y++)
    if (count_in(px, w, 0, y, w, y + 1, 0, 0, 0) > w / 2) {
      if (a.y0 < 0) a.y0 = y + 1;
      a.y1 = y - 1;
    }
  for (int x = 0; x < w; x++)
    if (count_in(px, w, x, 0, x + 1, h, 0, 0, 0) > h / 2) {
      if (a.x0 < 0) a.x0 = x + 1;
      a.x1 = x - 1;
    }
  return a;
}

/* Some pixel within one of (x, y) has colour c. */
static int near_colour(const uint8_t *px, int w, int h, int x, int y, vg_rgb c) {
  for (int dy = -1; dy <= 1; dy++)
    for (int dx = -1; dx <= 1; dx++)
      if (x + dx >= 0 && x + dx < w && y + dy >= 0 && y + dy < h && is(px, w, x + dx, y + dy, c.r, c.g, c.b))
        return 1;
  return 0;
}

static void test_lines_pixels(void) {
  enum { PW = 300, PH = 200 };
  const vg_rgb c0 = vg_palette(0);
  int w = 0, h = 0;

  /* A known line: (0, 0) -> (10, 5) -> (20, 5). The window is the data's
   * range with 5% each side, so a data point (x, y) is at
   *   x0 + (x + 1) / 22 * (x1 - x0),  y1 - (y + 0.25) / 5.5 * (y1 - y0)
   * (rounded): every point along both segments must be drawn. */
  const double x[3] = {0, 10, 20}, y[3] = {0, 5, 5};
  vg_series one = {"rec", x, y, 3};
  vg_panel panel = {NULL, &one, 1};
  uint8_t *px = lines_pixels("lines_known.png", &panel, 1, 1, PW, PH, NULL, &w, &h);
  if (px) {
    CHECK(w == PW && h == PH, "one panel is %dx%d, want %dx%d", w, h, PW, PH);
    area a = find_area(px, w, h);
    CHECK(a.x0 > 0 && a.x1 > a.x0 + 100 && a.y0 > 0 && a.y1 > a.y0 + 100, "no frame found (%d %d %d %d)", a.x0, a.y0,
          a.x1, a.y1);
    int missing = 0;
    for (int i = 0; i <= 200; i++) {
      double t = i / 100.0; /* 0..1 the first segment, 1..2 the second */
      double dx = t <= 1 ? 10 * t : 10 + 10 * (t - 1), dy = t <= 1 ? 5 * t : 5;
      int ex = a.x0 + (int)lround((dx + 1) / 22 * (a.x1 - a.x0));
      int ey = a.y1 - (int)lround((dy + 0.25) / 5.5 * (a.y1 - a.y0));
      if (!near_colour(px, w, h, ex, ey, c0) && missing++ < 5)
        CHECK(0, "the line misses data (%g, %g) near pixel (%d, %d)", dx, dy, ex, ey);
    }
    /* And nothing in the series colour far from it: the bottom-right
     * corner, below the flat segment. */
    CHECK(count_in(px, w, a.x1 - 20, a.y1 - 20, a.x1 + 1, a.y1 + 1, c0.r, c0.g, c0.b) == 0,
          "series colour below the line");
    /* Ticks: black labels left of the frame and below it. */
    CHECK(count_in(px, w, 0, 0, a.x0 - 1, h, 0, 0, 0) > 20, "no y tick labels");
    CHECK(count_in(px, w, 0, a.y1 + 3, w, h, 0, 0, 0) > 20, "no x tick labels");
    /* One series: no legend box. */
    CHECK(count(px, w, h, 200, 200, 200) == 0, "a legend with one series");
  }
  free(px);

  /* A single point: a marker (a disc of radius 2, 21 pixels) in the middle
   * of the plot area. */
  const double x1[1] = {3}, y1[1] = {0.5};
  vg_series lone = {"lone", x1, y1, 1};
  panel = (vg_panel){"one epoch", &lone, 1};
  px = lines_pixels("lines_one_point.png", &panel, 1, 1, PW, PH, NULL, &w, &h);
  if (px) {
    area a = find_area(px, w, h);
    int n = count(px, w, h, c0.r, c0.g, c0.b);
    CHECK(n == 21, "a one-point series drew %d pixels, want one marker of 21", n);
    CHECK(is(px, w, (a.x0 + a.x1) / 2, (a.y0 + a.y1) / 2, c0.r, c0.g, c0.b), "the marker is not in the middle");
  }
  free(px);

  /* A constant series shows, across the middle row. */
  const double xc[4] = {1, 2, 3, 4}, yc[4] = {7, 7, 7, 7};
  vg_series flat = {"flat", xc, yc, 4};
  panel = (vg_panel){"flat", &flat, 1};
  px = lines_pixels("lines_flat.png", &panel, 1, 1, PW, PH, NULL, &w, &h);
  if (px) {
    area a = find_area(px, w, h);
    int my = (a.y0 + a.y1) / 2, across = 0;
    for (int xx = a.x0; xx <= a.x1; xx++) across += near_colour(px, w, h, xx, my, c0);
    CHECK(across > (a.x1 - a.x0) * 8 / 10, "a constant series covers %d of %d columns of the middle row", across,
          a.x1 - a.x0 + 1);
  }
  free(px);

  /* A non-finite point breaks the line: between the markers of its two
   * neighbours nothing has the series colour; the same series with the
   * middle point finite does join them. A NaN x breaks it the same way. */
  const double xg[3] = {0, 1, 2}, yg[3] = {1, NAN, 1}, yf[3] = {1, 1, 1}, xn[3] = {0, NAN, 2};
  vg_series gap[3] = {{"gap", xg, yg, 3}, {"joined", xg, yf, 3}, {"x gap", xn, yf, 3}};
  const char *names[3] = {"lines_gap.png", "lines_joined.png", "lines_x_gap.png"};
  for (int k = 0; k < 3; k++) {
    panel = (vg_panel){names[k], &gap[k], 1};
    px = lines_pixels(names[k], &panel, 1, 1, PW, PH, NULL, &w, &h);
    if (!px) continue;
    area a = find_area(px, w, h);
    /* x = 0 and 2 in a window of [-0.1, 2.1]: at 1/22 and 21/22 across. */
    int xl = a.x0 + (int)lround((a.x1 - a.x0) / 22.0), xr = a.x0 + (int)lround((a.x1 - a.x0) * 21 / 22.0);
    int between = count_in(px, w, xl + 4, a.y0, xr - 3, a.y1 + 1, c0.r, c0.g, c0.b);
    if (k == 1) CHECK(between >= xr - xl - 8, "the joined line has only %d pixels between its ends", between);
    else CHECK(between == 0, "%s: %d series pixels between the neighbours of a non-finite point", names[k], between);
    CHECK(count(px, w, h, c0.r, c0.g, c0.b) >= 2 * 21, "%s: the two finite points' markers are missing", names[k]);
    free(px);
  }

  /* Two series: both colours, and a legend box (light gray border). */
  const double ya[3] = {3, 2, 1}, yb[3] = {2, 1.5, 1.2};
  vg_series two[2] = {{"train_loss", xg, ya, 3}, {"test_loss", xg, yb, 3}};
  panel = (vg_panel){"loss", two, 2};
  px = lines_pixels("lines_two.png", &panel, 1, 1, PW, PH, "curves", &w, &h);
  if (px) {
    vg_rgb c1 = vg_palette(1);
    CHECK(count(px, w, h, c1.r, c1.g, c1.b) > 21, "the second series is missing");
    CHECK(count(px, w, h, 200, 200, 200) > 40, "no legend box for two series");
  }
  free(px);
}

static void test_lines_layout(void) {
  /* 5 panels in 3 columns: 3 x 2 cells, the last empty. */
  enum { PW = 120, PH = 90 };
  const double x[2] = {1, 2}, y[2] = {0.5, 0.25};
  vg_series sr = {"m", x, y, 2};
  vg_panel panels[5];
  for (int i = 0; i < 5; i++) panels[i] = (vg_panel){"metric", &sr, 1};
  int w = 0, h = 0;
  uint8_t *px = lines_pixels("lines_5x3.png", panels, 5, 3, PW, PH, NULL, &w, &h);
  CHECK(w == 3 * PW && h == 2 * PH, "5 panels in 3 columns: %dx%d, want %dx%d", w, h, 3 * PW, 2 * PH);
  if (px && w == 3 * PW && h == 2 * PH) {
    vg_rgb c0 = vg_palette(0);
    for (int i = 0; i < 6; i++) {
      int cx = (i % 3) * PW, cy = (i / 3) * PH;
      int n = count_in(px, w, cx, cy, cx + PW, cy + PH, c0.r, c0.g, c0.b);
      int ink = count_in(px, w, cx, cy, cx + PW, cy + PH, 0, 0, 0);
      if (i < 5) CHECK(n > 0 && ink > 0, "panel %d's cell has %d series and %d black pixels", i, n, ink);
      else CHECK(n == 0 && ink == 0, "the empty sixth cell has %d series and %d black pixels", n, ink);
    }
  }
  free(px);
  /* A figure title adds a 15-pixel band (text scale 1). */
  px = lines_pixels("lines_5x3_title.png", panels, 5, 3, PW, PH, "training curves", &w, &h);
  CHECK(w == 3 * PW && h == 15 + 2 * PH, "with a title: %dx%d, want %dx%d", w, h, 3 * PW, 15 + 2 * PH);
  if (px && w == 3 * PW) CHECK(count_in(px, w, 0, 0, w, 15, 0, 0, 0) > 30, "no figure title");
  free(px);
  /* Fewer panels than columns: only the columns used. */
  px = lines_pixels("lines_2x5.png", panels, 2, 5, PW, PH, NULL, &w, &h);
  CHECK(w == 2 * PW && h == PH, "2 panels in 5 columns: %dx%d, want %dx%d", w, h, 2 * PW, PH);
  free(px);
  /* Larger panels, larger text: s = 2 from 500 pixels, a 30-pixel band. */
  px = lines_pixels("lines_big.png", panels, 1, 1, 500, 500, "big", &w, &h);
  CHECK(w == 500 && h == 30 + 500, "a 500x500 panel with a title: %dx%d, want 500x530", w, h);
  free(px);
  /* A panel with no finite data still draws its frame. */
  const double nan2[2] = {NAN, NAN};
  vg_series none[2] = {{"none", x, nan2, 2}, {"empty", NULL, NULL, 0}};
  vg_panel empty[2] = {{"all NaN", none, 1}, {"no points", none + 1, 1}};
  px = lines_pixels("lines_no_data.png", empty, 2, 2, PW, PH, NULL, &w, &h);
  if (px) CHECK(count(px, w, h, 0, 0, 0) > 4 * 60, "panels without data have no frames");
  free(px);
}

static void test_lines_errors(void) {
  char p[512], err[1024];
  path_of(p, sizeof p, "lines_bad.png");
  const double x[2] = {1, 2}, y[2] = {3, 4};
  vg_series sr = {"loss", x, y, 2};
  vg_panel pn = {"loss", &sr, 1};
  struct {
    const vg_panel *panels;
    int npanels, cols, pw, ph;
    const char *want;
  } cases[] = {
      {&pn, 0, 1, 100, 100, "no panels"},     {NULL, 1, 1, 100, 100, "no panels"},
      {&pn, 1, 0, 100, 100, "0 columns"},     {&pn, 1, 1, 63, 100, "panel size 63x100"},
      {&pn, 1, 1, 100, 8193, "outside 64..8192"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    err[0] = 0;
    vg_status st = vg_lines_png(p, cases[i].panels, cases[i].npanels, cases[i].cols, cases[i].pw, cases[i].ph, NULL,
                                err, sizeof err);
    CHECK(st == VG_ERR_ARG, "case %zu: status %d", i, st);
    CHECK(strncmp(err, p, strlen(p)) == 0, "case %zu: the message does not start with the path: %s", i, err);
    CHECK_CONTAINS(err, cases[i].want);
  }
  /* Over 64 Mpixel: 100 panels of 1000x1000 in 10 columns (100 Mpixel),
   * refused before a byte is allocated or a panel read. */
  err[0] = 0;
  CHECK(vg_lines_png(p, &pn, 100, 10, 1000, 1000, NULL, err, sizeof err) == VG_ERR_ARG, "a 100 Mpixel figure");
  CHECK_CONTAINS(err, "over 64 Mpixel");
  CHECK(vg_lines_png(p, &pn, 2000000000, 1, 8192, 8192, NULL, err, sizeof err) == VG_ERR_ARG, "2e9 panels");

  /* Bad panels and series: the message names which. */
  vg_panel bad[2] = {pn, {"kl", NULL, 1}};
  err[0] = 0;
  CHECK(vg_lines_png(p, bad, 2, 2, 100, 100, NULL, err, sizeof err) == VG_ERR_ARG, "series NULL accepted");
  CHECK_CONTAINS(err, "panel 1 ('kl')");
  bad[1].nseries = -1;
  bad[1].series = &sr;
  CHECK(vg_lines_png(p, bad, 2, 2, 100, 100, NULL, err, sizeof err) == VG_ERR_ARG, "nseries -1 accepted");
  vg_series bad_sr[2] = {sr, {"test_kl", x, NULL, 2}};
  bad[1] = (vg_panel){"kl", bad_sr, 2};
  err[0] = 0;
  CHECK(vg_lines_png(p, bad, 2, 2, 100, 100, NULL, err, sizeof err) == VG_ERR_ARG, "y NULL accepted");
  CHECK_CONTAINS(err, "panel 1 ('kl'), series 1 ('test_kl'): y is NULL");
  bad_sr[1] = (vg_series){"test_kl", x, y, -2};
  err[0] = 0;
  CHECK(vg_lines_png(p, bad, 2, 2, 100, 100, NULL, err, sizeof err) == VG_ERR_ARG, "n -2 accepted");
  CHECK_CONTAINS(err, "-2 points");
  CHECK(!exists(p) && !tmp_exists(p), "a refused figure left a file");

  CHECK(vg_lines_png(NULL, &pn, 1, 1, 100, 100, NULL, err, sizeof err) == VG_ERR_ARG, "NULL path accepted");
  path_of(p, sizeof p, "no_such_dir/lines.png");
  err[0] = 0;
  CHECK(vg_lines_png(p, &pn, 1, 1, 100, 100, NULL, err, sizeof err) == VG_ERR_IO, "a missing directory did not fail");
  CHECK_CONTAINS(err, p);
}

int main(int argc, char **argv) {
  dir = argc > 1 ? argv[1] : ".";
  test_grid();
  test_grid_rgb();
  test_scatter();
  test_scatter_legend();
  test_lines_pixels();
  test_lines_layout();
  test_lines_errors();
  CHECK_DONE();
}
