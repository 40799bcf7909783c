/* Pictures: the grid's exact layout and value mapping, PNG round trips and
 * every way a write or read can fail (no half-written file, no stray .tmp),
 * PCA on data whose answer is known, and a scatter plot read back pixel by
 * pixel. Usage: test_image [dir for temporary files]. */
#define _POSIX_C_SOURCE 200809L /* mkdir, rmdir */

#include <math.h>
#include <png.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "image.h"

static const char *dir;

static void path_of(char *buf, size_t len, const char *name) { snprintf(buf, len, "%s/%s", dir, name); }

static int exists(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f) fclose(f);
  return f != NULL;
}

static int tmp_exists(const char *path) {
  char t[600];
  snprintf(t, sizeof t, "%s.tmp", path);
  return exists(t);
}

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
  vg_status st = vg_image_grid(imgs, 3, 2, 2, 2, 1, 1, 0.0f, 1.0f, &g, &w, &h);
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
  st = vg_image_grid(imgs, 3, 2, 2, 2, 1, 2, 0.0f, 1.0f, &g2, &w2, &h2);
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
  st = vg_image_grid(one, 1, 1, 3, 1, 0, 1, -1.0f, 1.0f, &g, &w, &h);
  CHECK(st == VG_OK && w == 3 && h == 1 && g[0] == 0 && g[1] == 128 && g[2] == 255,
        "range [-1, 1]: status %d, %dx%d, pixels %d %d %d", st, w, h, g ? g[0] : -1, g ? g[1] : -1, g ? g[2] : -1);
  free(g);

  /* Bad arguments leave the outputs empty. */
  st = vg_image_grid(imgs, 3, 2, 2, 2, 1, 1, 1.0f, 1.0f, &g, &w, &h);
  CHECK(st == VG_ERR_ARG && g == NULL && w == 0 && h == 0, "hi == lo: status %d", st);
  CHECK(vg_image_grid(imgs, 3, 2, 2, 2, 1, 0, 0.0f, 1.0f, &g, &w, &h) == VG_ERR_ARG, "scale 0 accepted");
  CHECK(vg_image_grid(imgs, 0, 2, 2, 2, 1, 1, 0.0f, 1.0f, &g, &w, &h) == VG_ERR_ARG, "n 0 accepted");
  CHECK(vg_image_grid(imgs, 3, 2, 2, 0, 1, 1, 0.0f, 1.0f, &g, &w, &h) == VG_ERR_ARG, "cols 0 accepted");
  CHECK(vg_image_grid(imgs, 3, 2, 2, 2, -1, 1, 0.0f, 1.0f, &g, &w, &h) == VG_ERR_ARG, "pad -1 accepted");
  CHECK(vg_image_grid(imgs, 3, 2, 2, 2, 1, 1, 0.0f, NAN, &g, &w, &h) == VG_ERR_ARG, "hi NaN accepted");
  CHECK(vg_image_grid(imgs, 3, 50000, 50000, 2, 1, 1, 0.0f, 1.0f, &g, &w, &h) == VG_ERR_ARG, "huge grid accepted");
}

/* ----------------------------------------------------------------- PNG */

static void round_trip(const char *name, int w, int h, int ch) {
  char p[512], err[1024] = "";
  path_of(p, sizeof p, name);
  size_t len = (size_t)w * h * ch;
  uint8_t *px = malloc(len);
  for (size_t i = 0; i < len; i++) px[i] = (uint8_t)(i * 37 + 11);
  vg_status st = vg_png_write(p, w, h, ch, px, err, sizeof err);
  CHECK(st == VG_OK, "write %s: status %d: %s", p, st, err);
  CHECK(!tmp_exists(p), "%s.tmp left behind after a successful write", p);
  uint8_t *back = NULL;
  int bw = 0, bh = 0, bch = 0;
  st = vg_png_read(p, &bw, &bh, &bch, &back, err, sizeof err);
  CHECK(st == VG_OK, "read %s: status %d: %s", p, st, err);
  CHECK(bw == w && bh == h && bch == ch, "%s read back as %dx%dx%d, want %dx%dx%d", p, bw, bh, bch, w, h, ch);
  CHECK(back && bw == w && bh == h && bch == ch && memcmp(back, px, len) == 0, "%s: pixels differ after round trip",
        p);
  free(back);

  /* Writing again replaces the file. */
  for (size_t i = 0; i < len; i++) px[i] = (uint8_t)(255 - px[i]);
  st = vg_png_write(p, w, h, ch, px, err, sizeof err);
  back = NULL;
  if (st == VG_OK) st = vg_png_read(p, &bw, &bh, &bch, &back, err, sizeof err);
  CHECK(st == VG_OK && back && memcmp(back, px, len) == 0, "%s: overwrite did not replace the pixels (%s)", p, err);
  free(back);
  free(px);
}

