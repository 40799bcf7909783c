/* add, sub, mul of two tensors, either of which may be broadcast over the
 * other: equal shapes; or one side whose shape, once its trailing 1s are
 * dropped, begins the other's: a scalar (a loss weight that follows a
 * schedule), or a value per example ([B] or [B, 1] against [B, C, H, W])
 * that meets every value of its example. The output has the larger shape.
 * scale: y = factor * x + shift.
 *   a [...], b [...] -> y [...]
 *   a [B, ...], b [B] or [B, 1, ...] -> y [B, ...] (either side) */
#include "kernel.h"

/* Whether s, without its trailing 1s, is a prefix of t. */
static int broadcasts_into(const vg_shape *s, const vg_shape *t) {
  int nd = s->nd;
  while (nd > 0 && s->d[nd - 1] == 1) nd--;
  if (nd > t->nd) return 0;
  for (int i = 0; i < nd; i++)
    if (s->d[i] != t->d[i]) return 0;
  return 1;
}

static vg_status binary_infer(vg_graph *g, vg_node *n) {
  const vg_shape *a = vg_in_shape(g, n, 0), *b = vg_in_shape(g, n, 1);
  if (vg_shape_eq(a, b) || broadcasts_into(b, a)) n->shape = *a;
  else if (broadcasts_into(a, b)) n->shape = *b;
  else {
    char sa[VG_SHAPE_STRLEN], sb[VG_SHAPE_STRLEN];
    return vg_op_fail(g, n, VG_ERR_SHAPE,
                      "'%s' %s and '%s' %s do not broadcast (the shapes must be equal, or one, without its trailing "
                      "1s, must begin the other: [B] or [B,1] against [B,C,H,W])",
                      vg_in_name(g, n, 0), vg_shape_str(a, sa, sizeof sa), vg_in_name(g, n, 1),
                      vg_shape_str(b, sb, sizeof sb));
  }
  return VG_OK;
}

/* How many output values each value of input `which` meets: 1 for a side
 * of the output's shape, the values per example for a per-example side,
 * all of them for a scalar. The output's shape is one input's, so at least
 * one side has block 1; a side of block m covers m consecutive outputs. */
static inline int64_t block_of(const vg_kernel *k, int which) { return vg_numel(k->ys) / vg_numel(k->xs[which]); }

enum { OP_ADD, OP_SUB, OP_MUL };

static inline vg_real combine(int op, vg_real a, vg_real b) { return op == OP_ADD ? a + b : op == OP_SUB ? a - b : a * b; }

/* y = a op b. `op` is a constant in each caller, so every loop below is a
 * plain loop over arrays; the equal-shape one vectorises. */
static inline void binary_forward(const vg_kernel *k, int op) {
  const vg_real *a = k->x[0], *b = k->x[1];
  vg_real *y = k->y;
  const int64_t n = vg_numel(k->ys), ma = block_of(k, 0), mb = block_of(k, 1);
  if (ma == 1 && mb == 1) {
    VG_FOR(n, y[i] = combine(op, a[i], b[i]));
  } else if (mb == n) { /* b a scalar */
    const vg_real s = b[0];
    VG_FOR(n, y[i] = combine(op, a[i], s));
  } else if (ma == n) { /* a a scalar */
    const vg_real s = a[0];
    VG_FOR(n, y[i] = combine(op, s, b[i]));
  } else if (mb > 1) { /* b one value per row of a: y[r, j] = a[r, j] op b[r] */
    VG_FOR_ROWS(n / mb, mb, {
      const vg_real s = b[i], *ar = a + i * mb;
      vg_real *yr = y + i * mb;
      for (int64_t j = 0; j < mb; j++) yr[j] = combine(op, ar[j], s);
    });
  } else { /* a one value per row of b */
    VG_FOR_ROWS(n / ma, ma, {
      const vg_real s = a[i], *br = b + i * ma;
      vg_real *yr = y + i * ma;
      for (int64_t j = 0; j < ma; j++) yr[j] = combine(op, s, br[j]);
    });
  }
}

static void add_forward(const vg_kernel *k) { binary_forward(k, OP_ADD); }
static void sub_forward(const vg_kernel *k) { binary_forward(k, OP_SUB); }
static void mul_forward(const vg_kernel *k) { binary_forward(k, OP_MUL); }

/* sum over j < m of d[j] * (w ? w[j] : 1), in double, in a fixed order:
 * term j goes to running sum j % 8 (a loop that vectorises), and the eight
 * are added in order. */
static inline double row_dot(const vg_real *d, const vg_real *w, int64_t m) {
  double l[8] = {0};
  int64_t j = 0;
  for (; j + 8 <= m; j += 8)
    for (int q = 0; q < 8; q++) l[q] += (double)d[j + q] * (w ? (double)w[j + q] : 1.0);
  for (; j < m; j++) l[j % 8] += (double)d[j] * (w ? (double)w[j] : 1.0);
  double s = 0;
  for (int q = 0; q < 8; q++) s += l[q];
  return s;
}

