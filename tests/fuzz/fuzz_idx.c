/* vg_idx_load on the input as a file: raw IDX and gzip bytes both reach it,
 * since the reader tells them apart by content. */
#include "fuzz_file.h"

#include "idx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  vg_fuzz_file_init(".idx");
  const char *path = vg_fuzz_write(0, data, size);
  vg_idx idx;
  char err[512] = "";
  if (vg_idx_load(path, &idx, err, sizeof err) == VG_OK) {
    size_t want = 1;
    for (int i = 0; i < idx.ndim; i++) want *= (size_t)idx.dims[i];
    VG_FUZZ_CHECK(idx.ndim >= 1 && idx.ndim <= 4 && idx.len == want, "ndim %d, len %zu, dims promise %zu", idx.ndim,
                  idx.len, want);
    vg_fuzz_touch(idx.data, idx.len);
    vg_idx_free(&idx);
    vg_fuzz_note("accepted", NULL);
  } else {
    vg_fuzz_note("rejected", err);
    VG_FUZZ_CHECK(!idx.data && !idx.len && !idx.ndim, "the error (%s) left a result behind", err);
    VG_FUZZ_CHECK(strncmp(err, path, strlen(path)) == 0, "the message does not name the file: %s", err);
  }
  return 0;
}
