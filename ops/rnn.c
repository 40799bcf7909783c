/* Recurrent layers over a padded batch, PyTorch's gate layout and equations.
 * One op runs the whole recurrence (not a node per time step).
 *
 *   lstm(x [B,T,E], lengths [B], W_ih [4H,E], W_hh [4H,H], b_ih [4H], b_hh [4H]
 *        [, h0 [B,H] [, c0 [B,H]]])   gates i, f, g, o
 *   gru (x [B,T,E], lengths [B], W_ih [3H,E], W_hh [3H,H], b_ih [3H], b_hh [3H]
 *        [, h0 [B,H]])                gates r, z, n
 *
 * Sentence b runs for lengths[b] steps, a whole number in [0, T] (the
 * op's check refuses others; kernels called without it clamp them there);
 * padding takes no part and gets no gradient. `output`:
 *   sequence  [B,T,H], the hidden state at each position, 0 at padding
 *   last      [B,H], the state after each sentence's last token (h0, or 0,
 *             for an empty one)
 *   state     [B,2H] for the LSTM (h then c), [B,H] for the GRU: what a
 *             decoder run one step at a time feeds back as h0 (and c0).
 *
 * Inside, the batch is packed as PyTorch's PackedSequence: sentences sorted
 * by length, longest first, and positions stored time step by time step, so
 * step t's sentences are the first n_t rows of its block. No work is spent
 * on padding: the input projection and the weight gradients are one GEMM
 * each over the N real positions, and step t's recurrent GEMM has n_t rows.
 *
 * Saved for the backward, by packed row: the gates after their
 * nonlinearities, the hidden states, and the LSTM's cells (the GRU's
 * W_hn h + b_hn); then the packing itself. */
#include "kernel.h"
#include "vmath.h"

enum { RNN_SEQUENCE, RNN_LAST, RNN_STATE }; /* the `output` attribute's choices */
enum { RNN_OUTPUT };                       /* attribute slots */
enum { IN_X, IN_LEN, IN_WIH, IN_WHH, IN_BIH, IN_BHH, IN_H0, IN_C0 };

typedef struct rnn_dims {
  int64_t B, T, E, H;
} rnn_dims;

static rnn_dims dims_of(const vg_kernel *k) {
  return (rnn_dims){k->xs[IN_X]->d[0], k->xs[IN_X]->d[1], k->xs[IN_X]->d[2], k->xs[IN_WHH]->d[1]};
}

/* The packing: sorted[s] is the sentence in sorted position s, len[s] its
 * length, off[t] the first packed row of step t (off[steps] = N). */
typedef struct packing {
  int32_t *sorted, *len, *off;
  int64_t steps, N;
} packing;

/* Its int32 arrays live after `reals` values of the saved buffer. */
static packing packing_at(const vg_kernel *k, rnn_dims d, size_t reals) {
  int32_t *p = (int32_t *)(void *)(k->saved + reals);
  return (packing){p, p + d.B, p + 2 * d.B, 0, 0};
}

static void pack_lengths(const vg_real *lengths, rnn_dims d, packing *pk) {
  for (int64_t b = 0; b < d.B; b++) {
    const int32_t L = (int32_t)vg_length_in(lengths[b], d.T);
    int64_t s = b; /* insertion sort, longest first, ties in batch order */
    while (s > 0 && pk->len[s - 1] < L) pk->sorted[s] = pk->sorted[s - 1], pk->len[s] = pk->len[s - 1], s--;
    pk->sorted[s] = (int32_t)b, pk->len[s] = L;
  }
  pk->steps = d.B ? pk->len[0] : 0;
  int64_t n = d.B, row = 0;
  for (int64_t t = 0; t < pk->steps; t++) {
    while (n > 0 && pk->len[n - 1] <= t) n--;
    pk->off[t] = (int32_t)row;
    row += n;
  }
  pk->off[pk->steps] = (int32_t)row;
  pk->N = row;
}

static void read_packing(packing *pk, rnn_dims d) {
  pk->steps = d.B ? pk->len[0] : 0;
  pk->N = pk->off[pk->steps];
}

