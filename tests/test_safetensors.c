/* safetensors: round trips, the byte layout against hand-built files and
 * the reference writer's outputs, each way a file can be wrong with its exact
 * message, and atomic writes that leave the old file alone on failure.
 * argv[1]: a directory for the files (default "."). */
#if !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE)
#define _POSIX_C_SOURCE 200809L /* mkdir, rmdir */
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "safetensors.h"

static const char *dir;

static void path_of(char *buf, size_t len, const char *name) { snprintf(buf, len, "%s/%s", dir, name); }

static void write_bytes(const char *name, const void *bytes, size_t n) {
  char p[512];
  path_of(p, sizeof p, name);
  FILE *f = fopen(p, "wb");
  CHECK(f != NULL, "cannot create %s", p);
  if (!f) return;
  CHECK(fwrite(bytes, 1, n, f) == n, "cannot write %s", p);
  fclose(f);
}

/* The whole file in a malloc'd buffer, or NULL. */
static unsigned char *slurp(const char *path, size_t *n) {
  *n = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1024, len = 0;
  unsigned char *b = malloc(cap);
  while (b) {
    len += fread(b + len, 1, cap - len, f);
    if (len < cap) break;
    unsigned char *nb = realloc(b, cap * 2);
    if (!nb) {
      free(b);
      b = NULL;
      break;
    }
    b = nb;
    cap *= 2;
  }
  fclose(f);
  *n = len;
  return b;
}

static int exists(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0;
}

static void put_le64(unsigned char *b, uint64_t v) {
  for (int k = 0; k < 8; k++) b[k] = (unsigned char)(v >> (8 * k));
}

/* A file made by hand: 8-byte length, the JSON as given, then data. */
static void build(const char *name, const char *json, const void *data, size_t n) {
  size_t h = strlen(json);
  unsigned char *b = malloc(8 + h + n + 1);
  CHECK(b != NULL, "out of memory");
  if (!b) return;
  put_le64(b, h);
  memcpy(b + 8, json, h);
  if (n) memcpy(b + 8 + h, data, n);
  write_bytes(name, b, 8 + h + n);
  free(b);
}

static void expect_error(const char *name, vg_status want_st, const char *want_tail) {
  char p[512], err[1024], want[1200];
  path_of(p, sizeof p, name);
  snprintf(want, sizeof want, "%s: %s", p, want_tail);
  vg_st_file *f = (vg_st_file *)&f; /* not NULL, to see that it is cleared */
  strcpy(err, "(no message)");
  vg_status st = vg_st_read(p, &f, err, sizeof err);
  CHECK(st == want_st, "%s: status %d, want %d (%s)", name, (int)st, (int)want_st, err);
  CHECK(strcmp(err, want) == 0, "%s\n  got  %s\n  want %s", name, err, want);
  CHECK(f == NULL, "%s: *out not cleared", name);
  if (st == VG_OK) vg_st_free(f);
}

static const unsigned char one_two[8] = {0, 0, 0x80, 0x3f, 0, 0, 0, 0x40}; /* 1.0f, 2.0f little-endian */

