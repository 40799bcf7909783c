/* The log-sum-exp of one row of an axis, shared by the softmax family
 * (softmax.c) and the categorical ops (categorical.c). */
#ifndef VG_SOFTMAX_H
#define VG_SOFTMAX_H

#include "kernel.h"
#include "vmath.h"

/* log sum exp of a contiguous row in two parts, the max *m and the
 * returned log sum exp(x - m): with the max taken out no exp overflows,
 * and x - m - log(sum) keeps the precision that x - lse loses when the
 * logits are large (a float lse of 1000.69 is off by 3e-5). The exps go
 * through a block buffer summed into eight running sums (the shape of
 * VG_REDUCE): a loop carrying one sum, or calling exp inside the summing
 * loop, does not vectorise. */
static inline double vg_row_lse_parts(const vg_real *x, int64_t V, vg_real *max) {
  vg_real m8[8], m = x[0];
  for (int q = 0; q < 8; q++) m8[q] = x[0];
  int64_t j = 0;
  for (; j + 8 <= V; j += 8)
    for (int q = 0; q < 8; q++) m8[q] = x[j + q] > m8[q] ? x[j + q] : m8[q];
  for (; j < V; j++) m = x[j] > m ? x[j] : m;
  for (int q = 0; q < 8; q++) m = m8[q] > m ? m8[q] : m;
  vg_real s8[8] = {0}, buf[256];
  for (int64_t j0 = 0; j0 < V; j0 += 256) {
    const int n = V - j0 < 256 ? (int)(V - j0) : 256;
    for (int l = 0; l < n; l++) buf[l] = vg_exp(x[j0 + l] - m);
    for (int l = n; l < 256; l++) buf[l] = 0;
    for (int l = 0; l < 256; l += 8)
      for (int q = 0; q < 8; q++) s8[q] += buf[l + q];
  }
  double s = 0;
  for (int q = 0; q < 8; q++) s += (double)s8[q];
  *max = m;
  return log(s);
}

/* The same over V values `stride` apart (a row of an axis that is not the
 * last), added in order. */
static inline double vg_lse_parts(const vg_real *x, int64_t V, int64_t stride, vg_real *max) {
  if (stride == 1) return vg_row_lse_parts(x, V, max);
  vg_real m = x[0];
  for (int64_t c = 1; c < V; c++) m = x[c * stride] > m ? x[c * stride] : m;
  double s = 0;
  for (int64_t c = 0; c < V; c++) s += (double)vg_exp(x[c * stride] - m);
  *max = m;
  return log(s);
}

/* log sum exp itself, of a contiguous row or one `stride` apart. */
static inline double vg_row_lse(const vg_real *x, int64_t V) {
  vg_real m;
  const double ls = vg_row_lse_parts(x, V, &m);
  return (double)m + ls;
}

static inline double vg_lse(const vg_real *x, int64_t V, int64_t stride) {
  vg_real m;
  const double ls = vg_lse_parts(x, V, stride, &m);
  return (double)m + ls;
}

#endif