static inline int64_t rows_at(const packing *pk, int64_t t) { return pk->off[t + 1] - pk->off[t]; }

/* xp[packed row] = x[b, t] */
static void gather_inputs(const vg_real *x, rnn_dims d, const packing *pk, vg_real *xp) {
  for (int64_t t = 0; t < pk->steps; t++)
    for (int64_t s = 0; s < rows_at(pk, t); s++)
      memcpy(xp + (pk->off[t] + s) * d.E, x + ((int64_t)pk->sorted[s] * d.T + t) * d.E, (size_t)d.E * sizeof *xp);
}

/* dx[b, t] += dxp[packed row] */
static void scatter_add_inputs(const vg_real *dxp, rnn_dims d, const packing *pk, vg_real *dx) {
  for (int64_t t = 0; t < pk->steps; t++)
    for (int64_t s = 0; s < rows_at(pk, t); s++) {
      vg_real *dst = dx + ((int64_t)pk->sorted[s] * d.T + t) * d.E;
      const vg_real *src = dxp + (pk->off[t] + s) * d.E;
      for (int64_t e = 0; e < d.E; e++) dst[e] += src[e];
    }
}

/* dst[s] = src[sorted[s]] (rows of H), or 0 without src. */
static void gather_state(const vg_real *src, rnn_dims d, const packing *pk, vg_real *dst) {
  for (int64_t s = 0; s < d.B; s++) {
    if (src) memcpy(dst + s * d.H, src + (int64_t)pk->sorted[s] * d.H, (size_t)d.H * sizeof *dst);
    else memset(dst + s * d.H, 0, (size_t)d.H * sizeof *dst);
  }
}

static void scatter_add_state(const vg_real *src, rnn_dims d, const packing *pk, vg_real *dst) {
  if (!dst) return;
  for (int64_t s = 0; s < d.B; s++)
    for (int64_t j = 0; j < d.H; j++) dst[(int64_t)pk->sorted[s] * d.H + j] += src[s * d.H + j];
}

/* Shape checks shared by both layers; `gates` is 4 or 3. */
static vg_status rnn_infer(vg_graph *g, vg_node *n, int gates) {
  const vg_shape *x = vg_in_shape(g, n, IN_X), *len = vg_in_shape(g, n, IN_LEN), *whh = vg_in_shape(g, n, IN_WHH);
  char s1[VG_SHAPE_STRLEN], s2[VG_SHAPE_STRLEN], s3[VG_SHAPE_STRLEN];
  if (x->nd != 3) return vg_op_fail(g, n, VG_ERR_SHAPE, "input must be [batch, time, features], got %s", vg_shape_str(x, s1, sizeof s1));
  const int64_t B = x->d[0], T = x->d[1], E = x->d[2];
  if (whh->nd != 2 || whh->d[0] != gates * whh->d[1])
    return vg_op_fail(g, n, VG_ERR_SHAPE, "W_hh '%s' must be [%d*hidden, hidden], got %s", vg_in_name(g, n, IN_WHH), gates,
                      vg_shape_str(whh, s1, sizeof s1));
  const int64_t H = whh->d[1];
  if (len->nd != 1 || len->d[0] != B)
    return vg_op_fail(g, n, VG_ERR_SHAPE, "lengths '%s' must be [%lld] (one per sentence), got %s", vg_in_name(g, n, IN_LEN),
                      (long long)B, vg_shape_str(len, s1, sizeof s1));
  const struct {
    int in;
    vg_shape want;
  } expect[] = {{IN_WIH, vg_shape_of(2, (int64_t[]){gates * H, E})}, {IN_BIH, vg_shape_of(1, (int64_t[]){gates * H})},
                {IN_BHH, vg_shape_of(1, (int64_t[]){gates * H})}, {IN_H0, vg_shape_of(2, (int64_t[]){B, H})},
                {IN_C0, vg_shape_of(2, (int64_t[]){B, H})}};
  for (size_t i = 0; i < sizeof expect / sizeof *expect; i++) {
    if (expect[i].in >= n->nin) continue;
    const vg_shape *s = vg_in_shape(g, n, expect[i].in);
    if (!vg_shape_eq(s, &expect[i].want))
      return vg_op_fail(g, n, VG_ERR_SHAPE, "input %d '%s' must be %s, got %s (input %s, hidden %lld)", expect[i].in + 1,
                        vg_in_name(g, n, expect[i].in), vg_shape_str(&expect[i].want, s1, sizeof s1),
                        vg_shape_str(s, s2, sizeof s2), vg_shape_str(x, s3, sizeof s3), (long long)H);
  }
  const int out = (int)n->attr.v[RNN_OUTPUT];
  if (out == RNN_SEQUENCE) n->shape = vg_shape_of(3, (int64_t[]){B, T, H});
  else n->shape = vg_shape_of(2, (int64_t[]){B, out == RNN_STATE && gates == 4 ? 2 * H : H});
  if (B * T * gates * H > INT32_MAX || B * T * E > INT32_MAX)
    return vg_op_fail(g, n, VG_ERR_SHAPE, "matrix dimensions past 2^31 (input %s)", vg_shape_str(x, s1, sizeof s1));
  /* saved: by packed row the gates, hidden states and the cells (LSTM) or
   * W_hn h + b_hn (GRU); then the packing's 3 int32 arrays (in reals of at
   * least 4 bytes). scratch: the gates' gradients (two sets for the GRU),
   * the packed inputs and the shifted hidden states, and [B,H] rows for the
   * initial states and the running gradients. */
  const int64_t N = B * T;
  n->saved_len = (size_t)(N * (gates + 2) * H + 2 * B + T + 1);
  n->scratch_len = (size_t)(N * ((gates == 4 ? 4 : 6) * H + E + H) + 5 * B * H);
  return VG_OK;
}