static void round_trip(void) {
  float w[12];
  for (int i = 0; i < 12; i++) w[i] = (float)i * 0.25f - 1.0f;
  double dd[2] = {1e-300, -2.5};
  int64_t iv[5] = {-1, 0, 1, INT64_MAX, INT64_MIN};
  float sc = 3.5f;
  uint8_t u[7] = {0, 1, 2, 127, 128, 254, 255};
  vg_st_tensor ts[] = {
      {"enc.fc1.weight", VG_F32, {2, {3, 4}}, w}, {"dec.scale", VG_F64, {1, {2}}, dd},
      {"step", VG_I64, {1, {5}}, iv},             {"temperature", VG_F32, {0, {0}}, &sc},
      {"mask", VG_U8, {1, {7}}, u},               {"empty", VG_F32, {2, {0, 3}}, NULL},
  };
  const int nt = (int)(sizeof ts / sizeof ts[0]);
  const char *meta[] = {"format", "pt", "note", "quote\" back\\ tab\t newline\n é", "ctrl\x01", "\x1f", "none", ""};
  const int nm = 4;
  char p[512], tmp[520], err[1024];
  path_of(p, sizeof p, "round.safetensors");
  snprintf(tmp, sizeof tmp, "%s.tmp", p);
  CHECK(vg_st_write(p, ts, nt, meta, nm, err, sizeof err) == VG_OK, "%s", err);
  CHECK(!exists(tmp), "%s left behind", tmp);

  size_t n;
  unsigned char *raw = slurp(p, &n);
  CHECK(raw && n >= 8, "cannot read back %s", p);
  if (raw && n >= 8) {
    uint64_t h = 0;
    for (int k = 7; k >= 0; k--) h = h << 8 | raw[k];
    CHECK(h % 8 == 0, "header length %llu is not a multiple of 8", (unsigned long long)h);
    CHECK(n == 8 + h + 48 + 16 + 40 + 4 + 7, "file size %zu, header %llu", n, (unsigned long long)h);
    char *head = calloc(1, h + 1);
    if (head && 8 + h <= n) {
      memcpy(head, raw + 8, h);
      CHECK_CONTAINS(head, "\"note\":\"quote\\\" back\\\\ tab\\t newline\\n é\"");
      CHECK_CONTAINS(head, "\"ctrl\\u0001\":\"\\u001f\"");
      CHECK(head[0] == '{', "header starts with %c", head[0]);
    }
    free(head);
  }
  free(raw);

  vg_st_file *f;
  CHECK(vg_st_read(p, &f, err, sizeof err) == VG_OK, "%s", err);
  if (!f) return;
  CHECK(vg_st_count(f) == nt, "count %d", vg_st_count(f));
  for (int i = 0; i < nt && i < vg_st_count(f); i++) {
    const vg_st_tensor *t = vg_st_get(f, i);
    CHECK(strcmp(t->name, ts[i].name) == 0, "tensor %d is '%s', want '%s'", i, t->name, ts[i].name);
    CHECK(t->dtype == ts[i].dtype, "%s: dtype %d", ts[i].name, (int)t->dtype);
    CHECK(vg_shape_eq(&t->shape, &ts[i].shape), "%s: shape differs", ts[i].name);
    size_t bytes = (size_t)vg_shape_numel(&t->shape) * vg_dtype_size(t->dtype);
    CHECK(bytes == 0 || memcmp(t->data, ts[i].data, bytes) == 0, "%s: data differs", ts[i].name);
    CHECK(vg_st_find(f, ts[i].name) == t, "find %s", ts[i].name);
    CHECK((uintptr_t)t->data % vg_dtype_size(t->dtype) == 0, "%s: data not aligned", ts[i].name);
  }
  CHECK((uintptr_t)vg_st_get(f, 0)->data % 64 == 0, "data section not 64-byte aligned");
  CHECK(vg_st_get(f, nt) == NULL && vg_st_get(f, -1) == NULL, "get out of range");
  CHECK(vg_st_find(f, "absent") == NULL, "found an absent tensor");
  for (int i = 0; i < nm; i++) {
    const char *v = vg_st_meta(f, meta[2 * i]);
    CHECK(v && strcmp(v, meta[2 * i + 1]) == 0, "metadata '%s' is '%s'", meta[2 * i], v ? v : "(absent)");
  }
  CHECK(vg_st_meta(f, "absent") == NULL, "found absent metadata");
  vg_st_free(f);

  /* No tensors, no metadata: the reference writer's "{}" and six spaces. */
  path_of(p, sizeof p, "empty.safetensors");
  CHECK(vg_st_write(p, NULL, 0, NULL, 0, err, sizeof err) == VG_OK, "%s", err);
  raw = slurp(p, &n);
  const unsigned char want[16] = {8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' '};
  CHECK(raw && n == 16 && memcmp(raw, want, 16) == 0, "empty file: %zu bytes", n);
  free(raw);
  CHECK(vg_st_read(p, &f, err, sizeof err) == VG_OK, "%s", err);
  CHECK(f && vg_st_count(f) == 0 && vg_st_meta(f, "format") == NULL, "empty file read back");
  vg_st_free(f);
}

