/* IDX files (the MNIST format), raw or gzip-compressed.
 * Header: two zero bytes, a type byte (0x08: unsigned bytes), the number of
 * dimensions, then each dimension as a big-endian 32-bit count. */
#ifndef VG_IDX_H
#define VG_IDX_H

#include <stddef.h>
#include <stdint.h>

#include "shape.h"

typedef struct vg_idx {
  int ndim;
  int64_t dims[4];
  uint8_t *data; /* dims[0] * ... * dims[ndim-1] bytes */
  size_t len;
} vg_idx;

/* Reads the whole file; on error fills err with the file, the byte offset
 * (in the uncompressed stream) and what was wrong, and leaves *out empty. */
vg_status vg_idx_load(const char *path, vg_idx *out, char *err, size_t errlen);
void vg_idx_free(vg_idx *idx);
/* Writes idx as an uncompressed IDX file of unsigned bytes (ndim 1..4), to
 * a temporary file renamed into place: never half-written. */
vg_status vg_idx_write(const char *path, const vg_idx *idx, char *err, size_t errlen);

#endif