static int rnn_check(const vg_kernel *k, char *msg, size_t len) {
  return vg_check_whole(k, IN_LEN, 0, (double)k->xs[IN_X]->d[1], NAN, "length", msg, len);
}

/* The input projection of every packed row: G = xp W_ih^T + b_ih (+ b2). */
static void project_inputs(const vg_kernel *k, rnn_dims d, int gates, int64_t N, const vg_real *xp, const vg_real *b2,
                           vg_real *G) {
  const int64_t C = gates * d.H;
  if (!N) return;
  vg_gemm_real(0, 1, (int)N, (int)C, (int)d.E, 1, xp, (int)d.E, k->x[IN_WIH], (int)d.E, 0, G, (int)C);
  const vg_real *b1 = k->x[IN_BIH];
#pragma omp parallel for schedule(static) if (N * C >= VG_PAR_MIN)
  for (int64_t r = 0; r < N; r++)
    for (int64_t j = 0; j < C; j++) G[r * C + j] += b1[j] + (b2 ? b2[j] : 0);
}

/* The hidden state before each packed row: hprev[t, s] = h[t-1, s], the
 * sorted initial state at t = 0. */
static void shift_hidden(const vg_real *hs, const vg_real *h0s, rnn_dims d, const packing *pk, vg_real *hprev) {
  if (!pk->steps) return;
  memcpy(hprev, h0s, (size_t)(rows_at(pk, 0) * d.H) * sizeof *hprev);
  for (int64_t t = 1; t < pk->steps; t++)
    memcpy(hprev + pk->off[t] * d.H, hs + pk->off[t - 1] * d.H, (size_t)(rows_at(pk, t) * d.H) * sizeof *hprev);
}

/* From the gates' gradients: into W_ih, b_ih and the input (dGx), W_hh and
 * b_hh (dGh; the same as dGx for the LSTM). xp holds the packed inputs and
 * is overwritten. */
