/* Writing a safetensors file: the JSON header, then the tensors, 64-byte
 * aligned, to a temporary file that is synced and renamed into place. */
#if !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE)
#define _POSIX_C_SOURCE 200809L /* fileno, fsync, fstat, open under -std=c11 */
#endif
#include "safetensors_internal.h"

#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef unsigned long long ull;


typedef struct sbuf {
  char *b;
  size_t len, cap;
  int oom;
} sbuf;

static void sb_put(sbuf *s, const char *p, size_t n) {
  if (s->oom) return;
  if (s->len + n + 1 > s->cap) {
    size_t cap = s->cap ? s->cap : 256;
    while (cap < s->len + n + 1) cap *= 2;
    char *b = realloc(s->b, cap);
    if (!b) {
      s->oom = 1;
      return;
    }
    s->b = b;
    s->cap = cap;
  }
  memcpy(s->b + s->len, p, n);
  s->len += n;
  s->b[s->len] = 0;
}

static void sb_str(sbuf *s, const char *p) { sb_put(s, p, strlen(p)); }

static void sb_json(sbuf *s, const char *str) {
  sb_put(s, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
    char esc[8];
    switch (*p) {
    case '"': sb_put(s, "\\\"", 2); break;
    case '\\': sb_put(s, "\\\\", 2); break;
    case '\b': sb_put(s, "\\b", 2); break;
    case '\f': sb_put(s, "\\f", 2); break;
    case '\n': sb_put(s, "\\n", 2); break;
    case '\r': sb_put(s, "\\r", 2); break;
    case '\t': sb_put(s, "\\t", 2); break;
    default:
      if (*p < 0x20) {
        snprintf(esc, sizeof esc, "\\u%04x", *p);
        sb_put(s, esc, 6);
      } else {
        sb_put(s, (const char *)p, 1);
      }
    }
  }
  sb_put(s, "\"", 1);
}

static void sb_ull(sbuf *s, ull v) {
  char num[24];
  int k = snprintf(num, sizeof num, "%llu", v);
  sb_put(s, num, (size_t)k);
}

static int write_all(FILE *f, const void *p, size_t n) { return n == 0 || fwrite(p, 1, n, f) == n; }

/* Checks every argument; fills bytes[i] with each tensor's data size. */
static vg_status check_write_args(const char *path, const vg_st_tensor *t, int n, const char *const *meta, int nmeta,
                                  ull *bytes, char *err, size_t errlen) {
  ull total = 0;
  for (int i = 0; i < n; i++) {
    const char *name = t[i].name;
    if (!name || !*name) return vg_file_error(err, errlen, VG_ERR_ARG, path, "tensor %d: the name is empty", i);
    if (strcmp(name, "__metadata__") == 0)
      return vg_file_error(err, errlen, VG_ERR_ARG, path, "tensor %d: the name '__metadata__' is reserved for metadata", i);
    if (!vg_st_utf8_valid(name)) return vg_file_error(err, errlen, VG_ERR_ARG, path, "tensor %d: the name is not valid UTF-8", i);
    size_t es = vg_dtype_size(t[i].dtype);
    if (!es) return vg_file_error(err, errlen, VG_ERR_ARG, path, "tensor '%s': unknown dtype %d", name, (int)t[i].dtype);
    const vg_shape *sh = &t[i].shape;
    if (sh->nd < 0 || sh->nd > VG_MAX_DIMS)
      return vg_file_error(err, errlen, VG_ERR_ARG, path, "tensor '%s': %d dimensions (0 to %d allowed)", name, sh->nd,
                  VG_MAX_DIMS);
    ull b = es;
    int zero = 0, big = 0;
    for (int k = 0; k < sh->nd; k++) {
      if (sh->d[k] < 0)
        return vg_file_error(err, errlen, VG_ERR_ARG, path, "tensor '%s': dimension %d is negative (%lld)", name, k,
                    (long long)sh->d[k]);
      if (sh->d[k] == 0) zero = 1;
      else if (b > (ull)INT64_MAX / (ull)sh->d[k]) big = 1;
      else b *= (ull)sh->d[k];
    }
    if (zero) b = 0;
    else if (big || b > (ull)INT64_MAX - total || b > (ull)SIZE_MAX)
      return vg_file_error(err, errlen, VG_ERR_ARG, path, "tensor '%s': too many bytes", name);
    if (b && !t[i].data) return vg_file_error(err, errlen, VG_ERR_ARG, path, "tensor '%s': data is NULL", name);
    bytes[i] = b;
    total += b;
  }
  for (int i = 0; i < 2 * nmeta; i++) {
    if (!meta[i])
      return vg_file_error(err, errlen, VG_ERR_ARG, path, "metadata pair %d: the %s is NULL", i / 2, i % 2 ? "value" : "key");
    if (!vg_st_utf8_valid(meta[i]))
      return vg_file_error(err, errlen, VG_ERR_ARG, path, "metadata pair %d: the %s is not valid UTF-8", i / 2,
                  i % 2 ? "value" : "key");
  }
  /* Duplicates, tensors then metadata keys. */
  int m = n > nmeta ? n : nmeta;
  vg_st_named *v = malloc((m > 0 ? (size_t)m : 1) * sizeof *v);
  if (!v) return vg_file_error(err, errlen, VG_ERR_NOMEM, path, "out of memory");
  for (int i = 0; i < n; i++) v[i] = (vg_st_named){t[i].name, i, (size_t)i};
  int d = vg_st_first_duplicate(v, n);
  if (d >= 0) {
    vg_status st = vg_file_error(err, errlen, VG_ERR_ARG, path, "tensor '%s' appears twice (tensors %d and %d)", v[d].name,
                        v[d - 1].idx, v[d].idx);
    free(v);
    return st;
  }
  for (int i = 0; i < nmeta; i++) v[i] = (vg_st_named){meta[2 * i], i, (size_t)i};
  d = vg_st_first_duplicate(v, nmeta);
  if (d >= 0) {
    vg_status st = vg_file_error(err, errlen, VG_ERR_ARG, path, "metadata key '%s' appears twice (pairs %d and %d)", v[d].name,
                        v[d - 1].idx, v[d].idx);
    free(v);
    return st;
  }
  free(v);
  return VG_OK;
}

