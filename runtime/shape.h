/* Tensor shapes and the status codes every runtime function returns. */
#ifndef VG_SHAPE_H
#define VG_SHAPE_H

#include <stddef.h>
#include <stdint.h>

#define VG_MAX_DIMS 5

/* Row-major; nd == 0 is a scalar. The first dimension is the batch where an
 * op cares about one. */
typedef struct vg_shape {
  int nd;
  int64_t d[VG_MAX_DIMS];
} vg_shape;

typedef enum vg_status {
  VG_OK = 0,
  VG_ERR_ARG,     /* a bad argument: unknown attribute, wrong input count */
  VG_ERR_SHAPE,   /* shapes that do not fit together */
  VG_ERR_GRAPH,   /* a graph that cannot be compiled: cycle, loss not scalar */
  VG_ERR_NOMEM,
  VG_ERR_IO,
  VG_ERR_FORMAT,  /* a file whose contents are not what they claim */
  VG_ERR_NUMERIC, /* NaN or infinity during training */
  VG_ERR_VALUE    /* an input value an op takes as an index: a token id
                     outside the vocabulary, a length past the time axis */
} vg_status;

/* Formats "<path>: <message>" into err (which may be NULL) and returns st:
 * how file readers and writers report what went wrong, and where. */
vg_status vg_file_error(char *err, size_t len, vg_status st, const char *path, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

vg_shape vg_shape_of(int nd, const int64_t *d);
vg_shape vg_shape_scalar(void);
int64_t vg_shape_numel(const vg_shape *s);
/* 0..VG_MAX_DIMS positive dimensions with at most VG_MAX_NUMEL elements. */
int vg_shape_valid(const vg_shape *s);
#define VG_MAX_NUMEL ((int64_t)1 << 36)
int vg_shape_eq(const vg_shape *a, const vg_shape *b);
/* Writes "[256,400]" (or "[]" for a scalar) into buf; returns buf. */
char *vg_shape_str(const vg_shape *s, char *buf, size_t len);

#define VG_SHAPE_STRLEN 96

#endif