static void input_and_weight_grads(const vg_kernel *k, rnn_dims d, int gates, const packing *pk, const vg_real *dGx,
                                   const vg_real *dGh, const vg_real *hprev, vg_real *xp) {
  const int M = (int)pk->N, C = (int)(gates * d.H), E = (int)d.E, H = (int)d.H;
  if (!M) return;
  if (k->dx[IN_WIH]) vg_gemm_real(1, 0, C, E, M, 1, dGx, C, xp, E, 1, k->dx[IN_WIH], E);
  if (k->dx[IN_WHH]) vg_gemm_real(1, 0, C, H, M, 1, dGh, C, hprev, H, 1, k->dx[IN_WHH], H);
  if (k->dx[IN_BIH]) vg_column_sums(dGx, M, C, 0, k->dx[IN_BIH]);
  if (k->dx[IN_BHH]) vg_column_sums(dGh, M, C, 0, k->dx[IN_BHH]);
  if (k->dx[IN_X]) {
    vg_gemm_real(0, 0, M, E, C, 1, dGx, C, k->x[IN_WIH], E, 0, xp, E);
    scatter_add_inputs(xp, d, pk, k->dx[IN_X]);
  }
}

/* The output from the packed hidden states hs (and cells cs, LSTM state
 * only); h0s, c0s: the sorted initial states, for empty sentences. */
static void write_output(const vg_kernel *k, rnn_dims d, const packing *pk, const vg_real *hs, const vg_real *cs,
                         const vg_real *h0s, const vg_real *c0s) {
  const int out = (int)k->a->v[RNN_OUTPUT];
  const int64_t H = d.H, T = d.T;
  const size_t row = (size_t)H * sizeof *hs;
  vg_real *y = k->y;
  if (out == RNN_SEQUENCE) {
    memset(y, 0, (size_t)(d.B * T) * row);
    for (int64_t t = 0; t < pk->steps; t++)
      for (int64_t s = 0; s < rows_at(pk, t); s++)
        memcpy(y + ((int64_t)pk->sorted[s] * T + t) * H, hs + (pk->off[t] + s) * H, row);
    return;
  }
  const int64_t width = out == RNN_STATE && cs ? 2 * H : H;
  for (int64_t s = 0; s < d.B; s++) {
    const int64_t L = pk->len[s];
    vg_real *dst = y + (int64_t)pk->sorted[s] * width;
    memcpy(dst, L ? hs + (pk->off[L - 1] + s) * H : h0s + s * H, row);
    if (width == 2 * H) memcpy(dst + H, L ? cs + (pk->off[L - 1] + s) * H : c0s + s * H, row);
  }
}

/* The running gradients of the sorted states before the sweep back: the
 * output's gradient for `last` and `state` (each sentence's enters at its
 * last step, which the sweep reaches with the gradient untouched), else 0. */
static void init_state_grads(const vg_kernel *k, rnn_dims d, const packing *pk, vg_real *dh, vg_real *dc) {
  const int out = (int)k->a->v[RNN_OUTPUT];
  const int64_t H = d.H, width = out == RNN_STATE && dc ? 2 * H : H;
  const size_t row = (size_t)H * sizeof *dh;
  for (int64_t s = 0; s < d.B; s++) {
    const vg_real *g = k->dy + (int64_t)pk->sorted[s] * width;
    if (out == RNN_SEQUENCE) memset(dh + s * H, 0, row);
    else memcpy(dh + s * H, g, row);
    if (dc && out == RNN_STATE) memcpy(dc + s * H, g + H, row);
    else if (dc) memset(dc + s * H, 0, row);
  }
}

/* Threads split a step's rows when the step is big enough to pay for the
 * fork. */
#define ROWS_PARALLEL _Pragma("omp parallel for schedule(static) if (n * d.H >= 4096)")

/* ---- LSTM ---- */

static vg_status lstm_infer(vg_graph *g, vg_node *n) { return rnn_infer(g, n, 4); }

