/* Ops that behave differently in training and evaluation mode:
 *   batch_norm  x [B,C,...], gamma [C], beta [C], running_mean [C], running_var [C] -> y [B,C,...]
 *   dropout     x [...] -> y [...]
 * PyTorch's semantics (BatchNorm1d/2d, nn.Dropout). */
#include "kernel.h"

/* ---- batch_norm ----
 * Per feature for x [B, C], per channel for x [B, C, H, W] (any trailing
 * dimensions). Training: y = (x - mean) * invstd * gamma + beta with the
 * batch's mean and biased variance, invstd = 1 / sqrt(var + eps); the
 * running statistics (inputs 4 and 5) are updated in place,
 *   running = (1 - momentum) * running + momentum * batch
 * with the unbiased variance, as PyTorch. Evaluation: the running
 * statistics instead of the batch's, and nothing is written.
 *
 * Each channel's sums run serially, in double, in (b, pixel) order; channels
 * (or blocks of 64 features for [B, C], which keeps row reads contiguous)
 * are spread over threads, so results do not depend on the thread count.
 *
 * Under mpirun (k->coll) the batch is split over processes and its
 * statistics are the whole batch's, as PyTorch's SyncBatchNorm: each
 * process's channel sums are summed over the processes between the passes,
 * so a run on N processes normalises as one process with the same batch. */

enum { BN_X, BN_GAMMA, BN_BETA, BN_MEAN, BN_VAR };
enum { BN_MOMENTUM, BN_EPS };
#define BN_BLOCK 64

typedef struct bn_dims {
  int64_t B, C, S, n; /* batch, channels, pixels per channel and image, B*S */
  int64_t cb, nblk;   /* channels per parallel task, and tasks */
} bn_dims;

static bn_dims bn_dims_of(const vg_shape *x) {
  bn_dims d;
  d.B = x->d[0], d.C = x->d[1], d.S = 1;
  for (int i = 2; i < x->nd; i++) d.S *= x->d[i];
  d.n = d.B * d.S;
  d.cb = d.S >= 16 ? 1 : BN_BLOCK;
  d.nblk = (d.C + d.cb - 1) / d.cb;
  return d;
}

static vg_status bn_infer(vg_graph *g, vg_node *n) {
  const vg_shape *x = vg_in_shape(g, n, 0);
  char sx[VG_SHAPE_STRLEN], sp[VG_SHAPE_STRLEN];
  vg_shape_str(x, sx, sizeof sx);
  if (x->nd < 2)
    return vg_op_fail(g, n, VG_ERR_SHAPE, "input '%s' must be [B, C] or [B, C, H, W], got %s", vg_in_name(g, n, 0), sx);
  static const char *const what[] = {NULL, "gamma", "beta", "running_mean", "running_var"};
  for (int k = BN_GAMMA; k <= BN_VAR; k++) {
    const vg_shape *s = vg_in_shape(g, n, k);
    if (s->nd != 1 || s->d[0] != x->d[1])
      return vg_op_fail(g, n, VG_ERR_SHAPE, "%s '%s' must be [%lld] for input %s with %lld channels, got %s", what[k],
                        vg_in_name(g, n, k), (long long)x->d[1], sx, (long long)x->d[1],
                        vg_shape_str(s, sp, sizeof sp));
  }
  /* The running statistics are written in place in training: only state
   * (a parameter or an input) may be, and a buffer that is also another of
   * the op's inputs would change under it (beta, or mean and var at once). */
  for (int k = BN_MEAN; k <= BN_VAR; k++) {
    const vg_node *s = &g->nodes[n->in[k]];
    if (s->op != VG_OP_PARAM && s->op != VG_OP_INPUT)
      return vg_op_fail(g, n, VG_ERR_ARG,
                        "%s '%s' is the output of an op (%s); it must be a parameter or an input, since training "
                        "updates it in place",
                        what[k], s->name, vg_op_name(s->op));
    for (int j = BN_X; j < k; j++)
      if (n->in[j] == n->in[k])
        return vg_op_fail(g, n, VG_ERR_ARG,
                          "'%s' is both %s and %s; the running statistics need buffers of their own, since training "
                          "updates them in place",
                          s->name, j == BN_X ? "the input" : what[j], what[k]);
  }
  const double m = n->attr.v[BN_MOMENTUM], eps = n->attr.v[BN_EPS];
  if (!(m >= 0 && m <= 1)) return vg_op_fail(g, n, VG_ERR_ARG, "momentum must be in [0, 1], got %g", m);
  if (!(eps > 0)) return vg_op_fail(g, n, VG_ERR_ARG, "eps must be > 0, got %g", eps);
  if (vg_shape_numel(x) / x->d[1] < 2)
    return vg_op_fail(g, n, VG_ERR_SHAPE,
                      "one value per channel (input %s): batch statistics need at least 2; use a larger batch", sx);
  n->shape = *x;
  n->saved_len = (size_t)(2 * x->d[1]); /* mean, then invstd, per channel */
  /* Across processes: 2C + 1 sums in double (two reals each in a float
   * build), the channels' and the count. */
  n->scratch_len = (size_t)(2 * (2 * x->d[1] + 1));
  return VG_OK;
}