static void test_png_errors(void) {
  char p[512], err[1024];
  uint8_t px[12] = {0};

  /* A missing directory: an error naming the file, and nothing created. */
  path_of(p, sizeof p, "no_such_dir/out.png");
  err[0] = 0;
  vg_status st = vg_png_write(p, 2, 2, 3, px, err, sizeof err);
  CHECK(st == VG_ERR_IO, "write into a missing directory: status %d", st);
  CHECK_CONTAINS(err, p);
  CHECK(!exists(p) && !tmp_exists(p), "write into a missing directory left a file");

  /* The final name is a directory: encoding succeeds, the rename fails, and
   * the temporary file must be cleaned up. */
  path_of(p, sizeof p, "a_directory.png");
  rmdir(p);
  CHECK(mkdir(p, 0755) == 0, "cannot make the directory %s", p);
  err[0] = 0;
  st = vg_png_write(p, 2, 2, 3, px, err, sizeof err);
  CHECK(st == VG_ERR_IO, "write over a directory: status %d", st);
  CHECK_CONTAINS(err, p);
  CHECK_CONTAINS(err, "rename");
  CHECK(!tmp_exists(p), "failed rename left %s.tmp behind", p);
  rmdir(p);

  path_of(p, sizeof p, "bad_args.png");
  err[0] = 0;
  CHECK(vg_png_write(p, 2, 2, 2, px, err, sizeof err) == VG_ERR_ARG, "2 channels accepted");
  CHECK_CONTAINS(err, p);
  CHECK(vg_png_write(p, 0, 2, 1, px, err, sizeof err) == VG_ERR_ARG, "width 0 accepted");
  CHECK(vg_png_write(p, 2, 2, 1, NULL, err, sizeof err) == VG_ERR_ARG, "NULL pixels accepted");
  CHECK(vg_png_write(p, 2, 2, 1, px, NULL, 0) == VG_OK, "a NULL err buffer is not allowed");
  CHECK(!exists(p) || remove(p) == 0, "cannot remove %s", p);

  uint8_t *back = (uint8_t *)1;
  int w, h, ch;

  path_of(p, sizeof p, "missing.png");
  err[0] = 0;
  st = vg_png_read(p, &w, &h, &ch, &back, err, sizeof err);
  CHECK(st == VG_ERR_IO && back == NULL, "read a missing file: status %d", st);
  CHECK_CONTAINS(err, p);

  path_of(p, sizeof p, "not_a_png.png");
  FILE *f = fopen(p, "wb");
  fputs("P5 2 2 255\nabcd", f);
  fclose(f);
  err[0] = 0;
  st = vg_png_read(p, &w, &h, &ch, &back, err, sizeof err);
  CHECK(st == VG_ERR_FORMAT && back == NULL, "read a non-PNG: status %d", st);
  CHECK_CONTAINS(err, p);
  CHECK_CONTAINS(err, "not a PNG");

  /* A truncated PNG: libpng fails inside the image data, after the pixel
   * buffers exist; the error path must free them (run under ASan). */
  char full[512];
  path_of(full, sizeof full, "full.png");
  enum { N = 64 };
  uint8_t *big = malloc(N * N);
  uint32_t s = 1;
  for (int i = 0; i < N * N; i++) big[i] = (uint8_t)((s = s * 1664525u + 1013904223u) >> 24);
  st = vg_png_write(full, N, N, 1, big, err, sizeof err);
  CHECK(st == VG_OK, "write %s: %s", full, err);
  free(big);
  f = fopen(full, "rb");
  uint8_t bytes[8192];
  size_t got = f ? fread(bytes, 1, sizeof bytes, f) : 0;
  if (f) fclose(f);
  CHECK(got > 1000, "%s is only %zu bytes", full, got);
  path_of(p, sizeof p, "truncated.png");
  f = fopen(p, "wb");
  fwrite(bytes, 1, got / 2, f);
  fclose(f);
  err[0] = 0;
  back = (uint8_t *)1;
  st = vg_png_read(p, &w, &h, &ch, &back, err, sizeof err);
  CHECK(st == VG_ERR_FORMAT && back == NULL, "read a truncated PNG: status %d (%s)", st, err);
  CHECK_CONTAINS(err, p);
  CHECK_CONTAINS(err, "truncated");

  /* Cut just before IEND: the pixels are all there, but the file is not a
   * whole PNG and reading it must say so. */
  path_of(p, sizeof p, "no_iend.png");
  f = fopen(p, "wb");
  fwrite(bytes, 1, got - 12, f);
  fclose(f);
  err[0] = 0;
  st = vg_png_read(p, &w, &h, &ch, &back, err, sizeof err);
  CHECK(st == VG_ERR_FORMAT && back == NULL, "read a PNG without IEND: status %d (%s)", st, err);

  /* RGBA is refused rather than silently composited. */
  path_of(p, sizeof p, "rgba.png");
  png_image img;
  memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  img.width = 2;
  img.height = 2;
  img.format = PNG_FORMAT_RGBA;
  uint8_t rgba[16] = {0};
  CHECK(png_image_write_to_file(&img, p, 0, rgba, 0, NULL), "libpng could not write %s", p);
  err[0] = 0;
  st = vg_png_read(p, &w, &h, &ch, &back, err, sizeof err);
  CHECK(st == VG_ERR_FORMAT && back == NULL, "read RGBA: status %d", st);
  CHECK_CONTAINS(err, "alpha");
}

