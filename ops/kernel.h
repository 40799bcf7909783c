/* What op files share: the op record types, the graph's node, parallel loop
 * and fixed-order reduction helpers, loss reductions. */
#ifndef VG_KERNEL_H
#define VG_KERNEL_H

#include <omp.h>
#include <tgmath.h> /* exp(float) is expf: kernels stay in their real type */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../runtime/gemm.h"
#include "../runtime/graph.h"
#include "../runtime/op.h"
#include "../runtime/rng.h"

/* Elementwise loop over i in [0, n): every element has one writer, so the
 * thread count cannot change the result. */
#define VG_FOR(n, ...)                                                      \
  do {                                                                      \
    const int64_t vg_n_ = (n);                                              \
    _Pragma("omp parallel for schedule(static) if (vg_n_ >= VG_PAR_MIN)")   \
    for (int64_t i = 0; i < vg_n_; i++) { __VA_ARGS__; }                        \
  } while (0)

/* The same over n rows of `per` elements each (softmax over a vocabulary):
 * threads fork when the whole is big enough, however few the rows. */
#define VG_FOR_ROWS(n, per, ...)                                            \
  do {                                                                      \
    const int64_t vg_n_ = (n), vg_work_ = vg_n_ * (int64_t)(per);           \
    _Pragma("omp parallel for schedule(static) if (vg_work_ >= VG_PAR_MIN)") \
    for (int64_t i = 0; i < vg_n_; i++) { __VA_ARGS__; }                        \
  } while (0)

/* result = sum over i in [0, n) of expr, in double. The chunking depends on
 * n only, and partial sums are added in chunk order, so the sum is the same
 * at any thread count. Within a chunk, blocks of 256 terms are computed
 * into a buffer (a loop that vectorises), term i added to running sum
 * i % 8, and the eight sums added in order at the end: one running sum
 * would make every add wait on the one before. */
#define VG_NCHUNK 64
#define VG_REDUCE(n, expr, result) /* expr may not contain a bare comma */                                           \
  do {                                                                       \
    const int64_t vg_n_ = (n);                                               \
    int64_t vg_chunk_ = (vg_n_ + VG_NCHUNK - 1) / VG_NCHUNK;                 \
    if (vg_chunk_ < 4096) vg_chunk_ = 4096;                                  \
    const int vg_nch_ = (int)((vg_n_ + vg_chunk_ - 1) / vg_chunk_);          \
    double vg_part_[VG_NCHUNK];                                              \
    _Pragma("omp parallel for schedule(static) if (vg_nch_ > 1)")            \
    for (int vg_c_ = 0; vg_c_ < vg_nch_; vg_c_++) {                          \
      const int64_t vg_e_ = vg_c_ * vg_chunk_ + vg_chunk_ < vg_n_ ? vg_c_ * vg_chunk_ + vg_chunk_ : vg_n_; \
      double vg_l_[8] = {0}, vg_b_[256];                                     \
      for (int64_t vg_i_ = vg_c_ * vg_chunk_; vg_i_ < vg_e_; vg_i_ += 256) { \
        const int vg_m_ = vg_e_ - vg_i_ < 256 ? (int)(vg_e_ - vg_i_) : 256;  \
        for (int vg_j_ = 0; vg_j_ < vg_m_; vg_j_++) {                        \
          const int64_t i = vg_i_ + vg_j_;                                   \
          vg_b_[vg_j_] = (expr);                                             \
        }                                                                    \
        for (int vg_j_ = vg_m_; vg_j_ < 256; vg_j_++) vg_b_[vg_j_] = 0;      \
        for (int vg_j_ = 0; vg_j_ < 256; vg_j_ += 8)                         \
          for (int vg_k_ = 0; vg_k_ < 8; vg_k_++) vg_l_[vg_k_] += vg_b_[vg_j_ + vg_k_]; \
      }                                                                      \
      double vg_s_ = 0;                                                      \
      for (int vg_j_ = 0; vg_j_ < 8; vg_j_++) vg_s_ += vg_l_[vg_j_];         \
      vg_part_[vg_c_] = vg_s_;                                               \
    }                                                                        \
    double vg_t_ = 0;                                                        \
    for (int vg_c_ = 0; vg_c_ < vg_nch_; vg_c_++) vg_t_ += vg_part_[vg_c_];  \
    (result) = vg_t_;                                                        \
  } while (0)

static inline int64_t vg_numel(const vg_shape *s) { return vg_shape_numel(s); }

/* For VG_OPF_BWD_SETS ops: whether the backward writes dx[i] outright
 * rather than adding to it. */
static inline int vg_dx_sets(const vg_kernel *k, int i) { return (int)(k->dx_set >> i & 1u); }

/* dst[j] = (set ? 0 : dst[j]) + the sum over rows of column j of the rows x
 * cols matrix m (a bias's gradient). Threads take blocks of 64 columns:
 * each output has one writer and adds the rows in order, so the thread
 * count cannot change it, and a block's 64 double sums stay in L1 while
 * every row gives them 256 contiguous bytes. */