/* Channels [c0, c1) of the parallel task blk. */
#define BN_TASK(d, blk, c0, c1) \
  const int64_t c0 = (blk) * (d).cb, c1 = c0 + (d).cb < (d).C ? c0 + (d).cb : (d).C

/* s[c - c0] += the sum over the batch of channel c, for c in [c0, c1). */
static void bn_sum(const bn_dims *d, const vg_real *x, int64_t c0, int64_t c1, double *s) {
  for (int64_t b = 0; b < d->B; b++)
    for (int64_t c = c0; c < c1; c++) {
      const vg_real *p = x + (b * d->C + c) * d->S;
      double acc = s[c - c0];
      for (int64_t i = 0; i < d->S; i++) acc += p[i];
      s[c - c0] = acc;
    }
}

/* s[c - c0] += the squared deviations from mean[c]: two passes, so the
 * variance comes without cancellation. */
static void bn_sqdev(const bn_dims *d, const vg_real *x, int64_t c0, int64_t c1, const vg_real *mean, double *s) {
  for (int64_t b = 0; b < d->B; b++)
    for (int64_t c = c0; c < c1; c++) {
      const vg_real *p = x + (b * d->C + c) * d->S;
      const double m = mean[c];
      double acc = s[c - c0];
      for (int64_t i = 0; i < d->S; i++) acc += ((double)p[i] - m) * ((double)p[i] - m);
      s[c - c0] = acc;
    }
}

/* From the sums s1 (values) and s2 (squared deviations) over n values of
 * channels [c0, c1): invstd into saved, and the running statistics. */
static void bn_finish(const vg_kernel *k, int64_t C, int64_t c0, int64_t c1, const double *s1, const double *s2,
                      double n) {
  vg_real *rmean = (vg_real *)k->x[BN_MEAN], *rvar = (vg_real *)k->x[BN_VAR]; /* state this op owns, by position */
  const double mom = k->a->v[BN_MOMENTUM], eps = k->a->v[BN_EPS];
  for (int64_t c = c0; c < c1; c++) {
    const double var = s2[c - c0] / n, m = s1[c - c0] / n;
    k->saved[C + c] = (vg_real)(1 / sqrt(var + eps));
    rmean[c] = (vg_real)((1 - mom) * rmean[c] + mom * m);
    rvar[c] = (vg_real)((1 - mom) * rvar[c] + mom * s2[c - c0] / (n - 1));
  }
}

/* y = x * scale + shift over channels [c0, c1), from the statistics in
 * saved (training) or the running ones (evaluation). */