static void lstm_forward(const vg_kernel *k) {
  const rnn_dims d = dims_of(k);
  const int64_t N0 = d.B * d.T, H = d.H, G = 4 * H;
  const vg_real *whh = k->x[IN_WHH];
  vg_real *gates = k->saved, *cs = gates + N0 * G, *hs = cs + N0 * H;
  vg_real *xp = k->scratch, *h0s = xp + N0 * d.E, *c0s = h0s + d.B * H;
  packing pk = packing_at(k, d, (size_t)(N0 * 6 * H));
  pack_lengths(k->x[IN_LEN], d, &pk);
  gather_state(k->nin > IN_H0 ? k->x[IN_H0] : NULL, d, &pk, h0s);
  gather_state(k->nin > IN_C0 ? k->x[IN_C0] : NULL, d, &pk, c0s);
  gather_inputs(k->x[IN_X], d, &pk, xp);
  project_inputs(k, d, 4, pk.N, xp, k->x[IN_BHH], gates);
  for (int64_t t = 0; t < pk.steps; t++) {
    const int64_t n = rows_at(&pk, t), r0 = pk.off[t];
    const vg_real *hp = t ? hs + pk.off[t - 1] * H : h0s, *cp = t ? cs + pk.off[t - 1] * H : c0s;
    vg_gemm_real(0, 1, (int)n, (int)G, (int)H, 1, hp, (int)H, whh, (int)H, 1, gates + r0 * G, (int)G);
    ROWS_PARALLEL
    for (int64_t s = 0; s < n; s++) {
      vg_real *a = gates + (r0 + s) * G, *c = cs + (r0 + s) * H, *h = hs + (r0 + s) * H;
      const vg_real *cps = cp + s * H;
      for (int64_t j = 0; j < 2 * H; j++) a[j] = vg_sigmoid(a[j]);
      for (int64_t j = 2 * H; j < 3 * H; j++) a[j] = vg_tanh(a[j]);
      for (int64_t j = 3 * H; j < G; j++) a[j] = vg_sigmoid(a[j]);
      for (int64_t j = 0; j < H; j++) c[j] = a[H + j] * cps[j] + a[j] * a[2 * H + j];
      for (int64_t j = 0; j < H; j++) h[j] = a[3 * H + j] * vg_tanh(c[j]);
    }
  }
  write_output(k, d, &pk, hs, cs, h0s, c0s);
}

static void lstm_backward(const vg_kernel *k) {
  const rnn_dims d = dims_of(k);
  const int64_t N0 = d.B * d.T, H = d.H, G = 4 * H;
  const int out = (int)k->a->v[RNN_OUTPUT];
  const vg_real *whh = k->x[IN_WHH], *dy = k->dy;
  const vg_real *gates = k->saved, *cs = gates + N0 * G, *hs = cs + N0 * H;
  vg_real *xp = k->scratch, *h0s = xp + N0 * d.E, *c0s = h0s + d.B * H, *dG = c0s + d.B * H;
  vg_real *hprev = dG + N0 * G, *dh = hprev + N0 * H, *dc = dh + d.B * H, *dhr = dc + d.B * H;
  packing pk = packing_at(k, d, (size_t)(N0 * 6 * H));
  read_packing(&pk, d);
  gather_state(k->nin > IN_H0 ? k->x[IN_H0] : NULL, d, &pk, h0s);
  gather_state(k->nin > IN_C0 ? k->x[IN_C0] : NULL, d, &pk, c0s);
  init_state_grads(k, d, &pk, dh, dc);
  for (int64_t t = pk.steps - 1; t >= 0; t--) {
    const int64_t n = rows_at(&pk, t), r0 = pk.off[t];
    const vg_real *cp = t ? cs + pk.off[t - 1] * H : c0s;
    ROWS_PARALLEL
    for (int64_t s = 0; s < n; s++) {
      vg_real *g = dG + (r0 + s) * G, *dhs = dh + s * H, *dcs = dc + s * H;
      const vg_real *a = gates + (r0 + s) * G, *c = cs + (r0 + s) * H, *cps = cp + s * H;
      if (out == RNN_SEQUENCE) {
        const vg_real *dys = dy + ((int64_t)pk.sorted[s] * d.T + t) * H;
        for (int64_t j = 0; j < H; j++) dhs[j] += dys[j];
      }
      for (int64_t j = 0; j < H; j++) {
        const vg_real i = a[j], f = a[H + j], gg = a[2 * H + j], o = a[3 * H + j], tc = vg_tanh(c[j]);
        const vg_real dct = dcs[j] + dhs[j] * o * (1 - tc * tc);
        g[j] = dct * gg * i * (1 - i);
        g[H + j] = dct * cps[j] * f * (1 - f);
        g[2 * H + j] = dct * i * (1 - gg * gg);
        g[3 * H + j] = dhs[j] * tc * o * (1 - o);
        dcs[j] = dct * f;
      }
    }
    /* The gradient into the state before step t, for the sentences it ran. */
    vg_gemm_real(0, 0, (int)n, (int)H, (int)G, 1, dG + r0 * G, (int)G, whh, (int)H, 0, dhr, (int)H);
    memcpy(dh, dhr, (size_t)(n * H) * sizeof *dh);
  }
  scatter_add_state(dh, d, &pk, k->nin > IN_H0 ? k->dx[IN_H0] : NULL);
  scatter_add_state(dc, d, &pk, k->nin > IN_C0 ? k->dx[IN_C0] : NULL);
  shift_hidden(hs, h0s, d, &pk, hprev);
  gather_inputs(k->x[IN_X], d, &pk, xp);
  input_and_weight_grads(k, d, 4, &pk, dG, dG, hprev, xp);
}

