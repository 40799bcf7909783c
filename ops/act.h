/* An activation fused into a layer's epilogue (conv2d, conv_transpose2d):
 * applied to each image's output while it is still in cache, instead of
 * by a separate op making its own passes over memory. Each is its own op
 * too (activation.c); the fused forms compute the same values, and their
 * derivatives from y alone, so a fused layer's backward reads y, not the
 * pre-activation. */
#ifndef VG_ACT_H
#define VG_ACT_H

#include "kernel.h"
#include "vmath.h"

enum { VG_ACT_NONE, VG_ACT_RELU, VG_ACT_SIGMOID, VG_ACT_TANH };
#define VG_ACTS "none|relu|sigmoid|tanh"

/* y [0, n) = act(y) */
static inline void vg_act_apply(int act, vg_real *y, int64_t n) {
  switch (act) {
  case VG_ACT_RELU:
#pragma omp simd
    for (int64_t i = 0; i < n; i++) y[i] = y[i] > 0 ? y[i] : (vg_real)0;
    break;
  case VG_ACT_SIGMOID:
#pragma omp simd
    for (int64_t i = 0; i < n; i++) y[i] = vg_sigmoid(y[i]);
    break;
  case VG_ACT_TANH:
#pragma omp simd
    for (int64_t i = 0; i < n; i++) y[i] = vg_tanh(y[i]);
    break;
  default:
    break;
  }
}

/* out [0, n) = dy * act'(pre-activation), from y = act(pre-activation).
 * ReLU passes where y > 0, as relu's backward where x > 0. */
static inline void vg_act_grad(int act, const vg_real *y, const vg_real *dy, vg_real *out, int64_t n) {
  switch (act) {
  case VG_ACT_RELU:
#pragma omp simd
    for (int64_t i = 0; i < n; i++) {
      const vg_real d = dy[i]; /* loaded unconditionally: a select, not a branch */
      out[i] = y[i] > 0 ? d : (vg_real)0;
    }
    break;
  case VG_ACT_SIGMOID:
#pragma omp simd
    for (int64_t i = 0; i < n; i++) out[i] = dy[i] * y[i] * ((vg_real)1 - y[i]);
    break;
  case VG_ACT_TANH:
#pragma omp simd
    for (int64_t i = 0; i < n; i++) out[i] = dy[i] * ((vg_real)1 - y[i] * y[i]);
    break;
  default:
    memcpy(out, dy, (size_t)n * sizeof *out);
    break;
  }
}

#endif
