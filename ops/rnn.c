/* Recurrent layers over a padded batch, PyTorch's gate layout and equations.
 * One op runs the whole recurrence (not a node per time step): the input
 * projection of every position is one GEMM, each step one GEMM of the
 * previous hidden state, and the weight gradients are one GEMM each after
 * the backward sweep.
 *
 *   lstm(x [B,T,E], lengths [B], W_ih [4H,E], W_hh [4H,H], b_ih [4H], b_hh [4H]
 *        [, h0 [B,H] [, c0 [B,H]]])   gates i, f, g, o
 *   gru (x [B,T,E], lengths [B], W_ih [3H,E], W_hh [3H,H], b_ih [3H], b_hh [3H]
 *        [, h0 [B,H]])                gates r, z, n
 *
 * Sentence b runs for lengths[b] steps (clamped to [0, T]); after that its
 * state is carried unchanged, so padding never touches it and gets no
 * gradient. `output`:
 *   sequence  [B,T,H], the hidden state at each position, 0 at padding
 *   last      [B,H], the state after each sentence's last token
 *   state     [B,2H] for the LSTM (h then c), [B,H] for the GRU: what a
 *             decoder run one step at a time feeds back as h0 (and c0).
 *
 * Saved for the backward: the gates after their nonlinearities, the hidden
 * states (and the LSTM's cells, the GRU's W_hn h + b_hn), [B,T,.] each. */
#include "kernel.h"
#include "vmath.h"

enum { RNN_SEQUENCE, RNN_LAST, RNN_STATE };
enum { IN_X, IN_LEN, IN_WIH, IN_WHH, IN_BIH, IN_BHH, IN_H0, IN_C0 };

typedef struct rnn_dims {
  int64_t B, T, E, H;
} rnn_dims;

static rnn_dims dims_of(const vg_kernel *k) {
  return (rnn_dims){k->xs[IN_X]->d[0], k->xs[IN_X]->d[1], k->xs[IN_X]->d[2], k->xs[IN_WHH]->d[1]};
}

static inline int64_t seq_len(const vg_real *lengths, int64_t b, int64_t T) {
  const vg_real l = lengths[b];
  return l <= 0 ? 0 : l >= (vg_real)T ? T : (int64_t)l;
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
  const int out = (int)n->attr.v[0];
  if (out == RNN_SEQUENCE) n->shape = vg_shape_of(3, (int64_t[]){B, T, H});
  else n->shape = vg_shape_of(2, (int64_t[]){B, out == RNN_STATE && gates == 4 ? 2 * H : H});
  if (B * T * gates * H > INT32_MAX) return vg_op_fail(g, n, VG_ERR_SHAPE, "matrix dimensions past 2^31 (input %s)", vg_shape_str(x, s1, sizeof s1));
  /* saved: gates, the cells (LSTM) or W_hn h + b_hn (GRU), hidden states.
   * scratch: the gates' gradients (two sets for the GRU), the shifted
   * hidden states, and three [B,H] rows of running gradients. */
  n->saved_len = (size_t)(B * T * (gates + 2) * H);
  n->scratch_len = (size_t)(B * T * (gates == 4 ? 4 : 6) * H + B * T * H + 3 * B * H);
  return VG_OK;
}

/* rows x cols matrix m: dst[j] += sum over rows of m[., j], column blocks
 * split among threads, rows added in order. */
static void colsum_add(const vg_real *m, int64_t rows, int64_t cols, vg_real *dst) {
  if (!dst) return;
  enum { BLK = 64 };
  const int64_t nb = (cols + BLK - 1) / BLK;
#pragma omp parallel for schedule(static) if (rows * cols >= VG_PAR_MIN)
  for (int64_t blk = 0; blk < nb; blk++) {
    const int64_t j0 = blk * BLK, j1 = j0 + BLK < cols ? j0 + BLK : cols;
    double acc[BLK] = {0};
    for (int64_t r = 0; r < rows; r++)
      for (int64_t j = j0; j < j1; j++) acc[j - j0] += m[r * cols + j];
    for (int64_t j = j0; j < j1; j++) dst[j] += (vg_real)acc[j - j0];
  }
}