/* ----------------------------------------------------------------- PCA */

static void test_pca_line(void) {
  /* Points on a line in 5-D: x = t v + c. */
  enum { N = 50, D = 5 };
  const double v[D] = {1, 2, -1, 0.5, 3}, c[D] = {10, -5, 2, 0, 1};
  float x[N * D], out[2 * N], again[2 * N];
  double t[N], tmean = 0, vnorm = 0;
  for (int j = 0; j < D; j++) vnorm += v[j] * v[j];
  vnorm = sqrt(vnorm);
  for (int i = 0; i < N; i++) {
    t[i] = -2 + 5.0 * i / (N - 1);
    tmean += t[i] / N;
    for (int j = 0; j < D; j++) x[i * D + j] = (float)(t[i] * v[j] + c[j]);
  }
  CHECK(vg_pca2(x, N, D, out) == VG_OK, "pca2 on a line failed");
  /* The axis is v / |v| (its largest component, 3, is positive), so the
   * first coordinate is (t - mean t) |v| and the second is 0. */
  double worst_x = 0, worst_y = 0;
  for (int i = 0; i < N; i++) {
    worst_x = fmax(worst_x, fabs(out[2 * i] - (t[i] - tmean) * vnorm));
    worst_y = fmax(worst_y, fabs(out[2 * i + 1]));
  }
  CHECK(worst_x < 1e-4 * 5 * vnorm, "first coordinate is off (t - mean t) |v| by up to %g", worst_x);
  CHECK(worst_y < 1e-4 * 5 * vnorm, "second coordinate of points on a line is up to %g, want ~0", worst_y);
  CHECK(vg_pca2(x, N, D, again) == VG_OK && memcmp(out, again, sizeof out) == 0, "two pca2 calls differ");

  /* A point with a NaN is left out and projects to NaN; the rest are as if
   * it were not there. */
  float with_nan[(N + 1) * D], out_nan[2 * (N + 1)];
  memcpy(with_nan, x, 7 * D * sizeof(float));
  for (int j = 0; j < D; j++) with_nan[7 * D + j] = j == 2 ? NAN : 1e6f;
  memcpy(with_nan + 8 * D, x + 7 * D, (N - 7) * D * sizeof(float));
  CHECK(vg_pca2(with_nan, N + 1, D, out_nan) == VG_OK, "pca2 with a NaN row failed");
  CHECK(isnan(out_nan[14]) && isnan(out_nan[15]), "the NaN row projects to (%g, %g), want NaN", out_nan[14],
        out_nan[15]);
  double worst = 0;
  for (int i = 0; i < N; i++) {
    int k = i < 7 ? i : i + 1;
    worst = fmax(worst, fabs(out_nan[2 * k] - out[2 * i]) + fabs(out_nan[2 * k + 1] - out[2 * i + 1]));
  }
  CHECK(worst < 1e-5, "a NaN row changed the other projections by %g", worst);
}