static double rnn_flops(const vg_graph *g, const vg_node *n) {
  const vg_shape *x = &g->nodes[n->in[IN_X]].shape, *w = &g->nodes[n->in[IN_WHH]].shape;
  return 2.0 * (double)(x->d[0] * x->d[1]) * (double)w->d[0] * (double)(x->d[2] + w->d[1]);
}

#define RNN_ATTRS {[RNN_OUTPUT] = {"output", VG_ATTR_ENUM, RNN_SEQUENCE, "sequence|last|state"}}

VG_OP_RECORD(lstm) = {.name = "lstm", .doc = "x `[B, T, in]`, lengths `[B]`, weights, biases [, h0 [, c0]] → states, each sentence run for its length (made by `vg.lstm`)",
                      .nin_min = 6,
                      .nin_max = 8,
                      .flags = VG_OPF_BWD_NO_Y,
                      .nograd = 1u << IN_LEN,
                      .attrs = RNN_ATTRS,
                      .infer = lstm_infer,
                      .check = rnn_check,
                      .forward = lstm_forward,
                      .backward = lstm_backward,
                      .flops = rnn_flops};

/* ---- GRU ---- */

static vg_status gru_infer(vg_graph *g, vg_node *n) { return rnn_infer(g, n, 3); }

static void gru_forward(const vg_kernel *k) {
  const rnn_dims d = dims_of(k);
  const int64_t N0 = d.B * d.T, H = d.H, G = 3 * H;
  const vg_real *whh = k->x[IN_WHH], *bhh = k->x[IN_BHH];
  vg_real *gates = k->saved, *hn = gates + N0 * G, *hs = hn + N0 * H;
  vg_real *xp = k->scratch, *h0s = xp + N0 * d.E, *gh = h0s + d.B * H;
  packing pk = packing_at(k, d, (size_t)(N0 * 5 * H));
  pack_lengths(k->x[IN_LEN], d, &pk);
  gather_state(k->nin > IN_H0 ? k->x[IN_H0] : NULL, d, &pk, h0s);
  gather_inputs(k->x[IN_X], d, &pk, xp);
  project_inputs(k, d, 3, pk.N, xp, NULL, gates);
  for (int64_t t = 0; t < pk.steps; t++) {
    const int64_t n = rows_at(&pk, t), r0 = pk.off[t];
    const vg_real *hp = t ? hs + pk.off[t - 1] * H : h0s;
    for (int64_t s = 0; s < n; s++) memcpy(gh + s * G, bhh, (size_t)G * sizeof *gh);
    vg_gemm_real(0, 1, (int)n, (int)G, (int)H, 1, hp, (int)H, whh, (int)H, 1, gh, (int)G);
    ROWS_PARALLEL
    for (int64_t s = 0; s < n; s++) {
      vg_real *a = gates + (r0 + s) * G, *h = hs + (r0 + s) * H, *nn = hn + (r0 + s) * H;
      const vg_real *q = gh + s * G, *hps = hp + s * H;
      for (int64_t j = 0; j < 2 * H; j++) a[j] = vg_sigmoid(a[j] + q[j]);
      for (int64_t j = 0; j < H; j++) {
        nn[j] = q[2 * H + j];
        a[2 * H + j] = vg_tanh(a[2 * H + j] + a[j] * nn[j]);
      }
      for (int64_t j = 0; j < H; j++) h[j] = (1 - a[H + j]) * a[2 * H + j] + a[H + j] * hps[j];
    }
  }
  write_output(k, d, &pk, hs, NULL, h0s, NULL);
}

