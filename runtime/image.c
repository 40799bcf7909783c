/* PNG files, image grids and scatter plots: the pictures a user looks at to
 * judge a model.
 *
 * PNG goes through libpng's classic API rather than the simplified one so
 * that pixels are written and read back exactly (the simplified reader
 * converts gamma); libpng reports errors by longjmp, which each codec
 * function catches and turns into a message naming the file. Plots are drawn
 * on a plain RGB canvas with a built-in 5x7 font, so they need no other
 * library. */
#define _POSIX_C_SOURCE 200809L /* fileno, fsync */

#include "image.h"

#include <errno.h>
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* 1 GiB: a bigger image is a mistake (or a lying header), not a picture. */
#define MAX_BYTES ((int64_t)1 << 30)

__attribute__((format(printf, 5, 6))) static vg_status fail(char *err, size_t len, vg_status st, const char *path,
                                                            const char *fmt, ...) {
  if (!err || !len) return st;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  snprintf(err, len, "%s: %s", path ? path : "(null)", msg);
  return st;
}

/* ------------------------------------------------------------------ PNG */

/* What went wrong inside libpng: set by the error callback (or by us just
 * before calling png_error, to report running out of memory as such). */
typedef struct png_ctx {
  vg_status st;
  char msg[256];
} png_ctx;

/* libpng's error callback must not return: record the message and jump back
 * to the setjmp in the function that called libpng. */
static void on_png_error(png_structp png, png_const_charp msg) {
  png_ctx *ctx = png_get_error_ptr(png);
  snprintf(ctx->msg, sizeof ctx->msg, "%s", msg);
  png_longjmp(png, 1);
}

/* Warnings (unknown chunks, odd but readable files) would only clutter
 * stderr; anything that matters arrives as an error. */
static void on_png_warning(png_structp png, png_const_charp msg) {
  (void)png;
  (void)msg;
}

/* Encodes the pixels into f; returns 0, or -1 with ctx filled. */
static int encode_png(FILE *f, int width, int height, int channels, const uint8_t *pixels, png_ctx *ctx) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, ctx, on_png_error, on_png_warning);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  if (!info) {
    png_destroy_write_struct(&png, NULL);
    ctx->st = VG_ERR_NOMEM;
    snprintf(ctx->msg, sizeof ctx->msg, "out of memory for the PNG encoder");
    return -1;
  }
  /* Rows are handed over one at a time straight from `pixels`, so nothing is
   * allocated after setjmp and no local needs to be volatile. */
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return -1;
  }
  png_init_io(png, f);
  png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8,
               channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  size_t stride = (size_t)width * (size_t)channels;
  for (int y = 0; y < height; y++) png_write_row(png, pixels + (size_t)y * stride);
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &info);
  return 0;
}