static void bn_apply(const vg_kernel *k, const bn_dims *d, int64_t c0, int64_t c1) {
  const vg_real *x = k->x[BN_X], *gamma = k->x[BN_GAMMA], *beta = k->x[BN_BETA];
  const vg_real *rmean = k->x[BN_MEAN], *rvar = k->x[BN_VAR];
  const double eps = k->a->v[BN_EPS];
  vg_real scale[BN_BLOCK], shift[BN_BLOCK];
  for (int64_t c = c0; c < c1; c++) {
    if (k->training) {
      scale[c - c0] = gamma[c] * k->saved[d->C + c];
      shift[c - c0] = beta[c] - k->saved[c] * scale[c - c0];
    } else {
      scale[c - c0] = (vg_real)(gamma[c] / sqrt((double)rvar[c] + eps));
      shift[c - c0] = beta[c] - rmean[c] * scale[c - c0];
    }
  }
  for (int64_t b = 0; b < d->B; b++)
    for (int64_t c = c0; c < c1; c++) {
      const int64_t o = (b * d->C + c) * d->S;
      const vg_real a = scale[c - c0], sh = shift[c - c0];
      for (int64_t i = 0; i < d->S; i++) k->y[o + i] = x[o + i] * a + sh;
    }
}

/* The whole batch's statistics when it is split over processes: each pass
 * over all channels, then its sums summed over the processes. */
static void bn_forward_across(const vg_kernel *k, const bn_dims *d) {
  const vg_real *x = k->x[BN_X];
  vg_real *mean = k->saved;
  double *s1 = (double *)(void *)k->scratch, *s2 = s1 + d->C + 1;
  memset(s1, 0, (size_t)(2 * d->C + 1) * sizeof *s1);
#pragma omp parallel for schedule(static) if (d->B * d->C * d->S >= VG_PAR_MIN)
  for (int64_t blk = 0; blk < d->nblk; blk++) {
    BN_TASK(*d, blk, c0, c1);
    bn_sum(d, x, c0, c1, s1 + c0);
  }
  s1[d->C] = (double)d->n;
  k->coll->sum(k->coll, s1, (size_t)d->C + 1);
  const double n = s1[d->C];
  for (int64_t c = 0; c < d->C; c++) mean[c] = (vg_real)(s1[c] / n);
#pragma omp parallel for schedule(static) if (d->B * d->C * d->S >= VG_PAR_MIN)
  for (int64_t blk = 0; blk < d->nblk; blk++) {
    BN_TASK(*d, blk, c0, c1);
    bn_sqdev(d, x, c0, c1, mean, s2 + c0);
  }
  k->coll->sum(k->coll, s2, (size_t)d->C);
  bn_finish(k, d->C, 0, d->C, s1, s2, n);
#pragma omp parallel for schedule(static) if (d->B * d->C * d->S >= VG_PAR_MIN)
  for (int64_t blk = 0; blk < d->nblk; blk++) {
    BN_TASK(*d, blk, c0, c1);
    bn_apply(k, d, c0, c1);
  }
}

static void bn_forward(const vg_kernel *k) {
  const bn_dims d = bn_dims_of(k->xs[BN_X]);
  if (k->training && k->coll) {
    bn_forward_across(k, &d);
    return;
  }
  const vg_real *x = k->x[BN_X];
  vg_real *mean = k->saved;
#pragma omp parallel for schedule(static) if (d.B * d.C * d.S >= VG_PAR_MIN)
  for (int64_t blk = 0; blk < d.nblk; blk++) {
    BN_TASK(d, blk, c0, c1);
    if (k->training) {
      double s1[BN_BLOCK] = {0}, s2[BN_BLOCK] = {0};
      bn_sum(&d, x, c0, c1, s1);
      for (int64_t c = c0; c < c1; c++) mean[c] = (vg_real)(s1[c - c0] / (double)d.n);
      bn_sqdev(&d, x, c0, c1, mean, s2);
      bn_finish(k, d.C, c0, c1, s1, s2, (double)d.n);
    }
    bn_apply(k, &d, c0, c1);
  }
}

