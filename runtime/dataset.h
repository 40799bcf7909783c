/* An in-memory image data set with labels, shuffled per epoch from the run's
 * seed, and copied batch by batch into a graph's input buffers. */
#ifndef VG_DATASET_H
#define VG_DATASET_H

#include <stdint.h>

#include "idx.h"
#include "order.h"

typedef struct vg_dataset {
  int64_t n;      /* examples */
  int64_t dim;    /* values per example: 784 for 28x28 */
  int h, w;       /* image size when the examples are images, else 0 */
  uint8_t *x;     /* n * dim bytes */
  uint8_t *y;     /* n labels, or NULL */
  int classes;    /* 1 + the largest label */
  int64_t *order; /* this epoch's order */
} vg_dataset;

/* Takes ownership of the images' (and labels') data on success. */
vg_status vg_dataset_from_idx(vg_idx *images, vg_idx *labels, const char *what, vg_dataset *out, char *err,
                              size_t errlen);
void vg_dataset_free(vg_dataset *d);
void vg_dataset_order(vg_dataset *d, int shuffle, uint64_t seed, uint64_t epoch);
/* dst[b, j] = x[order[first + b], j] * scale + shift for b < batch. */
void vg_dataset_fill(const vg_dataset *d, int64_t first, int batch, float scale, float shift, float *dst);
/* dst[b, c] = (label == c) for c < classes. */
void vg_dataset_fill_onehot(const vg_dataset *d, int64_t first, int batch, int classes, float *dst);
/* The labels of a batch. */
void vg_dataset_labels(const vg_dataset *d, int64_t first, int batch, int *dst);

#endif