static void gru_backward(const vg_kernel *k) {
  const rnn_dims d = dims_of(k);
  const int64_t N0 = d.B * d.T, H = d.H, G = 3 * H;
  const int out = (int)k->a->v[RNN_OUTPUT];
  const vg_real *whh = k->x[IN_WHH], *dy = k->dy;
  const vg_real *gates = k->saved, *hn = gates + N0 * G, *hs = hn + N0 * H;
  vg_real *xp = k->scratch, *h0s = xp + N0 * d.E, *dGx = h0s + d.B * H, *dGh = dGx + N0 * G;
  vg_real *hprev = dGh + N0 * G, *dh = hprev + N0 * H, *dhr = dh + d.B * H;
  packing pk = packing_at(k, d, (size_t)(N0 * 5 * H));
  read_packing(&pk, d);
  gather_state(k->nin > IN_H0 ? k->x[IN_H0] : NULL, d, &pk, h0s);
  init_state_grads(k, d, &pk, dh, NULL);
  for (int64_t t = pk.steps - 1; t >= 0; t--) {
    const int64_t n = rows_at(&pk, t), r0 = pk.off[t];
    const vg_real *hp = t ? hs + pk.off[t - 1] * H : h0s;
    ROWS_PARALLEL
    for (int64_t s = 0; s < n; s++) {
      vg_real *gx = dGx + (r0 + s) * G, *gh = dGh + (r0 + s) * G, *dhs = dh + s * H;
      const vg_real *a = gates + (r0 + s) * G, *nn = hn + (r0 + s) * H, *hps = hp + s * H;
      if (out == RNN_SEQUENCE) {
        const vg_real *dys = dy + ((int64_t)pk.sorted[s] * d.T + t) * H;
        for (int64_t j = 0; j < H; j++) dhs[j] += dys[j];
      }
      for (int64_t j = 0; j < H; j++) {
        const vg_real r = a[j], z = a[H + j], nv = a[2 * H + j];
        const vg_real dan = dhs[j] * (1 - z) * (1 - nv * nv), daz = dhs[j] * (hps[j] - nv) * z * (1 - z);
        const vg_real dar = dan * nn[j] * r * (1 - r);
        gx[j] = gh[j] = dar;
        gx[H + j] = gh[H + j] = daz;
        gx[2 * H + j] = dan;
        gh[2 * H + j] = dan * r;
        dhs[j] *= z; /* the direct path h[t-1] -> h[t] */
      }
    }
    vg_gemm_real(0, 0, (int)n, (int)H, (int)G, 1, dGh + r0 * G, (int)G, whh, (int)H, 0, dhr, (int)H);
    for (int64_t i = 0; i < n * H; i++) dh[i] += dhr[i];
  }
  scatter_add_state(dh, d, &pk, k->nin > IN_H0 ? k->dx[IN_H0] : NULL);
  shift_hidden(hs, h0s, d, &pk, hprev);
  gather_inputs(k->x[IN_X], d, &pk, xp);
  input_and_weight_grads(k, d, 3, &pk, dGx, dGh, hprev, xp);
}

VG_OP_RECORD(gru) = {.name = "gru", .doc = "x `[B, T, in]`, lengths `[B]`, weights, biases [, h0] → states, each sentence run for its length (made by `vg.gru`)",
                     .nin_min = 6,
                     .nin_max = 7,
                     .flags = VG_OPF_BWD_NO_Y,
                     .nograd = 1u << IN_LEN,
                     .attrs = RNN_ATTRS,
                     .infer = gru_infer,
                     .check = rnn_check,
                     .forward = gru_forward,
                     .backward = gru_backward,
                     .flops = rnn_flops};
