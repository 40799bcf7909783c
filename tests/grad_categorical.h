/* Gradient-check cases and checks for the ops of discrete latents: noise, Gumbel-softmax, argmax, one-hot, max, logsumexp, categorical KL.
 * Included by test_grad.c twice: with GRAD_CASES defined, inside its table
 * of cases (a case per line, as there); with GRAD_CHECKS defined, before its
 * main, for checks beyond the gradient (distributions, exact values):
 * categorical_checks(op) runs those of one op. */
#ifdef GRAD_CASES
    /* softmax and log_softmax along an axis that is not the last (rows of
     * elements `inner` apart), and the last named explicitly */
    {"softmax", 1, {"3,4,5"}, {ANY}, "axis=1", 0},
    {"softmax", 1, {"4,3"}, {ANY}, "axis=0", 0},
    {"softmax", 1, {"3,5"}, {ANY}, "axis=1", 0},
    {"softmax", 1, {"64,515"}, {ANY}, "axis=0", LARGE},
    {"softmax", 1, {"8,100,40"}, {ANY}, "axis=1", LARGE},
    {"log_softmax", 1, {"3,4,5"}, {ANY}, "axis=1", 0},
    {"log_softmax", 1, {"4,3"}, {ANY}, "axis=-2", 0},
    {"log_softmax", 1, {"64,515"}, {ANY}, "axis=0", LARGE},
    {"log_softmax", 1, {"8,100,40"}, {ANY}, "axis=1", LARGE},
    {"logsumexp", 1, {"3,7"}, {ANY}, "", 0},
    {"logsumexp", 1, {"3,4,5"}, {ANY}, "axis=1", 0},
    {"logsumexp", 1, {"3,4,5"}, {ANY}, "axis=0", 0},
    {"logsumexp", 1, {"6"}, {ANY}, "", 0},
    {"logsumexp", 1, {"64,515"}, {ANY}, "", LARGE},
    {"logsumexp", 1, {"64,515"}, {ANY}, "axis=0", LARGE},
    {"max", 1, {"3,7"}, {ANY}, "", 0},
    {"max", 1, {"3,4,5"}, {ANY}, "axis=1", 0},
    {"max", 1, {"3,4,5"}, {ANY}, "axis=0", 0},
    {"max", 1, {"64,515"}, {ANY}, "", LARGE},
    {"max", 1, {"64,515"}, {ANY}, "axis=0", LARGE},
    /* noise: nothing to differentiate (x is a shape); float against double
     * here, the distributions in categorical_checks */
    {"uniform", 1, {"3,5"}, {ANY}, "", 0},
    {"uniform", 1, {"2,3,4"}, {ANY}, "low=-2 high=3", 0},
    {"uniform", 1, {"64,515"}, {ANY}, "", LARGE},
    {"gumbel", 1, {"3,5"}, {ANY}, "", 0},
    {"gumbel", 1, {"64,515"}, {ANY}, "", LARGE},
    /* The soft sample's gradient (the noise is the same number in every
     * forward). hard = 1 and eval = mode (in evaluation) are piecewise
     * constant: central differences see 0 there, so those cases are LARGE
     * only, and categorical_checks compares their backward with the soft
     * one's. */
    {"gumbel_softmax", 1, {"3,5"}, {ANY}, "", 0},
    {"gumbel_softmax", 1, {"3,5"}, {ANY}, "tau=0.5", TRAINING},
    {"gumbel_softmax", 2, {"3,5", ""}, {ANY, POS}, "", 0},
    {"gumbel_softmax", 1, {"2,4,3"}, {ANY}, "axis=1 tau=2", 0},
    {"gumbel_softmax", 1, {"4,3"}, {ANY}, "axis=0", 0},
    {"gumbel_softmax", 1, {"3,5"}, {ANY}, "eval=mode", TRAINING},
    {"gumbel_softmax", 1, {"64,515"}, {ANY}, "", LARGE},
    {"gumbel_softmax", 1, {"64,515"}, {ANY}, "hard=1", LARGE | TRAINING},
    {"gumbel_softmax", 2, {"8,100,40", ""}, {ANY, POS}, "axis=1 hard=1", LARGE},
    {"gumbel_softmax", 1, {"64,515"}, {ANY}, "eval=mode", LARGE},
    /* no gradient: exact values in categorical_checks */
    {"argmax", 1, {"3,7"}, {ANY}, "", 0},
    {"argmax", 1, {"3,4,5"}, {ANY}, "axis=1", 0},
    {"argmax", 1, {"64,515"}, {ANY}, "", LARGE},
    {"argmax", 1, {"64,515"}, {ANY}, "axis=0", LARGE},
    {"one_hot", 1, {"3,4"}, {IDS}, "classes=6", 0},
    {"one_hot", 1, {"64,40"}, {IDS}, "classes=300", LARGE},
    {"kl_categorical", 1, {"3,5"}, {ANY}, "", 0},
    {"kl_categorical", 1, {"3,5"}, {ANY}, "reduction=sum", 0},
    {"kl_categorical", 1, {"2,3,4"}, {ANY}, "reduction=none", 0},
    {"kl_categorical", 1, {"2,3,4"}, {ANY}, "axis=1 reduction=batchmean", 0},
    {"kl_categorical", 2, {"3,5", "5"}, {ANY, PROB}, "reduction=sum", 0},
    {"kl_categorical", 2, {"2,4,3", "2,4,3"}, {ANY, PROB}, "axis=1 reduction=none", 0},
    {"kl_categorical", 2, {"4,3", "4"}, {ANY, PROB}, "axis=0", 0},
    {"kl_categorical", 1, {"64,515"}, {ANY}, "reduction=sum", LARGE},
    {"kl_categorical", 2, {"64,515", "515"}, {ANY, PROB}, "reduction=batchmean", LARGE},
    {"kl_categorical", 2, {"8,100,40", "8,100,40"}, {ANY, PROB}, "axis=1 reduction=none", LARGE},
