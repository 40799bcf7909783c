/* safetensors files (Hugging Face's tensor format), for checkpoints.
 *
 * Layout: 8 bytes, a little-endian u64 N; N bytes of UTF-8 JSON mapping each
 * tensor name to {"dtype": "F32", "shape": [d0, ...], "data_offsets": [begin,
 * end]}, plus an optional "__metadata__" object of string -> string; then the
 * data section. Offsets count from the start of the data section, tensors are
 * row-major little-endian, and their byte ranges cover the data section
 * exactly (no gaps, no overlap, nothing after the last one). The header may
 * end in spaces; the writer pads it so that 8 + N is a multiple of 8.
 *
 * Of the format's dtypes vaegraph reads and writes F32, F64, I64 and U8; a
 * file holding any other (F16, BF16, I32, ...) is rejected with a message
 * naming it. Dimensions may be 0 (an empty tensor), as the format allows;
 * code that needs positive dimensions checks vg_shape_valid itself. */
#ifndef VG_SAFETENSORS_H
#define VG_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "shape.h"

typedef enum vg_dtype { VG_F32, VG_F64, VG_I64, VG_U8 } vg_dtype; /* "F32" "F64" "I64" "U8" */

typedef struct vg_st_tensor {
  const char *name;
  vg_dtype dtype;
  vg_shape shape;   /* nd 0 = scalar (shape []) */
  const void *data; /* writer: caller's data; reader: points into the loaded file */
} vg_st_tensor;

/* Bytes per element: 4, 8, 8, 1; 0 for a value outside the enum. */
size_t vg_dtype_size(vg_dtype t);

/* Writes the tensors in the given order, data contiguous in that order, and
 * nmeta metadata pairs (meta[2*i] = key, meta[2*i+1] = value). Names must be
 * unique, non-empty, valid UTF-8 and not "__metadata__"; metadata keys must be
 * unique; shapes have 0..5 dimensions >= 0; data may be NULL only for a
 * tensor of 0 bytes. Every argument is checked before the disk is touched.
 *
 * Atomic: writes "<path>.tmp", fflush + fsync, fclose, then renames it over
 * path (and fsyncs the directory, best effort). On any error path is left as
 * it was (an existing file stays intact), the .tmp is removed, and err says
 * what went wrong, starting with path.
 *
 * Alignment for readers: the data section of the file is 8-byte aligned and
 * each tensor starts where the previous one ends, so pass the tensors in
 * descending dtype size (F64/I64, F32, U8) if every tensor should start on a
 * multiple of its size. */
vg_status vg_st_write(const char *path, const vg_st_tensor *t, int n, const char *const *meta, int nmeta, char *err,
                      size_t errlen);

typedef struct vg_st_file vg_st_file;

/* Reads the whole file into memory and checks all of it: the header length
 * against the file and the 100 MB limit, the JSON (strictly: objects,
 * strings, integers and arrays of integers where the format has them), the
 * dtypes, the shapes, each tensor's byte count against its shape and dtype,
 * that the ranges cover the data section exactly, unique names, and string
 * metadata values. Tensors may be listed in any order in the header (as the
 * official reader allows); vg_st_get returns them in header order.
 *
 * On error *out is NULL and err names the file, the byte offset in the file
 * where one applies (offsets in the JSON are 8 + the position in the header),
 * and what is wrong. VG_ERR_IO: the file cannot be opened or read;
 * VG_ERR_NOMEM; VG_ERR_FORMAT: anything wrong with the contents.
 *
 * Data pointers: the data section is copied to a 64-byte aligned address, so
 * a tensor's pointer is aligned for its dtype when its begin offset is a
 * multiple of the dtype size: always for files whose tensors come in
 * descending dtype size (the official writers do that; vg_st_write keeps the
 * caller's order). Otherwise check (uintptr_t)data % vg_dtype_size(dtype) and
 * memcpy if nonzero. An empty tensor's pointer is the start of the data
 * section. The pointers live until vg_st_free. */
vg_status vg_st_read(const char *path, vg_st_file **out, char *err, size_t errlen);
int vg_st_count(const vg_st_file *f);
const vg_st_tensor *vg_st_get(const vg_st_file *f, int i);            /* NULL if i is out of range */
const vg_st_tensor *vg_st_find(const vg_st_file *f, const char *name); /* NULL if absent */
const char *vg_st_meta(const vg_st_file *f, const char *key);          /* NULL if absent */
void vg_st_free(vg_st_file *f);

#endif
