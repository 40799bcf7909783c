/* PNG through libpng's classic API rather than the simplified one, so that
 * pixels are written and read back exactly (the simplified reader converts
 * gamma). libpng reports errors by longjmp, which each codec function
 * catches and turns into a message naming the file. */
#define _POSIX_C_SOURCE 200809L /* fileno, fsync */

#include "pngfile.h"

#include "atomic_file.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
  if (!path) return vg_file_error(err, errlen, VG_ERR_ARG, path, "no file name given");
  if (width < 1 || height < 1 || (channels != 1 && channels != 3))
    return vg_file_error(err, errlen, VG_ERR_ARG, path, "cannot write a %dx%d image with %d channels (want 1 or 3)", width,
                height, channels);
  if ((int64_t)width * height * channels > VG_PNG_MAX_BYTES)
    return vg_file_error(err, errlen, VG_ERR_ARG, path, "a %dx%d image is too large (over 1 GiB)", width, height);
  if (!pixels) return vg_file_error(err, errlen, VG_ERR_ARG, path, "no pixels given");

  vg_atomic w;
  vg_status st = vg_atomic_open(&w, path, err, errlen);
  if (st) return st;
  png_ctx ctx = {VG_ERR_IO, ""};
  if (encode_png(w.f, width, height, channels, pixels, &ctx)) {
    st = vg_file_error(err, errlen, ctx.st, path, "writing %s: %s", w.tmp, ctx.msg);
    vg_atomic_abort(&w);
    return st;
  }
  return vg_atomic_commit(&w, err, errlen);
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
  /* The header's size is a claim, checked before memory is reserved for it:
   * deflate expands a byte to at most 1032, so a file of n bytes holds at
   * most ~1032 n bytes of filtered rows (a 110-byte file claimed 32768^2). */
  struct stat fs;
  const double raw = (double)png_get_image_height(png, info) * ((double)png_get_rowbytes(png, info) + 1);
  if (fstat(fileno(f), &fs) == 0 && S_ISREG(fs.st_mode) && raw > 1100.0 * (double)fs.st_size) {
    snprintf(ctx->msg, sizeof ctx->msg, "the header's %lux%lu image needs %.0f bytes of rows, more than %lld bytes of "
             "compressed data can hold (a damaged header?)", (unsigned long)png_get_image_width(png, info),
             (unsigned long)png_get_image_height(png, info), raw, (long long)fs.st_size);
    ctx->st = VG_ERR_FORMAT;
    png_longjmp(png, 1);
  }
  /* Users' photos come with 16 bits and alpha channels: both are reduced to
   * what the models see, 8-bit gray or RGB. The alpha is dropped, not
   * composited onto a background: the stored colours are what the image
   * shows where it is opaque, and there is no right background to assume. */
  if (depth == 16) png_set_strip_16(png);
  /* A tRNS chunk is ignored too. The palette expansion turns it into an
   * alpha channel (png_set_palette_to_rgb implies png_set_tRNS_to_alpha), so
   * that alpha is stripped after it like a stored one; libpng runs the
   * expansions before the stripping. */
  if ((type & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS)) png_set_strip_alpha(png);
  /* Expansions that lose nothing. */
  if (type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (type == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);

  png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
  int ch = png_get_channels(png, info);
  size_t rowbytes = png_get_rowbytes(png, info);
  if ((int64_t)w * h > VG_PNG_MAX_BYTES / ch) png_error(png, "image too large (over 1 GiB of pixels)");
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
  if (!pixels || !width || !height || !channels) return vg_file_error(err, errlen, VG_ERR_ARG, path, "NULL output pointer");
  *pixels = NULL;
  *width = *height = *channels = 0;
  if (!path) return vg_file_error(err, errlen, VG_ERR_ARG, path, "no file name given");
  FILE *f = fopen(path, "rb");
  if (!f) return vg_file_error(err, errlen, VG_ERR_IO, path, "cannot open: %s", strerror(errno));
  /* Checked here so that a wrong file gets a plain message. */
  png_byte sig[8];
  size_t got = fread(sig, 1, sizeof sig, f);
  vg_status st = VG_OK;
  if (got < sizeof sig || png_sig_cmp(sig, 0, sizeof sig) != 0) {
    st = vg_file_error(err, errlen, VG_ERR_FORMAT, path, "not a PNG file (%s)",
              got < sizeof sig ? "shorter than the 8-byte signature" : "bad signature");
  } else {
    png_ctx ctx = {VG_ERR_FORMAT, ""};
    if (decode_png(f, width, height, channels, pixels, &ctx) != 0)
      /* libpng says only "Read Error" when the file stops early. */
      st = vg_file_error(err, errlen, ctx.st, path, "%s%s", feof(f) ? "truncated: the file ends inside the PNG data; " : "",
                ctx.msg);
  }
  fclose(f);
  return st;
}