#endif

#ifdef GRAD_CHECKS
/* One node of a case's op on the case's drawn inputs, run by hand. */
typedef struct cat_node {
  vg_graph *g;
  int id;
  const vg_node *n;
  bufs b;
} cat_node;

static int cat_make(cat_node *r, const gcase *c) {
  r->g = vg_graph_new(SEED);
  int in[VG_MAX_IN];
  for (int k = 0; k < c->nin; k++) {
    char name[16];
    snprintf(name, sizeof name, "x%d", k + 1);
    in[k] = vg_input(r->g, name, parse_shape(c->shapes[k]));
  }
  r->id = vg_node_add(r->g, vg_op_find(c->op), "node", c->nin, in, c->attrs);
  if (r->id < 0) {
    CHECK(0, "%s [%s]: cannot build: %s", c->op, c->attrs, vg_graph_error(r->g));
    vg_graph_free(r->g);
    return 0;
  }
  r->n = &r->g->nodes[r->id];
  bufs_make(&r->b, r->g, r->n, c);
  return 1;
}

static void cat_free(cat_node *r) {
  bufs_free(&r->b);
  vg_graph_free(r->g);
}

/* Input `in`'s values, in both precisions. */
static void cat_set(cat_node *r, int in, const double *v) {
  for (int64_t i = 0; i < r->b.nx[in]; i++) r->b.xf[in][i] = (float)(r->b.x[in][i] = v[i]);
}

/* Forward, then the backward of dy = the case's r when asked (gradients
 * cleared first), in double or in float. */
static void cat_run64(cat_node *r, int training, uint64_t step, int64_t example0, int backward) {
  vg_kernel_f64 k = kernel64(r->g, r->n, r->id, &r->b);
  k.training = training, k.step = step, k.example0 = example0;
  vg_ops_f64[r->n->op]->forward(&k);
  if (!backward) return;
  for (int in = 0; in < r->b.nin; in++) memset(r->b.dx[in], 0, (size_t)r->b.nx[in] * sizeof(double));
  vg_ops_f64[r->n->op]->backward(&k);
}

static void cat_run32(cat_node *r, int training, uint64_t step, int64_t example0, int backward) {
  vg_kernel_f32 k = kernel32(r->g, r->n, r->id, &r->b);
  k.training = training, k.step = step, k.example0 = example0;
  vg_ops_f32[r->n->op]->forward(&k);
  if (!backward) return;
  for (int in = 0; in < r->b.nin; in++) memset(r->b.dxf[in], 0, (size_t)r->b.nx[in] * sizeof(float));
  vg_ops_f32[r->n->op]->backward(&k);
}

/* The error building a node gives ("" if it builds). */
static void cat_build_error(const char *op, int nin, const char *s1, const char *s2, const char *attrs, char *msg, size_t len) {
  vg_graph *g = vg_graph_new(SEED);
  int in[2] = {vg_input(g, "x1", parse_shape(s1)), nin > 1 ? vg_input(g, "x2", parse_shape(s2)) : -1};
  const int id = vg_node_add(g, vg_op_find(op), "node", nin, in, attrs);
  snprintf(msg, len, "%s", id < 0 ? vg_graph_error(g) : "");
  vg_graph_free(g);
}

/* What the op's check says of the inputs (NULL if it takes them). */
static const char *cat_check(cat_node *r, char *msg, size_t len) {
  vg_kernel_f64 k = kernel64(r->g, r->n, r->id, &r->b);
  return vg_ops_f64[r->n->op]->check(&k, msg, len) ? msg : NULL;
}

/* A random op's noise is keyed by (seed, step, node, index), in float:
 * drawn again it is the same, at 1 and 2 threads alike; another step draws
 * other numbers; and in evaluation a batch starting at example 2 draws, for
 * its row r, what one starting at example 0 drew for its row r + 2
 * (vg_noise_base); every row of x is the same, so only the noise tells
 * them apart. */
