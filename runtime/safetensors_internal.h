/* What safetensors_write.c and safetensors_read.c share; not part of the
 * public interface (safetensors.h). */
#ifndef VG_SAFETENSORS_INTERNAL_H
#define VG_SAFETENSORS_INTERNAL_H

#include "safetensors.h"

/* The official reader's limit: a longer header is an attack or an accident. */
#define VG_ST_MAX_HEADER 100000000ULL
#define VG_ST_DATA_ALIGN 64

/* The dtypes vaegraph holds, by vg_dtype; and the format's others, to tell
 * "unsupported" from "not a dtype at all" (NULL-terminated). */
extern const char *const vg_st_dtype_names[4];
extern const char *const vg_st_other_dtypes[];

/* Length of the valid UTF-8 sequence at s (n > 0 bytes available); 0 if the
 * bytes are not one. */
size_t vg_st_utf8_seq(const unsigned char *s, size_t n);
/* Whether str is valid UTF-8 (no overlong forms, surrogates, or values past
 * U+10FFFF). */
int vg_st_utf8_valid(const char *str);

/* Names with where they came from, sorted to find duplicates and, in the
 * reader, to look names up. */
typedef struct vg_st_named {
  const char *name;
  int idx;
  size_t off;
} vg_st_named;

int vg_st_named_cmp(const void *a, const void *b);
/* Sorts v and returns the position of the first duplicate in file order (the
 * entry with the smallest off whose name an earlier entry has), or -1. */
int vg_st_first_duplicate(vg_st_named *v, int n);

#endif