/* The writer's bytes for a tensor must be exactly len + compact JSON + spaces
 * to a multiple of 8 + data: the layout of the reference writer, whose own
 * tests give the same bytes for "attn.0" and "attn0". */
static void expect_written(const char *name, const vg_st_tensor *t, int n, const char *const *meta, int nmeta,
                           const char *json, const void *data, size_t ndata) {
  char p[512], err[1024];
  path_of(p, sizeof p, name);
  CHECK(vg_st_write(p, t, n, meta, nmeta, err, sizeof err) == VG_OK, "%s", err);
  size_t h = strlen(json), padded = (h + 7) / 8 * 8, got;
  unsigned char *want = malloc(8 + padded + ndata), *raw = slurp(p, &got);
  if (want && raw) {
    put_le64(want, padded);
    memcpy(want + 8, json, h);
    memset(want + 8 + h, ' ', padded - h);
    if (ndata) memcpy(want + 8 + padded, data, ndata);
    CHECK(got == 8 + padded + ndata && memcmp(raw, want, got) == 0, "%s: written bytes differ (%zu bytes, want %zu)",
          name, got, 8 + padded + ndata);
  }
  free(want);
  free(raw);
}

static void layout(void) {
  char p[512], err[1024];
  vg_st_file *f;
  /* By hand: one F32 tensor [2] = {1, 2}, no padding. */
  const char *json = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
  unsigned char file[128];
  size_t h = strlen(json);
  put_le64(file, h);
  memcpy(file + 8, json, h);
  memcpy(file + 8 + h, one_two, 8);
  write_bytes("hand.safetensors", file, 8 + h + 8);
  path_of(p, sizeof p, "hand.safetensors");
  CHECK(vg_st_read(p, &f, err, sizeof err) == VG_OK, "%s", err);
  if (f) {
    const vg_st_tensor *t = vg_st_find(f, "x");
    float v[2] = {0, 0};
    CHECK(t && t->dtype == VG_F32 && t->shape.nd == 1 && t->shape.d[0] == 2, "hand-built tensor");
    if (t) memcpy(v, t->data, 8);
    CHECK(v[0] == 1.0f && v[1] == 2.0f, "values %g %g", v[0], v[1]);
    CHECK(vg_st_count(f) == 1 && vg_st_meta(f, "format") == NULL, "hand-built file");
  }
  vg_st_free(f);

  /* The writer's bytes for the same tensor, then with metadata. */
  float one_two_f[2] = {1.0f, 2.0f};
  vg_st_tensor x = {"x", VG_F32, {1, {2}}, one_two_f};
  expect_written("x.safetensors", &x, 1, NULL, 0, json, one_two, 8);
  const char *meta[] = {"k", "v"};
  expect_written("xm.safetensors", &x, 1, meta, 1,
                 "{\"__metadata__\":{\"k\":\"v\"},\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                 one_two, 8);
  /* The reference writer's test vectors (safetensors/src/tensor.rs). */
  float six[6] = {0, 1, 2, 3, 4, 5};
  vg_st_tensor attn = {"attn.0", VG_F32, {3, {1, 2, 3}}, six};
  expect_written("attn.safetensors", &attn, 1, NULL, 0,
                 "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}", six, 24);
  vg_st_tensor attn0 = {"attn0", VG_F32, {4, {1, 1, 2, 3}}, six};
  expect_written("attn0.safetensors", &attn0, 1, NULL, 0,
                 "{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}", six, 24);
  const char *fw[] = {"framework", "pt"};
  expect_written("fw.safetensors", NULL, 0, fw, 1, "{\"__metadata__\":{\"framework\":\"pt\"}}", NULL, 0);

  /* Other writers: whitespace, any key order, padding, tensors listed out of
   * data order, escaped names. */
  build("loose.safetensors",
        "{ \"b\" : { \"data_offsets\" : [ 8 , 10 ] , \"shape\" : [ 2 ] , \"dtype\" : \"U8\" } ,\n"
        "  \"\\u00e9\\ud83d\\ude00\\/\\\"\" : {\"shape\":[2],\"dtype\":\"F32\",\"data_offsets\":[0,8]},"
        "\"__metadata__\":{}}\n   ",
        "\0\0\x80\x3f\0\0\0\x40\x07\x09", 10);
  path_of(p, sizeof p, "loose.safetensors");
  CHECK(vg_st_read(p, &f, err, sizeof err) == VG_OK, "%s", err);
  if (f) {
    const vg_st_tensor *b = vg_st_get(f, 0), *a = vg_st_get(f, 1);
    CHECK(vg_st_count(f) == 2 && strcmp(b->name, "b") == 0 && strcmp(a->name, "é😀/\"") == 0, "loose names");
    CHECK(vg_st_find(f, "é😀/\"") == a && vg_st_find(f, "b") == b, "loose find");
    CHECK(b->dtype == VG_U8 && ((const uint8_t *)b->data)[0] == 7 && ((const uint8_t *)b->data)[1] == 9, "loose b");
    CHECK(a->dtype == VG_F32 && memcmp(a->data, one_two, 8) == 0, "loose a");
  }
  vg_st_free(f);
}

static const char *const TWO_A = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},";