static void check_noise_keys(const char *op, const char *attrs) {
  enum { ROWS = 512, PER = 300 };
  gcase c = {op, 1, {"512,300"}, {ANY}, attrs, 0};
  cat_node r;
  if (!cat_make(&r, &c)) return;
  for (int64_t i = PER; i < r.b.nx[0]; i++) r.b.xf[0][i] = r.b.xf[0][i % PER];
  const size_t bytes = (size_t)r.b.ny * sizeof(float);
  float *first = alloc0(bytes);
  omp_set_num_threads(1);
  cat_run32(&r, 0, 3, 0, 0);
  memcpy(first, r.b.yf, bytes);
  omp_set_num_threads(2);
  cat_run32(&r, 0, 3, 0, 0);
  CHECK(memcmp(first, r.b.yf, bytes) == 0, "%s [%s]: draws differ at 1 and 2 threads", op, attrs);
  cat_run32(&r, 0, 3, 0, 0);
  CHECK(memcmp(first, r.b.yf, bytes) == 0, "%s [%s]: drawn again, the draws differ", op, attrs);
  cat_run32(&r, 0, 4, 0, 0);
  int64_t same = 0;
  for (int64_t i = 0; i < r.b.ny; i++) same += r.b.yf[i] == first[i];
  CHECK(same < r.b.ny / 100, "%s [%s]: step 4 draws %lld of step 3's %lld values", op, attrs, (long long)same, (long long)r.b.ny);
  cat_run32(&r, 0, 3, 2, 0);
  CHECK(memcmp(r.b.yf, first + 2 * PER, (size_t)(ROWS - 2) * PER * sizeof(float)) == 0,
        "%s [%s]: a batch starting at example 2 does not draw that example's noise", op, attrs);
  free(first);
  cat_free(&r);
  printf("  %-14s %-32s keyed by step and example; same at 1 and 2 threads\n", op, attrs);
}

/* Mean and variance of n draws, in double. */
static void cat_moments(const float *y, int64_t n, double *mean, double *var, double *lo, double *hi) {
  double s = 0, ss = 0;
  *lo = INFINITY, *hi = -INFINITY;
  for (int64_t i = 0; i < n; i++) {
    s += y[i];
    *lo = fmin(*lo, y[i]), *hi = fmax(*hi, y[i]);
  }
  *mean = s / (double)n;
  for (int64_t i = 0; i < n; i++) ss += (y[i] - *mean) * (y[i] - *mean);
  *var = ss / (double)(n - 1);
}

/* 2^20 draws. The draws are fixed by the seed, so these checks never flake:
 * each tolerance is 5 standard errors of its statistic (a correct generator
 * with another seed would miss it about once in 10^6), far below what a
 * wrong distribution misses by. */
#define CAT_DRAWS "1024,1024"
#define CAT_N ((double)(1 << 20))

/* uniform: mean (low + high) / 2 and variance (high - low)^2 / 12, every
 * draw strictly inside (low, high), and the same numbers in float and
 * double. Standard errors: of the mean w / sqrt(12 N); of the variance
 * w^2 sqrt((1/80 - 1/144) / N) (fourth central moment w^4 / 80). */
static void check_uniform(void) {
  check_noise_keys("uniform", "");
  const char *attrs[2] = {"", "low=-1 high=3"};
  const double lows[2] = {0, -1}, highs[2] = {1, 3};
  for (int t = 0; t < 2; t++) {
    gcase c = {"uniform", 1, {CAT_DRAWS}, {ANY}, attrs[t], 0};
    cat_node r;
    if (!cat_make(&r, &c)) return;
    cat_run32(&r, 1, 3, 0, 0);
    cat_run64(&r, 1, 3, 0, 0);
    double mean, var, lo, hi;
    cat_moments(r.b.yf, r.b.ny, &mean, &var, &lo, &hi);
    const double w = highs[t] - lows[t], se_mean = w / sqrt(12 * CAT_N), se_var = w * w * sqrt((1.0 / 80 - 1.0 / 144) / CAT_N);
    CHECK(fabs(mean - (lows[t] + highs[t]) / 2) < 5 * se_mean, "uniform [%s]: mean %.6f, want %g within %.2g", attrs[t], mean,
          (lows[t] + highs[t]) / 2, 5 * se_mean);
    CHECK(fabs(var - w * w / 12) < 5 * se_var, "uniform [%s]: variance %.6f, want %.6f within %.2g", attrs[t], var, w * w / 12,
          5 * se_var);
    CHECK(lo > lows[t] && hi < highs[t], "uniform [%s]: draws reach [%.9g, %.9g]", attrs[t], lo, hi);
    int64_t differ = 0;
    for (int64_t i = 0; i < r.b.ny; i++) differ += r.b.y[i] != (double)r.b.yf[i];
    CHECK(differ == 0, "uniform [%s]: %lld draws differ in float and double", attrs[t], (long long)differ);
    printf("  uniform        %-32s mean %.5f, variance %.5f, inside (%g, %g)\n", attrs[t], mean, var, lows[t], highs[t]);
    cat_free(&r);
  }
}

/* gumbel: mean Euler's constant 0.5772..., variance pi^2 / 6, every draw
 * finite, float the double draws rounded. Standard errors: of the mean
 * sqrt(pi^2 / 6 / N) = 1.25e-3; of the variance (pi^2 / 6) sqrt(4.4 / N)
 * = 3.4e-3 (the Gumbel's excess kurtosis is 12/5, so its fourth central
 * moment is 5.4 sigma^4). Forgetting a minus sign, or drawing -log u, moves
 * the mean by 0.42 or more. */