/* dx[which] += sign * dy (* the other input, for mul), each input's way:
 * elementwise for a side of the output's shape (the other side, for mul,
 * read at its own block), summed over its block for a broadcast side: one
 * writer per element of that side, the block added in a fixed order. */
static inline void binary_grad(const vg_kernel *k, int which, vg_real sign, int times_other) {
  vg_real *dx = k->dx[which];
  if (!dx) return;
  const vg_real *dy = k->dy, *o = times_other ? k->x[1 - which] : NULL;
  const int64_t n = vg_numel(k->ys), m = block_of(k, which), mo = block_of(k, 1 - which);
  if (m == 1) {
    if (!o) VG_FOR(n, dx[i] += dy[i] * sign);
    else if (mo == 1) VG_FOR(n, dx[i] += dy[i] * o[i]);
    else if (mo == n) {
      const vg_real s = o[0];
      VG_FOR(n, dx[i] += dy[i] * s);
    } else {
      VG_FOR_ROWS(n / mo, mo, {
        const vg_real s = o[i], *dr = dy + i * mo;
        vg_real *xr = dx + i * mo;
        for (int64_t j = 0; j < mo; j++) xr[j] += dr[j] * s;
      });
    }
  } else if (m == n) { /* a scalar: one sum over everything, split by size alone */
    double s;
    if (o) VG_REDUCE(n, (double)dy[i] * o[i], s);
    else VG_REDUCE(n, (double)dy[i] * sign, s);
    dx[0] += (vg_real)s;
  } else { /* the other side has the output's shape */
    VG_FOR_ROWS(n / m, m, dx[i] += (vg_real)(row_dot(dy + i * m, o ? o + i * m : NULL, m) * sign));
  }
}

static void add_backward(const vg_kernel *k) {
  binary_grad(k, 0, 1, 0);
  binary_grad(k, 1, 1, 0);
}

static void sub_backward(const vg_kernel *k) {
  binary_grad(k, 0, 1, 0);
  binary_grad(k, 1, -1, 0);
}

static void mul_backward(const vg_kernel *k) {
  binary_grad(k, 0, 1, 1);
  binary_grad(k, 1, 1, 1);
}

#define BINARY_RECORD(op, reads, text)                                                               \
  VG_OP_RECORD(op) = {.name = #op, .doc = text, .nin_min = 2, .nin_max = 2, .flags = reads,         \
                      .infer = binary_infer, .forward = op##_forward, .backward = op##_backward};
BINARY_RECORD(add, VG_OPF_BWD_NO_X | VG_OPF_BWD_NO_Y,
              "a, b of one shape, or one of them `[B]`, `[B, 1]` or a scalar (its shape, trailing 1s dropped, begins the other's) → a + b, of the larger shape")
BINARY_RECORD(sub, VG_OPF_BWD_NO_X | VG_OPF_BWD_NO_Y, "a, b broadcast as in `add` → a - b")
BINARY_RECORD(mul, VG_OPF_BWD_NO_Y, "a, b broadcast as in `add` → a · b, elementwise")

/* scale: y = factor * x + shift (node * 2, node + 1, 1 - node). */
enum { SCALE_FACTOR, SCALE_SHIFT };

static vg_status scale_infer(vg_graph *g, vg_node *n) {
  n->shape = *vg_in_shape(g, n, 0);
  return VG_OK;
}

static void scale_forward(const vg_kernel *k) {
  const vg_real f = (vg_real)k->a->v[SCALE_FACTOR], c = (vg_real)k->a->v[SCALE_SHIFT], *x = k->x[0];
  vg_real *y = k->y;
  if (c == 0) VG_FOR(vg_numel(k->ys), y[i] = f * x[i]); /* f * x + 0 would turn -0 into +0 */
  else VG_FOR(vg_numel(k->ys), y[i] = f * x[i] + c);
}

static void scale_backward(const vg_kernel *k) {
  const vg_real f = (vg_real)k->a->v[SCALE_FACTOR], *dy = k->dy;
  vg_real *dx = k->dx[0];
  if (dx) VG_FOR(vg_numel(k->ys), dx[i] += dy[i] * f);
}

VG_OP_RECORD(scale) = {.name = "scale", .doc = "x → factor · x + shift",
                       .nin_min = 1,
                       .nin_max = 1,
                       .flags = VG_OPF_BWD_NO_X | VG_OPF_BWD_NO_Y,
                       .attrs = {[SCALE_FACTOR] = {"factor", VG_ATTR_NUM, 1, NULL},
                                 [SCALE_SHIFT] = {"shift", VG_ATTR_NUM, 0, NULL}},
                       .infer = scale_infer,
                       .forward = scale_forward,
                       .backward = scale_backward};