vg_status vg_png_write(const char *path, int width, int height, int channels, const uint8_t *pixels, char *err,
                       size_t errlen) {
  if (!path) return fail(err, errlen, VG_ERR_ARG, path, "no file name given");
  if (width < 1 || height < 1 || (channels != 1 && channels != 3))
    return fail(err, errlen, VG_ERR_ARG, path, "cannot write a %dx%d image with %d channels (want 1 or 3)", width,
                height, channels);
  if ((int64_t)width * height * channels > MAX_BYTES)
    return fail(err, errlen, VG_ERR_ARG, path, "a %dx%d image is too large (over 1 GiB)", width, height);
  if (!pixels) return fail(err, errlen, VG_ERR_ARG, path, "no pixels given");

  size_t len = strlen(path);
  char *tmp = malloc(len + sizeof ".tmp");
  if (!tmp) return fail(err, errlen, VG_ERR_NOMEM, path, "out of memory");
  memcpy(tmp, path, len);
  memcpy(tmp + len, ".tmp", sizeof ".tmp");

  FILE *f = fopen(tmp, "wb");
  if (!f) {
    vg_status st = fail(err, errlen, VG_ERR_IO, path, "cannot create %s: %s", tmp, strerror(errno));
    free(tmp);
    return st;
  }
  png_ctx ctx = {VG_ERR_IO, ""};
  int bad = encode_png(f, width, height, channels, pixels, &ctx);
  /* The data must be on disk before the rename, or a crash could leave the
   * final name pointing at an empty file. EINVAL: a file system that cannot
   * sync, where there is nothing better to do. */
  if (!bad && (fflush(f) != 0 || (fsync(fileno(f)) != 0 && errno != EINVAL))) {
    bad = -1;
    snprintf(ctx.msg, sizeof ctx.msg, "%s", strerror(errno));
  }
  if (fclose(f) != 0 && !bad) {
    bad = -1;
    snprintf(ctx.msg, sizeof ctx.msg, "%s", strerror(errno));
  }
  vg_status st = VG_OK;
  if (bad) {
    st = fail(err, errlen, ctx.st, path, "writing %s: %s", tmp, ctx.msg);
    remove(tmp);
  } else if (rename(tmp, path) != 0) {
    st = fail(err, errlen, VG_ERR_IO, path, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    remove(tmp);
  }
  free(tmp);
  return st;
}

/* Decodes f (whose 8 signature bytes were already read and checked) into a
 * malloc'd buffer; returns 0, or -1 with ctx filled. */
static int decode_png(FILE *f, int *width, int *height, int *channels, uint8_t **pixels, png_ctx *ctx) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, ctx, on_png_error, on_png_warning);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  if (!info) {
    png_destroy_read_struct(&png, NULL, NULL);
    ctx->st = VG_ERR_NOMEM;
    snprintf(ctx->msg, sizeof ctx->msg, "out of memory for the PNG decoder");
    return -1;
  }
  /* Assigned after setjmp and freed after a longjmp: volatile, or the
   * compiler may keep them in registers the jump restores to old values. */
  uint8_t *volatile data = NULL;
  png_bytep *volatile rows = NULL;
  if (setjmp(png_jmpbuf(png))) {
    free(data);
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    return -1;
  }
  png_init_io(png, f);
  png_set_sig_bytes(png, 8);
  png_read_info(png, info);
  int depth = png_get_bit_depth(png, info), type = png_get_color_type(png, info);
  if (depth > 8) png_error(png, "16-bit PNG (only 8-bit gray or RGB is read)");
  if (type & PNG_COLOR_MASK_ALPHA) png_error(png, "PNG with an alpha channel (only 8-bit gray or RGB is read)");
  /* Expansions that lose nothing; a tRNS chunk is ignored rather than turned
   * into alpha. */
  if (type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (type == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);

  png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
  int ch = png_get_channels(png, info);
  size_t rowbytes = png_get_rowbytes(png, info);
  if ((int64_t)w * h > MAX_BYTES / ch) png_error(png, "image too large (over 1 GiB of pixels)");
  if ((ch != 1 && ch != 3) || rowbytes != (size_t)w * (size_t)ch) png_error(png, "unexpected pixel layout");
  data = malloc(rowbytes * h);
  rows = malloc(h * sizeof *rows);
  if (!data || !rows) {
    ctx->st = VG_ERR_NOMEM;
    png_error(png, "out of memory for the pixels");
  }
  for (png_uint_32 y = 0; y < h; y++) rows[y] = data + (size_t)y * rowbytes;
  png_read_image(png, rows);
  png_read_end(png, NULL); /* checks the rest of the file, so truncation is an error */
  free(rows);
  png_destroy_read_struct(&png, &info, NULL);
  *width = (int)w;
  *height = (int)h;
  *channels = ch;
  *pixels = data;
  return 0;
}

vg_status vg_png_read(const char *path, int *width, int *height, int *channels, uint8_t **pixels, char *err,
                      size_t errlen) {
  if (!pixels || !width || !height || !channels) return fail(err, errlen, VG_ERR_ARG, path, "NULL output pointer");
  *pixels = NULL;
  *width = *height = *channels = 0;
  if (!path) return fail(err, errlen, VG_ERR_ARG, path, "no file name given");
  FILE *f = fopen(path, "rb");
  if (!f) return fail(err, errlen, VG_ERR_IO, path, "cannot open: %s", strerror(errno));
  /* Checked here so that a wrong file gets a plain message. */
  png_byte sig[8];
  size_t got = fread(sig, 1, sizeof sig, f);
  vg_status st = VG_OK;
  if (got < sizeof sig || png_sig_cmp(sig, 0, sizeof sig) != 0) {
    st = fail(err, errlen, VG_ERR_FORMAT, path, "not a PNG file (%s)",
              got < sizeof sig ? "shorter than the 8-byte signature" : "bad signature");
  } else {
    png_ctx ctx = {VG_ERR_FORMAT, ""};
    if (decode_png(f, width, height, channels, pixels, &ctx) != 0)
      /* libpng says only "Read Error" when the file stops early. */
      st = fail(err, errlen, ctx.st, path, "%s%s", feof(f) ? "truncated: the file ends inside the PNG data; " : "",
                ctx.msg);
  }
  fclose(f);
  return st;
}

