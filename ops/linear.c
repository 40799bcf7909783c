/* linear: y = act(x W^T + b), PyTorch's layout (W is [out, in]).
 *   x [..., in], W [out, in], b [out] (optional) -> y [..., out]
 * act (act.h: none, relu, sigmoid, tanh) is applied with the bias, in one
 * pass over y while its rows are in cache; the backward then reads y, and
 * takes dy * act'(y) into scratch before the two products. */
#include "act.h"

enum { A_ACT };

static vg_status linear_infer(vg_graph *g, vg_node *n) {
  const vg_shape *x = vg_in_shape(g, n, 0), *w = vg_in_shape(g, n, 1);
  char sx[VG_SHAPE_STRLEN], sw[VG_SHAPE_STRLEN];
  vg_shape_str(x, sx, sizeof sx), vg_shape_str(w, sw, sizeof sw);
  if (w->nd != 2)
    return vg_op_fail(g, n, VG_ERR_SHAPE, "weight '%s' must be [out, in], got %s", vg_in_name(g, n, 1), sw);
  if (x->nd < 1 || x->d[x->nd - 1] != w->d[1])
    return vg_op_fail(g, n, VG_ERR_SHAPE, "input has %lld features, weight expects %lld (input %s, weight '%s' %s)",
                      x->nd ? (long long)x->d[x->nd - 1] : 0LL, (long long)w->d[1], sx, vg_in_name(g, n, 1), sw);
  if (n->nin == 3) {
    const vg_shape *b = vg_in_shape(g, n, 2);
    if (b->nd != 1 || b->d[0] != w->d[0]) {
      char sb[VG_SHAPE_STRLEN];
      return vg_op_fail(g, n, VG_ERR_SHAPE, "bias '%s' must be [%lld], got %s", vg_in_name(g, n, 2),
                        (long long)w->d[0], vg_shape_str(b, sb, sizeof sb));
    }
  }
  n->shape = *x;
  n->shape.d[x->nd - 1] = w->d[0];
  if ((int)n->attr.v[A_ACT] != VG_ACT_NONE) {
    n->flags &= ~(unsigned)VG_OPF_BWD_NO_Y;
    n->scratch_len = (size_t)vg_shape_numel(&n->shape);
  }
  if (vg_shape_numel(x) / x->d[x->nd - 1] > INT32_MAX || w->d[0] > INT32_MAX || w->d[1] > INT32_MAX)
    return vg_op_fail(g, n, VG_ERR_SHAPE, "matrix dimensions past 2^31 (input %s)", sx);
  return VG_OK;
}

static void linear_forward(const vg_kernel *k) {
  const int K = (int)k->xs[1]->d[1], N = (int)k->xs[1]->d[0];
  const int M = (int)(vg_numel(k->xs[0]) / K);
  const int act = (int)k->a->v[A_ACT];
  vg_gemm_real(0, 1, M, N, K, 1, k->x[0], K, k->x[1], K, 0, k->y, N);
  if (k->nin == 3 || act != VG_ACT_NONE) {
    /* Row by row: an index modulo N per element would cost more than the add. */
    const vg_real *b = k->nin == 3 ? k->x[2] : NULL;
    vg_real *y = k->y;
#pragma omp parallel for schedule(static) if ((int64_t)M * N >= VG_PAR_MIN)
    for (int r = 0; r < M; r++) {
      vg_real *yr = y + (int64_t)r * N;
      if (b)
        for (int j = 0; j < N; j++) yr[j] += b[j];
      vg_act_apply(act, yr, N);
    }
  }
}

static void linear_backward(const vg_kernel *k) {
  const int K = (int)k->xs[1]->d[1], N = (int)k->xs[1]->d[0];
  const int M = (int)(vg_numel(k->xs[0]) / K);
  const int act = (int)k->a->v[A_ACT];
  const vg_real *dy = k->dy;
  if (act != VG_ACT_NONE) {
    vg_real *dz = k->scratch;
#pragma omp parallel for schedule(static) if ((int64_t)M * N >= VG_PAR_MIN)
    for (int r = 0; r < M; r++) vg_act_grad(act, k->y + (int64_t)r * N, k->dy + (int64_t)r * N, dz + (int64_t)r * N, N);
    dy = dz;
  }
  if (k->dx[0]) vg_gemm_real(0, 0, M, K, N, 1, dy, N, k->x[1], K, vg_dx_sets(k, 0) ? 0 : 1, k->dx[0], K);
  if (k->dx[1]) vg_gemm_real(1, 0, N, K, M, 1, dy, N, k->x[0], K, vg_dx_sets(k, 1) ? 0 : 1, k->dx[1], K);
  if (k->nin == 3 && k->dx[2]) vg_column_sums(dy, M, N, vg_dx_sets(k, 2), k->dx[2]);
}

static double linear_flops(const vg_graph *g, const vg_node *n) {
  const vg_shape *w = &g->nodes[n->in[1]].shape;
  return 2.0 * (double)vg_shape_numel(&n->shape) * (double)w->d[1];
}

VG_OP_RECORD(linear) = {
    .name = "linear", .doc = "x `[..., in]`, weight `[out, in]` [, bias `[out]`] → `[..., out]`: act(x Wᵀ + b) (made by `vg.linear`; `act` none, relu, sigmoid or tanh, fused)",
    .nin_min = 2,
    .nin_max = 3,
    .flags = VG_OPF_BWD_NO_Y | VG_OPF_BWD_SETS,
    .attrs = {[A_ACT] = {"act", VG_ATTR_ENUM, VG_ACT_NONE, VG_ACTS}},
    .infer = linear_infer,
    .forward = linear_forward,
    .backward = linear_backward,
    .flops = linear_flops,
};
