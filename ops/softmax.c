/* Softmax family, along an axis (the last by default).
 *   softmax      y = exp(x - max) / sum exp(x - max)
 *   log_softmax  y = x - logsumexp(x)
 *   logsumexp    y = log sum exp(x) along the axis, which is removed;
 *                its gradient is the softmax
 *   cross_entropy(logits [..., V], target ids [...]): -log softmax(logits)
 *     at the target, PyTorch's F.cross_entropy with class indices. Rows whose
 *     target equals `ignore` (the padding id) add nothing and get no
 *     gradient; "mean" averages over the other rows, "batchmean" divides the
 *     sum by the first dimension (per sentence), "none" gives one loss per
 *     row (0 where ignored). A target outside [0, V) gives NaN.
 *     With an optional third input (the lengths of packed sentences),
 *     batchmean divides by its first dimension instead: rows are tokens,
 *     the loss is per sentence.
 * softmax and log_softmax on the last axis (the sentence VAE's vocabulary
 * projection) take contiguous rows, the loops that vectorise; any other
 * axis takes rows of elements `inner` apart (ops/axis.h). */
#include "axis.h"
#include "softmax.h"
#include "xent.h"

enum { SM_AXIS };

static vg_status softmax_infer(vg_graph *g, vg_node *n) {
  const vg_shape *x = vg_in_shape(g, n, 0);
  if (x->nd < 1) return vg_op_fail(g, n, VG_ERR_SHAPE, "needs at least one dimension (the classes), got a scalar");
  int axis;
  vg_status st = vg_infer_axis(g, n, SM_AXIS, &axis);
  if (st) return st;
  n->shape = *x;
  return VG_OK;
}

static int64_t last_dim(const vg_shape *s) { return s->d[s->nd - 1]; }

/*   x [..., V] -> y [..., V]: rows along the last axis;
 *   x [outer, V, inner] -> y [outer, V, inner]: along another. */
static void softmax_forward(const vg_kernel *k) {
  const vg_real *x = k->x[0];
  vg_real *y = k->y;
  int64_t outer, V, inner;
  vg_kernel_split(k, SM_AXIS, &outer, &V, &inner);
  if (inner == 1) {
    VG_FOR_ROWS(outer, V, {
      const vg_real *xr = x + i * V;
      vg_real *yr = y + i * V;
      const vg_real l = (vg_real)vg_row_lse(xr, V);
      for (int64_t j = 0; j < V; j++) yr[j] = vg_exp(xr[j] - l);
    });
    return;
  }
  VG_FOR_ROWS(outer * inner, V, {
    const int64_t at = vg_row_start(i, V, inner);
    const vg_real l = (vg_real)vg_lse(x + at, V, inner);
    for (int64_t c = 0; c < V; c++) y[at + c * inner] = vg_exp(x[at + c * inner] - l);
  });
}

static void softmax_backward(const vg_kernel *k) {
  const vg_real *y = k->y, *dy = k->dy;
  vg_real *dx = k->dx[0];
  int64_t outer, V, inner;
  vg_kernel_split(k, SM_AXIS, &outer, &V, &inner);
  if (inner == 1) {
    VG_FOR_ROWS(outer, V, {
      const vg_real *yr = y + i * V, *gr = dy + i * V;
      vg_real dot = 0;
      for (int64_t j = 0; j < V; j++) dot += yr[j] * gr[j];
      for (int64_t j = 0; j < V; j++) dx[i * V + j] += yr[j] * (gr[j] - dot);
    });
    return;
  }
  VG_FOR_ROWS(outer * inner, V, {
    const int64_t at = vg_row_start(i, V, inner);
    vg_real dot = 0;
    for (int64_t c = 0; c < V; c++) dot += y[at + c * inner] * dy[at + c * inner];
    for (int64_t c = 0; c < V; c++) dx[at + c * inner] += y[at + c * inner] * (dy[at + c * inner] - dot);
  });
}

VG_OP_RECORD(softmax) = {.name = "softmax", .doc = "x → softmax along `axis`",
                         .nin_min = 1,
                         .nin_max = 1,
                         .flags = VG_OPF_BWD_NO_X,
                         .attrs = {[SM_AXIS] = {"axis", VG_ATTR_INT, -1, NULL}},
                         .infer = softmax_infer,
                         .forward = softmax_forward,
                         .backward = softmax_backward};