/* ----------------------------------------------------------------- grid */

/* NaN fails every comparison, so it lands on 0 with the values below lo. */
static uint8_t to_byte(float v, double lo, double span) {
  double t = ((double)v - lo) / span * 255.0;
  if (!(t > 0)) return 0;
  if (t >= 255) return 255;
  return (uint8_t)(t + 0.5);
}

vg_status vg_image_grid(const float *images, int n, int h, int w, int cols, int pad, int scale, float lo, float hi,
                        uint8_t **out, int *out_w, int *out_h) {
  if (!out || !out_w || !out_h) return VG_ERR_ARG;
  *out = NULL;
  *out_w = *out_h = 0;
  if (!images || n < 1 || h < 1 || w < 1 || cols < 1 || pad < 0 || scale < 1) return VG_ERR_ARG;
  if (!isfinite(lo) || !isfinite(hi) || !(hi > lo)) return VG_ERR_ARG;
  int rows = (n - 1) / cols + 1;
  /* Sizes in int64 with a check at each step: every factor is below 2^31 and
   * each bound keeps the next product below 2^63. */
  int64_t gw = (int64_t)cols * w + ((int64_t)cols + 1) * pad;
  int64_t gh = (int64_t)rows * h + ((int64_t)rows + 1) * pad;
  if (gw > MAX_BYTES || gh > MAX_BYTES) return VG_ERR_ARG;
  int64_t ow = gw * scale, oh = gh * scale;
  if (ow > MAX_BYTES || oh > MAX_BYTES || ow * oh > MAX_BYTES) return VG_ERR_ARG;

  uint8_t *img = malloc((size_t)(ow * oh));
  if (!img) return VG_ERR_NOMEM;
  memset(img, 128, (size_t)(ow * oh));
  double span = (double)hi - lo;
  for (int i = 0; i < n; i++) {
    const float *src = images + (size_t)i * h * w;
    /* Top-left corner of the tile in output pixels. */
    int64_t ox = (pad + (int64_t)(i % cols) * (w + pad)) * scale;
    int64_t oy = (pad + (int64_t)(i / cols) * (h + pad)) * scale;
    for (int y = 0; y < h; y++) {
      uint8_t *first = img + (oy + (int64_t)y * scale) * ow + ox;
      for (int x = 0; x < w; x++) memset(first + (size_t)x * scale, to_byte(src[(size_t)y * w + x], lo, span), scale);
      for (int k = 1; k < scale; k++) memcpy(first + k * ow, first, (size_t)w * scale);
    }
  }
  *out = img;
  *out_w = (int)ow;
  *out_h = (int)oh;
  return VG_OK;
}

/* ------------------------------------------------------------------ PCA */

#define PCA_MAX_D 4096 /* the covariance is d*d doubles: 128 MiB here */
#define PCA_MAX_ITERS 1000
#define PCA_TOL 1e-12

static int finite_row(const float *r, int d) {
  for (int j = 0; j < d; j++)
    if (!isfinite(r[j])) return 0;
  return 1;
}

static double dot(const double *a, const double *b, int d) {
  double s = 0;
  for (int j = 0; j < d; j++) s += a[j] * b[j];
  return s;
}

/* Removes v's component along the unit vector `prev` (if any), which keeps
 * the second axis out of the first one's direction: deflation by projection. */
static void deflate(double *v, const double *prev, int d) {
  if (!prev) return;
  double p = dot(v, prev, d);
  for (int j = 0; j < d; j++) v[j] -= p * prev[j];
}