static inline void vg_column_sums(const vg_real *m, int64_t rows, int64_t cols, int set, vg_real *dst) {
  enum { BLK = 64 };
  const int64_t nb = (cols + BLK - 1) / BLK;
#pragma omp parallel for schedule(static) if (rows * cols >= VG_PAR_MIN)
  for (int64_t blk = 0; blk < nb; blk++) {
    const int64_t j0 = blk * BLK, j1 = j0 + BLK < cols ? j0 + BLK : cols;
    double acc[BLK] = {0};
    for (int64_t r = 0; r < rows; r++)
      for (int64_t j = j0; j < j1; j++) acc[j - j0] += m[r * cols + j];
    for (int64_t j = j0; j < j1; j++) dst[j] = (set ? (vg_real)0 : dst[j]) + (vg_real)acc[j - j0];
  }
}

/* This thread's part of the scratch: scratch_thread_len reals after the
 * shared scratch_len, one part per OpenMP thread. */
static inline vg_real *vg_thread_scratch(const vg_kernel *k) {
  return k->scratch + k->node->scratch_len + (size_t)omp_get_thread_num() * k->node->scratch_thread_len;
}

/* A random op draws element i of its output from counter index base + i:
 * base 0 in training (the step keys the draws), and in evaluation the
 * batch's first example times the values per example, so each test example
 * draws the same noise whatever batch it falls in and whenever it is
 * evaluated; under mpirun a rank's rows draw what one process would. Values
 * per example count every row an example owns: an output of K rows per
 * example (repeat_interleave) keys by examples, not rows. */
static inline uint64_t vg_noise_base(const vg_kernel *k) {
  const int64_t rows = k->examples > 0 ? k->examples : k->ys->nd ? k->ys->d[0] : 1;
  return rows > 0 ? (uint64_t)(k->example0 * (vg_numel(k->ys) / rows)) : 0;
}

/* A sentence length as the kernels use it: clamped to [0, T], NaN to 0
 * (the op's check refuses such values first; this keeps a kernel called
 * without it in bounds). */
static inline int64_t vg_length_in(vg_real l, int64_t T) { return l > 0 ? (l < (vg_real)T ? (int64_t)l : T) : 0; }

/* For an op's check: 0 if every value of input `in` is a whole number in
 * [lo, hi] or equals `also` (a marker like an ignored id; NAN for none).
 * Otherwise 1, and msg says which value, where, e.g. "id at [2,9] is 7000,
 * not a whole number in [0, 6023]". The range test comes first, so no NaN
 * or huge value is ever cast to an integer. */
static inline int vg_check_whole(const vg_kernel *k, int in, double lo, double hi, double also, const char *what,
                                 char *msg, size_t len) {
  const vg_real *x = k->x[in];
  const vg_shape *s = k->xs[in];
  const int64_t n = vg_numel(s);
  for (int64_t i = 0; i < n; i++) {
    const double v = (double)x[i];
    if (v == also || (v >= lo && v <= hi && v == floor(v))) continue;
    vg_shape at = {s->nd, {0}}; /* i as a position */
    int64_t rest = i;
    for (int d = s->nd - 1; d >= 0; d--) at.d[d] = rest % s->d[d], rest /= s->d[d];
    char pos[VG_SHAPE_STRLEN];
    vg_shape_str(&at, pos, sizeof pos);
    snprintf(msg, len, "%s at %s is %g, not a whole number in [%g, %g]", what, pos, v, lo, hi);
    return 1;
  }
  return 0;
}

/* Losses reduce the same four ways. */
enum { VG_RED_NONE, VG_RED_SUM, VG_RED_MEAN, VG_RED_BATCHMEAN };
#define VG_REDUCTIONS "none|sum|mean|batchmean"
/* The reduction attribute in a record's attrs, at the op's own slot. */
#define VG_ATTR_REDUCTION(slot) [slot] = {"reduction", VG_ATTR_ENUM, VG_RED_MEAN, VG_REDUCTIONS}

static inline int vg_reduction(const vg_attrs *a, int slot) { return (int)a->v[slot]; }

/* Factor applied to the summed elementwise loss. */
static inline double vg_reduction_scale(int red, const vg_shape *s) {
  if (red == VG_RED_MEAN) return 1.0 / (double)vg_shape_numel(s);
  if (red == VG_RED_BATCHMEAN) return 1.0 / (double)(s->nd ? s->d[0] : 1);
  return 1.0;
}

/* Output shape of a loss over inputs of shape s. */
static inline vg_shape vg_reduction_shape(int red, const vg_shape *s) {
  return red == VG_RED_NONE ? *s : vg_shape_scalar();
}

/* "Reduce over all axes" for sum and mean. */
#define VG_AXIS_ALL 1000000

/* An axis given as -nd..nd-1, normalised; -1 if out of range. */
static inline int vg_axis(double v, int nd) {
  int a = (int)v;
  if (a < 0) a += nd;
  return a >= 0 && a < nd ? a : -1;
}

#endif
