/* vg_png_read on the input as a file; an image it accepts must be 8-bit
 * gray or RGB with every promised pixel readable.
 *
 * libpng rejects a chunk whose CRC does not match before vaegraph's code
 * sees it, and libpng is not built for coverage: left alone, the fuzzer
 * would spend its time on CRC errors. So the harness recomputes the CRC of
 * every whole chunk after the signature, and mutations of IHDR (sizes, bit
 * depth, colour type, interlacing), PLTE and tRNS reach the reader's
 * conversions. The seeds hold every kind of PNG (fuzz_seeds.c). */
#include "fuzz_file.h"

#include <zlib.h>

#include "pngfile.h"

static uint8_t *buf;
static size_t cap;

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* Chunks: length (4 bytes, big-endian), type (4), data, CRC (4) of type and
 * data. Stops at the first chunk that does not fit. */
static void fix_crcs(uint8_t *p, size_t n) {
  size_t at = 8;
  while (at + 12 <= n) {
    const uint32_t len = be32(p + at);
    if (len > n - at - 12) break;
    const uint32_t crc = (uint32_t)crc32(0, p + at + 4, 4 + len);
    uint8_t *c = p + at + 8 + len;
    c[0] = (uint8_t)(crc >> 24), c[1] = (uint8_t)(crc >> 16), c[2] = (uint8_t)(crc >> 8), c[3] = (uint8_t)crc;
    at += 12 + (size_t)len;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  vg_fuzz_file_init(".png");
  if (size > cap) {
    free(buf);
    buf = malloc(size);
    VG_FUZZ_CHECK(buf != NULL, "out of memory for %zu bytes", size);
    cap = size;
  }
  if (size) memcpy(buf, data, size);
  fix_crcs(buf, size);
  const char *path = vg_fuzz_write(0, buf, size);
  int w, h, ch;
  uint8_t *px = NULL;
  char err[512] = "";
  if (vg_png_read(path, &w, &h, &ch, &px, err, sizeof err) == VG_OK) {
    VG_FUZZ_CHECK(px && w >= 1 && h >= 1 && (ch == 1 || ch == 3), "%dx%dx%d", w, h, ch);
    VG_FUZZ_CHECK((int64_t)w * h * ch <= VG_PNG_MAX_BYTES, "%dx%dx%d past the limit", w, h, ch);
    vg_fuzz_touch(px, (size_t)w * (size_t)h * (size_t)ch);
    free(px);
    vg_fuzz_note("accepted", NULL);
  } else {
    vg_fuzz_note("rejected", err);
    VG_FUZZ_CHECK(px == NULL && w == 0 && h == 0 && ch == 0, "the error (%s) left a result behind", err);
    VG_FUZZ_CHECK(strncmp(err, path, strlen(path)) == 0, "the message does not name the file: %s", err);
  }
  return 0;
}