/* The dominant eigenvector of the symmetric d x d matrix `cov` restricted to
 * the complement of `prev`, by power iteration; all zeros when there is no
 * spread left (variance below 1e-12 of the total). w is scratch. */
static void top_axis(const double *cov, int d, double trace, const double *prev, double *v, double *w) {
  /* A fixed pseudo-random start: deterministic, and unlike a structured
   * vector (all ones, e_1) not orthogonal to the answer for tidy inputs. */
  uint32_t s = 0x9e3779b9u;
  for (int j = 0; j < d; j++) {
    s = s * 1664525u + 1013904223u;
    v[j] = (double)(s >> 8) / (double)(1u << 24) - 0.5;
  }
  deflate(v, prev, d);
  double nv = sqrt(dot(v, v, d));
  for (int j = 0; j < d; j++) v[j] /= nv;
  for (int it = 0; it < PCA_MAX_ITERS; it++) {
    for (int a = 0; a < d; a++) w[a] = dot(cov + (size_t)a * d, v, d);
    deflate(w, prev, d);
    /* v is a unit vector, so |w| estimates the variance along it. */
    double nw = sqrt(dot(w, w, d));
    if (!(nw > 1e-12 * trace)) {
      memset(v, 0, (size_t)d * sizeof *v);
      return;
    }
    double change = 0;
    for (int j = 0; j < d; j++) {
      double t = w[j] / nw;
      change = fmax(change, fabs(t - v[j]));
      v[j] = t;
    }
    if (change < PCA_TOL) break;
  }
  int big = 0;
  for (int j = 1; j < d; j++)
    if (fabs(v[j]) > fabs(v[big])) big = j;
  if (v[big] < 0)
    for (int j = 0; j < d; j++) v[j] = -v[j];
}

vg_status vg_pca2(const float *x, int n, int d, float *out_xy) {
  if (!x || !out_xy || n < 1 || d < 1 || d > PCA_MAX_D) return VG_ERR_ARG;
  if (d == 2) {
    memcpy(out_xy, x, (size_t)n * 2 * sizeof *x);
    return VG_OK;
  }
  if (d == 1) {
    for (int i = 0; i < n; i++) {
      out_xy[2 * i] = x[i];
      out_xy[2 * i + 1] = 0;
    }
    return VG_OK;
  }
  double *mean = calloc((size_t)d, sizeof *mean);
  double *cov = calloc((size_t)d * d, sizeof *cov);
  double *axes = malloc((size_t)d * 2 * sizeof *axes);
  double *r = malloc((size_t)d * sizeof *r);
  if (!mean || !cov || !axes || !r) {
    free(mean);
    free(cov);
    free(axes);
    free(r);
    return VG_ERR_NOMEM;
  }
  int64_t m = 0;
  for (int i = 0; i < n; i++) {
    const float *row = x + (size_t)i * d;
    if (!finite_row(row, d)) continue;
    m++;
    for (int j = 0; j < d; j++) mean[j] += row[j];
  }
  for (int j = 0; j < d; j++) mean[j] /= (double)(m ? m : 1);
  /* Upper triangle only, mirrored afterwards: half the work. */
  for (int i = 0; i < n; i++) {
    const float *row = x + (size_t)i * d;
    if (!finite_row(row, d)) continue;
    for (int j = 0; j < d; j++) r[j] = row[j] - mean[j];
    for (int a = 0; a < d; a++) {
      double *c = cov + (size_t)a * d;
      for (int b = a; b < d; b++) c[b] += r[a] * r[b];
    }
  }
  double trace = 0;
  for (int a = 0; a < d; a++) {
    for (int b = a; b < d; b++) cov[(size_t)b * d + a] = cov[(size_t)a * d + b] /= (double)(m ? m : 1);
    trace += cov[(size_t)a * d + a];
  }
  top_axis(cov, d, trace, NULL, axes, r);
  top_axis(cov, d, trace, axes, axes + d, r);
  for (int i = 0; i < n; i++) {
    const float *row = x + (size_t)i * d;
    if (!finite_row(row, d)) {
      out_xy[2 * i] = out_xy[2 * i + 1] = NAN;
      continue;
    }
    double px = 0, py = 0;
    for (int j = 0; j < d; j++) {
      double c = row[j] - mean[j];
      px += c * axes[j];
      py += c * axes[d + j];
    }
    out_xy[2 * i] = (float)px;
    out_xy[2 * i + 1] = (float)py;
  }
  free(mean);
  free(cov);
  free(axes);
  free(r);
  return VG_OK;
}