static void check_gumbel(void) {
  check_noise_keys("gumbel", "");
  gcase c = {"gumbel", 1, {CAT_DRAWS}, {ANY}, "", 0};
  cat_node r;
  if (!cat_make(&r, &c)) return;
  cat_run32(&r, 1, 3, 0, 0);
  cat_run64(&r, 1, 3, 0, 0);
  double mean, var, lo, hi;
  cat_moments(r.b.yf, r.b.ny, &mean, &var, &lo, &hi);
  const double euler = 0.57721566490153286, v = M_PI * M_PI / 6;
  const double se_mean = sqrt(v / CAT_N), se_var = v * sqrt(4.4 / CAT_N);
  CHECK(fabs(mean - euler) < 5 * se_mean, "gumbel: mean %.6f, want Euler's %.6f within %.2g", mean, euler, 5 * se_mean);
  CHECK(fabs(var - v) < 5 * se_var, "gumbel: variance %.6f, want pi^2/6 = %.6f within %.2g", var, v, 5 * se_var);
  CHECK(isfinite(lo) && isfinite(hi), "gumbel: draws reach [%g, %g]", lo, hi);
  int64_t differ = 0;
  for (int64_t i = 0; i < r.b.ny; i++) differ += (float)r.b.y[i] != r.b.yf[i];
  CHECK(differ == 0, "gumbel: %lld float draws are not the double ones rounded", (long long)differ);
  printf("  gumbel         mean %.5f (Euler's 0.57722), variance %.5f (pi^2/6 = 1.64493), in [%.2f, %.2f]\n", mean, var, lo, hi);
  cat_free(&r);
}

/* outer x K x inner around axis `axis` of a case's first input. */
static void cat_split(const cat_node *r, int axis, int64_t *outer, int64_t *K, int64_t *inner) {
  const vg_shape *s = &r->g->nodes[r->n->in[0]].shape;
  if (axis < 0) axis += s->nd;
  *outer = *inner = 1;
  for (int i = 0; i < axis; i++) *outer *= s->d[i];
  for (int i = axis + 1; i < s->nd; i++) *inner *= s->d[i];
  *K = s->d[axis];
}

/* softmax((x + g) / tau) along axis, by hand in double with the noise the
 * op draws (step 3, node "node", example 0; none without `noise`), and each
 * row's first largest x + g. */
static void gs_reference(const cat_node *r, int axis, double tau, int noise, double *soft, int64_t *hot) {
  int64_t outer, K, inner;
  cat_split(r, axis, &outer, &K, &inner);
  const double *x = r->b.x[0];
  for (int64_t o = 0; o < outer; o++)
    for (int64_t j = 0; j < inner; j++) {
      const int64_t row = o * inner + j;
      double z[64], m = -INFINITY, s = 0, top = -INFINITY;
      hot[row] = 0;
      for (int64_t c = 0; c < K; c++) {
        const int64_t e = (o * K + c) * inner + j;
        const double v = x[e] + (noise ? vg_rng_gumbel(SEED, 3, vg_rng_stream("node"), (uint64_t)e) : 0);
        z[c] = v / tau, m = fmax(m, z[c]);
        if (v > top) top = v, hot[row] = c;
      }
      for (int64_t c = 0; c < K; c++) s += exp(z[c] - m);
      for (int64_t c = 0; c < K; c++) soft[(o * K + c) * inner + j] = exp(z[c] - m) / s;
    }
}

/* Each row of y exactly one-hot, hot where `hot` says, when `hot` is given;
 * else where the soft y of the same row is largest. The number of bad rows. */
static int gs_bad_rows(const cat_node *r, int axis, const double *y, const float *yf, const int64_t *hot, const double *soft,
                       const float *softf) {
  int64_t outer, K, inner;
  cat_split(r, axis, &outer, &K, &inner);
  int bad = 0;
  for (int64_t row = 0; row < outer * inner; row++) {
    const int64_t o = row / inner, j = row % inner;
    int ones = 0, ok = 1;
    int64_t at = -1;
    double top = -INFINITY;
    for (int64_t c = 0; c < K; c++) {
      const int64_t e = (o * K + c) * inner + j;
      const double v = y ? y[e] : yf[e];
      if (!hot) top = fmax(top, soft ? soft[e] : softf[e]);
      if (v == 1) ones++, at = c;
      else if (v != 0) ok = 0;
    }
    if (ones != 1 || !ok) bad++;
    else if (hot) bad += at != hot[row];
    else bad += (soft ? soft[(o * K + at) * inner + j] : softf[(o * K + at) * inner + j]) != top;
  }
  return bad;
}

/* The forward against the hand-made softmax of noisy logits, rows summing
 * to 1; hard rows exactly one-hot at the argmax of x + g, the soft y saved
 * and largest there, and the backward exactly the soft sample's
 * (straight-through), in double and float; eval = mode in evaluation: the
 * one-hot of argmax x at any step, and noise again in training; tau as an
 * input: the attribute's results, and its check refuses tau <= 0. */
