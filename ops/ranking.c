/* Ranking metrics of recommendation (Liang et al. 2018, Mult-VAE): each row
 * of scores ranks the items; items marked in `exclude` (the clicks a user's
 * row was made from) are left out of the ranking, and the top k are
 * compared with the items marked in `relevant` (the held-out clicks).
 *   recall_at_k  hits in the top k / min(k, relevant items)
 *   ndcg_at_k    sum over hits of 1 / log2(rank + 1), over the same sum for
 *                the best ranking: min(k, relevant items) hits on top
 * A row without relevant items gives 0. The first k are found with a heap of
 * k; of tied scores the lower item index ranks first; NaN ranks last. They
 * are metrics: no gradient.
 *   scores [B, N], relevant [B, N] [, exclude [B, N]] -> [B] */
#include "axis.h"

#include <math.h>
#include <stdint.h>

enum { RK_K };

static vg_status ranking_infer(vg_graph *g, vg_node *n) {
  const vg_shape *s = vg_in_shape(g, n, 0);
  char a[VG_SHAPE_STRLEN], b[VG_SHAPE_STRLEN];
  if (s->nd != 2) return vg_op_fail(g, n, VG_ERR_SHAPE, "scores '%s' must be [users, items], got %s", vg_in_name(g, n, 0), vg_shape_str(s, a, sizeof a));
  for (int k = 1; k < n->nin; k++)
    if (!vg_shape_eq(vg_in_shape(g, n, k), s))
      return vg_op_fail(g, n, VG_ERR_SHAPE, "'%s' %s must have the scores' shape %s", vg_in_name(g, n, k),
                        vg_shape_str(vg_in_shape(g, n, k), b, sizeof b), vg_shape_str(s, a, sizeof a));
  const double K = n->attr.v[RK_K];
  if (!(K >= 1) || K != floor(K) || K > s->d[1])
    return vg_op_fail(g, n, VG_ERR_ARG, "k must be a whole number from 1 to the %lld items, got %g", (long long)s->d[1], K);
  n->shape = vg_shape_drop(s, 1);
  if (s->d[1] > INT32_MAX) return vg_op_fail(g, n, VG_ERR_SHAPE, "more than 2^31 items (%lld)", (long long)s->d[1]);
  n->scratch_thread_len = (size_t)K; /* the heap of item indices, an int32 per real */
  return VG_OK;
}

/* a ranks before b: a higher score, or an equal one and a lower index. */
static inline int before(const vg_real *s, int32_t a, int32_t b) {
  const vg_real x = isnan(s[a]) ? -INFINITY : s[a], y = isnan(s[b]) ? -INFINITY : s[b];
  return x > y || (x == y && a < b);
}

/* heap[0..m): a heap whose root ranks last, so a better item replaces it. */
static void sift_down(const vg_real *s, int32_t *heap, int64_t m, int64_t i) {
  for (;;) {
    int64_t l = 2 * i + 1, r = l + 1, w = i;
    if (l < m && before(s, heap[w], heap[l])) w = l;
    if (r < m && before(s, heap[w], heap[r])) w = r;
    if (w == i) return;
    const int32_t t = heap[i];
    heap[i] = heap[w], heap[w] = t, i = w;
  }
}

/* The top m (<= k) items of a row into heap[0..m), best first. */
static int64_t top_items(const vg_real *s, const vg_real *ex, int64_t N, int64_t k, int32_t *heap) {
  int64_t m = 0;
  for (int64_t j = 0; j < N; j++) {
    if (ex && ex[j] > 0) continue;
    if (m < k) {
      heap[m++] = (int32_t)j;
      for (int64_t i = m - 1; i > 0 && before(s, heap[(i - 1) / 2], heap[i]); i = (i - 1) / 2) {
        const int32_t t = heap[i];
        heap[i] = heap[(i - 1) / 2], heap[(i - 1) / 2] = t;
      }
    } else if (before(s, (int32_t)j, heap[0])) {
      heap[0] = (int32_t)j;
      sift_down(s, heap, m, 0);
    }
  }
  /* heap sort: the worst goes last, leaving heap[] best first */
  for (int64_t end = m - 1; end > 0; end--) {
    const int32_t t = heap[0];
    heap[0] = heap[end], heap[end] = t;
    sift_down(s, heap, end, 0);
  }
  return m;
}

static void ranking_forward(const vg_kernel *k, int ndcg) {
  const int64_t B = k->xs[0]->d[0], N = k->xs[0]->d[1], K = (int64_t)k->a->v[RK_K];
  const vg_real *scores = k->x[0], *rel = k->x[1], *ex = k->nin > 2 ? k->x[2] : NULL;
  vg_real *y = k->y;
  VG_FOR_ROWS(B, N, {
    /* this thread's heap: an int32 per real of its scratch */
    int32_t *heap = (int32_t *)vg_thread_scratch(k);
    const vg_real *s = scores + i * N, *r = rel + i * N;
    int64_t nrel = 0;
    for (int64_t j = 0; j < N; j++) nrel += r[j] > 0;
    const int64_t m = top_items(s, ex ? ex + i * N : NULL, N, K, heap), best = nrel < K ? nrel : K;
    double hit = 0, ideal = 0;
    for (int64_t t = 0; t < m; t++)
      if (r[heap[t]] > 0) hit += ndcg ? 1 / log2((double)t + 2) : 1;
    for (int64_t t = 0; ndcg && t < best; t++) ideal += 1 / log2((double)t + 2);
    y[i] = best == 0 ? 0 : (vg_real)(ndcg ? hit / ideal : hit / (double)best);
  });
}

static void recall_at_k_forward(const vg_kernel *k) { ranking_forward(k, 0); }
static void ndcg_at_k_forward(const vg_kernel *k) { ranking_forward(k, 1); }

VG_OP_RECORD(recall_at_k) = {.name = "recall_at_k",
                             .doc = "scores `[B, N]`, relevant `[B, N]` [, exclude] → `[B]`: hits among the top `k` items "
                                    "(excluded ones left out) / min(k, relevant items); no gradient",
                             .nin_min = 2,
                             .nin_max = 3,
                             .flags = VG_OPF_NO_GRAD,
                             .attrs = {[RK_K] = {"k", VG_ATTR_INT, 0, NULL}},
                             .infer = ranking_infer,
                             .forward = recall_at_k_forward};

VG_OP_RECORD(ndcg_at_k) = {.name = "ndcg_at_k",
                           .doc = "scores `[B, N]`, relevant `[B, N]` [, exclude] → `[B]`: the top `k`'s DCG (1 / log2(rank + 1) "
                                  "per hit) over the best possible; no gradient",
                           .nin_min = 2,
                           .nin_max = 3,
                           .flags = VG_OPF_NO_GRAD,
                           .attrs = {[RK_K] = {"k", VG_ATTR_INT, 0, NULL}},
                           .infer = ranking_infer,
                           .forward = ndcg_at_k_forward};
