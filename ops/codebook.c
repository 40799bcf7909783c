/* Ops of vector quantisation (VQ-VAE).
 *
 * nearest_code: for each D-vector of z, the index of the codebook row
 * nearest in squared Euclidean distance, the first of ties. It passes no
 * gradient: a VQ-VAE builds the straight-through copy and its codebook and
 * commitment losses from embedding, stop_gradient and mse around it.
 *   z [..., D], codebook [K, D] -> ids [...] (whole numbers, as reals)
 *
 * ||z - e||^2 = ||z||^2 - 2 z.e + ||e||^2, and ||z||^2 is the same for every
 * code, so the argmin is that of ||e||^2 - 2 z.e: for a block of rows, one
 * matrix product -2 E Z^T by vg_gemm_real, then a scan over the codes. GEMM sums
 * each product over D in an order fixed by D alone, so a row's distances,
 * and so its code, do not depend on the block or the thread count. */
#include "kernel.h"

/* Distances computed per GEMM call (1 MiB of floats), and the rows each
 * thread scans at a time. */
#define NC_BLOCK ((int64_t)1 << 18)
#define NC_TILE 256

static int64_t rows_per_block(int64_t rows, int64_t K) {
  int64_t rb = NC_BLOCK / K;
  if (rb < 1) rb = 1;
  return rb < rows ? rb : rows;
}

static vg_status nearest_code_infer(vg_graph *g, vg_node *n) {
  const vg_shape *z = vg_in_shape(g, n, 0), *e = vg_in_shape(g, n, 1);
  char sz[VG_SHAPE_STRLEN], se[VG_SHAPE_STRLEN];
  vg_shape_str(z, sz, sizeof sz), vg_shape_str(e, se, sizeof se);
  if (e->nd != 2)
    return vg_op_fail(g, n, VG_ERR_SHAPE, "codebook '%s' must be [codes, dim], got %s", vg_in_name(g, n, 1), se);
  if (z->nd < 1 || z->d[z->nd - 1] != e->d[1])
    return vg_op_fail(g, n, VG_ERR_SHAPE, "'%s' %s must end in the codebook's dim %lld (codebook '%s' %s)",
                      vg_in_name(g, n, 0), sz, (long long)e->d[1], vg_in_name(g, n, 1), se);
  const int64_t rows = vg_shape_numel(z) / e->d[1];
  if (rows > INT32_MAX || e->d[0] > INT32_MAX || e->d[1] > INT32_MAX)
    return vg_op_fail(g, n, VG_ERR_SHAPE, "matrix dimensions past 2^31 ('%s' %s, codebook %s)", vg_in_name(g, n, 0), sz, se);
  n->shape = *z;
  n->shape.nd--;
  /* the codes' squared norms; a block's distances, code-major; the block's
   * least distances so far */
  const int64_t rb = rows_per_block(rows, e->d[0]);
  n->scratch_len = (size_t)(e->d[0] + rb * e->d[0] + rb);
  return VG_OK;
}

/* For rows [0, m) of a block: y[r] = the first c with the least
 * norm[c] + dist[c * m + r]. Codes are taken in order, each a pass over
 * the rows with a strict less-than, so the first of ties stays; each row
 * is one thread's. Rows whose distances are all NaN (a NaN in z) stay NaN.
 * The selects are written so that GCC vectorises the pass over rows. */
static void nearest_scan(const vg_real *norm, const vg_real *dist, int64_t K, int64_t m, vg_real *best, vg_real *y) {
  const int64_t tiles = (m + NC_TILE - 1) / NC_TILE;
#pragma omp parallel for schedule(static) if (K * m >= VG_PAR_MIN)
  for (int64_t t = 0; t < tiles; t++) {
    const int64_t r0 = t * NC_TILE, n = m - r0 < NC_TILE ? m - r0 : NC_TILE;
    vg_real *restrict b = best + r0, *restrict yr = y + r0;
    for (int64_t r = 0; r < n; r++) b[r] = (vg_real)INFINITY, yr[r] = (vg_real)NAN;
    for (int64_t c = 0; c < K; c++) {
      const vg_real nc = norm[c], code = (vg_real)c;
      const vg_real *restrict dc = dist + c * m + r0;
      for (int64_t r = 0; r < n; r++) {
        const vg_real d = nc + dc[r], br = b[r];
        const vg_real less = d < br ? 1 : 0;
        yr[r] = less == 1 ? code : yr[r];
        b[r] = d < br ? d : br;
      }
    }
  }
}

static void nearest_code_forward(const vg_kernel *k) {
  const vg_real *z = k->x[0], *e = k->x[1];
  const int64_t K = k->xs[1]->d[0], D = k->xs[1]->d[1], rows = vg_numel(k->xs[0]) / D;
  const int64_t rb = rows_per_block(rows, K);
  vg_real *norm = k->scratch, *dist = norm + K, *best = dist + rb * K, *y = k->y;
  /* ||e_c||^2, each in double in order */
  VG_FOR_ROWS(K, D, {
    double s = 0;
    for (int64_t d = 0; d < D; d++) s += (double)e[i * D + d] * e[i * D + d];
    norm[i] = (vg_real)s;
  });
  for (int64_t r0 = 0; r0 < rows; r0 += rb) {
    const int64_t m = rows - r0 < rb ? rows - r0 : rb;
    /* dist[c, r] = -2 e_c . z_r (times -2 is exact) */
    vg_gemm_real(0, 1, (int)K, (int)m, (int)D, -2, e, (int)D, z + r0 * D, (int)D, 0, dist, (int)m);
    nearest_scan(norm, dist, K, m, best, y + r0);
  }
}

static double nearest_code_flops(const vg_graph *g, const vg_node *n) {
  const vg_shape *e = &g->nodes[n->in[1]].shape;
  return 2.0 * (double)vg_shape_numel(&n->shape) * (double)e->d[0] * (double)e->d[1];
}

VG_OP_RECORD(nearest_code) = {.name = "nearest_code", .doc = "z `[..., D]`, codebook `[K, D]` → ids `[...]`: the index of the codebook row nearest each D-vector of z (squared distance, first of ties); no gradient",
                              .nin_min = 2,
                              .nin_max = 2,
                              .flags = VG_OPF_NO_GRAD | VG_OPF_BWD_NO_X | VG_OPF_BWD_NO_Y,
                              .infer = nearest_code_infer,
                              .forward = nearest_code_forward,
                              .flops = nearest_code_flops};