/* Training, with xh = (x - mean) * invstd and sums over the channel:
 *   dgamma += sum(dy * xh), dbeta += sum(dy)
 *   dx += gamma * invstd * (dy - sum(dy) / n - xh * sum(dy * xh) / n)
 * Evaluation (mean, invstd from the running statistics, constants of x):
 *   dx += gamma * invstd * dy, dgamma += sum(dy * xh), dbeta += sum(dy),
 *   and, if asked, the true gradients of the running statistics:
 *   dmean += -gamma * invstd * sum(dy), dvar += -gamma * invstd^2 / 2 * sum(dy * xh).
 * In training mode y does not depend on the running statistics: their
 * gradient is zero and nothing is written.
 *
 * Across processes, the sums in dx are the whole batch's: each process's
 * dy is the batch's / share (its loss is a mean over its share), so its
 * sums are weighted by share before they are summed over the processes and
 * divided by n * share after, n the batch's count. dgamma and dbeta stay
 * this process's: the optimizer step sums them as every parameter's. */

/* mean and invstd of channels [c0, c1), as the forward used them. */
static void bn_stats(const vg_kernel *k, int64_t C, int64_t c0, int64_t c1, vg_real *mu, vg_real *is) {
  const vg_real *rmean = k->x[BN_MEAN], *rvar = k->x[BN_VAR];
  const double eps = k->a->v[BN_EPS];
  for (int64_t c = c0; c < c1; c++) {
    if (k->training) mu[c - c0] = k->saved[c], is[c - c0] = k->saved[C + c];
    else mu[c - c0] = rmean[c], is[c - c0] = (vg_real)(1 / sqrt((double)rvar[c] + eps));
  }
}

/* sdy[c - c0] += sum(dy), sdyx[c - c0] += sum(dy * xh) over channels [c0, c1). */
static void bn_dsums(const vg_kernel *k, const bn_dims *d, int64_t c0, int64_t c1, const vg_real *mu,
                     const vg_real *is, double *sdy, double *sdyx) {
  const vg_real *x = k->x[BN_X], *dy = k->dy;
  for (int64_t b = 0; b < d->B; b++)
    for (int64_t c = c0; c < c1; c++) {
      const int64_t o = (b * d->C + c) * d->S;
      const vg_real m = mu[c - c0], i = is[c - c0];
      double a1 = sdy[c - c0], a2 = sdyx[c - c0];
      for (int64_t s = 0; s < d->S; s++) {
        a1 += dy[o + s];
        a2 += (double)dy[o + s] * (double)((x[o + s] - m) * i);
      }
      sdy[c - c0] = a1, sdyx[c - c0] = a2;
    }
}

/* The parameters' and running statistics' gradients from the sums. */
static void bn_dparams(const vg_kernel *k, int64_t c0, int64_t c1, const vg_real *is, const double *sdy,
                       const double *sdyx) {
  const vg_real *gamma = k->x[BN_GAMMA];
  vg_real *dgamma = k->dx[BN_GAMMA], *dbeta = k->dx[BN_BETA];
  vg_real *dmean = k->training ? NULL : k->dx[BN_MEAN], *dvar = k->training ? NULL : k->dx[BN_VAR];
  for (int64_t c = c0; c < c1; c++) {
    if (dgamma) dgamma[c] += (vg_real)sdyx[c - c0];
    if (dbeta) dbeta[c] += (vg_real)sdy[c - c0];
    if (dmean) dmean[c] += (vg_real)(-(double)gamma[c] * is[c - c0] * sdy[c - c0]);
    if (dvar) dvar[c] += (vg_real)(-0.5 * gamma[c] * is[c - c0] * is[c - c0] * sdyx[c - c0]);
  }
}

/* dx over channels [c0, c1); in training the sums divided by n. */
static void bn_dx(const vg_kernel *k, const bn_dims *d, int64_t c0, int64_t c1, const vg_real *mu, const vg_real *is,
                  const double *sdy, const double *sdyx, double n) {
  const vg_real *x = k->x[BN_X], *gamma = k->x[BN_GAMMA], *dy = k->dy;
  vg_real *dx = k->dx[BN_X];
  for (int64_t b = 0; b < d->B; b++)
    for (int64_t c = c0; c < c1; c++) {
      const int64_t o = (b * d->C + c) * d->S;
      const vg_real a = gamma[c] * is[c - c0];
      if (k->training) {
        const vg_real m = mu[c - c0], i = is[c - c0];
        const vg_real mdy = (vg_real)(sdy[c - c0] / n), mdyx = (vg_real)(sdyx[c - c0] / n);
        for (int64_t s = 0; s < d->S; s++) dx[o + s] += a * (dy[o + s] - mdy - (x[o + s] - m) * i * mdyx);
      } else {
        for (int64_t s = 0; s < d->S; s++) dx[o + s] += a * dy[o + s];
      }
    }
}

