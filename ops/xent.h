/* What cross-entropy over class ids shares between its two ops:
 * cross_entropy over given logits (softmax.c) and linear_cross_entropy,
 * which makes its logits itself (linear_cross_entropy.c): which rows count,
 * what batchmean divides by, and the reduction of the per-row losses. */
#ifndef VG_XENT_H
#define VG_XENT_H

#include "kernel.h"

/* Shape inference both ops share: target ids at input `ti` with the shape
 * of `lead` (the logits, or the features) without its last axis, the
 * optional `per` after them with a first dimension, and the output, a loss
 * per row (none) or one. Errors name `lead` as `what` ("input"), its
 * owner's form `whose` ("input's") and its last axis `axis` ("feature"). */
static inline vg_status vg_ce_infer_targets(vg_graph *g, vg_node *n, const vg_shape *lead, int ti, int red,
                                            const char *what, const char *whose, const char *axis) {
  const vg_shape *t = vg_in_shape(g, n, ti);
  int ok = lead->nd >= 1 && t->nd == lead->nd - 1;
  for (int k = 0; ok && k < t->nd; k++) ok = t->d[k] == lead->d[k];
  if (!ok) {
    char sl[VG_SHAPE_STRLEN], st[VG_SHAPE_STRLEN];
    return vg_op_fail(g, n, VG_ERR_SHAPE, "targets '%s' %s must be the %s shape without the %s axis (%s %s)",
                      vg_in_name(g, n, ti), vg_shape_str(t, st, sizeof st), whose, axis, what,
                      vg_shape_str(lead, sl, sizeof sl));
  }
  if (n->nin == ti + 2 && vg_in_shape(g, n, ti + 1)->nd < 1)
    return vg_op_fail(g, n, VG_ERR_SHAPE, "'%s', what batchmean divides by, must have a first dimension",
                      vg_in_name(g, n, ti + 1));
  n->shape = red == VG_RED_NONE ? *t : vg_shape_scalar();
  return VG_OK;
}

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

/* The op's output from the per-row losses: themselves (none), or reduced. */
static inline void vg_ce_output(vg_real *y, int red, const vg_real *loss, const vg_real *t, int64_t rows, double ignore,
                                int64_t V, double batch) {
  if (red == VG_RED_NONE) memcpy(y, loss, (size_t)rows * sizeof *loss);
  else y[0] = (vg_real)vg_ce_reduce(red, loss, t, rows, ignore, V, batch);
}

/* The factor of a counted row's gradient, but for its upstream dy. */
static inline double vg_ce_scale(int red, const vg_real *t, int64_t rows, double ignore, int64_t V, double batch) {
  if (red == VG_RED_MEAN) {
    const int64_t counted = vg_ce_counted(t, rows, ignore, V);
    return counted ? 1.0 / (double)counted : 0;
  }
  return red == VG_RED_BATCHMEAN ? 1.0 / batch : 1.0;
}

/* Row i's gradient factor: its upstream gradient (one per row for none)
 * times the reduction's scale. */
static inline vg_real vg_ce_row_grad(int red, const vg_real *dy, int64_t i, double scale) {
  return (vg_real)((red == VG_RED_NONE ? (double)dy[i] : (double)dy[0]) * scale);
}

#endif
