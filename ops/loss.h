/* The frame every elementwise loss shares: inputs a and b (b the second
 * input, or the `target` attribute when there is one input), an elementwise
 * loss, its two partial derivatives, and a reduction.
 *   a [...], b [...] -> y [] (sum, mean, batchmean) or y [...] (none)
 * Attributes: the slots below; `target` only where the op has it. */
#ifndef VG_LOSS_H
#define VG_LOSS_H

#include "kernel.h"

enum { VG_LOSS_REDUCTION, VG_LOSS_TARGET };
#define VG_LOSS_ATTRS(target_default) \
  VG_ATTR_REDUCTION(VG_LOSS_REDUCTION), [VG_LOSS_TARGET] = {"target", VG_ATTR_NUM, (target_default), NULL}

static vg_status vg_loss_infer(vg_graph *g, vg_node *n) {
  if (n->nin == 2) {
    vg_status st = vg_infer_same_shape(g, n, 1);
    if (st) return st;
  }
  n->shape = vg_reduction_shape(vg_reduction(&n->attr, VG_LOSS_REDUCTION), vg_in_shape(g, n, 0));
  return VG_OK;
}

/* op##_elem(a, b) (VG_LOSS_ELEM) is the loss of one element; DA and DB,
 * expressions in a and b, are its partials. */
#define VG_LOSS(op, DA, DB)                                                       \
  static void op##_forward(const vg_kernel *k) {                                        \
    const vg_real *xa_ = k->x[0], *xb_ = k->nin == 2 ? k->x[1] : NULL;                  \
    const vg_real tb_ = (vg_real)k->a->v[VG_LOSS_TARGET];                                            \
    const int red_ = vg_reduction(k->a, VG_LOSS_REDUCTION);                                             \
    vg_real *y_ = k->y;                                                                 \
    const int64_t n_ = vg_numel(k->xs[0]);                                              \
    if (red_ == VG_RED_NONE) {                                                          \
      if (xb_) VG_FOR(n_, y_[i] = (vg_real)op##_elem(xa_[i], xb_[i]));                  \
      else VG_FOR(n_, y_[i] = (vg_real)op##_elem(xa_[i], tb_));                         \
      return;                                                                           \
    }                                                                                   \
    double s_;                                                                          \
    if (xb_) VG_REDUCE(n_, op##_elem(xa_[i], xb_[i]), s_);                              \
    else VG_REDUCE(n_, op##_elem(xa_[i], tb_), s_);                                     \
    y_[0] = (vg_real)(s_ * vg_reduction_scale(red_, k->xs[0]));                         \
  }                                                                                     \
  /* Every branch is outside the loops (a conditional load inside one */               \
  /* keeps it from vectorising). */                                                     \
  static void op##_backward(const vg_kernel *k) {                                       \
    const vg_real *xa_ = k->x[0], *xb_ = k->nin == 2 ? k->x[1] : NULL, *dy_ = k->dy;    \
    const vg_real tb_ = (vg_real)k->a->v[VG_LOSS_TARGET];                                            \
    const int red_ = vg_reduction(k->a, VG_LOSS_REDUCTION);                                             \
    const vg_real f_ = (vg_real)vg_reduction_scale(red_, k->xs[0]);                     \
    const int64_t n_ = vg_numel(k->xs[0]);                                              \
    vg_real *da_ = k->dx[0], *db_ = k->nin == 2 ? k->dx[1] : NULL;                      \
    const vg_real g0_ = red_ == VG_RED_NONE ? 0 : dy_[0] * f_;                          \
    if (da_) {                                                                          \
      if (red_ == VG_RED_NONE && xb_) VG_FOR(n_, VG_LOSS_TERM(da_, DA, dy_[i], xb_[i]));  \
      else if (red_ == VG_RED_NONE) VG_FOR(n_, VG_LOSS_TERM(da_, DA, dy_[i], tb_));       \
      else if (xb_) VG_FOR(n_, VG_LOSS_TERM(da_, DA, g0_, xb_[i]));                       \
      else VG_FOR(n_, VG_LOSS_TERM(da_, DA, g0_, tb_));                                   \
    }                                                                                   \
    if (db_) {                                                                          \
      if (red_ == VG_RED_NONE) VG_FOR(n_, VG_LOSS_TERM(db_, DB, dy_[i], xb_[i]));         \
      else VG_FOR(n_, VG_LOSS_TERM(db_, DB, g0_, xb_[i]));                                \
    }                                                                                   \
  }

/* d[i] += g * D, D an expression in a = xa_[i] and b. */
#define VG_LOSS_TERM(d, D, G, B)                 \
  do {                                           \
    const vg_real a = xa_[i], b = (B);           \
    (void)a, (void)b;                            \
    d[i] += (G) * (vg_real)(D);                  \
  } while (0)

/* The elementwise loss as a function, for the reduction (double sum). */
#define VG_LOSS_ELEM(op, ELEM) \
  static inline double op##_elem(vg_real a, vg_real b) { (void)b; return (double)(ELEM); }

#endif