/* The input projection of every position: G = x W_ih^T + bias rows. */
static void project_inputs(const vg_kernel *k, rnn_dims d, int gates, const vg_real *bias2, vg_real *G) {
  const int64_t N = gates * d.H;
  vg_gemm_real(0, 1, (int)(d.B * d.T), (int)N, (int)d.E, 1, k->x[IN_X], (int)d.E, k->x[IN_WIH], (int)d.E, 0, G, (int)N);
  const vg_real *b1 = k->x[IN_BIH];
#pragma omp parallel for schedule(static) if (d.B * d.T * N >= VG_PAR_MIN)
  for (int64_t r = 0; r < d.B * d.T; r++)
    for (int64_t j = 0; j < N; j++) G[r * N + j] += b1[j] + (bias2 ? bias2[j] : 0);
}

/* The hidden states shifted one step: hprev[b,t] = h[b,t-1], h0 (or 0) at
 * t = 0, for the W_hh gradient as one GEMM. */
static void shift_hidden(const vg_real *hs, const vg_real *h0, rnn_dims d, vg_real *hprev) {
  const size_t row = (size_t)d.H * sizeof *hs;
  for (int64_t b = 0; b < d.B; b++) {
    if (h0) memcpy(hprev + b * d.T * d.H, h0 + b * d.H, row);
    else memset(hprev + b * d.T * d.H, 0, row);
    memcpy(hprev + (b * d.T + 1) * d.H, hs + b * d.T * d.H, row * (size_t)(d.T - 1));
  }
}

/* What every layer's backward ends with, from the gates' gradients: into
 * the input, W_ih, b_ih (dGx) and W_hh, b_hh (dGh, the same as dGx for
 * the LSTM). */
static void input_and_weight_grads(const vg_kernel *k, rnn_dims d, int gates, const vg_real *dGx, const vg_real *dGh,
                                   const vg_real *hprev) {
  const int M = (int)(d.B * d.T), N = (int)(gates * d.H), E = (int)d.E, H = (int)d.H;
  if (k->dx[IN_X]) vg_gemm_real(0, 0, M, E, N, 1, dGx, N, k->x[IN_WIH], E, 1, k->dx[IN_X], E);
  if (k->dx[IN_WIH]) vg_gemm_real(1, 0, N, E, M, 1, dGx, N, k->x[IN_X], E, 1, k->dx[IN_WIH], E);
  if (k->dx[IN_WHH]) vg_gemm_real(1, 0, N, H, M, 1, dGh, N, hprev, H, 1, k->dx[IN_WHH], H);
  colsum_add(dGx, M, N, k->dx[IN_BIH]);
  colsum_add(dGh, M, N, k->dx[IN_BHH]);
}

/* The output from the hidden states hs (and cells cs, LSTM state only). */
static void write_output(const vg_kernel *k, rnn_dims d, const vg_real *hs, const vg_real *cs) {
  const vg_real *lengths = k->x[IN_LEN];
  const int out = (int)k->a->v[0];
  const int64_t H = d.H, T = d.T;
  vg_real *y = k->y;
  for (int64_t b = 0; b < d.B; b++) {
    const vg_real *last = hs + (b * T + T - 1) * H;
    if (out == RNN_SEQUENCE) {
      const int64_t L = seq_len(lengths, b, T);
      memcpy(y + b * T * H, hs + b * T * H, (size_t)(L * H) * sizeof *y);
      memset(y + (b * T + L) * H, 0, (size_t)((T - L) * H) * sizeof *y);
    } else if (out == RNN_STATE && cs) {
      memcpy(y + b * 2 * H, last, (size_t)H * sizeof *y);
      memcpy(y + b * 2 * H + H, cs + (b * T + T - 1) * H, (size_t)H * sizeof *y);
    } else {
      memcpy(y + b * H, last, (size_t)H * sizeof *y);
    }
  }
}

/* The running gradients of the state before the sweep back: the output's
 * gradient for `last` and `state`, else 0. */
static void init_state_grads(const vg_kernel *k, rnn_dims d, vg_real *dh, vg_real *dc) {
  const int out = (int)k->a->v[0];
  const int64_t H = d.H;
  for (int64_t b = 0; b < d.B; b++) {
    if (out == RNN_SEQUENCE) memset(dh + b * H, 0, (size_t)H * sizeof *dh);
    else memcpy(dh + b * H, k->dy + b * (out == RNN_STATE && dc ? 2 : 1) * H, (size_t)H * sizeof *dh);
    if (!dc) continue;
    if (out == RNN_STATE) memcpy(dc + b * H, k->dy + b * 2 * H + H, (size_t)H * sizeof *dc);
    else memset(dc + b * H, 0, (size_t)H * sizeof *dc);
  }
}

