/* PNG files: round trips, and every way a write or read can fail (no
 * half-written file, no stray .tmp). Usage: test_png [dir for temporary
 * files]. */
#define _POSIX_C_SOURCE 200809L /* mkdir, rmdir */

#include <png.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "pixels.h"
#include "pngfile.h"

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

  /* A header claiming 32768x32768 in a small file: refused before any
   * memory is reserved for the claim (a fuzzer's find). */
  uint8_t lying[sizeof bytes];
  memcpy(lying, bytes, got);
  const uint8_t side[4] = {0, 0, 0x80, 0};
  memcpy(lying + 16, side, 4), memcpy(lying + 20, side, 4);
  const uLong crc = crc32(crc32(0L, Z_NULL, 0), lying + 12, 17); /* "IHDR" and its 13 bytes */
  for (int k = 0; k < 4; k++) lying[29 + k] = (uint8_t)(crc >> (24 - 8 * k));
  path_of(p, sizeof p, "lying_size.png");
  f = fopen(p, "wb");
  fwrite(lying, 1, got, f);
  fclose(f);
  err[0] = 0;
  back = (uint8_t *)1;
  st = vg_png_read(p, &w, &h, &ch, &back, err, sizeof err);
  CHECK(st == VG_ERR_FORMAT && back == NULL, "read a PNG whose header lies: status %d (%s)", st, err);
  CHECK_CONTAINS(err, "the header's 32768x32768 image needs");
  CHECK_CONTAINS(err, "compressed data can hold (a damaged header?)");

  /* Cut just before IEND: the pixels are all there, but the file is not a
   * whole PNG and reading it must say so. */
  path_of(p, sizeof p, "no_iend.png");
  f = fopen(p, "wb");
  fwrite(bytes, 1, got - 12, f);
  fclose(f);
  err[0] = 0;
  st = vg_png_read(p, &w, &h, &ch, &back, err, sizeof err);
  CHECK(st == VG_ERR_FORMAT && back == NULL, "read a PNG without IEND: status %d (%s)", st, err);

}

/* ------------------------------------------- kinds vaegraph never writes */

/* Writes a PNG with libpng's classic API, not vg_png_write, so the reader
 * meets the kinds users' photos come in. `data` holds h rows of the file's
 * row bytes (16-bit samples big-endian, as PNG stores them). A tRNS chunk
 * is written for a palette's `ntrns` alphas, or for a gray or RGB image's
 * one transparent colour `trans`, when given. Returns 0 on success. */
static int write_raw(const char *path, int w, int h, int depth, int type, const uint8_t *data, const png_color *pal,
                     int npal, const uint8_t *trns, int ntrns, const png_color_16 *trans) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    fclose(f);
    return -1;
  }
  png_init_io(png, f);
  png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  if (npal) png_set_PLTE(png, info, pal, npal);
  if (ntrns || trans) png_set_tRNS(png, info, trns, ntrns, trans);
  png_write_info(png, info);
  size_t rowbytes = png_get_rowbytes(png, info);
  for (int y = 0; y < h; y++) png_write_row(png, data + (size_t)y * rowbytes);
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &info);
  return fclose(f);
}

/* Reads `name` back and checks it is w x h with `ch` channels and exactly
 * the bytes `want`. */
static void expect_read(const char *name, const char *p, int w, int h, int ch, const uint8_t *want) {
  char err[1024] = "";
  uint8_t *back = NULL;
  int bw = 0, bh = 0, bch = 0;
  vg_status st = vg_png_read(p, &bw, &bh, &bch, &back, err, sizeof err);
  CHECK(st == VG_OK, "%s: read status %d: %s", name, st, err);
  CHECK(bw == w && bh == h && bch == ch, "%s read as %dx%dx%d, want %dx%dx%d", name, bw, bh, bch, w, h, ch);
  if (st == VG_OK && bw == w && bh == h && bch == ch) {
    int mismatches = 0;
    for (int i = 0; i < w * h * ch; i++)
      if (back[i] != want[i] && mismatches++ < 5) CHECK(0, "%s: byte %d is %d, want %d", name, i, back[i], want[i]);
  }
  free(back);
}

