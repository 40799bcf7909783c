/* PNG files: round trips, and every way a write or read can fail (no
 * half-written file, no stray .tmp). Usage: test_png [dir for temporary
 * files]. */
#define _POSIX_C_SOURCE 200809L /* mkdir, rmdir */

#include <png.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int main(int argc, char **argv) {
  dir = argc > 1 ? argv[1] : ".";
  round_trip("gray.png", 5, 3, 1);
  round_trip("rgb.png", 4, 6, 3);
  round_trip("one_pixel.png", 1, 1, 1);
  test_png_errors();
  CHECK_DONE();
}