static void add_into(vg_real *dst, const vg_real *src, int64_t n) {
  if (dst) VG_FOR(n, dst[i] += src[i]);
}

/* Threads split the batch within a step when the step is big enough to pay
 * for the fork. */
#define ROWS_PARALLEL _Pragma("omp parallel for schedule(static) if (d.B * d.H >= 4096)")

/* ---- LSTM ---- */

static vg_status lstm_infer(vg_graph *g, vg_node *n) { return rnn_infer(g, n, 4); }

static void lstm_forward(const vg_kernel *k) {
  const rnn_dims d = dims_of(k);
  const int64_t B = d.B, T = d.T, H = d.H, G = 4 * H;
  const vg_real *lengths = k->x[IN_LEN], *whh = k->x[IN_WHH];
  const vg_real *h0 = k->nin > IN_H0 ? k->x[IN_H0] : NULL, *c0 = k->nin > IN_C0 ? k->x[IN_C0] : NULL;
  vg_real *gates = k->saved, *cs = gates + B * T * G, *hs = cs + B * T * H;
  project_inputs(k, d, 4, k->x[IN_BHH], gates);
  for (int64_t t = 0; t < T; t++) {
    if (t > 0)
      vg_gemm_real(0, 1, (int)B, (int)G, (int)H, 1, hs + (t - 1) * H, (int)(T * H), whh, (int)H, 1, gates + t * G, (int)(T * G));
    else if (h0)
      vg_gemm_real(0, 1, (int)B, (int)G, (int)H, 1, h0, (int)H, whh, (int)H, 1, gates, (int)(T * G));
    ROWS_PARALLEL
    for (int64_t b = 0; b < B; b++) {
      vg_real *a = gates + (b * T + t) * G, *c = cs + (b * T + t) * H, *h = hs + (b * T + t) * H;
      const vg_real *cp = t ? c - H : c0 ? c0 + b * H : NULL, *hp = t ? h - H : h0 ? h0 + b * H : NULL;
      if (t >= seq_len(lengths, b, T)) {
        for (int64_t j = 0; j < H; j++) c[j] = cp ? cp[j] : 0, h[j] = hp ? hp[j] : 0;
        continue;
      }
      for (int64_t j = 0; j < 2 * H; j++) a[j] = vg_sigmoid(a[j]);
      for (int64_t j = 2 * H; j < 3 * H; j++) a[j] = vg_tanh(a[j]);
      for (int64_t j = 3 * H; j < G; j++) a[j] = vg_sigmoid(a[j]);
      if (cp)
        for (int64_t j = 0; j < H; j++) c[j] = a[H + j] * cp[j] + a[j] * a[2 * H + j];
      else
        for (int64_t j = 0; j < H; j++) c[j] = a[j] * a[2 * H + j];
      for (int64_t j = 0; j < H; j++) h[j] = a[3 * H + j] * vg_tanh(c[j]);
    }
  }
  write_output(k, d, hs, cs);
}