static void check_gumbel_softmax(void) {
  check_noise_keys("gumbel_softmax", "");
  const char *shapes[2] = {"7,5", "3,5,4"};
  const int axes[2] = {-1, 1};
  for (int t = 0; t < 2; t++) {
    char soft_attrs[64], hard_attrs[64], axis_attrs[32];
    snprintf(axis_attrs, sizeof axis_attrs, "axis=%d", axes[t]);
    snprintf(soft_attrs, sizeof soft_attrs, "tau=0.7 axis=%d", axes[t]);
    snprintf(hard_attrs, sizeof hard_attrs, "tau=0.7 axis=%d hard=1", axes[t]);
    gcase cs = {"gumbel_softmax", 1, {shapes[t]}, {ANY}, soft_attrs, TRAINING};
    gcase ch = {"gumbel_softmax", 1, {shapes[t]}, {ANY}, hard_attrs, TRAINING};
    cat_node s, h;
    if (!cat_make(&s, &cs)) return;
    if (!cat_make(&h, &ch)) return;
    const int64_t n = s.b.ny;
    double *ref = alloc0((size_t)n * sizeof(double));
    int64_t hot[64];
    gs_reference(&s, axes[t], 0.7, 1, ref, hot);
    cat_run64(&s, 1, 3, 0, 1);
    cat_run64(&h, 1, 3, 0, 1);
    double worst = 0;
    for (int64_t i = 0; i < n; i++) worst = fmax(worst, fabs(s.b.y[i] - ref[i]) + fabs(h.b.saved[i] - ref[i]));
    CHECK(worst < 1e-12, "gumbel_softmax [%s]: the soft y is off softmax((x + g) / tau) by %.3g", soft_attrs, worst);
    int64_t outer, K, inner;
    cat_split(&s, axes[t], &outer, &K, &inner);
    for (int64_t row = 0; row < outer * inner; row++) {
      double sum = 0;
      for (int64_t c = 0; c < K; c++) sum += s.b.y[(row / inner * K + c) * inner + row % inner];
      CHECK(fabs(sum - 1) < 1e-12, "gumbel_softmax [%s]: row %lld sums to %.17g", soft_attrs, (long long)row, sum);
    }
    CHECK(gs_bad_rows(&h, axes[t], h.b.y, NULL, hot, NULL, NULL) == 0,
          "gumbel_softmax [%s]: rows not one-hot at the argmax of x + g", hard_attrs);
    CHECK(memcmp(s.b.dx[0], h.b.dx[0], (size_t)n * sizeof(double)) == 0,
          "gumbel_softmax [%s]: the hard backward is not the soft one's", hard_attrs);
    cat_run32(&s, 1, 3, 0, 1);
    cat_run32(&h, 1, 3, 0, 1);
    CHECK(gs_bad_rows(&h, axes[t], NULL, h.b.yf, NULL, NULL, h.b.savedf) == 0,
          "gumbel_softmax [%s]: float rows not one-hot where the soft y is largest", hard_attrs);
    CHECK(memcmp(s.b.dxf[0], h.b.dxf[0], (size_t)n * sizeof(float)) == 0,
          "gumbel_softmax [%s]: the float hard backward is not the soft one's", hard_attrs);
    /* tau as an input gives what the attribute gives */
    gcase ct = {"gumbel_softmax", 2, {shapes[t], ""}, {ANY, POS}, axis_attrs, TRAINING};
    cat_node in;
    if (cat_make(&in, &ct)) {
      const double tau = 0.7;
      cat_set(&in, 1, &tau);
      cat_run64(&in, 1, 3, 0, 1);
      CHECK(memcmp(in.b.y, s.b.y, (size_t)n * sizeof(double)) == 0 && memcmp(in.b.dx[0], s.b.dx[0], (size_t)n * sizeof(double)) == 0,
            "gumbel_softmax [%s]: tau = 0.7 as an input differs from the attribute", ct.attrs);
      CHECK(in.b.dx[1][0] == 0, "gumbel_softmax: tau took a gradient");
      cat_free(&in);
    }
    free(ref);
    cat_free(&s);
    cat_free(&h);
  }
  printf("  gumbel_softmax softmax((x + g) / tau) by hand; hard rows one-hot at the argmax, soft gradient\n");

  /* eval = mode: the one-hot of argmax x in evaluation, whatever the step;
   * the saved soft y is softmax(x / tau), whose gradient it passes */
  gcase cm = {"gumbel_softmax", 1, {"40,5"}, {ANY}, "eval=mode tau=0.5", 0};
  cat_node m;
  if (!cat_make(&m, &cm)) return;
  double ref[200];
  int64_t hot[40];
  gs_reference(&m, -1, 0.5, 0, ref, hot);
  cat_run64(&m, 0, 3, 0, 0);
  double *y3 = alloc0(200 * sizeof(double));
  memcpy(y3, m.b.y, 200 * sizeof(double));
  CHECK(gs_bad_rows(&m, -1, m.b.y, NULL, hot, NULL, NULL) == 0, "gumbel_softmax [eval=mode]: not the one-hot of argmax x");
  double worst = 0;
  for (int i = 0; i < 200; i++) worst = fmax(worst, fabs(m.b.saved[i] - ref[i]));
  CHECK(worst < 1e-12, "gumbel_softmax [eval=mode]: the saved soft y is off softmax(x / tau) by %.3g", worst);
  cat_run64(&m, 0, 9, 5, 0);
  CHECK(memcmp(y3, m.b.y, 200 * sizeof(double)) == 0, "gumbel_softmax [eval=mode]: another step or example changes the mode");
  cat_run64(&m, 1, 3, 0, 0);
  int soft_rows = 0;
  for (int row = 0; row < 40; row++) {
    int one_hot = 1;
    for (int c = 0; c < 5; c++) one_hot &= m.b.y[row * 5 + c] == 0 || m.b.y[row * 5 + c] == 1;
    soft_rows += !one_hot;
  }
  CHECK(soft_rows == 40, "gumbel_softmax [eval=mode]: in training only %d of 40 rows are soft samples", soft_rows);
  cat_free(&m);
  gcase ce = {"gumbel_softmax", 1, {"40,5"}, {ANY}, "tau=0.5", 0};
  cat_node e;
  if (!cat_make(&e, &ce)) return;
  cat_run64(&e, 0, 3, 0, 0);
  worst = 0;
  for (int i = 0; i < 200; i++) worst = fmax(worst, fabs(e.b.y[i] - ref[i]));
  CHECK(worst > 0.1, "gumbel_softmax [eval=sample]: no noise in evaluation");
  cat_free(&e);
  free(y3);
  printf("  gumbel_softmax eval=mode: argmax one-hot at any step, noise again in training\n");

  /* tau: checked on the input's value before every run, and in infer */
  gcase ct = {"gumbel_softmax", 2, {"3,5", ""}, {ANY, POS}, "", 0};
  cat_node t;
  if (!cat_make(&t, &ct)) return;
  char msg[256];
  const double bad[3] = {0, -0.5, NAN};
  const char *want[3] = {"tau is 0; the temperature must be > 0", "tau is -0.5; the temperature must be > 0", "tau is nan"};
  for (int i = 0; i < 3; i++) {
    cat_set(&t, 1, &bad[i]);
    const char *why = cat_check(&t, msg, sizeof msg);
    CHECK(why != NULL, "gumbel_softmax: tau = %g passes the check", bad[i]);
    if (why) CHECK_CONTAINS(why, want[i]);
  }
  cat_free(&t);
  cat_build_error("gumbel_softmax", 1, "3,5", "", "tau=0", msg, sizeof msg);
  CHECK_CONTAINS(msg, "gumbel_softmax 'node': tau must be > 0, got 0");
  cat_build_error("gumbel_softmax", 1, "3,5", "", "hard=2", msg, sizeof msg);
  CHECK_CONTAINS(msg, "gumbel_softmax 'node': hard must be 0 or 1, got 2");
  cat_build_error("gumbel_softmax", 2, "3,5", "3", "", msg, sizeof msg);
  CHECK_CONTAINS(msg, "gumbel_softmax 'node': tau 'x2' must be a scalar node [] (g:scalar), got [3]");
  cat_build_error("gumbel_softmax", 1, "3,5", "", "axis=2", msg, sizeof msg);
  CHECK_CONTAINS(msg, "gumbel_softmax 'node': axis 2 out of range for 'x1' [3,5]");
  printf("  gumbel_softmax tau <= 0 refused, as an input value and an attribute\n");
}

