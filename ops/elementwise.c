/* add, sub, mul of two tensors of one shape, or of a tensor and a scalar
 * node (a loss weight that follows a schedule); scale by a constant.
 *   a [...], b [...] or [] (either side) -> y [...] */
#include "kernel.h"

static vg_status binary_infer(vg_graph *g, vg_node *n) {
  const vg_shape *a = vg_in_shape(g, n, 0), *b = vg_in_shape(g, n, 1);
  if (vg_shape_eq(a, b) || vg_shape_numel(b) == 1) n->shape = *a;
  else if (vg_shape_numel(a) == 1) n->shape = *b;
  else {
    char sa[VG_SHAPE_STRLEN], sb[VG_SHAPE_STRLEN];
    return vg_op_fail(g, n, VG_ERR_SHAPE, "'%s' %s and '%s' %s differ (one must match the other or be a scalar)",
                      vg_in_name(g, n, 0), vg_shape_str(a, sa, sizeof sa), vg_in_name(g, n, 1),
                      vg_shape_str(b, sb, sizeof sb));
  }
  return VG_OK;
}

/* Index into an input that may be a broadcast scalar. */
static inline int64_t stride_of(const vg_kernel *k, int which) {
  return vg_numel(k->xs[which]) == vg_numel(k->ys) ? 1 : 0;
}

/* d input += d y * factor(i): elementwise, or summed when the input was a
 * broadcast scalar. */
#define ACCUMULATE(k, which, factor)                                  \
  do {                                                                \
    vg_real *dx_ = (k)->dx[which];                                    \
    const vg_real *dy_ = (k)->dy;                                     \
    const int64_t n_ = vg_numel((k)->ys);                             \
    if (!dx_) break;                                                  \
    if (stride_of(k, which)) {                                        \
      VG_FOR(n_, dx_[i] += dy_[i] * (factor));                        \
    } else {                                                          \
      double s_;                                                      \
      VG_REDUCE(n_, (double)dy_[i] * (factor), s_);                   \
      dx_[0] += (vg_real)s_;                                          \
    }                                                                 \
  } while (0)

#define BINARY_FORWARD(fname, expr)                                   \
  static void fname(const vg_kernel *k) {                             \
    const vg_real *a = k->x[0], *b = k->x[1];                         \
    const int64_t sa = stride_of(k, 0), sb = stride_of(k, 1);         \
    vg_real *y = k->y;                                                \
    VG_FOR(vg_numel(k->ys), {                                         \
      const vg_real av = a[i * sa], bv = b[i * sb];                   \
      y[i] = (expr);                                                  \
    });                                                               \
  }

BINARY_FORWARD(add_forward, av + bv)
BINARY_FORWARD(sub_forward, av - bv)
BINARY_FORWARD(mul_forward, av * bv)

static void add_backward(const vg_kernel *k) {
  ACCUMULATE(k, 0, 1);
  ACCUMULATE(k, 1, 1);
}

static void sub_backward(const vg_kernel *k) {
  ACCUMULATE(k, 0, 1);
  ACCUMULATE(k, 1, -1);
}

static void mul_backward(const vg_kernel *k) {
  const vg_real *a = k->x[0], *b = k->x[1];
  const int64_t sa = stride_of(k, 0), sb = stride_of(k, 1);
  ACCUMULATE(k, 0, b[i * sb]);
  ACCUMULATE(k, 1, a[i * sa]);
}

#define BINARY_RECORD(op, reads, text)                                                               \
  VG_OP_RECORD(op) = {.name = #op, .doc = text, .nin_min = 2, .nin_max = 2, .flags = reads,         \
                      .infer = binary_infer, .forward = op##_forward, .backward = op##_backward};
BINARY_RECORD(add, VG_OPF_BWD_NO_X | VG_OPF_BWD_NO_Y, "a, b of one shape (or either a scalar node) → a + b")
BINARY_RECORD(sub, VG_OPF_BWD_NO_X | VG_OPF_BWD_NO_Y, "a, b of one shape (or either a scalar node) → a - b")
BINARY_RECORD(mul, VG_OPF_BWD_NO_Y, "a, b of one shape (or either a scalar node) → a · b, elementwise")

/* scale: y = factor * x */
enum { SCALE_FACTOR };

static vg_status scale_infer(vg_graph *g, vg_node *n) {
  n->shape = *vg_in_shape(g, n, 0);
  return VG_OK;
}

static void scale_forward(const vg_kernel *k) {
  const vg_real f = (vg_real)k->a->v[SCALE_FACTOR], *x = k->x[0];
  vg_real *y = k->y;
  VG_FOR(vg_numel(k->ys), y[i] = f * x[i]);
}

static void scale_backward(const vg_kernel *k) {
  const vg_real f = (vg_real)k->a->v[SCALE_FACTOR];
  ACCUMULATE(k, 0, f);
}

VG_OP_RECORD(scale) = {.name = "scale", .doc = "x → factor · x",
                       .nin_min = 1,
                       .nin_max = 1,
                       .flags = VG_OPF_BWD_NO_X | VG_OPF_BWD_NO_Y,
                       .attrs = {[SCALE_FACTOR] = {"factor", VG_ATTR_NUM, 1, NULL}},
                       .infer = scale_infer,
                       .forward = scale_forward,
                       .backward = scale_backward};