static void lstm_backward(const vg_kernel *k) {
  const rnn_dims d = dims_of(k);
  const int64_t B = d.B, T = d.T, H = d.H, G = 4 * H;
  const int out = (int)k->a->v[0];
  const vg_real *lengths = k->x[IN_LEN], *whh = k->x[IN_WHH], *dy = k->dy;
  const vg_real *h0 = k->nin > IN_H0 ? k->x[IN_H0] : NULL, *c0 = k->nin > IN_C0 ? k->x[IN_C0] : NULL;
  const vg_real *gates = k->saved, *cs = gates + B * T * G, *hs = cs + B * T * H;
  vg_real *dG = k->scratch, *hprev = dG + B * T * G, *dh = hprev + B * T * H, *dc = dh + B * H, *dhr = dc + B * H;
  init_state_grads(k, d, dh, dc);
  for (int64_t t = T - 1; t >= 0; t--) {
    ROWS_PARALLEL
    for (int64_t b = 0; b < B; b++) {
      vg_real *g = dG + (b * T + t) * G, *dhb = dh + b * H, *dcb = dc + b * H;
      if (t >= seq_len(lengths, b, T)) {
        memset(g, 0, (size_t)G * sizeof *g);
        continue;
      }
      const vg_real *a = gates + (b * T + t) * G, *c = cs + (b * T + t) * H;
      const vg_real *cp = t ? c - H : c0 ? c0 + b * H : NULL;
      if (out == RNN_SEQUENCE)
        for (int64_t j = 0; j < H; j++) dhb[j] += dy[(b * T + t) * H + j];
      for (int64_t j = 0; j < H; j++) {
        const vg_real i = a[j], f = a[H + j], gg = a[2 * H + j], o = a[3 * H + j], tc = vg_tanh(c[j]);
        const vg_real dct = dcb[j] + dhb[j] * o * (1 - tc * tc);
        g[j] = dct * gg * i * (1 - i);
        g[2 * H + j] = dct * i * (1 - gg * gg);
        g[3 * H + j] = dhb[j] * tc * o * (1 - o);
        g[H + j] = cp ? dct * cp[j] * f * (1 - f) : 0;
        dcb[j] = dct * f;
      }
    }
    /* The gradient into h[t-1]; a sentence already past its end keeps the
     * one it carries. */
    vg_gemm_real(0, 0, (int)B, (int)H, (int)G, 1, dG + t * G, (int)(T * G), whh, (int)H, 0, dhr, (int)H);
    for (int64_t b = 0; b < B; b++)
      if (t < seq_len(lengths, b, T)) memcpy(dh + b * H, dhr + b * H, (size_t)H * sizeof *dh);
  }
  if (h0) add_into(k->dx[IN_H0], dh, B * H);
  if (c0) add_into(k->dx[IN_C0], dc, B * H);
  shift_hidden(hs, h0, d, hprev);
  input_and_weight_grads(k, d, 4, dG, dG, hprev);
}

static double rnn_flops(const vg_graph *g, const vg_node *n) {
  const vg_shape *x = &g->nodes[n->in[IN_X]].shape, *w = &g->nodes[n->in[IN_WHH]].shape;
  return 2.0 * (double)(x->d[0] * x->d[1]) * (double)w->d[0] * (double)(x->d[2] + w->d[1]);
}

#define RNN_ATTRS {{"output", VG_ATTR_ENUM, RNN_SEQUENCE, "sequence|last|state"}}

VG_OP_RECORD(lstm) = {.name = "lstm",
                      .nin_min = 6,
                      .nin_max = 8,
                      .flags = VG_OPF_BWD_NO_Y,
                      .nograd = 1u << IN_LEN,
                      .attrs = RNN_ATTRS,
                      .infer = lstm_infer,
                      .forward = lstm_forward,
                      .backward = lstm_backward,
                      .flops = rnn_flops};

/* ---- GRU ---- */

static vg_status gru_infer(vg_graph *g, vg_node *n) { return rnn_infer(g, n, 3); }

static void gru_forward(const vg_kernel *k) {
  const rnn_dims d = dims_of(k);
  const int64_t B = d.B, T = d.T, H = d.H, G = 3 * H;
  const vg_real *lengths = k->x[IN_LEN], *whh = k->x[IN_WHH], *bhh = k->x[IN_BHH];
  const vg_real *h0 = k->nin > IN_H0 ? k->x[IN_H0] : NULL;
  vg_real *gates = k->saved, *hn = gates + B * T * G, *hs = hn + B * T * H, *gh = k->scratch;
  project_inputs(k, d, 3, NULL, gates);
  for (int64_t t = 0; t < T; t++) {
    for (int64_t b = 0; b < B; b++) memcpy(gh + b * G, bhh, (size_t)G * sizeof *gh);
    if (t > 0)
      vg_gemm_real(0, 1, (int)B, (int)G, (int)H, 1, hs + (t - 1) * H, (int)(T * H), whh, (int)H, 1, gh, (int)G);
    else if (h0)
      vg_gemm_real(0, 1, (int)B, (int)G, (int)H, 1, h0, (int)H, whh, (int)H, 1, gh, (int)G);
    ROWS_PARALLEL
    for (int64_t b = 0; b < B; b++) {
      vg_real *a = gates + (b * T + t) * G, *h = hs + (b * T + t) * H, *n = hn + (b * T + t) * H;
      const vg_real *q = gh + b * G, *hp = t ? h - H : h0 ? h0 + b * H : NULL;
      if (t >= seq_len(lengths, b, T)) {
        for (int64_t j = 0; j < H; j++) h[j] = hp ? hp[j] : 0;
        continue;
      }
      for (int64_t j = 0; j < 2 * H; j++) a[j] = vg_sigmoid(a[j] + q[j]);
      for (int64_t j = 0; j < H; j++) {
        n[j] = q[2 * H + j];
        a[2 * H + j] = vg_tanh(a[2 * H + j] + a[j] * n[j]);
      }
      if (hp)
        for (int64_t j = 0; j < H; j++) h[j] = (1 - a[H + j]) * a[2 * H + j] + a[H + j] * hp[j];
      else
        for (int64_t j = 0; j < H; j++) h[j] = (1 - a[H + j]) * a[2 * H + j];
    }
  }
  write_output(k, d, hs, NULL);
}