static void log_softmax_forward(const vg_kernel *k) {
  const vg_real *x = k->x[0];
  vg_real *y = k->y;
  int64_t outer, V, inner;
  vg_kernel_split(k, SM_AXIS, &outer, &V, &inner);
  if (inner == 1) {
    VG_FOR_ROWS(outer, V, {
      const vg_real *xr = x + i * V;
      const vg_real l = (vg_real)vg_row_lse(xr, V);
      for (int64_t j = 0; j < V; j++) y[i * V + j] = xr[j] - l;
    });
    return;
  }
  VG_FOR_ROWS(outer * inner, V, {
    const int64_t at = vg_row_start(i, V, inner);
    const vg_real l = (vg_real)vg_lse(x + at, V, inner);
    for (int64_t c = 0; c < V; c++) y[at + c * inner] = x[at + c * inner] - l;
  });
}

static void log_softmax_backward(const vg_kernel *k) {
  const vg_real *y = k->y, *dy = k->dy;
  vg_real *dx = k->dx[0];
  int64_t outer, V, inner;
  vg_kernel_split(k, SM_AXIS, &outer, &V, &inner);
  if (inner == 1) {
    VG_FOR_ROWS(outer, V, {
      const vg_real *yr = y + i * V, *gr = dy + i * V;
      vg_real s = 0;
      for (int64_t j = 0; j < V; j++) s += gr[j];
      for (int64_t j = 0; j < V; j++) dx[i * V + j] += gr[j] - vg_exp(yr[j]) * s;
    });
    return;
  }
  VG_FOR_ROWS(outer * inner, V, {
    const int64_t at = vg_row_start(i, V, inner);
    vg_real s = 0;
    for (int64_t c = 0; c < V; c++) s += dy[at + c * inner];
    for (int64_t c = 0; c < V; c++) dx[at + c * inner] += dy[at + c * inner] - vg_exp(y[at + c * inner]) * s;
  });
}

VG_OP_RECORD(log_softmax) = {.name = "log_softmax", .doc = "x → log softmax along `axis`",
                             .nin_min = 1,
                             .nin_max = 1,
                             .flags = VG_OPF_BWD_NO_X,
                             .attrs = {[SM_AXIS] = {"axis", VG_ATTR_INT, -1, NULL}},
                             .infer = softmax_infer,
                             .forward = log_softmax_forward,
                             .backward = log_softmax_backward};

/* logsumexp: the axis removed. The backward takes the row's max and log
 * sum again from x, for a softmax exp(x - max - log sum) as precise as
 * the logits (exp(x - y) with a float y of 1000.69 is off by 3e-5).
 *   x [outer, V, inner] -> y [outer, inner]; dx = dy softmax(x) */
enum { LSE_AXIS };

static vg_status logsumexp_infer(vg_graph *g, vg_node *n) {
  const vg_shape *x = vg_in_shape(g, n, 0);
  if (x->nd < 1) return vg_op_fail(g, n, VG_ERR_SHAPE, "needs at least one dimension, got a scalar");
  int axis;
  vg_status st = vg_infer_axis(g, n, LSE_AXIS, &axis);
  if (st) return st;
  n->shape = vg_shape_drop(x, axis);
  return VG_OK;
}

static void logsumexp_forward(const vg_kernel *k) {
  const vg_real *x = k->x[0];
  vg_real *y = k->y;
  int64_t outer, V, inner;
  vg_kernel_split(k, LSE_AXIS, &outer, &V, &inner);
  VG_FOR_ROWS(outer * inner, V, y[i] = (vg_real)vg_lse(x + vg_row_start(i, V, inner), V, inner));
}

static void logsumexp_backward(const vg_kernel *k) {
  const vg_real *x = k->x[0], *dy = k->dy;
  vg_real *dx = k->dx[0];
  if (!dx) return;
  int64_t outer, V, inner;
  vg_kernel_split(k, LSE_AXIS, &outer, &V, &inner);
  VG_FOR_ROWS(outer * inner, V, {
    const int64_t at = vg_row_start(i, V, inner);
    vg_real m;
    const vg_real ls = (vg_real)vg_lse_parts(x + at, V, inner, &m);
    for (int64_t c = 0; c < V; c++) dx[at + c * inner] += dy[i] * vg_exp(x[at + c * inner] - m - ls);
  });
}

