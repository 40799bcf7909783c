#include "dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


vg_status vg_dataset_from_idx(vg_idx *images, vg_idx *labels, const char *what, vg_dataset *out, char *err,
                              size_t errlen) {
  memset(out, 0, sizeof *out);
  if (images->ndim < 2) {
    snprintf(err, errlen, "%s: images must have at least 2 dimensions, the file has %d", what, images->ndim);
    return VG_ERR_FORMAT;
  }
  if (labels && (labels->ndim != 1 || labels->dims[0] != images->dims[0])) {
    snprintf(err, errlen, "%s: %lld images but %lld labels", what, (long long)images->dims[0],
             (long long)(labels->ndim ? labels->dims[0] : 0));
    return VG_ERR_FORMAT;
  }
  int64_t *order = malloc((size_t)images->dims[0] * sizeof *order);
  if (!order) {
    snprintf(err, errlen, "%s: out of memory", what);
    return VG_ERR_NOMEM;
  }
  out->n = images->dims[0];
  out->dim = (int64_t)(images->len / (size_t)images->dims[0]);
  if (images->ndim == 3) out->h = (int)images->dims[1], out->w = (int)images->dims[2];
  out->x = images->data;
  images->data = NULL;
  if (labels) {
    out->y = labels->data;
    labels->data = NULL;
    for (int64_t i = 0; i < out->n; i++)
      if (out->y[i] + 1 > out->classes) out->classes = out->y[i] + 1;
  }
  out->order = order;
  vg_dataset_order(out, 0, 0, 0);
  return VG_OK;
}

void vg_dataset_free(vg_dataset *d) {
  free(d->x);
  free(d->y);
  free(d->order);
  memset(d, 0, sizeof *d);
}

void vg_dataset_order(vg_dataset *d, int shuffle, uint64_t seed, uint64_t epoch) {
  vg_order(d->order, d->n, shuffle, seed, epoch);
}

void vg_dataset_fill(const vg_dataset *d, int64_t first, int batch, float scale, float shift, float *dst) {
  const int64_t dim = d->dim;
#pragma omp parallel for schedule(static) if ((int64_t)batch * dim >= 65536)
  for (int b = 0; b < batch; b++) {
    const uint8_t *src = d->x + d->order[(first + b) % d->n] * dim;
    float *row = dst + (int64_t)b * dim;
    for (int64_t j = 0; j < dim; j++) row[j] = (float)src[j] * scale + shift;
  }
}

void vg_dataset_fill_onehot(const vg_dataset *d, int64_t first, int batch, int classes, float *dst) {
  memset(dst, 0, (size_t)batch * (size_t)classes * sizeof *dst);
  for (int b = 0; b < batch; b++) {
    int c = d->y ? d->y[d->order[(first + b) % d->n]] : 0;
    if (c < classes) dst[(int64_t)b * classes + c] = 1;
  }
}

void vg_dataset_labels(const vg_dataset *d, int64_t first, int batch, int *dst) {
  for (int b = 0; b < batch; b++) dst[b] = d->y ? d->y[d->order[(first + b) % d->n]] : -1;
}