static void test_png_kinds(void) {
  char p[512];

  /* RGBA: the alpha is dropped, whatever it is (0 included), and the
   * colours come back as stored. */
  const uint8_t rgba[2 * 2 * 4] = {10, 20, 30, 255, 40, 50, 60, 0, 70, 80, 90, 128, 255, 0, 7, 1};
  const uint8_t rgb[2 * 2 * 3] = {10, 20, 30, 40, 50, 60, 70, 80, 90, 255, 0, 7};
  path_of(p, sizeof p, "rgba.png");
  CHECK(write_raw(p, 2, 2, 8, PNG_COLOR_TYPE_RGB_ALPHA, rgba, NULL, 0, NULL, 0, NULL) == 0, "libpng could not write %s", p);
  expect_read("RGBA", p, 2, 2, 3, rgb);

  /* Gray + alpha -> gray. */
  const uint8_t ga[3 * 2] = {0, 255, 128, 0, 255, 17};
  const uint8_t gray[3] = {0, 128, 255};
  path_of(p, sizeof p, "gray_alpha.png");
  CHECK(write_raw(p, 3, 1, 8, PNG_COLOR_TYPE_GRAY_ALPHA, ga, NULL, 0, NULL, 0, NULL) == 0, "libpng could not write %s", p);
  expect_read("gray+alpha", p, 3, 1, 1, gray);

  /* 16-bit: each sample keeps its high byte (big-endian in the file). */
  const uint8_t g16[4 * 2] = {0x00, 0xFF, 0xFF, 0x00, 0x80, 0x80, 0xAB, 0xCD};
  const uint8_t g16_want[4] = {0x00, 0xFF, 0x80, 0xAB};
  path_of(p, sizeof p, "gray16.png");
  CHECK(write_raw(p, 2, 2, 16, PNG_COLOR_TYPE_GRAY, g16, NULL, 0, NULL, 0, NULL) == 0, "libpng could not write %s", p);
  expect_read("16-bit gray", p, 2, 2, 1, g16_want);

  const uint8_t rgb16[2 * 3 * 2] = {0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xFF, 0xFF, 0x00, 0x01, 0x7F, 0xFF};
  const uint8_t rgb16_want[2 * 3] = {0x12, 0x56, 0x9A, 0xFF, 0x00, 0x7F};
  path_of(p, sizeof p, "rgb16.png");
  CHECK(write_raw(p, 2, 1, 16, PNG_COLOR_TYPE_RGB, rgb16, NULL, 0, NULL, 0, NULL) == 0, "libpng could not write %s", p);
  expect_read("16-bit RGB", p, 2, 1, 3, rgb16_want);

  /* 16-bit RGBA: both reductions at once. */
  const uint8_t rgba16[2 * 4 * 2] = {0x11, 0xFF, 0x22, 0xFF, 0x33, 0xFF, 0x00, 0x00,
                                     0xEE, 0x01, 0xDD, 0x01, 0xCC, 0x01, 0x80, 0x00};
  const uint8_t rgba16_want[2 * 3] = {0x11, 0x22, 0x33, 0xEE, 0xDD, 0xCC};
  path_of(p, sizeof p, "rgba16.png");
  CHECK(write_raw(p, 2, 1, 16, PNG_COLOR_TYPE_RGB_ALPHA, rgba16, NULL, 0, NULL, 0, NULL) == 0, "libpng could not write %s",
        p);
  expect_read("16-bit RGBA", p, 2, 1, 3, rgba16_want);

  /* A palette with a tRNS chunk: RGB, the transparency ignored. */
  const png_color pal[3] = {{1, 2, 3}, {200, 100, 50}, {9, 8, 7}};
  const uint8_t alpha[3] = {0, 255, 128};
  const uint8_t idx[3] = {2, 0, 1};
  const uint8_t pal_want[3 * 3] = {9, 8, 7, 1, 2, 3, 200, 100, 50};
  path_of(p, sizeof p, "palette_trns.png");
  CHECK(write_raw(p, 3, 1, 8, PNG_COLOR_TYPE_PALETTE, idx, pal, 3, alpha, 3, NULL) == 0, "libpng could not write %s", p);
  expect_read("palette with tRNS", p, 3, 1, 3, pal_want);

  /* A transparent colour in 8-bit gray, 2-bit gray (which is expanded to 8
   * bits, where libpng could also expand the tRNS) and RGB: still exact. */
  png_color_16 tc = {0};
  tc.gray = 128;
  path_of(p, sizeof p, "gray_trns.png");
  CHECK(write_raw(p, 3, 1, 8, PNG_COLOR_TYPE_GRAY, gray, NULL, 0, NULL, 0, &tc) == 0, "libpng could not write %s", p);
  expect_read("8-bit gray with tRNS", p, 3, 1, 1, gray);
  const uint8_t g2[1] = {0x1B}; /* 2-bit samples 0 1 2 3 -> 0 85 170 255 */
  const uint8_t g2_want[4] = {0, 85, 170, 255};
  tc.gray = 2;
  path_of(p, sizeof p, "gray2_trns.png");
  CHECK(write_raw(p, 4, 1, 2, PNG_COLOR_TYPE_GRAY, g2, NULL, 0, NULL, 0, &tc) == 0, "libpng could not write %s", p);
  expect_read("2-bit gray with tRNS", p, 4, 1, 1, g2_want);
  tc.red = 40, tc.green = 50, tc.blue = 60;
  path_of(p, sizeof p, "rgb_trns.png");
  CHECK(write_raw(p, 2, 2, 8, PNG_COLOR_TYPE_RGB, rgb, NULL, 0, NULL, 0, &tc) == 0, "libpng could not write %s", p);
  expect_read("RGB with tRNS", p, 2, 2, 3, rgb);
}

int main(int argc, char **argv) {
  dir = argc > 1 ? argv[1] : ".";
  round_trip("gray.png", 5, 3, 1);
  round_trip("rgb.png", 4, 6, 3);
  round_trip("one_pixel.png", 1, 1, 1);
  test_png_errors();
  test_png_kinds();
  CHECK_DONE();
}