static void test_pca_plane(void) {
  /* Uncorrelated spreads along e1 = (3,4,0,0)/5 (variance ~2.9), e2 =
   * (-4,3,0,0)/5 (0.3 w: ~0.18) and e3 (tiny), offset by c. The sign rule
   * turns e2 into (4,-3,0,0)/5, so the answer is (u, -0.3 w). */
  enum { N = 60, D = 4 };
  float x[N * D], out[2 * N];
  const double c[D] = {1, -2, 3, 0.5};
  double u[N], w[N];
  for (int i = 0; i < N; i++) {
    u[i] = (i % 6) - 2.5;
    w[i] = ((i / 6) % 5) - 2;
    double z = (i / 30) - 0.5;
    const double p[D] = {0.6 * u[i] - 0.8 * 0.3 * w[i], 0.8 * u[i] + 0.6 * 0.3 * w[i], 0.01 * z, 0};
    for (int j = 0; j < D; j++) x[i * D + j] = (float)(p[j] + c[j]);
  }
  CHECK(vg_pca2(x, N, D, out) == VG_OK, "pca2 on a plane failed");
  double worst_x = 0, worst_y = 0;
  for (int i = 0; i < N; i++) {
    worst_x = fmax(worst_x, fabs(out[2 * i] - u[i]));
    worst_y = fmax(worst_y, fabs(out[2 * i + 1] + 0.3 * w[i]));
  }
  CHECK(worst_x < 1e-4, "plane: first coordinate off u by up to %g", worst_x);
  CHECK(worst_y < 1e-4, "plane: second coordinate off -0.3 w by up to %g", worst_y);
}

static void test_pca_small_d(void) {
  const float two[6] = {1, 2, -3, 4.5f, NAN, 7};
  float out[6];
  CHECK(vg_pca2(two, 3, 2, out) == VG_OK && memcmp(out, two, sizeof out) == 0, "d == 2 is not passed through");
  const float one[3] = {5, -1, 2};
  CHECK(vg_pca2(one, 3, 1, out) == VG_OK && out[0] == 5 && out[1] == 0 && out[2] == -1 && out[3] == 0 &&
            out[4] == 2 && out[5] == 0,
        "d == 1: got %g %g %g %g %g %g", out[0], out[1], out[2], out[3], out[4], out[5]);
  /* All points equal: no spread, so both coordinates are 0. */
  const float same[9] = {1, 2, 3, 1, 2, 3, 1, 2, 3};
  CHECK(vg_pca2(same, 3, 3, out) == VG_OK && out[0] == 0 && out[1] == 0 && out[4] == 0 && out[5] == 0,
        "identical points project to (%g, %g), want 0", out[0], out[1]);
  CHECK(vg_pca2(one, 0, 3, out) == VG_ERR_ARG, "n 0 accepted");
  CHECK(vg_pca2(NULL, 3, 3, out) == VG_ERR_ARG, "NULL x accepted");
}

/* ------------------------------------------------------------- scatter */

static const uint8_t TAB10[10][3] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44},  {214, 39, 40},  {148, 103, 189},
                                     {140, 86, 75},  {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};

static int is(const uint8_t *px, int w, int x, int y, int r, int g, int b) {
  const uint8_t *p = px + 3 * ((size_t)y * w + x);
  return p[0] == r && p[1] == g && p[2] == b;
}

static int count(const uint8_t *px, int w, int h, int r, int g, int b) {
  int k = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) k += is(px, w, x, y, r, g, b);
  return k;
}

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
  vg_status st = vg_scatter_png(p, xy, labels, N, bg, NBG, SIZE, "latent z (epoch 3): kl=1.5", &skipped, err,
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
  st = vg_scatter_png(p, xy, NULL, 2, NULL, 0, 128, NULL, NULL, err, sizeof err);
  CHECK(st == VG_OK, "unlabelled scatter: %s", err);
  px = NULL;
  if (st == VG_OK && vg_png_read(p, &w, &h, &ch, &px, err, sizeof err) == VG_OK)
    CHECK(count(px, w, h, 64, 64, 64) >= 2 * 21, "unlabelled points are not dark gray");
  free(px);
  skipped = -1;
  st = vg_scatter_png(p, NULL, NULL, 0, NULL, 0, 64, "empty", &skipped, err, sizeof err);
  CHECK(st == VG_OK && skipped == 0, "empty scatter: status %d, skipped %d: %s", st, skipped, err);

  err[0] = 0;
  CHECK(vg_scatter_png(p, xy, labels, N, NULL, 0, 10, NULL, NULL, err, sizeof err) == VG_ERR_ARG, "size 10 accepted");
  CHECK_CONTAINS(err, p);
  path_of(p, sizeof p, "no_such_dir/scatter.png");
  err[0] = 0;
  CHECK(vg_scatter_png(p, xy, labels, N, NULL, 0, 128, NULL, NULL, err, sizeof err) == VG_ERR_IO,
        "scatter into a missing directory did not fail");
  CHECK_CONTAINS(err, p);
}

int main(int argc, char **argv) {
  dir = argc > 1 ? argv[1] : ".";
  test_grid();
  round_trip("gray.png", 5, 3, 1);
  round_trip("rgb.png", 4, 6, 3);
  round_trip("one_pixel.png", 1, 1, 1);
  test_png_errors();
  test_pca_line();
  test_pca_plane();
  test_pca_small_d();
  test_scatter();
  CHECK_DONE();
}
