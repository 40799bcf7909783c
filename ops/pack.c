/* pack: the positions inside sentences of a padded batch, as rows, so
 * that per-token layers after it (the output projection over the
 * vocabulary, the loss) do no work on padding. PyTorch's pack_padded_sequence
 * in batch-major order: sentence 0's positions, then sentence 1's, ...
 *   x [B, T, ...], lengths [B] -> [N, ...], N = sum of min(lengths[b], T)
 * N is known only from the lengths' values: the output is sized for B*T,
 * and the forward sets its first dimension (VG_OPF_DATA_SHAPE). */
#include "kernel.h"

static vg_status pack_infer(vg_graph *g, vg_node *n) {
  const vg_shape *x = vg_in_shape(g, n, 0), *len = vg_in_shape(g, n, 1);
  char sx[VG_SHAPE_STRLEN], sl[VG_SHAPE_STRLEN];
  vg_shape_str(x, sx, sizeof sx), vg_shape_str(len, sl, sizeof sl);
  if (x->nd < 2) return vg_op_fail(g, n, VG_ERR_SHAPE, "input must be [batch, time, ...], got %s", sx);
  if (len->nd != 1 || len->d[0] != x->d[0])
    return vg_op_fail(g, n, VG_ERR_SHAPE, "lengths '%s' must be [%lld] (one per sentence of input %s), got %s",
                      vg_in_name(g, n, 1), (long long)x->d[0], sx, sl);
  n->shape.nd = x->nd - 1;
  n->shape.d[0] = x->d[0] * x->d[1];
  for (int k = 2; k < x->nd; k++) n->shape.d[k - 1] = x->d[k];
  return VG_OK;
}

static int pack_check(const vg_kernel *k, char *msg, size_t len) {
  return vg_check_whole(k, 1, 0, (double)k->xs[0]->d[1], NAN, "length", msg, len);
}

static void pack_forward(const vg_kernel *k) {
  const int64_t B = k->xs[0]->d[0], T = k->xs[0]->d[1], row = vg_numel(k->xs[0]) / (B * T);
  const vg_real *x = k->x[0], *lengths = k->x[1];
  int64_t r = 0;
  for (int64_t b = 0; b < B; b++) {
    const int64_t L = vg_length_in(lengths[b], T);
    memcpy(k->y + r * row, x + b * T * row, (size_t)(L * row) * sizeof *x);
    r += L;
  }
  if (k->shape) k->shape->d[0] = r;
  else memset(k->y + r * row, 0, (size_t)(vg_numel(k->ys) - r * row) * sizeof *x); /* sized for all: pad */
}

static void pack_backward(const vg_kernel *k) {
  vg_real *dx = k->dx[0];
  if (!dx) return;
  const int64_t B = k->xs[0]->d[0], T = k->xs[0]->d[1], row = vg_numel(k->xs[0]) / (B * T);
  const vg_real *lengths = k->x[1], *dy = k->dy;
  int64_t r = 0;
  for (int64_t b = 0; b < B; b++) {
    const int64_t L = vg_length_in(lengths[b], T);
    vg_real *d = dx + b * T * row;
    const vg_real *s = dy + r * row;
    VG_FOR(L * row, d[i] += s[i]);
    r += L;
  }
}

VG_OP_RECORD(pack) = {.name = "pack", .doc = "x `[B, T, ...]`, lengths `[B]` → `[N, ...]`: the positions inside sentences; N is set at run time",
                      .nin_min = 2,
                      .nin_max = 2,
                      .flags = VG_OPF_DATA_SHAPE | VG_OPF_BWD_NO_Y,
                      .nograd = 1u << 1,
                      .infer = pack_infer,
                      .check = pack_check,
                      .forward = pack_forward,
                      .backward = pack_backward};