static void corrupt(void) {
  char json[512], want[512];
  unsigned char zeros[128] = {0};

  const unsigned char trunc[5] = {16, 0, 0, 0, 0};
  write_bytes("trunc_len", trunc, sizeof trunc);
  expect_error("trunc_len", VG_ERR_FORMAT, "byte 5: file ends inside the 8-byte header length (5 bytes)");

  unsigned char huge[10] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, '{', '}'};
  write_bytes("len_beyond", huge, sizeof huge);
  expect_error("len_beyond", VG_ERR_FORMAT, "byte 0: header length 18446744073709551615 exceeds the file (10 bytes)");
  unsigned char over[10] = {3, 0, 0, 0, 0, 0, 0, 0, '{', '}'};
  write_bytes("len_over_by_one", over, sizeof over);
  expect_error("len_over_by_one", VG_ERR_FORMAT,
               "byte 0: header length 3 exceeds the 2 bytes after the length (the file has 10 bytes)");
  write_bytes("one_byte", trunc, 1);
  expect_error("one_byte", VG_ERR_FORMAT, "byte 1: file ends inside the 8-byte header length (1 byte)");

  /* Over the 100 MB limit: a sparse file, so it costs nothing. */
  {
    char p[512];
    path_of(p, sizeof p, "too_long");
    FILE *fp = fopen(p, "wb");
    unsigned char pre[9];
    put_le64(pre, 100000001);
    pre[8] = '{';
    int ok = fp && fwrite(pre, 1, 9, fp) == 9 && fseek(fp, 100000200L, SEEK_SET) == 0 && fputc(' ', fp) != EOF;
    if (fp) fclose(fp);
    CHECK(ok, "cannot make %s", p);
    expect_error("too_long", VG_ERR_FORMAT, "byte 0: header length 100000001 exceeds the limit of 100000000 bytes");
    remove(p);
  }

  unsigned char empty[8] = {0};
  write_bytes("empty_header", empty, 8);
  expect_error("empty_header", VG_ERR_FORMAT, "byte 8: the header must start with '{'");
  build("not_object", "[]", NULL, 0);
  expect_error("not_object", VG_ERR_FORMAT, "byte 8: the header must start with '{'");

  build("no_colon", "{\"x\" {\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", one_two, 8);
  expect_error("no_colon", VG_ERR_FORMAT, "byte 13: expected ':' after a key");
  build("unterminated", "{\"x\":{\"dtype\":\"F32", NULL, 0);
  expect_error("unterminated", VG_ERR_FORMAT, "byte 22: unterminated string (the header ends at byte 26)");
  build("trailing_comma", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},}", one_two, 8);
  expect_error("trailing_comma", VG_ERR_FORMAT, "byte 62: expected a string key");
  build("garbage_after", "{}  x", NULL, 0);
  expect_error("garbage_after", VG_ERR_FORMAT,
               "byte 12: unexpected bytes after the header's JSON object (only spaces may follow it)");
  build("bad_utf8", "{\"\xff\":{}}", NULL, 0);
  expect_error("bad_utf8", VG_ERR_FORMAT, "byte 10: invalid UTF-8 in a string");
  build("lone_surrogate", "{\"\\ud800x\":{}}", NULL, 0);
  expect_error("lone_surrogate", VG_ERR_FORMAT, "byte 10: unpaired surrogate \\uD800 in a string");
  build("raw_newline", "{\"a\nb\":{}}", NULL, 0);
  expect_error("raw_newline", VG_ERR_FORMAT, "byte 11: control character 0x0a in a string (it must be escaped)");

  build("f17", "{\"x\":{\"dtype\":\"F17\",\"shape\":[2],\"data_offsets\":[0,8]}}", one_two, 8);
  expect_error("f17", VG_ERR_FORMAT, "byte 22: tensor 'x': unknown dtype 'F17' (vaegraph reads F32, F64, I64 and U8)");
  build("f16", "{\"x\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]}}", one_two, 8);
  expect_error("f16", VG_ERR_FORMAT, "byte 22: tensor 'x': dtype F16 is not supported (vaegraph reads F32, F64, I64 and U8)");
  build("neg_dim", "{\"x\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", one_two, 8);
  expect_error("neg_dim", VG_ERR_FORMAT, "byte 37: tensor 'x': shape dimension -2 is negative");
  build("float_dim", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", one_two, 8);
  expect_error("float_dim", VG_ERR_FORMAT, "byte 37: tensor 'x': shape dimension 2.0 is not an integer");
  build("six_dims", "{\"x\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,2],\"data_offsets\":[0,8]}}", one_two, 8);
  expect_error("six_dims", VG_ERR_FORMAT, "byte 47: tensor 'x': shape must be an array of at most 5 integers");
  build("no_offsets", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2]}}", NULL, 0);
  expect_error("no_offsets", VG_ERR_FORMAT, "byte 39: tensor 'x' has no data_offsets");
  build("extra_key", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"foo\":1}}", one_two, 8);
  expect_error("extra_key", VG_ERR_FORMAT,
               "byte 61: tensor 'x': unknown key 'foo' (expected dtype, shape and data_offsets)");
  build("meta_number", "{\"__metadata__\":{\"epoch\":3}}", NULL, 0);
  expect_error("meta_number", VG_ERR_FORMAT, "byte 33: metadata value for 'epoch' is not a string");
  build("reversed", "{\"x\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", one_two, 8);
  expect_error("reversed", VG_ERR_FORMAT, "tensor 'x': data_offsets [8, 0] end before they begin");

  build("size_mismatch", "{\"enc.fc1.weight\":{\"dtype\":\"F32\",\"shape\":[10,10],\"data_offsets\":[0,100]}}", zeros,
        100);
  expect_error("size_mismatch", VG_ERR_FORMAT,
               "tensor 'enc.fc1.weight': data_offsets [0, 100] hold 100 bytes, its shape [10,10] and F32 need 400");

  snprintf(json, sizeof json, "%s\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", TWO_A);
  build("overlap", json, zeros, 12);
  expect_error("overlap", VG_ERR_FORMAT,
               "tensor 'b': data_offsets [4, 12] leave a gap or overlap (previous tensor 'a' ended at 8)");
  snprintf(json, sizeof json, "%s\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}", TWO_A);
  build("gap", json, zeros, 20);
  expect_error("gap", VG_ERR_FORMAT,
               "tensor 'b': data_offsets [12, 20] leave a gap or overlap (previous tensor 'a' ended at 8)");
  build("gap_first", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", zeros, 12);
  expect_error("gap_first", VG_ERR_FORMAT,
               "tensor 'a': data_offsets [4, 12] leave a gap or overlap (the data section starts at 0)");

  snprintf(json, sizeof json, "%s\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", TWO_A);
  build("short_data", json, zeros, 12);
  snprintf(want, sizeof want, "byte %zu: file ends inside tensor data (expected 16 data bytes, found 12)",
           8 + strlen(json) + 12);
  expect_error("short_data", VG_ERR_FORMAT, want);
  build("trailing_data", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", zeros, 12);
  expect_error("trailing_data", VG_ERR_FORMAT,
               "byte 70: 4 bytes of trailing data after the last tensor (the tensors cover 8 of 12 data bytes)");

  snprintf(json, sizeof json, "%s\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", TWO_A);
  build("duplicate", json, zeros, 16);
  expect_error("duplicate", VG_ERR_FORMAT, "byte 62: duplicate tensor name 'a'");

  expect_error("no_such_file", VG_ERR_IO, "cannot open: No such file or directory");
}

static void atomic(void) {
  char p[512], tmp[520], err[1024], want[2048];
  float v[2] = {1, 2};
  vg_st_tensor good[] = {{"a", VG_F32, {1, {2}}, v}, {"b", VG_F32, {0, {0}}, v}};

  path_of(p, sizeof p, "no_such_dir/ckpt.safetensors");
  CHECK(vg_st_write(p, good, 2, NULL, 0, err, sizeof err) == VG_ERR_IO, "write into a missing directory: %s", err);
  snprintf(want, sizeof want, "%s: cannot create %s.tmp: No such file or directory", p, p);
  CHECK(strcmp(err, want) == 0, "\n  got  %s\n  want %s", err, want);
  CHECK_CONTAINS(err, p);

  path_of(p, sizeof p, "keep.safetensors");
  snprintf(tmp, sizeof tmp, "%s.tmp", p);
  CHECK(vg_st_write(p, good, 2, NULL, 0, err, sizeof err) == VG_OK, "%s", err);
  size_t n0;
  unsigned char *before = slurp(p, &n0);
  CHECK(before != NULL, "cannot read %s", p);

  /* Bad arguments fail before the disk is touched: a directory where the
   * .tmp would go would turn any attempt to write into an I/O error. */
  (void)mkdir(tmp, 0755);
  int64_t neg[1] = {-1};
  struct {
    vg_st_tensor t[3];
    int n;
    const char *meta[4];
    int nmeta;
    const char *want;
  } bad[] = {
      {{{"a", VG_F32, {1, {2}}, v}, {"__metadata__", VG_F32, {1, {2}}, v}}, 2, {0}, 0,
       "tensor 1: the name '__metadata__' is reserved for metadata"},
      {{{"", VG_F32, {1, {2}}, v}}, 1, {0}, 0, "tensor 0: the name is empty"},
      {{{NULL, VG_F32, {1, {2}}, v}}, 1, {0}, 0, "tensor 0: the name is empty"},
      {{{"a", VG_F32, {1, {2}}, v}, {"b", VG_F32, {1, {2}}, v}, {"a", VG_F32, {0, {0}}, v}}, 3, {0}, 0,
       "tensor 'a' appears twice (tensors 0 and 2)"},
      {{{"a", VG_F32, {1, {neg[0]}}, v}}, 1, {0}, 0, "tensor 'a': dimension 0 is negative (-1)"},
      {{{"a", VG_F32, {6, {1}}, v}}, 1, {0}, 0, "tensor 'a': 6 dimensions (0 to 5 allowed)"},
      {{{"a", (vg_dtype)9, {1, {2}}, v}}, 1, {0}, 0, "tensor 'a': unknown dtype 9"},
      {{{"a", VG_F32, {1, {2}}, NULL}}, 1, {0}, 0, "tensor 'a': data is NULL"},
      {{{"\xc3(", VG_F32, {1, {2}}, v}}, 1, {0}, 0, "tensor 0: the name is not valid UTF-8"},
      {{{"a", VG_F32, {1, {2}}, v}}, 1, {"k", "1", "k", "2"}, 2, "metadata key 'k' appears twice (pairs 0 and 1)"},
      {{{"a", VG_F32, {1, {2}}, v}}, 1, {"k", NULL}, 1, "metadata pair 0: the value is NULL"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    vg_status st = vg_st_write(p, bad[i].t, bad[i].n, bad[i].meta, bad[i].nmeta, err, sizeof err);
    snprintf(want, sizeof want, "%s: %s", p, bad[i].want);
    CHECK(st == VG_ERR_ARG, "bad write %zu: status %d (%s)", i, (int)st, err);
    CHECK(strcmp(err, want) == 0, "bad write %zu\n  got  %s\n  want %s", i, err, want);
  }
  CHECK(rmdir(tmp) == 0, "the directory %s is gone", tmp);
  CHECK(vg_st_write(p, bad[0].t, 2, NULL, 0, err, sizeof err) == VG_ERR_ARG, "reserved name accepted");
  CHECK(!exists(tmp), "%s left behind", tmp);
  size_t n1;
  unsigned char *after = slurp(p, &n1);
  CHECK(after && n1 == n0 && before && memcmp(before, after, n0) == 0, "%s changed by failed writes", p);
  free(after);
  free(before);

  /* A failure after the .tmp is written (renaming over a directory) removes it. */
  path_of(p, sizeof p, "a_directory");
  snprintf(tmp, sizeof tmp, "%s.tmp", p);
  (void)mkdir(p, 0755);
  CHECK(vg_st_write(p, good, 2, NULL, 0, err, sizeof err) == VG_ERR_IO, "rename over a directory: %s", err);
  snprintf(want, sizeof want, "%s: cannot rename %s to %s: Is a directory", p, tmp, p);
  CHECK(strcmp(err, want) == 0, "\n  got  %s\n  want %s", err, want);
  CHECK(!exists(tmp), "%s left behind", tmp);
  CHECK(rmdir(p) == 0, "the directory %s is gone", p);

  /* A good write replaces the file. */
  path_of(p, sizeof p, "keep.safetensors");
  v[0] = 42;
  CHECK(vg_st_write(p, good, 1, NULL, 0, err, sizeof err) == VG_OK, "%s", err);
  vg_st_file *f;
  CHECK(vg_st_read(p, &f, err, sizeof err) == VG_OK, "%s", err);
  if (f) {
    float got;
    memcpy(&got, vg_st_get(f, 0)->data, 4);
    CHECK(vg_st_count(f) == 1 && got == 42, "replaced file: %d tensors, a[0] = %g", vg_st_count(f), got);
  }
  vg_st_free(f);
}

int main(int argc, char **argv) {
  dir = argc > 1 ? argv[1] : ".";
  CHECK(vg_dtype_size(VG_F32) == 4 && vg_dtype_size(VG_F64) == 8 && vg_dtype_size(VG_I64) == 8 &&
            vg_dtype_size(VG_U8) == 1,
        "dtype sizes");
  round_trip();
  layout();
  corrupt();
  atomic();
  CHECK_DONE();
}