/* argmax: a fixture with ties, then quantised draws (many ties) along each
 * axis against a search by hand, in double and float. */
static void check_argmax(void) {
  const double fix[6] = {1, 3, 3, 5, -1, 5};
  const char *fix_attrs[2] = {"axis=-1", "axis=0"};
  const double fix_want[2][3] = {{1, 0}, {1, 0, 1}};
  for (int t = 0; t < 2; t++) {
    gcase c = {"argmax", 1, {"2,3"}, {ANY}, fix_attrs[t], 0};
    cat_node r;
    if (!cat_make(&r, &c)) return;
    cat_set(&r, 0, fix);
    cat_run64(&r, 0, 3, 0, 0);
    cat_run32(&r, 0, 3, 0, 0);
    for (int64_t i = 0; i < r.b.ny; i++)
      CHECK(r.b.y[i] == fix_want[t][i] && r.b.yf[i] == fix_want[t][i], "argmax [%s] of {1,3,3; 5,-1,5}: [%lld] is %g (float %g), want %g",
            fix_attrs[t], (long long)i, r.b.y[i], r.b.yf[i], fix_want[t][i]);
    cat_free(&r);
  }
  for (int axis = -1; axis < 3; axis++) {
    char attrs[32];
    snprintf(attrs, sizeof attrs, "axis=%d", axis);
    gcase c = {"argmax", 1, {"3,4,5"}, {ANY}, attrs, 0};
    cat_node r;
    if (!cat_make(&r, &c)) return;
    double v[60];
    for (int i = 0; i < 60; i++) v[i] = round(r.b.x[0][i] * 2) / 2;
    cat_set(&r, 0, v);
    cat_run64(&r, 0, 3, 0, 0);
    cat_run32(&r, 0, 3, 0, 0);
    int64_t outer, K, inner;
    cat_split(&r, axis, &outer, &K, &inner);
    int bad = 0;
    for (int64_t row = 0; row < outer * inner; row++) {
      const int64_t o = row / inner, j = row % inner;
      int64_t best = 0;
      for (int64_t k = 1; k < K; k++)
        if (v[(o * K + k) * inner + j] > v[(o * K + best) * inner + j]) best = k;
      bad += r.b.y[row] != (double)best || r.b.yf[row] != (float)best;
    }
    CHECK(bad == 0, "argmax [%s]: %d places are not the first largest", attrs, bad);
    cat_free(&r);
  }
  printf("  argmax         the first largest along every axis, ties included\n");
}

