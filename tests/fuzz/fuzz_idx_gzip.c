/* vg_idx_load through its gzip path: the harness compresses the input, so
 * mutations land on the IDX header and data instead of breaking the deflate
 * stream (fuzz_idx covers damaged gzip). */
#include "fuzz_file.h"

#include <zlib.h>

#include "idx.h"

static uint8_t *gz;
static size_t gzcap;

/* The input as one gzip member (windowBits 15 + 16), fast level: the
 * decompressor's work is the same at any level. */
static size_t gzip(const uint8_t *data, size_t size) {
  size_t need = compressBound((uLong)size) + 32;
  if (need > gzcap) {
    free(gz);
    gz = malloc(need);
    VG_FUZZ_CHECK(gz != NULL, "out of memory for %zu bytes", need);
    gzcap = need;
  }
  z_stream z;
  memset(&z, 0, sizeof z);
  VG_FUZZ_CHECK(deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK, "deflateInit2");
  z.next_in = (Bytef *)data;
  z.avail_in = (uInt)size;
  z.next_out = gz;
  z.avail_out = (uInt)gzcap;
  VG_FUZZ_CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END, "deflate did not finish");
  size_t n = z.total_out;
  deflateEnd(&z);
  return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  vg_fuzz_file_init(".idx.gz");
  const size_t n = gzip(data, size); /* before gz is read: it may move */
  const char *path = vg_fuzz_write(0, gz, n);
  vg_idx idx;
  char err[512] = "";
  if (vg_idx_load(path, &idx, err, sizeof err) == VG_OK) {
    /* What came out must be what went in. */
    VG_FUZZ_CHECK(size == 4 + 4 * (size_t)idx.ndim + idx.len, "%zu input bytes, ndim %d, len %zu", size, idx.ndim,
                  idx.len);
    VG_FUZZ_CHECK(memcmp(idx.data, data + 4 + 4 * idx.ndim, idx.len) == 0, "the data differ from the input's");
    vg_idx_free(&idx);
    vg_fuzz_note("accepted", NULL);
  } else {
    vg_fuzz_note("rejected", err);
    VG_FUZZ_CHECK(!idx.data && !idx.len && !idx.ndim, "the error (%s) left a result behind", err);
  }
  return 0;
}
