/* What cross-entropy over class ids shares between its two ops:
 * cross_entropy over given logits (softmax.c) and linear_cross_entropy,
 * which makes its logits itself (linear_cross_entropy.c): which rows count,
 * what batchmean divides by, and the reduction of the per-row losses. */
#ifndef VG_XENT_H
#define VG_XENT_H

#include "kernel.h"

/* The target's class, -1 for an ignored row, -2 for an invalid id. */
static inline int64_t vg_ce_class(vg_real t, double ignore, int64_t V) {
  if ((double)t == ignore) return -1;
  if (!(t >= 0 && t < (vg_real)V)) return -2;
  const int64_t c = (int64_t)t;
  return (vg_real)c == t ? c : -2;
}

/* What batchmean divides by: the first dimension of `per` (packed
 * sentences' lengths: the loss is per sentence) when given, else of the
 * rows' leading shape `lead` (the logits', or the features'), 1 for one row. */
static inline double vg_ce_batch(const vg_shape *lead, const vg_shape *per) {
  if (per) return (double)per->d[0];
  return (double)(lead->nd > 1 ? lead->d[0] : 1);
}

/* The rows a mean divides by: all but the ignored ones. An invalid id
 * counts, so its NaN loss reaches the mean. */
static inline int64_t vg_ce_counted(const vg_real *t, int64_t rows, double ignore, int64_t V) {
  int64_t counted = 0;
  for (int64_t i = 0; i < rows; i++) counted += vg_ce_class(t[i], ignore, V) != -1;
  return counted;
}

/* The reduced loss of per-row losses `loss` (0 on ignored rows), summed in
 * row order so that the thread count cannot change it. */
static inline double vg_ce_reduce(int red, const vg_real *loss, const vg_real *t, int64_t rows, double ignore,
                                  int64_t V, double batch) {
  double s = 0;
  for (int64_t i = 0; i < rows; i++) s += loss[i];
  if (red == VG_RED_MEAN) {
    const int64_t counted = vg_ce_counted(t, rows, ignore, V);
    s = counted ? s / (double)counted : 0;
  }
  if (red == VG_RED_BATCHMEAN) s /= batch;
  return s;
}

/* The factor of a counted row's gradient, but for its upstream dy. */
static inline double vg_ce_scale(int red, const vg_real *t, int64_t rows, double ignore, int64_t V, double batch) {
  if (red == VG_RED_MEAN) {
    const int64_t counted = vg_ce_counted(t, rows, ignore, V);
    return counted ? 1.0 / (double)counted : 0;
  }
  return red == VG_RED_BATCHMEAN ? 1.0 / batch : 1.0;
}

#endif