/* one_hot: a fixture with a "no label" -1, and the check's refusals. */
static void check_one_hot(void) {
  gcase c = {"one_hot", 1, {"2,2"}, {IDS}, "classes=4", 0};
  cat_node r;
  if (!cat_make(&r, &c)) return;
  const double ids[4] = {2, -1, 0, 3};
  cat_set(&r, 0, ids);
  char msg[256];
  CHECK(cat_check(&r, msg, sizeof msg) == NULL, "one_hot: the check refuses {2, -1, 0, 3}: %s", msg);
  cat_run64(&r, 0, 3, 0, 0);
  cat_run32(&r, 0, 3, 0, 0);
  CHECK(r.b.ny == 16, "one_hot: %lld values, want [2,2,4]", (long long)r.b.ny);
  for (int i = 0; i < 16; i++) {
    const double want = ids[i / 4] == i % 4;
    CHECK(r.b.y[i] == want && r.b.yf[i] == want, "one_hot of {2, -1, 0, 3}: [%d,%d,%d] is %g (float %g), want %g", i / 8, i / 4 % 2,
          i % 4, r.b.y[i], r.b.yf[i], want);
  }
  const double bad[4] = {4, 1.5, -2, NAN};
  const char *want[4] = {"id at [1,1] is 4, not a whole number in [0, 3]", "id at [1,1] is 1.5", "id at [1,1] is -2", "id at [1,1] is nan"};
  for (int i = 0; i < 4; i++) {
    const double v[4] = {2, -1, 0, bad[i]};
    cat_set(&r, 0, v);
    const char *why = cat_check(&r, msg, sizeof msg);
    CHECK(why != NULL, "one_hot: id %g passes the check", bad[i]);
    if (why) CHECK_CONTAINS(why, want[i]);
  }
  cat_free(&r);
  cat_build_error("one_hot", 1, "3", "", "", msg, sizeof msg);
  CHECK_CONTAINS(msg, "one_hot 'node': classes must be given, >= 1 (one_hot(ids, {classes = 10})), got 0");
  printf("  one_hot        rows at the ids, zeros for -1; other values refused\n");
}

/* max and logsumexp: fixtures with ties (the gradient to the first
 * largest) and with logits far from 0 (no overflow). */
static void check_max_lse(const char *op) {
  if (strcmp(op, "max") == 0) {
    /* x [3, 2] = {1, 4; 1, 4; 0, 4}, axis 0; dy = {2, 3} */
    gcase c = {"max", 1, {"3,2"}, {ANY}, "axis=0", 0};
    cat_node r;
    if (!cat_make(&r, &c)) return;
    const double x[6] = {1, 4, 1, 4, 0, 4}, want_dx[6] = {2, 3, 0, 0, 0, 0};
    cat_set(&r, 0, x);
    r.b.r[0] = 2, r.b.r[1] = 3, r.b.rf[0] = 2, r.b.rf[1] = 3;
    cat_run64(&r, 0, 3, 0, 1);
    cat_run32(&r, 0, 3, 0, 1);
    CHECK(r.b.y[0] == 1 && r.b.y[1] == 4 && r.b.yf[0] == 1 && r.b.yf[1] == 4, "max [axis=0]: {%g, %g}, want {1, 4}", r.b.y[0], r.b.y[1]);
    for (int i = 0; i < 6; i++)
      CHECK(r.b.dx[0][i] == want_dx[i] && r.b.dxf[0][i] == want_dx[i], "max [axis=0]: dx[%d] = %g (float %g), want %g", i,
            r.b.dx[0][i], r.b.dxf[0][i], want_dx[i]);
    cat_free(&r);
    printf("  max            ties send the gradient to the first largest\n");
    return;
  }
  /* x [2, 3] = {1000, 1000, -1000; -1000, -1000, -1000}: log 2 + 1000 and
   * log 3 - 1000, the gradient the softmax */
  gcase c = {"logsumexp", 1, {"2,3"}, {ANY}, "", 0};
  cat_node r;
  if (!cat_make(&r, &c)) return;
  const double x[6] = {1000, 1000, -1000, -1000, -1000, -1000};
  const double want[2] = {1000 + log(2.0), -1000 + log(3.0)}, want_dx[6] = {0.5, 0.5, 0, 1.0 / 3, 1.0 / 3, 1.0 / 3};
  cat_set(&r, 0, x);
  r.b.r[0] = r.b.r[1] = 1, r.b.rf[0] = r.b.rf[1] = 1;
  cat_run64(&r, 0, 3, 0, 1);
  cat_run32(&r, 0, 3, 0, 1);
  for (int i = 0; i < 2; i++)
    CHECK(fabs(r.b.y[i] - want[i]) < 1e-12 && fabs(r.b.yf[i] - want[i]) < 1e-4, "logsumexp: row %d is %.17g (float %.9g), want %.17g", i,
          r.b.y[i], r.b.yf[i], want[i]);
  for (int i = 0; i < 6; i++)
    CHECK(fabs(r.b.dx[0][i] - want_dx[i]) < 1e-12 && fabs(r.b.dxf[0][i] - want_dx[i]) < 1e-6, "logsumexp: dx[%d] = %g (float %g), want %g",
          i, r.b.dx[0][i], r.b.dxf[0][i], want_dx[i]);
  cat_free(&r);
  printf("  logsumexp      stable at +-1000, gradient the softmax\n");
}

/* kl_categorical: 0 for uniform logits and for a prior equal to the
 * softmax; by hand, q = (1, 2, 3) / 6:
 *   against the uniform prior, sum q log(3 q) = log(3) / 2 - 2 log(2) / 3
 *   against p = (1/2, 1/4, 1/4), sum q log(q / p) = 7 log(2) / 6 - log(3) / 2
 * and the uniform q against that p, log(32 / 27) / 3; then the reductions
 * of two distributions, along the last axis and along the first. */
