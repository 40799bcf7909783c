/* Ops on token ids. Ids travel as reals holding whole numbers, like every
 * other tensor. The op's check refuses an id outside the vocabulary before
 * the forward runs, naming the node, the position and the value; a kernel
 * called without it gives NaN for such an id.
 *
 * embedding: rows of a table, PyTorch's F.embedding(ids, weight).
 *   ids [...], weight [V, E] -> [..., E]; the gradient goes into the rows
 *   used (a row used twice gets both), none into the ids. */
#include "kernel.h"

static vg_status embedding_infer(vg_graph *g, vg_node *n) {
  const vg_shape *ids = vg_in_shape(g, n, 0), *w = vg_in_shape(g, n, 1);
  char sw[VG_SHAPE_STRLEN];
  if (w->nd != 2)
    return vg_op_fail(g, n, VG_ERR_SHAPE, "weight '%s' must be [vocabulary, dim], got %s", vg_in_name(g, n, 1),
                      vg_shape_str(w, sw, sizeof sw));
  if (ids->nd >= VG_MAX_DIMS)
    return vg_op_fail(g, n, VG_ERR_SHAPE, "ids have %d dimensions; at most %d", ids->nd, VG_MAX_DIMS - 1);
  n->shape = *ids;
  n->shape.d[n->shape.nd++] = w->d[1];
  return VG_OK;
}

/* The row of id value v, or -1 (range first: NaN is never cast). */
static inline int64_t token_row(vg_real v, int64_t vocab) {
  if (!(v >= 0 && v < (vg_real)vocab)) return -1;
  const int64_t r = (int64_t)v;
  return (vg_real)r == v ? r : -1;
}

static int embedding_check(const vg_kernel *k, char *msg, size_t len) {
  return vg_check_whole(k, 0, 0, (double)(k->xs[1]->d[0] - 1), NAN, "id", msg, len);
}

static void embedding_forward(const vg_kernel *k) {
  const vg_real *ids = k->x[0], *w = k->x[1];
  const int64_t V = k->xs[1]->d[0], E = k->xs[1]->d[1];
  vg_real *y = k->y;
  VG_FOR(vg_numel(k->xs[0]), {
    const int64_t r = token_row(ids[i], V);
    vg_real *yi = y + i * E;
    if (r >= 0) memcpy(yi, w + r * E, (size_t)E * sizeof *yi);
    else for (int64_t e = 0; e < E; e++) yi[e] = (vg_real)NAN;
  });
}

/* Threads split the columns, each walking every token in order: no two
 * threads add into one element, and each element's sum has a fixed order. */
static void embedding_backward(const vg_kernel *k) {
  vg_real *dw = k->dx[1];
  if (!dw) return;
  const vg_real *ids = k->x[0], *dy = k->dy;
  const int64_t V = k->xs[1]->d[0], E = k->xs[1]->d[1], n = vg_numel(k->xs[0]);
  enum { COLS = 32 };
  const int64_t nb = (E + COLS - 1) / COLS;
#pragma omp parallel for schedule(static) if (n * E >= VG_PAR_MIN)
  for (int64_t b = 0; b < nb; b++) {
    const int64_t e0 = b * COLS, e1 = e0 + COLS < E ? e0 + COLS : E;
    for (int64_t i = 0; i < n; i++) {
      const int64_t r = token_row(ids[i], V);
      if (r < 0) continue;
      for (int64_t e = e0; e < e1; e++) dw[r * E + e] += dy[i * E + e];
    }
  }
}

static double embedding_flops(const vg_graph *g, const vg_node *n) {
  (void)g;
  return (double)vg_shape_numel(&n->shape);
}

VG_OP_RECORD(embedding) = {.name = "embedding", .doc = "ids `[...]`, weight `[V, E]` → `[..., E]`",
                           .nin_min = 2,
                           .nin_max = 2,
                           .flags = VG_OPF_BWD_NO_Y,
                           .nograd = 1u << 0,
                           .infer = embedding_infer,
                           .check = embedding_check,
                           .forward = embedding_forward,
                           .backward = embedding_backward,
                           .flops = embedding_flops};

/* word_dropout: in training, each id at or above `unk` becomes `unk` with
 * probability p (Bowman et al.'s word dropout on the decoder's input, which
 * makes the decoder lean on z). Ids below `unk` are the special tokens
 * (<pad> <sos> <eos>) and stay. In evaluation it passes ids through.
 *   ids [...] -> [...] */
enum { WD_P, WD_UNK };

static vg_status word_dropout_infer(vg_graph *g, vg_node *n) {
  const double p = n->attr.v[WD_P];
  if (!(p >= 0 && p <= 1)) return vg_op_fail(g, n, VG_ERR_ARG, "p must be in [0, 1], got %g", p);
  if (n->attr.v[WD_UNK] < 0) return vg_op_fail(g, n, VG_ERR_ARG, "unk must be an id >= 0, got %g", n->attr.v[WD_UNK]);
  n->shape = *vg_in_shape(g, n, 0);
  return VG_OK;
}

static void word_dropout_forward(const vg_kernel *k) {
  const vg_real *ids = k->x[0];
  vg_real *y = k->y;
  const double p = k->a->v[WD_P];
  const vg_real unk = (vg_real)k->a->v[WD_UNK];
  if (!k->training || p == 0) {
    VG_FOR(vg_numel(k->ys), y[i] = ids[i]);
    return;
  }
  const uint32_t stream = vg_rng_stream(k->node->name);
  VG_FOR(vg_numel(k->ys), {
    const int drop = ids[i] >= unk && vg_rng_uniform(k->seed, k->step, stream, vg_noise_base(k) + (uint64_t)i) < p;
    y[i] = drop ? unk : ids[i];
  });
}

VG_OP_RECORD(word_dropout) = {.name = "word_dropout", .doc = "ids → ids, each id ≥ `unk` replaced by `unk` with probability `p` in training",
                              .nin_min = 1,
                              .nin_max = 1,
                              .flags = VG_OPF_RANDOM | VG_OPF_NO_GRAD | VG_OPF_BWD_NO_X | VG_OPF_BWD_NO_Y,
                              .attrs = {[WD_P] = {"p", VG_ATTR_NUM, 0, NULL}, [WD_UNK] = {"unk", VG_ATTR_INT, 3, NULL}},
                              .infer = word_dropout_infer,
                              .forward = word_dropout_forward};
