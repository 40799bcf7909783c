/* linear_cross_entropy: cross_entropy(linear(x, W, b), targets), without
 * ever holding the logits.
 *   x [..., in], W [V, in], b [V], target ids [...] [, per] -> the loss
 * Attributes, targets, ignored rows, `per` and the reductions are
 * cross_entropy's (softmax.c, xent.h).
 *
 * A sentence VAE's projection onto its vocabulary makes [tokens, V] logits
 * (97 MB at 1,920 tokens of 12,573 words), and their gradient as much: the
 * two largest buffers of its training step, each written and read whole
 * while the cache holds none of it. Here the logits exist one block of VB
 * vocabulary columns at a time, in the scratch. The forward keeps each
 * row's running max and sum of exps over the blocks and the target's
 * logit. The backward makes each block again (one GEMM more: the
 * projection's work goes from 3 to 4 times its forward), turns it into the
 * block's gradient in place, and takes from it the block's rows of dW and
 * db outright and its share of dx. */
#include "xent.h"
#include "softmax.h"

enum { LCE_RED, LCE_IGNORE };
/* Vocabulary columns per block: rows x VB floats of scratch (7.9 MB at
 * 1,920 rows), and GEMMs deep enough to run at full speed. */
enum { VB = 1024 };

static int block_width(int64_t V) { return V < VB ? (int)V : VB; }

static vg_status lce_infer(vg_graph *g, vg_node *n) {
  const vg_shape *x = vg_in_shape(g, n, 0), *w = vg_in_shape(g, n, 1), *b = vg_in_shape(g, n, 2),
                 *t = vg_in_shape(g, n, 3);
  char sx[VG_SHAPE_STRLEN], sw[VG_SHAPE_STRLEN], sb[VG_SHAPE_STRLEN];
  vg_shape_str(x, sx, sizeof sx), vg_shape_str(w, sw, sizeof sw), vg_shape_str(b, sb, sizeof sb);
  if (w->nd != 2 || w->d[0] < 1)
    return vg_op_fail(g, n, VG_ERR_SHAPE, "weight '%s' must be [classes, in] with at least one class, got %s",
                      vg_in_name(g, n, 1), sw);
  if (x->nd < 1 || x->d[x->nd - 1] != w->d[1])
    return vg_op_fail(g, n, VG_ERR_SHAPE, "input has %lld features, weight expects %lld (input %s, weight '%s' %s)",
                      x->nd ? (long long)x->d[x->nd - 1] : 0LL, (long long)w->d[1], sx, vg_in_name(g, n, 1), sw);
  if (b->nd != 1 || b->d[0] != w->d[0])
    return vg_op_fail(g, n, VG_ERR_SHAPE, "bias '%s' must be [%lld], got %s", vg_in_name(g, n, 2), (long long)w->d[0],
                      sb);
  vg_status st = vg_ce_infer_targets(g, n, x, 3, vg_reduction(&n->attr, LCE_RED), "input", "input's", "feature");
  if (st) return st;
  const int64_t rows = vg_shape_numel(t);
  if (rows > INT32_MAX || w->d[0] > INT32_MAX || w->d[1] > INT32_MAX)
    return vg_op_fail(g, n, VG_ERR_SHAPE, "matrix dimensions past 2^31 (input %s, weight %s)", sx, sw);
  /* Per row: the logits' max and log sum exp(logit - max) (for the
   * backward's softmax), and the loss. */
  n->saved_len = (size_t)(3 * rows);
  n->scratch_len = (size_t)rows * (size_t)block_width(w->d[0]);
  return VG_OK;
}

static int lce_check(const vg_kernel *k, char *msg, size_t len) {
  return vg_check_whole(k, 3, 0, (double)(k->xs[1]->d[0] - 1), k->a->v[LCE_IGNORE], "target", msg, len);
}

static double batch_of(const vg_kernel *k) { return vg_ce_batch(k->xs[0], k->nin == 5 ? k->xs[4] : NULL); }

/* The logits of classes [v0, v0 + n), rows of n in the scratch. */
static vg_real *block_logits(const vg_kernel *k, int64_t rows, int64_t v0, int n) {
  const int in = (int)k->xs[1]->d[1];
  const vg_real *b = k->x[2] + v0;
  vg_real *z = k->scratch;
  vg_gemm_real(0, 1, (int)rows, n, in, 1, k->x[0], in, k->x[1] + (int64_t)v0 * in, in, 0, z, n);
  VG_FOR_ROWS(rows, n, {
    vg_real *zr = z + i * n;
    for (int j = 0; j < n; j++) zr[j] += b[j];
  });
  return z;
}