static void check_kl_categorical(void) {
  const double A = log(3.0) / 2 - 2 * log(2.0) / 3, B = 7 * log(2.0) / 6 - log(3.0) / 2, C = log(32.0 / 27) / 3;
  const double logits[6] = {0, log(2.0), log(3.0), 0.3, 0.3, 0.3};
  const double p[3] = {0.5, 0.25, 0.25};
  struct {
    int nin;
    const char *shapes[2], *attrs;
    int transpose; /* logits (and a full prior) as [3, 2], axis 0 */
    double want[2];
    int nwant;
  } t[] = {
      {1, {"2,3", ""}, "reduction=none", 0, {A, 0}, 2},
      {1, {"2,3", ""}, "reduction=sum", 0, {A}, 1},
      {1, {"2,3", ""}, "reduction=mean", 0, {A / 2}, 1},
      {1, {"2,3", ""}, "reduction=batchmean", 0, {A / 2}, 1},
      {2, {"2,3", "3"}, "reduction=none", 0, {B, C}, 2},
      {2, {"2,3", "3"}, "reduction=sum", 0, {B + C}, 1},
      {1, {"3,2", ""}, "axis=0 reduction=none", 1, {A, 0}, 2},
      {2, {"3,2", "3"}, "axis=0 reduction=batchmean", 1, {(B + C) / 2}, 1},
      {2, {"3,2", "3,2"}, "axis=0 reduction=mean", 1, {(B + C) / 2}, 1},
      {1, {"3", ""}, "reduction=batchmean", 0, {A}, 1},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    gcase c = {"kl_categorical", t[i].nin, {t[i].shapes[0], t[i].shapes[1]}, {ANY, PROB}, t[i].attrs, 0};
    cat_node r;
    if (!cat_make(&r, &c)) return;
    double x[6], pr[6];
    for (int e = 0; e < 6; e++) {
      const int row = e / 3, col = e % 3; /* [2, 3] place of e */
      x[t[i].transpose ? col * 2 + row : e] = logits[e];
      pr[t[i].transpose ? col * 2 + row : e] = p[col];
    }
    cat_set(&r, 0, x);
    if (t[i].nin == 2) cat_set(&r, 1, r.b.nx[1] == 3 ? p : pr);
    cat_run64(&r, 0, 3, 0, 0);
    cat_run32(&r, 0, 3, 0, 0);
    CHECK(r.b.ny == t[i].nwant, "kl_categorical [%s]: %lld values, want %d", t[i].attrs, (long long)r.b.ny, t[i].nwant);
    for (int k = 0; k < t[i].nwant && k < r.b.ny; k++)
      CHECK(fabs(r.b.y[k] - t[i].want[k]) < 1e-12 && fabs(r.b.yf[k] - t[i].want[k]) < 1e-6,
            "kl_categorical [%s] (%s): [%d] is %.17g (float %.9g), want %.17g", t[i].attrs, t[i].shapes[1], k, r.b.y[k], r.b.yf[k],
            t[i].want[k]);
    cat_free(&r);
  }
  /* uniform logits of any level, and a prior equal to softmax(x): 0 */
  gcase cu = {"kl_categorical", 2, {"6,7", "6,7"}, {ANY, PROB}, "reduction=none", 0};
  cat_node r;
  if (!cat_make(&r, &cu)) return;
  double x[42], q[42];
  for (int row = 0; row < 6; row++) {
    double s = 0;
    for (int c = 0; c < 7; c++) s += exp(r.b.x[0][row * 7 + c]);
    for (int c = 0; c < 7; c++) q[row * 7 + c] = exp(r.b.x[0][row * 7 + c]) / s, x[row * 7 + c] = 3.7 * row - 9;
  }
  cat_set(&r, 1, q);
  cat_run64(&r, 0, 3, 0, 0);
  cat_run32(&r, 0, 3, 0, 0);
  for (int row = 0; row < 6; row++)
    CHECK(fabs(r.b.y[row]) < 1e-12 && fabs(r.b.yf[row]) < 1e-6, "kl_categorical: KL(q || q) of row %d is %g (float %g)", row, r.b.y[row],
          r.b.yf[row]);
  cat_free(&r);
  gcase cn = {"kl_categorical", 1, {"6,7"}, {ANY}, "reduction=none", 0};
  if (!cat_make(&r, &cn)) return;
  cat_set(&r, 0, x);
  cat_run64(&r, 0, 3, 0, 0);
  cat_run32(&r, 0, 3, 0, 0);
  for (int row = 0; row < 6; row++)
    CHECK(fabs(r.b.y[row]) < 1e-12 && fabs(r.b.yf[row]) < 1e-6, "kl_categorical: uniform logits %g give %g (float %g)", 3.7 * row - 9,
          r.b.y[row], r.b.yf[row]);
  cat_free(&r);
  char msg[256];
  cat_build_error("kl_categorical", 2, "4,3", "4", "", msg, sizeof msg);
  CHECK_CONTAINS(msg, "kl_categorical 'node': prior 'x2' [4] must be [K] = [3] or the logits' shape [4,3]");
  printf("  kl_categorical 0 for uniform logits and q = p; hand-computed cases and reductions\n");
}

static void categorical_checks(const char *op) {
  if (strcmp(op, "uniform") == 0) check_uniform();
  if (strcmp(op, "gumbel") == 0) check_gumbel();
  if (strcmp(op, "gumbel_softmax") == 0) check_gumbel_softmax();
  if (strcmp(op, "argmax") == 0) check_argmax();
  if (strcmp(op, "one_hot") == 0) check_one_hot();
  if (strcmp(op, "max") == 0 || strcmp(op, "logsumexp") == 0) check_max_lse(op);
  if (strcmp(op, "kl_categorical") == 0) check_kl_categorical();
}
#endif
