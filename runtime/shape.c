#include "shape.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

vg_status vg_file_error(char *err, size_t len, vg_status st, const char *path, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (err && len) snprintf(err, len, "%s: %s", path ? path : "(null)", msg);
  return st;
}

vg_shape vg_shape_of(int nd, const int64_t *d) {
  vg_shape s;
  memset(&s, 0, sizeof s);
  /* Too many dimensions: keep nd so the caller's check reports it. */
  s.nd = nd;
  for (int i = 0; i < nd && i < VG_MAX_DIMS; i++) s.d[i] = d[i];
  return s;
}

vg_shape vg_shape_scalar(void) {
  vg_shape s;
  memset(&s, 0, sizeof s);
  return s;
}

int64_t vg_shape_numel(const vg_shape *s) {
  int64_t n = 1;
  for (int i = 0; i < s->nd && i < VG_MAX_DIMS; i++) n *= s->d[i];
  return n;
}

int vg_shape_valid(const vg_shape *s) {
  if (s->nd < 0 || s->nd > VG_MAX_DIMS) return 0;
  int64_t n = 1;
  for (int i = 0; i < s->nd; i++) {
    if (s->d[i] <= 0 || s->d[i] > VG_MAX_NUMEL / n) return 0;
    n *= s->d[i];
  }
  return 1;
}

int vg_shape_eq(const vg_shape *a, const vg_shape *b) {
  if (a->nd != b->nd) return 0;
  for (int i = 0; i < a->nd; i++)
    if (a->d[i] != b->d[i]) return 0;
  return 1;
}

char *vg_shape_str(const vg_shape *s, char *buf, size_t len) {
  size_t k = 0;
  if (len == 0) return buf;
  k += (size_t)snprintf(buf, len, "[");
  for (int i = 0; i < s->nd && i < VG_MAX_DIMS && k < len; i++)
    k += (size_t)snprintf(buf + k, len - k, "%s%lld", i ? "," : "", (long long)s->d[i]);
  if (k < len) snprintf(buf + k, len - k, "]");
  return buf;
}
