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

static void categorical_checks(const char *op) {
  if (strcmp(op, "max") == 0 || strcmp(op, "logsumexp") == 0) check_max_lse(op);
}
#endif