/* -------------------------------------------------------------- drawing */

typedef struct rgb {
  uint8_t r, g, b;
} rgb;

typedef struct canvas {
  uint8_t *px; /* w * h RGB triples */
  int w, h;
} canvas;

static const rgb WHITE = {255, 255, 255}, BLACK = {0, 0, 0};
static const rgb LIGHT_GRAY = {200, 200, 200}, DARK_GRAY = {64, 64, 64};

/* matplotlib's tab10: distinct for the ten digits and familiar to readers. */
static const rgb TAB10[10] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44},  {214, 39, 40},   {148, 103, 189},
                              {140, 86, 75},  {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};

static void fill(canvas *c, rgb col) {
  for (size_t i = 0; i < (size_t)c->w * c->h; i++) {
    c->px[3 * i] = col.r;
    c->px[3 * i + 1] = col.g;
    c->px[3 * i + 2] = col.b;
  }
}

/* Everything drawn goes through here, so every shape is clipped to the
 * canvas and callers may draw partly outside it. */
static void put(canvas *c, int x, int y, rgb col) {
  if (x < 0 || y < 0 || x >= c->w || y >= c->h) return;
  uint8_t *p = c->px + 3 * ((size_t)y * c->w + x);
  p[0] = col.r;
  p[1] = col.g;
  p[2] = col.b;
}

/* Corners inclusive; also draws the axis-aligned lines of frame and ticks. */
static void rect(canvas *c, int x0, int y0, int x1, int y1, rgb col) {
  for (int y = y0; y <= y1; y++)
    for (int x = x0; x <= x1; x++) put(c, x, y, col);
}

/* x^2 + y^2 <= r^2 + r rounds the disc better than <= r^2 at small radii. */
static void disc(canvas *c, int cx, int cy, int r, rgb col) {
  for (int dy = -r; dy <= r; dy++)
    for (int dx = -r; dx <= r; dx++)
      if (dx * dx + dy * dy <= r * r + r) put(c, cx + dx, cy + dy, col);
}

/* The 5x7 font: one byte per row, bit 4 the leftmost column. */
typedef struct glyph {
  char ch;
  uint8_t row[7];
} glyph;

static const glyph FONT[] = {
    {'0', {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}}, {'1', {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E}},
    {'2', {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}}, {'3', {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E}},
    {'4', {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}}, {'5', {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E}},
    {'6', {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}}, {'7', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}},
    {'8', {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}}, {'9', {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C}},
    {'A', {0x0E, 0x11, 0x11, 0x11, 0x1F, 0x11, 0x11}}, {'B', {0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E}},
    {'C', {0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E}}, {'D', {0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C}},
    {'E', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F}}, {'F', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10}},
    {'G', {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F}}, {'H', {0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}},
    {'I', {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E}}, {'J', {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C}},
    {'K', {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11}}, {'L', {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F}},
    {'M', {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11}}, {'N', {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11}},
    {'O', {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}}, {'P', {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10}},
    {'Q', {0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D}}, {'R', {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11}},
    {'S', {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E}}, {'T', {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}},
    {'U', {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}}, {'V', {0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04}},
    {'W', {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A}}, {'X', {0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11}},
    {'Y', {0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04}}, {'Z', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F}},
    {' ', {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}}, {'-', {0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00}},
    {'.', {0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C}}, {':', {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00}},
    {',', {0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08}}, {'(', {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02}},
    {')', {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08}}, {'=', {0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00}},
    {'+', {0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00}}, {'/', {0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00}},
    {'_', {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1F}}, {'?', {0x0E, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04}},
};

#define FONT_W 5
#define FONT_H 7
#define ADVANCE 6 /* glyph width plus one column of space */

/* Lower case is drawn as upper case, anything unknown as '?'. */
static const glyph *glyph_of(char ch) {
  if (ch >= 'a' && ch <= 'z') ch = (char)(ch - 'a' + 'A');
  size_t count = sizeof FONT / sizeof FONT[0];
  for (size_t i = 0; i < count; i++)
    if (FONT[i].ch == ch) return &FONT[i];
  return &FONT[count - 1];
}