vg_status vg_st_write(const char *path, const vg_st_tensor *t, int n, const char *const *meta, int nmeta, char *err,
                      size_t errlen) {
  if (!path || !*path) return vg_file_error(err, errlen, VG_ERR_ARG, "(no path)", "no file name given");
  if (n < 0 || (n > 0 && !t)) return vg_file_error(err, errlen, VG_ERR_ARG, path, "bad tensor list (n = %d)", n);
  if (nmeta < 0 || (nmeta > 0 && !meta)) return vg_file_error(err, errlen, VG_ERR_ARG, path, "bad metadata (nmeta = %d)", nmeta);
  ull *bytes = malloc((n > 0 ? (size_t)n : 1) * sizeof *bytes);
  if (!bytes) return vg_file_error(err, errlen, VG_ERR_NOMEM, path, "out of memory");
  vg_status st = check_write_args(path, t, n, meta, nmeta, bytes, err, errlen);
  if (st) {
    free(bytes);
    return st;
  }

  /* The header, compact like the official writer's, padded with spaces so
   * the data section starts at a multiple of 8. */
  sbuf h = {0};
  sb_str(&h, "{");
  if (nmeta) {
    sb_str(&h, "\"__metadata__\":{");
    for (int i = 0; i < nmeta; i++) {
      if (i) sb_str(&h, ",");
      sb_json(&h, meta[2 * i]);
      sb_str(&h, ":");
      sb_json(&h, meta[2 * i + 1]);
    }
    sb_str(&h, "}");
  }
  ull off = 0;
  for (int i = 0; i < n; i++) {
    if (i || nmeta) sb_str(&h, ",");
    sb_json(&h, t[i].name);
    sb_str(&h, ":{\"dtype\":\"");
    sb_str(&h, vg_st_dtype_names[t[i].dtype]);
    sb_str(&h, "\",\"shape\":[");
    for (int k = 0; k < t[i].shape.nd; k++) {
      if (k) sb_str(&h, ",");
      sb_ull(&h, (ull)t[i].shape.d[k]);
    }
    sb_str(&h, "],\"data_offsets\":[");
    sb_ull(&h, off);
    sb_str(&h, ",");
    sb_ull(&h, off + bytes[i]);
    sb_str(&h, "]}");
    off += bytes[i];
  }
  sb_str(&h, "}");
  while (!h.oom && h.len % 8) sb_str(&h, " ");
  if (!h.oom && h.len > VG_ST_MAX_HEADER) {
    free(h.b);
    free(bytes);
    return vg_file_error(err, errlen, VG_ERR_ARG, path, "the header would be %zu bytes, over the %llu that readers accept", h.len,
                VG_ST_MAX_HEADER);
  }
  vg_atomic w;
  if (h.oom) {
    st = vg_file_error(err, errlen, VG_ERR_NOMEM, path, "out of memory");
  } else if (!(st = vg_atomic_open(&w, path, err, errlen))) {
    unsigned char prefix[8];
    for (int k = 0; k < 8; k++) prefix[k] = (unsigned char)((ull)h.len >> (8 * k));
    /* A short write shows in the commit. */
    int ok = write_all(w.f, prefix, 8) && write_all(w.f, h.b, h.len);
    for (int i = 0; ok && i < n; i++) ok = write_all(w.f, t[i].data, (size_t)bytes[i]);
    st = vg_atomic_commit(&w, err, errlen);
  }
  free(h.b);
  free(bytes);
  return st;
}

