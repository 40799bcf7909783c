/* safetensors: what the reader and the writer share (dtypes, UTF-8,
 * duplicate names). The writer is safetensors_write.c, the reader
 * safetensors_read.c. */
#if !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE)
#define _POSIX_C_SOURCE 200809L /* fileno, fsync, fstat, open under -std=c11 */
#endif
#include "safetensors_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const vg_st_dtype_names[] = {"F32", "F64", "I64", "U8"};

/* Dtypes of the format that vaegraph does not hold, to tell "unsupported"
 * from "not a dtype at all". */
const char *const vg_st_other_dtypes[] = {"BOOL", "I8",      "I16",     "U16",     "F16", "BF16",    "I32",
                                           "U32",  "U64",     "F8_E5M2", "F8_E4M3", "F4",  "F6_E2M3", "F6_E3M2",
                                           "C64",  "F8_E8M0", NULL};

size_t vg_dtype_size(vg_dtype t) {
  switch (t) {
  case VG_F32: return 4;
  case VG_F64: return 8;
  case VG_I64: return 8;
  case VG_U8: return 1;
  }
  return 0;
}


/* Length of the valid UTF-8 sequence at s (n > 0 bytes available); 0 if the
 * bytes are not one (overlong forms, surrogates and values past U+10FFFF
 * included). */
size_t vg_st_utf8_seq(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  if (c < 0x80) return 1;
  size_t len;
  uint32_t cp, min;
  if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F, min = 0x80;
  else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F, min = 0x800;
  else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07, min = 0x10000;
  else return 0;
  if (n < len) return 0;
  for (size_t k = 1; k < len; k++) {
    if ((s[k] & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (s[k] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

int vg_st_utf8_valid(const char *str) {
  const unsigned char *s = (const unsigned char *)str;
  size_t n = strlen(str);
  for (size_t i = 0; i < n;) {
    size_t k = vg_st_utf8_seq(s + i, n - i);
    if (!k) return 0;
    i += k;
  }
  return 1;
}

int vg_st_named_cmp(const void *a, const void *b) {
  const vg_st_named *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  if (c) return c;
  return x->off < y->off ? -1 : x->off > y->off;
}

/* Sorts v and returns the position of the first duplicate in file order (the
 * entry with the smallest off whose name an earlier entry has), or -1. */
int vg_st_first_duplicate(vg_st_named *v, int n) {
  qsort(v, (size_t)n, sizeof *v, vg_st_named_cmp);
  int dup = -1;
  for (int i = 1; i < n; i++)
    if (strcmp(v[i].name, v[i - 1].name) == 0 && (dup < 0 || v[i].off < v[dup].off)) dup = i;
  return dup;
}

