/* vg_st_read on the input as a file, then every accessor over what it
 * accepted: each tensor's bytes are read in full (ASan checks they lie in
 * the loaded block), found again by name, and looked up as a metadata key. */
#include "fuzz_file.h"

#include "safetensors.h"

/* Metadata keys vaegraph's checkpoints write, and one nobody does. */
static const char *const KEYS[] = {"format", "seed", "step", "epoch", "vaegraph", "", "__metadata__"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  vg_fuzz_file_init(".safetensors");
  const char *path = vg_fuzz_write(0, data, size);
  vg_st_file *f = NULL;
  char err[1024] = "";
  if (vg_st_read(path, &f, err, sizeof err) != VG_OK) {
    vg_fuzz_note("rejected", err);
    VG_FUZZ_CHECK(f == NULL, "an error (%s) returned a file", err);
    VG_FUZZ_CHECK(strncmp(err, path, strlen(path)) == 0, "the message does not name the file: %s", err);
    return 0;
  }
  const int n = vg_st_count(f);
  size_t total = 0;
  for (int i = 0; i < n; i++) {
    const vg_st_tensor *t = vg_st_get(f, i);
    VG_FUZZ_CHECK(t && t->name && t->name[0], "tensor %d has no name", i);
    const size_t es = vg_dtype_size(t->dtype);
    VG_FUZZ_CHECK(es > 0, "tensor '%s' has dtype %d", t->name, (int)t->dtype);
    VG_FUZZ_CHECK(t->shape.nd >= 0 && t->shape.nd <= VG_MAX_DIMS, "tensor '%s' has %d dimensions", t->name,
                  t->shape.nd);
    size_t bytes = es;
    int zero = 0;
    for (int k = 0; k < t->shape.nd; k++) {
      VG_FUZZ_CHECK(t->shape.d[k] >= 0, "tensor '%s' has dimension %lld", t->name, (long long)t->shape.d[k]);
      if (t->shape.d[k] == 0) zero = 1;
    }
    for (int k = 0; k < t->shape.nd && !zero; k++)
      VG_FUZZ_CHECK(!__builtin_mul_overflow(bytes, (size_t)t->shape.d[k], &bytes),
                    "tensor '%s' was accepted with a shape past the address space", t->name);
    if (zero) bytes = 0;
    VG_FUZZ_CHECK(bytes <= size, "tensor '%s' claims %zu bytes of a %zu-byte file", t->name, bytes, size);
    VG_FUZZ_CHECK(t->data != NULL, "tensor '%s' has no data pointer", t->name);
    vg_fuzz_touch(t->data, bytes);
    total += bytes;
    char sh[VG_SHAPE_STRLEN];
    vg_shape_str(&t->shape, sh, sizeof sh);
    if (vg_shape_valid(&t->shape)) VG_FUZZ_CHECK(vg_shape_numel(&t->shape) * (int64_t)es == (int64_t)bytes, "%s", sh);
    VG_FUZZ_CHECK(vg_st_find(f, t->name) == t, "tensor '%s' is not found by its name", t->name);
    const char *m = vg_st_meta(f, t->name);
    if (m) vg_fuzz_touch(m, strlen(m));
  }
  VG_FUZZ_CHECK(total <= size, "the tensors claim %zu bytes of a %zu-byte file", total, size);
  VG_FUZZ_CHECK(vg_st_get(f, n) == NULL && vg_st_get(f, -1) == NULL, "out-of-range tensors");
  for (size_t k = 0; k < sizeof KEYS / sizeof *KEYS; k++) {
    const char *m = vg_st_meta(f, KEYS[k]);
    if (m) vg_fuzz_touch(m, strlen(m));
    vg_st_find(f, KEYS[k]);
  }
  vg_st_free(f);
  vg_fuzz_note("accepted", NULL);
  return 0;
}