VG_OP_RECORD(logsumexp) = {.name = "logsumexp", .doc = "x → log Σ exp x along `axis` (removed), computed stably; its gradient is the softmax",
                           .nin_min = 1,
                           .nin_max = 1,
                           .flags = VG_OPF_BWD_NO_Y,
                           .attrs = {[LSE_AXIS] = {"axis", VG_ATTR_INT, -1, NULL}},
                           .infer = logsumexp_infer,
                           .forward = logsumexp_forward,
                           .backward = logsumexp_backward};

enum { CE_RED, CE_IGNORE };

static vg_status cross_entropy_infer(vg_graph *g, vg_node *n) {
  const vg_shape *t = vg_in_shape(g, n, 1);
  vg_status st = vg_ce_infer_targets(g, n, vg_in_shape(g, n, 0), 1, vg_reduction(&n->attr, CE_RED), "logits", "logits'", "class");
  if (st) return st;
  /* Per row: the log-sum-exp (for the backward) and the loss (summed in
   * row order, so the thread count cannot change the total). */
  n->saved_len = (size_t)(2 * vg_shape_numel(t));
  return VG_OK;
}

static int cross_entropy_check(const vg_kernel *k, char *msg, size_t len) {
  return vg_check_whole(k, 1, 0, (double)(last_dim(k->xs[0]) - 1), k->a->v[CE_IGNORE], "target", msg, len);
}

/* d += g softmax(x), the softmax from its log-sum-exp l. */
static void add_softmax(const vg_real *x, vg_real l, vg_real g, int64_t V, vg_real *d) {
  for (int64_t j = 0; j < V; j++) d[j] += g * vg_exp(x[j] - l);
}

/* What batchmean divides by. */
static double batch_of(const vg_kernel *k) { return vg_ce_batch(k->xs[0], k->nin == 3 ? k->xs[2] : NULL); }

static void cross_entropy_forward(const vg_kernel *k) {
  const vg_real *x = k->x[0], *t = k->x[1];
  const int64_t V = last_dim(k->xs[0]), rows = vg_numel(k->xs[1]);
  const double ignore = k->a->v[CE_IGNORE];
  vg_real *lse = k->saved, *loss = k->saved + rows;
  VG_FOR_ROWS(rows, V, {
    const int64_t c = vg_ce_class(t[i], ignore, V);
    if (c == -1) lse[i] = 0, loss[i] = 0;
    else {
      const double l = vg_row_lse(x + i * V, V);
      lse[i] = (vg_real)l;
      loss[i] = c >= 0 ? (vg_real)(l - (double)x[i * V + c]) : (vg_real)NAN;
    }
  });
  vg_ce_output(k->y, vg_reduction(k->a, CE_RED), loss, t, rows, ignore, V, batch_of(k));
}

static void cross_entropy_backward(const vg_kernel *k) {
  vg_real *dx = k->dx[0];
  if (!dx) return;
  const vg_real *x = k->x[0], *t = k->x[1], *lse = k->saved, *dy = k->dy;
  const int64_t V = last_dim(k->xs[0]), rows = vg_numel(k->xs[1]);
  const double ignore = k->a->v[CE_IGNORE];
  const int red = vg_reduction(k->a, CE_RED);
  const double scale = vg_ce_scale(red, t, rows, ignore, V, batch_of(k));
  VG_FOR_ROWS(rows, V, {
    const int64_t c = vg_ce_class(t[i], ignore, V);
    if (c >= 0) {
      const vg_real g = vg_ce_row_grad(red, dy, i, scale);
      add_softmax(x + i * V, lse[i], g, V, dx + i * V);
      dx[i * V + c] -= g;
    }
  });
}

static double cross_entropy_flops(const vg_graph *g, const vg_node *n) {
  return 3.0 * (double)vg_shape_numel(&g->nodes[n->in[0]].shape);
}

VG_OP_RECORD(cross_entropy) = {.name = "cross_entropy", .doc = "logits `[..., V]`, target ids `[...]` [, per] → -log softmax at the target; targets equal to `ignore` add nothing; with `per` (packed sentences' lengths) `batchmean` divides by its first dimension",
                               .nin_min = 2,
                               .nin_max = 3,
                               .flags = VG_OPF_BWD_NO_Y,
                               .nograd = 1u << 1 | 1u << 2,
                               .attrs = {VG_ATTR_REDUCTION(CE_RED), [CE_IGNORE] = {"ignore", VG_ATTR_NUM, -1, NULL}},
                               .infer = cross_entropy_infer,
                               .check = cross_entropy_check,
                               .forward = cross_entropy_forward,
                               .backward = cross_entropy_backward,
                               .flops = cross_entropy_flops};
