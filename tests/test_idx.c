/* The IDX reader: good files raw and gzipped, and each way a file can lie,
 * with the exact message (file, byte offset, what is wrong). */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "check.h"
#include "idx.h"

static const char *dir;

static void path_of(char *buf, size_t len, const char *name) { snprintf(buf, len, "%s/%s", dir, name); }

static void write_raw(const char *name, const void *bytes, size_t n) {
  char p[512];
  path_of(p, sizeof p, name);
  FILE *f = fopen(p, "wb");
  fwrite(bytes, 1, n, f);
  fclose(f);
}

static void write_gz(const char *name, const void *bytes, size_t n) {
  char p[512];
  path_of(p, sizeof p, name);
  gzFile f = gzopen(p, "wb");
  gzwrite(f, bytes, (unsigned)n);
  gzclose(f);
}

/* A 3x2x2 image file with bytes 0..11 after the header. */
static size_t images(uint8_t *buf) {
  const uint8_t head[] = {0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2};
  memcpy(buf, head, sizeof head);
  for (int i = 0; i < 12; i++) buf[16 + i] = (uint8_t)i;
  return 28;
}

static void expect_error(const char *name, const char *want_tail) {
  char p[512], err[1024], want[1024];
  path_of(p, sizeof p, name);
  snprintf(want, sizeof want, "%s: %s", p, want_tail);
  vg_idx idx;
  CHECK(vg_idx_load(p, &idx, err, sizeof err) != VG_OK, "%s loaded", name);
  CHECK(strcmp(err, want) == 0, "\n  got  %s\n  want %s", err, want);
  CHECK(idx.data == NULL, "%s: data left behind", name);
}

/* The same, for messages whose numbers depend on zlib's buffering: the
 * message must start with want_head and hold want_part. */
static void expect_error_like(const char *name, const char *want_head, const char *want_part) {
  char p[512], err[1024], want[1024];
  path_of(p, sizeof p, name);
  snprintf(want, sizeof want, "%s: %s", p, want_head);
  vg_idx idx;
  CHECK(vg_idx_load(p, &idx, err, sizeof err) != VG_OK, "%s loaded", name);
  CHECK(strncmp(err, want, strlen(want)) == 0 && strstr(err, want_part), "\n  got  %s\n  want %s...%s", err, want,
        want_part);
  CHECK(idx.data == NULL, "%s: data left behind", name);
}

/* A gzip stream of a 200x20x20 image file whose pixels do not repeat, so
 * that the deflate stream is long; returns its compressed length. */
static size_t big_gzip(uint8_t *out, size_t cap) {
  static uint8_t raw[16 + 200 * 20 * 20];
  const uint8_t head[] = {0, 0, 8, 3, 0, 0, 0, 200, 0, 0, 0, 20, 0, 0, 0, 20};
  memcpy(raw, head, sizeof head);
  uint32_t x = 12345;
  for (size_t i = 16; i < sizeof raw; i++) x = x * 1103515245u + 12345u, raw[i] = (uint8_t)(x >> 24);
  write_gz("big.gz", raw, sizeof raw);
  char p[512];
  path_of(p, sizeof p, "big.gz");
  FILE *f = fopen(p, "rb");
  size_t n = fread(out, 1, cap, f);
  fclose(f);
  return n;
}