static void gru_backward(const vg_kernel *k) {
  const rnn_dims d = dims_of(k);
  const int64_t B = d.B, T = d.T, H = d.H, G = 3 * H;
  const int out = (int)k->a->v[0];
  const vg_real *lengths = k->x[IN_LEN], *whh = k->x[IN_WHH], *dy = k->dy;
  const vg_real *h0 = k->nin > IN_H0 ? k->x[IN_H0] : NULL;
  const vg_real *gates = k->saved, *hn = gates + B * T * G, *hs = hn + B * T * H;
  vg_real *dGx = k->scratch, *dGh = dGx + B * T * G, *hprev = dGh + B * T * G, *dh = hprev + B * T * H, *dhr = dh + B * H;
  init_state_grads(k, d, dh, NULL);
  for (int64_t t = T - 1; t >= 0; t--) {
    ROWS_PARALLEL
    for (int64_t b = 0; b < B; b++) {
      vg_real *gx = dGx + (b * T + t) * G, *gh = dGh + (b * T + t) * G, *dhb = dh + b * H;
      if (t >= seq_len(lengths, b, T)) {
        memset(gx, 0, (size_t)G * sizeof *gx);
        memset(gh, 0, (size_t)G * sizeof *gh);
        continue;
      }
      const vg_real *a = gates + (b * T + t) * G, *n = hn + (b * T + t) * H, *h = hs + (b * T + t) * H;
      const vg_real *hp = t ? h - H : h0 ? h0 + b * H : NULL;
      if (out == RNN_SEQUENCE)
        for (int64_t j = 0; j < H; j++) dhb[j] += dy[(b * T + t) * H + j];
      for (int64_t j = 0; j < H; j++) {
        const vg_real r = a[j], z = a[H + j], nn = a[2 * H + j], hpj = hp ? hp[j] : 0;
        const vg_real dan = dhb[j] * (1 - z) * (1 - nn * nn), daz = dhb[j] * (hpj - nn) * z * (1 - z);
        const vg_real dar = dan * n[j] * r * (1 - r);
        gx[j] = gh[j] = dar;
        gx[H + j] = gh[H + j] = daz;
        gx[2 * H + j] = dan;
        gh[2 * H + j] = dan * r;
        dhb[j] *= z; /* the direct path h[t-1] -> h[t] */
      }
    }
    vg_gemm_real(0, 0, (int)B, (int)H, (int)G, 1, dGh + t * G, (int)(T * G), whh, (int)H, 0, dhr, (int)H);
    for (int64_t b = 0; b < B; b++)
      if (t < seq_len(lengths, b, T))
        for (int64_t j = 0; j < H; j++) dh[b * H + j] += dhr[b * H + j];
  }
  if (h0) add_into(k->dx[IN_H0], dh, B * H);
  shift_hidden(hs, h0, d, hprev);
  input_and_weight_grads(k, d, 3, dGx, dGh, hprev);
}

VG_OP_RECORD(gru) = {.name = "gru",
                     .nin_min = 6,
                     .nin_max = 7,
                     .flags = VG_OPF_BWD_NO_Y,
                     .nograd = 1u << IN_LEN,
                     .attrs = RNN_ATTRS,
                     .infer = gru_infer,
                     .forward = gru_forward,
                     .backward = gru_backward,
                     .flops = rnn_flops};