static void bn_backward_across(const vg_kernel *k, const bn_dims *d) {
  const vg_real *mu = k->saved, *is = k->saved + d->C;
  double *sdy = (double *)(void *)k->scratch, *sdyx = sdy + d->C;
  memset(sdy, 0, (size_t)(2 * d->C + 1) * sizeof *sdy);
#pragma omp parallel for schedule(static) if (d->B * d->C * d->S >= VG_PAR_MIN)
  for (int64_t blk = 0; blk < d->nblk; blk++) {
    BN_TASK(*d, blk, c0, c1);
    bn_dsums(k, d, c0, c1, mu + c0, is + c0, sdy + c0, sdyx + c0);
    bn_dparams(k, c0, c1, is + c0, sdy + c0, sdyx + c0);
  }
  if (!k->dx[BN_X]) return; /* the same on every process: none waits */
  const double share = k->coll->share;
  for (int64_t c = 0; c < 2 * d->C; c++) sdy[c] *= share;
  sdy[2 * d->C] = (double)d->n;
  k->coll->sum(k->coll, sdy, (size_t)(2 * d->C + 1));
  const double n = sdy[2 * d->C] * share;
#pragma omp parallel for schedule(static) if (d->B * d->C * d->S >= VG_PAR_MIN)
  for (int64_t blk = 0; blk < d->nblk; blk++) {
    BN_TASK(*d, blk, c0, c1);
    bn_dx(k, d, c0, c1, mu + c0, is + c0, sdy + c0, sdyx + c0, n);
  }
}

static void bn_backward(const vg_kernel *k) {
  const bn_dims d = bn_dims_of(k->xs[BN_X]);
  if (k->training && k->coll) {
    bn_backward_across(k, &d);
    return;
  }
#pragma omp parallel for schedule(static) if (d.B * d.C * d.S >= VG_PAR_MIN)
  for (int64_t blk = 0; blk < d.nblk; blk++) {
    BN_TASK(d, blk, c0, c1);
    vg_real mu[BN_BLOCK], is[BN_BLOCK];
    double sdy[BN_BLOCK] = {0}, sdyx[BN_BLOCK] = {0};
    bn_stats(k, d.C, c0, c1, mu, is);
    bn_dsums(k, &d, c0, c1, mu, is, sdy, sdyx);
    bn_dparams(k, c0, c1, is, sdy, sdyx);
    if (k->dx[BN_X]) bn_dx(k, &d, c0, c1, mu, is, sdy, sdyx, (double)d.n);
  }
}

static double bn_flops(const vg_graph *g, const vg_node *n) {
  (void)g;
  return 4.0 * (double)vg_shape_numel(&n->shape); /* two statistics passes, then scale and shift */
}

VG_OP_RECORD(batch_norm) = {
    .name = "batch_norm", .doc = "x, gamma, beta, running mean, running var → x normalised by batch statistics in training, running ones in evaluation (made by `vg.batch_norm`); the running statistics, parameters or inputs of their own, are updated in place in training",
    .nin_min = 5,
    .nin_max = 5,
    .flags = VG_OPF_BWD_NO_Y,
    .nograd = 1u << 3 | 1u << 4,
    .attrs = {[BN_MOMENTUM] = {"momentum", VG_ATTR_NUM, 0.1, NULL}, [BN_EPS] = {"eps", VG_ATTR_NUM, 1e-5, NULL}},
    .infer = bn_infer,
    .forward = bn_forward,
    .backward = bn_backward,
    .flops = bn_flops,
};