int main(int argc, char **argv) {
  dir = argc > 1 ? argv[1] : ".";
  uint8_t buf[64];
  size_t n = images(buf);
  write_raw("good", buf, n);
  write_gz("good.gz", buf, n);
  const char *good[] = {"good", "good.gz"};
  for (int i = 0; i < 2; i++) {
    char p[512], err[1024];
    path_of(p, sizeof p, good[i]);
    vg_idx idx;
    CHECK(vg_idx_load(p, &idx, err, sizeof err) == VG_OK, "%s", err);
    CHECK(idx.ndim == 3 && idx.dims[0] == 3 && idx.dims[1] == 2 && idx.dims[2] == 2 && idx.len == 12, "%s: header",
          good[i]);
    for (size_t j = 0; j < idx.len; j++) CHECK(idx.data[j] == j, "%s: byte %zu", good[i], j);
    vg_idx_free(&idx);
  }
  write_raw("truncated", buf, n - 5);
  expect_error("truncated", "byte 23: file ends after 7 of the 12 data bytes its header promises (3x2x2)");
  write_gz("truncated.gz", buf, n - 5);
  expect_error("truncated.gz", "byte 23: file ends after 7 of the 12 data bytes its header promises (3x2x2)");
  write_raw("short_header", buf, 10);
  expect_error("short_header", "byte 8: file ends inside dimension 2 of 3");
  uint8_t bad[64];
  memcpy(bad, buf, n);
  bad[2] = 0x0D; /* floats: not what an image file holds */
  write_raw("magic", bad, n);
  expect_error("magic", "byte 0: bad magic number 0x00000d03 (an IDX file of unsigned bytes starts 0x000008 then 1 to "
                        "4 dimensions)");
  memcpy(bad, buf, n);
  bad[7] = 2; /* claims 2 images, holds 3 */
  write_raw("lying", bad, n);
  expect_error("lying", "byte 24: data continues past the 8 bytes its header promises (wrong dimensions?)");
  memcpy(bad, buf, n);
  bad[4] = 0xFF; /* 4 billion images */
  write_raw("huge", bad, n);
  expect_error("huge", "byte 4: dimensions 4278190083x2x2 claim more than 4 GiB of data");
  expect_error("missing", "cannot open: No such file or directory");
  memcpy(bad, buf, n);
  bad[4] = 0x3B, bad[5] = 0x9A, bad[6] = 0xCA, bad[7] = 0; /* 1000000000x2x2 in 28 bytes: a fuzzer's OOM */
  write_raw("lying_size", bad, n);
  expect_error("lying_size", "byte 28: file ends after 12 of the 4000000000 data bytes its header promises (1000000000x2x2)");

  /* Damaged gzip streams are named as such, not as short files. */
  static uint8_t gz[200 * 20 * 20 * 2];
  const size_t gzn = big_gzip(gz, sizeof gz);
  CHECK(gzn > 40000, "big.gz is %zu bytes", gzn);
  write_raw("cut.gz", gz, gzn / 2);
  expect_error_like("cut.gz", "the gzip stream is cut short after ", "a truncated download or copy?");
  for (size_t i = 2000; i < 2064; i++) gz[i] ^= 0x5A;
  write_raw("corrupt.gz", gz, gzn);
  expect_error_like("corrupt.gz", "corrupt gzip stream near compressed byte ", "): ");
  for (size_t i = 2000; i < 2064; i++) gz[i] ^= 0x5A;
  for (size_t i = 10; i < 40; i++) gz[i] ^= 0x5A; /* damage before the IDX header is out */
  write_raw("corrupt_head.gz", gz, gzn);
  expect_error_like("corrupt_head.gz", "corrupt gzip stream near compressed byte ", "(uncompressed byte 0): ");

  /* The real MNIST test set, where the checkout has it beside the repo. */
  const char *mnist = getenv("VG_MNIST_DIR");
  if (mnist) {
    char p[512], err[1024];
    vg_idx im, lb;
    snprintf(p, sizeof p, "%s/t10k-images-idx3-ubyte.gz", mnist);
    CHECK(vg_idx_load(p, &im, err, sizeof err) == VG_OK, "%s", err);
    snprintf(p, sizeof p, "%s/t10k-labels-idx1-ubyte.gz", mnist);
    CHECK(vg_idx_load(p, &lb, err, sizeof err) == VG_OK, "%s", err);
    CHECK(im.ndim == 3 && im.dims[0] == 10000 && im.dims[1] == 28 && im.dims[2] == 28, "MNIST images header");
    CHECK(lb.ndim == 1 && lb.dims[0] == 10000, "MNIST labels header");
    int counts[10] = {0};
    for (size_t i = 0; i < lb.len; i++) {
      CHECK(lb.data[i] < 10, "label %zu is %d", i, lb.data[i]);
      if (lb.data[i] < 10) counts[lb.data[i]]++;
    }
    CHECK(counts[0] == 980 && counts[1] == 1135, "MNIST test label counts %d %d", counts[0], counts[1]);
    vg_idx_free(&im);
    vg_idx_free(&lb);
  }
  CHECK_DONE();
}
