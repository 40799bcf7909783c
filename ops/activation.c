/* Elementwise activations: relu, leaky_relu, sigmoid, tanh, softplus, exp,
 * log, clamp. Each backward reads whichever of x and y makes it cheapest.
 *   x [...] -> y [...] */
#include "kernel.h"
#include "vmath.h"

static vg_status unary_infer(vg_graph *g, vg_node *n) {
  n->shape = *vg_in_shape(g, n, 0);
  return VG_OK;
}

/* FWD computes y from x (and attribute a); BWD computes dx from x, y, dy and
 * reads only what `reads` (VG_OPF_BWD_NO_X or _NO_Y) leaves it. */
/* The one attribute a unary op may have (leaky_relu's slope, softplus's
 * threshold) is `a` in its formulas. */
enum { UNARY_A };

#define UNARY(op, reads, FWD, BWD, ...)                                                         \
  static void op##_forward(const vg_kernel *k) {                                         \
    const vg_real *x_ = k->x[0];                                                         \
    vg_real *y_ = k->y;                                                                  \
    const vg_real a = (vg_real)k->a->v[UNARY_A];                                             \
    (void)a;                                                                             \
    VG_FOR(vg_numel(k->ys), {                                                            \
      const vg_real x = x_[i];                                                           \
      y_[i] = (FWD);                                                                     \
    });                                                                                  \
  }                                                                                      \
  static void op##_backward(const vg_kernel *k) {                                        \
    const vg_real *x_ = k->x[0], *y_ = k->y, *dy_ = k->dy;                               \
    vg_real *dx_ = k->dx[0];                                                             \
    const vg_real a = (vg_real)k->a->v[UNARY_A];                                             \
    (void)a;                                                                             \
    if (!dx_) return;                                                                    \
    const int set_ = vg_dx_sets(k, 0);                                                   \
    VG_FOR(vg_numel(k->ys), {                                                            \
      const vg_real x = x_[i], y = y_[i], dy = dy_[i];                                   \
      (void)x, (void)y;                                                                  \
      dx_[i] = (set_ ? R(0) : dx_[i]) + (BWD);                                           \
    });                                                                                  \
  }                                                                                      \
  VG_OP_RECORD(op) = {.name = #op, .nin_min = 1, .nin_max = 1,                          \
                      .flags = (reads) | VG_OPF_BWD_SETS,                                \
                      .infer = unary_infer,                                              \
                      .forward = op##_forward, .backward = op##_backward, __VA_ARGS__};

#define R(c) ((vg_real)(c))

UNARY(relu, VG_OPF_BWD_NO_Y, x > 0 ? x : R(0), x > 0 ? dy : R(0), .doc = "x → max(x, 0)")
UNARY(leaky_relu, VG_OPF_BWD_NO_Y, x > 0 ? x : a * x, x > 0 ? dy : a * dy, .attrs = {[UNARY_A] = {"slope", VG_ATTR_NUM, 0.01, NULL}}, .doc = "x → x, or slope · x below 0")
UNARY(sigmoid, VG_OPF_BWD_NO_X, vg_sigmoid(x), dy * y * (R(1) - y), .doc = "x → 1 / (1 + exp(-x))")
UNARY(tanh, VG_OPF_BWD_NO_X, vg_tanh(x), dy * (R(1) - y * y), .doc = "x → tanh x")
/* PyTorch's softplus with beta 1: linear above the threshold. */
UNARY(softplus, VG_OPF_BWD_NO_Y, x > a ? x : log1p(exp(x)), x > a ? dy : dy / (R(1) + exp(-x)),
      .attrs = {[UNARY_A] = {"threshold", VG_ATTR_NUM, 20, NULL}}, .doc = "x → log(1 + exp x), x itself above the threshold")
UNARY(exp, VG_OPF_BWD_NO_X, vg_exp(x), dy * y, .doc = "x → exp x")
UNARY(log, VG_OPF_BWD_NO_Y, log(x), dy / x, .doc = "x → log x")

enum { CLAMP_MIN, CLAMP_MAX };

/* clamp: min(max(x, lo), hi); the gradient passes where lo <= x <= hi, as in
 * PyTorch. */
static void clamp_forward(const vg_kernel *k) {
  const vg_real *x = k->x[0], lo = (vg_real)k->a->v[CLAMP_MIN], hi = (vg_real)k->a->v[CLAMP_MAX];
  vg_real *y = k->y;
  VG_FOR(vg_numel(k->ys), y[i] = x[i] < lo ? lo : x[i] > hi ? hi : x[i]);
}

static void clamp_backward(const vg_kernel *k) {
  const vg_real *x = k->x[0], *dy = k->dy, lo = (vg_real)k->a->v[CLAMP_MIN], hi = (vg_real)k->a->v[CLAMP_MAX];
  vg_real *dx = k->dx[0];
  const int set = vg_dx_sets(k, 0);
  if (dx) VG_FOR(vg_numel(k->ys), dx[i] = (set ? R(0) : dx[i]) + (x[i] >= lo && x[i] <= hi ? dy[i] : R(0)));
}

static vg_status clamp_infer(vg_graph *g, vg_node *n) {
  const double lo = n->attr.v[CLAMP_MIN], hi = n->attr.v[CLAMP_MAX];
  if (!(lo <= hi)) return vg_op_fail(g, n, VG_ERR_ARG, "min %g is above max %g", lo, hi);
  return unary_infer(g, n);
}

VG_OP_RECORD(clamp) = {.name = "clamp", .doc = "x → min(max(x, min), max)",
                       .nin_min = 1,
                       .nin_max = 1,
                       .flags = VG_OPF_BWD_NO_Y | VG_OPF_BWD_SETS,
                       .attrs = {[CLAMP_MIN] = {"min", VG_ATTR_NUM, 0, NULL}, [CLAMP_MAX] = {"max", VG_ATTR_NUM, 1, NULL}},
                       .infer = clamp_infer,
                       .forward = clamp_forward,
                       .backward = clamp_backward};