static void lce_forward(const vg_kernel *k) {
  const vg_real *t = k->x[3];
  const int64_t V = k->xs[1]->d[0], rows = vg_numel(k->xs[3]);
  const double ignore = k->a->v[LCE_IGNORE];
  /* Per row, while the blocks pass: the running max, the sum of
   * exp(logit - max) and the target's logit; then the max, the log of the
   * sum and the loss (what the backward reads). */
  vg_real *max = k->saved, *ls = k->saved + rows, *loss = k->saved + 2 * rows;
  VG_FOR(rows, max[i] = -INFINITY, ls[i] = 0);
  const int vb = block_width(V);
  for (int64_t v0 = 0; rows > 0 && v0 < V; v0 += vb) {
    const int n = V - v0 < vb ? (int)(V - v0) : vb;
    const vg_real *z = block_logits(k, rows, v0, n);
    VG_FOR_ROWS(rows, n, {
      const int64_t c = vg_ce_class(t[i], ignore, V);
      if (c != -1) {
        vg_real m;
        const double ls_block = vg_row_lse_parts(z + i * n, n, &m);
        /* A block of -inf logits (masked classes) adds nothing; its
         * exp(-inf - -inf) would be NaN. */
        if (m != -INFINITY) {
          const double s = exp(ls_block);
          if (m > max[i])
            ls[i] = (vg_real)((double)ls[i] * exp((double)max[i] - (double)m) + s), max[i] = m;
          else
            ls[i] = (vg_real)((double)ls[i] + s * exp((double)m - (double)max[i]));
        }
        if (c >= v0 && c < v0 + n) loss[i] = z[i * n + (c - v0)];
      }
    });
  }
  VG_FOR(rows, {
    const int64_t c = vg_ce_class(t[i], ignore, V);
    if (c == -1) max[i] = 0, ls[i] = 0, loss[i] = 0;
    else {
      const double l = log((double)ls[i]);
      ls[i] = (vg_real)l;
      loss[i] = c >= 0 ? (vg_real)((double)max[i] + l - (double)loss[i]) : (vg_real)NAN;
    }
  });
  vg_ce_output(k->y, vg_reduction(k->a, LCE_RED), loss, t, rows, ignore, V, batch_of(k));
}

static void lce_backward(const vg_kernel *k) {
  const int64_t V = k->xs[1]->d[0], rows = vg_numel(k->xs[3]);
  const int in = (int)k->xs[1]->d[1];
  const vg_real *t = k->x[3], *max = k->saved, *ls = k->saved + rows, *dy = k->dy;
  const double ignore = k->a->v[LCE_IGNORE];
  const int red = vg_reduction(k->a, LCE_RED);
  const double scale = vg_ce_scale(red, t, rows, ignore, V, batch_of(k));
  vg_real *dx = k->dx[0], *dw = k->dx[1], *db = k->dx[2];
  if (rows == 0) { /* no row, no gradient: what is set outright is zero */
    if (dw && vg_dx_sets(k, 1)) memset(dw, 0, (size_t)(V * in) * sizeof *dw);
    if (db && vg_dx_sets(k, 2)) memset(db, 0, (size_t)V * sizeof *db);
    return;
  }
  const int vb = block_width(V);
  for (int64_t v0 = 0; v0 < V; v0 += vb) {
    const int n = V - v0 < vb ? (int)(V - v0) : vb;
    vg_real *gz = block_logits(k, rows, v0, n);
    /* In place: the scratch holds one block, logits and then gradient. */
    VG_FOR_ROWS(rows, n, {
      vg_real *r = gz + i * n;
      const int64_t c = vg_ce_class(t[i], ignore, V);
      if (c < 0) {
        memset(r, 0, (size_t)n * sizeof *r);
      } else {
        const vg_real g = vg_ce_row_grad(red, dy, i, scale), m = max[i], l = ls[i];
        for (int j = 0; j < n; j++) r[j] = g * vg_exp(r[j] - m - l);
        if (c >= v0 && c < v0 + n) r[c - v0] -= g;
      }
    });
    if (dw)
      vg_gemm_real(1, 0, n, in, (int)rows, 1, gz, n, k->x[0], in, vg_dx_sets(k, 1) ? 0 : 1, dw + (int64_t)v0 * in, in);
    if (db) vg_column_sums(gz, rows, n, vg_dx_sets(k, 2), db + v0);
    if (dx)
      vg_gemm_real(0, 0, (int)rows, in, n, 1, gz, n, k->x[1] + (int64_t)v0 * in, in, v0 == 0 && vg_dx_sets(k, 0) ? 0 : 1,
                   dx, in);
  }
}

/* Per logit: the forward's projection (2 in) and cross_entropy's three;
 * the backward's projection again and its two products (6 in) and four. */
static double logits_of(const vg_graph *g, const vg_node *n) {
  return (double)vg_shape_numel(&g->nodes[n->in[3]].shape) * (double)g->nodes[n->in[1]].shape.d[0];
}

static double lce_flops(const vg_graph *g, const vg_node *n) {
  return logits_of(g, n) * (2.0 * (double)g->nodes[n->in[1]].shape.d[1] + 3.0);
}

static double lce_bwd_flops(const vg_graph *g, const vg_node *n) {
  return logits_of(g, n) * (6.0 * (double)g->nodes[n->in[1]].shape.d[1] + 4.0);
}

VG_OP_RECORD(linear_cross_entropy) = {
    .name = "linear_cross_entropy",
    .doc = "x `[..., in]`, weight `[V, in]`, bias `[V]`, target ids `[...]` [, per] → cross_entropy(x Wᵀ + b, targets) without storing the logits: a block of 1,024 classes at a time, again in the backward (a large vocabulary's memory; one GEMM more)",
    .nin_min = 4,
    .nin_max = 5,
    .flags = VG_OPF_BWD_NO_Y | VG_OPF_BWD_SETS,
    .nograd = 1u << 3 | 1u << 4,
    .attrs = {VG_ATTR_REDUCTION(LCE_RED), [LCE_IGNORE] = {"ignore", VG_ATTR_NUM, -1, NULL}},
    .infer = lce_infer,
    .check = lce_check,
    .forward = lce_forward,
    .backward = lce_backward,
    .flops = lce_flops,
    .bwd_flops = lce_bwd_flops,
};