/* ---- dropout ----
 * Training: y = x * mask / (1 - p), mask[i] = (u_i >= p) with u_i a 32-bit
 * uniform from the counter RNG keyed by (seed, step, node name): element i
 * (counted from vg_noise_base) takes word i mod 4 of block i / 4, so one
 * Philox call serves four elements. The backward draws the same mask again.
 * Evaluation: y = x. */
enum { DROPOUT_P };

static vg_status dropout_infer(vg_graph *g, vg_node *n) {
  const double p = n->attr.v[DROPOUT_P];
  if (!(p >= 0 && p < 1)) return vg_op_fail(g, n, VG_ERR_ARG, "p must be in [0, 1), got %g", p);
  n->shape = *vg_in_shape(g, n, 0);
  return VG_OK;
}

/* Calls f(i, keep) for every element i in [0, n), a block of four
 * elements' draws at a time; blocks are spread over threads, each element
 * written by one, so results do not depend on the thread count. */
#define DROPOUT_EACH(k, n, p, ...)                                                                   \
  do {                                                                                                \
    const uint32_t stream_ = vg_rng_stream((k)->node->name);                                          \
    const uint64_t base_ = vg_noise_base(k);                                                          \
    const double t_ = ceil((p) * 4294967296.0); /* keep when u >= p 2^32 */                          \
    const uint32_t thr_ = t_ >= 4294967295.0 ? 0xFFFFFFFFu : (uint32_t)t_;                           \
    const int64_t n_ = (n), b0_ = (int64_t)(base_ >> 2), nb_ = (int64_t)((base_ + (uint64_t)n_ + 3) >> 2) - b0_; \
    _Pragma("omp parallel for schedule(static) if (n_ >= VG_PAR_MIN)")                                \
    for (int64_t b_ = 0; b_ < nb_; b_++) {                                                            \
      uint32_t u_[4];                                                                                 \
      vg_rng_block((k)->seed, (k)->step, stream_, (uint64_t)(b0_ + b_), u_);                          \
      for (int w_ = 0; w_ < 4; w_++) {                                                                \
        const int64_t i = (b0_ + b_) * 4 + w_ - (int64_t)base_;                                       \
        if (i < 0 || i >= n_) continue;                                                               \
        const int keep = u_[w_] >= thr_;                                                              \
        __VA_ARGS__;                                                                                  \
      }                                                                                               \
    }                                                                                                 \
  } while (0)

static void dropout_forward(const vg_kernel *k) {
  const vg_real *x = k->x[0];
  vg_real *y = k->y;
  const int64_t n = vg_numel(k->ys);
  if (!k->training || k->a->v[DROPOUT_P] == 0) {
    memcpy(y, x, (size_t)n * sizeof *y);
    return;
  }
  const double p = k->a->v[DROPOUT_P];
  const vg_real scale = (vg_real)(1 / (1 - p));
  DROPOUT_EACH(k, n, p, y[i] = keep ? x[i] * scale : 0);
}

static void dropout_backward(const vg_kernel *k) {
  const vg_real *dy = k->dy;
  vg_real *dx = k->dx[0];
  const int64_t n = vg_numel(k->ys);
  if (!dx) return;
  if (!k->training || k->a->v[DROPOUT_P] == 0) {
    VG_FOR(n, dx[i] += dy[i]);
    return;
  }
  const double p = k->a->v[DROPOUT_P];
  const vg_real scale = (vg_real)(1 / (1 - p));
  DROPOUT_EACH(k, n, p, if (keep) dx[i] += dy[i] * scale);
}

VG_OP_RECORD(dropout) = {
    .name = "dropout", .doc = "x → entries zeroed with probability p, the rest scaled by 1 / (1 - p), in training; x in evaluation",
    .nin_min = 1,
    .nin_max = 1,
    .flags = VG_OPF_RANDOM | VG_OPF_BWD_NO_X | VG_OPF_BWD_NO_Y,
    .attrs = {[DROPOUT_P] = {"p", VG_ATTR_NUM, 0.5, NULL}},
    .infer = dropout_infer,
    .forward = dropout_forward,
    .backward = dropout_backward,
};