/* Each font pixel becomes an s x s block. */
static void draw_glyph(canvas *c, int x, int y, char ch, int s, rgb col) {
  const glyph *g = glyph_of(ch);
  for (int gy = 0; gy < FONT_H; gy++)
    for (int gx = 0; gx < FONT_W; gx++)
      if (g->row[gy] >> (FONT_W - 1 - gx) & 1) rect(c, x + gx * s, y + gy * s, x + gx * s + s - 1, y + gy * s + s - 1, col);
}

static int text_width(size_t len, int s) { return len ? (int)(len * ADVANCE - 1) * s : 0; }

/* Draws at most `len` characters of t with its top-left corner at (x, y). */
static void draw_text(canvas *c, int x, int y, const char *t, size_t len, int s, rgb col) {
  for (size_t i = 0; i < len && t[i]; i++) draw_glyph(c, x + (int)i * ADVANCE * s, y, t[i], s, col);
}

/* -------------------------------------------------------------- scatter */

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

/* The 5% margin each side keeps discs at the extremes off the frame; a
 * single value gets a unit-sized (or its own size) window around it. */
static void pad_axis(double *lo, double *hi) {
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

/* The plot area in pixels (inclusive) and the data window it shows. */
typedef struct plot {
  int x0, y0, x1, y1;
  range win;
} plot;

static int px_x(const plot *p, double x) {
  return p->x0 + (int)lround((x - p->win.xmin) / (p->win.xmax - p->win.xmin) * (p->x1 - p->x0));
}

/* y grows upwards in the plot and downwards on the canvas. */
static int px_y(const plot *p, double y) {
  return p->y1 - (int)lround((y - p->win.ymin) / (p->win.ymax - p->win.ymin) * (p->y1 - p->y0));
}

static void draw_points(canvas *c, const plot *p, const float *xy, const int *labels, int n, int is_bg) {
  for (int i = 0; i < n; i++) {
    float x = xy[2 * i], y = xy[2 * i + 1];
    if (!isfinite(x) || !isfinite(y)) continue;
    rgb col = is_bg ? LIGHT_GRAY : DARK_GRAY;
    if (!is_bg && labels && labels[i] >= 0 && labels[i] <= 9) col = TAB10[labels[i]];
    disc(c, px_x(p, x), px_y(p, y), 2, col);
  }
}

/* Tick marks and "%.3g" labels at the data's min and max on both axes. */
static void draw_ticks(canvas *c, const plot *p, const range *data, int s) {
  double xs[2] = {data->xmin, data->xmax}, ys[2] = {data->ymin, data->ymax};
  char buf[32];
  for (int k = 0; k < 2; k++) {
    int x = px_x(p, xs[k]);
    rect(c, x, p->y1 + 1, x + s - 1, p->y1 + 3 * s, BLACK);
    snprintf(buf, sizeof buf, "%.3g", xs[k]);
    int tw = text_width(strlen(buf), s);
    int tx = x - tw / 2;
    if (tx + tw > c->w - 2 * s) tx = c->w - 2 * s - tw;
    if (tx < 2 * s) tx = 2 * s;
    draw_text(c, tx, p->y1 + 5 * s, buf, sizeof buf, s, BLACK);

    int y = px_y(p, ys[k]);
    rect(c, p->x0 - 3 * s, y, p->x0 - 1, y + s - 1, BLACK);
    snprintf(buf, sizeof buf, "%.3g", ys[k]);
    draw_text(c, p->x0 - 5 * s - text_width(strlen(buf), s), y - FONT_H * s / 2, buf, sizeof buf, s, BLACK);
  }
}

/* One row per class present: a colour swatch and the digit. */
static void draw_legend(canvas *c, const plot *p, const int present[10], int s) {
  int x = p->x1 + 7 * s, y = p->y0;
  for (int k = 0; k < 10; k++) {
    if (!present[k]) continue;
    rect(c, x, y, x + FONT_H * s - 1, y + FONT_H * s - 1, TAB10[k]);
    draw_glyph(c, x + (FONT_H + 3) * s, y, (char)('0' + k), s, BLACK);
    y += 11 * s;
  }
}

vg_status vg_scatter_png(const char *path, const float *xy, const int *labels, int n, const float *bg_xy, int nbg,
                         int size, const char *title, int *skipped, char *err, size_t errlen) {
  if (skipped) *skipped = 0;
  if (!path) return fail(err, errlen, VG_ERR_ARG, path, "no file name given");
  if (n < 0 || nbg < 0 || (n > 0 && !xy) || (nbg > 0 && !bg_xy))
    return fail(err, errlen, VG_ERR_ARG, path, "bad point arrays (n %d, nbg %d, xy %s, bg_xy %s)", n, nbg,
                xy ? "set" : "NULL", bg_xy ? "set" : "NULL");
  if (size < 64 || size > 8192) return fail(err, errlen, VG_ERR_ARG, path, "plot size %d is outside 64..8192", size);

  range data = {INFINITY, -INFINITY, INFINITY, -INFINITY};
  int bad = 0;
  widen(&data, xy, n, &bad);
  widen(&data, bg_xy, nbg, &bad);
  if (skipped) *skipped = bad;
  int empty = !(data.xmin <= data.xmax);
  if (empty) data = (range){-1, 1, -1, 1};
  plot p = {0, 0, 0, 0, data};
  pad_axis(&p.win.xmin, &p.win.xmax);
  pad_axis(&p.win.ymin, &p.win.ymax);

  int present[10] = {0}, any_class = 0;
  for (int i = 0; labels && i < n; i++)
    if (labels[i] >= 0 && labels[i] <= 9 && isfinite(xy[2 * i]) && isfinite(xy[2 * i + 1]))
      any_class = present[labels[i]] = 1;

  /* Margins: room for the y tick labels on the left, x tick labels below,
   * the legend on the right and the title on top; never more than a third
   * of the picture, so long labels get cut rather than squeezing the plot. */
  int s = 1 + size / 500;
  char lo_txt[32], hi_txt[32];
  snprintf(lo_txt, sizeof lo_txt, "%.3g", data.ymin);
  snprintf(hi_txt, sizeof hi_txt, "%.3g", data.ymax);
  size_t label_len = strlen(lo_txt) > strlen(hi_txt) ? strlen(lo_txt) : strlen(hi_txt);
  int left = text_width(label_len, s) + 9 * s;
  int right = any_class ? (7 + FONT_H + 3 + FONT_W + 4) * s : 8 * s;
  int top = title && *title ? (4 + FONT_H + 7) * s : 8 * s;
  int bottom = (5 + FONT_H + 4) * s;
  if (left > size / 3) left = size / 3;
  p.x0 = left;
  p.x1 = size - 1 - right;
  p.y0 = top;
  p.y1 = size - 1 - bottom;

  canvas c = {malloc((size_t)size * size * 3), size, size};
  if (!c.px) return fail(err, errlen, VG_ERR_NOMEM, path, "out of memory for a %dx%d plot", size, size);
  fill(&c, WHITE);
  /* The frame sits just outside the plot area; the 5% margin keeps the
   * discs of extreme points off it. */
  rect(&c, p.x0 - s, p.y0 - s, p.x1 + s, p.y0 - 1, BLACK);
  rect(&c, p.x0 - s, p.y1 + 1, p.x1 + s, p.y1 + s, BLACK);
  rect(&c, p.x0 - s, p.y0, p.x0 - 1, p.y1, BLACK);
  rect(&c, p.x1 + 1, p.y0, p.x1 + s, p.y1, BLACK);
  draw_points(&c, &p, bg_xy, NULL, nbg, 1);
  draw_points(&c, &p, xy, labels, n, 0);
  if (!empty) draw_ticks(&c, &p, &data, s);
  draw_legend(&c, &p, present, s);
  if (title && *title) {
    size_t len = strlen(title), fits = (size_t)(size - 8 * s + s) / (ADVANCE * s);
    if (len > fits) len = fits;
    draw_text(&c, (size - text_width(len, s)) / 2, 4 * s, title, len, s, BLACK);
  }
  vg_status st = vg_png_write(path, size, size, 3, c.px, err, errlen);
  free(c.px);
  return st;
}
