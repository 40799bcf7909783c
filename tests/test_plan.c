/* The compiled plan: memory reuse, no allocation while running, fetched
 * values, a node feeding two consumers, values reused from the plan run
 * before, finding the first bad node, and the optimizer's step taken
 * inside the backward pass. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "graph.h"
#include "optim.h"
#include "plan.h"

/* Linked with --wrap for these: count calls from the runtime's code. */
static int counting, allocs;
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t a, size_t n);
void *__wrap_malloc(size_t n) { allocs += counting; return __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t m) { allocs += counting; return __real_calloc(n, m); }
void *__wrap_realloc(void *p, size_t n) { allocs += counting; return __real_realloc(p, n); }
void *__wrap_aligned_alloc(size_t a, size_t n) { allocs += counting; return __real_aligned_alloc(a, n); }

static int linear(vg_graph *g, int grp, const char *name, int x, int64_t in, int64_t out) {
  char wn[64];
  snprintf(wn, sizeof wn, "%s.weight", name);
  int64_t d[2] = {out, in};
  int w = vg_param(g, grp, wn, vg_shape_of(2, d), (vg_init){VG_INIT_XAVIER_UNIFORM, 1, 0});
  int ins[2] = {x, w};
  return vg_node_add(g, VG_OP_LINEAR, name, 2, ins, NULL);
}

/* A deep MLP: activations die layer by layer, so the arena must be much
 * smaller than one buffer per value; running allocates nothing. */
static void memory_reuse(void) {
  vg_graph *g = vg_graph_new(3);
  int64_t d[2] = {64, 128};
  int x = vg_input(g, "x", vg_shape_of(2, d));
  int grp = vg_group_new(g, "net");
  int h = x, hidden = -1;
  for (int l = 0; l < 12; l++) {
    char n[32];
    snprintf(n, sizeof n, "fc%d", l);
    h = linear(g, grp, n, h, 128, 128);
    h = vg_node_add(g, VG_OP_TANH, NULL, 1, &h, NULL);
    if (l == 5) hidden = h;
  }
  int loss = vg_node_add(g, VG_OP_MEAN, "loss", 1, &h, NULL);
  vg_plan *p;
  vg_plan_spec s = {.name = "deep", .loss = loss, .update = &grp, .nupdate = 1, .fetch = &hidden, .nfetch = 1};
  CHECK(vg_plan_compile(g, &s, &p) == VG_OK, "%s", vg_graph_error(g));
  vg_plan_stats st = vg_plan_get_stats(p);
  printf("  deep mlp: arena %zu bytes, %zu without reuse\n", st.arena_bytes, st.naive_bytes);
  CHECK(st.arena_bytes * 2 < st.naive_bytes, "arena %zu is not well below %zu", st.arena_bytes, st.naive_bytes);
  CHECK(st.bound_bytes > 0 && st.bound_bytes <= st.arena_bytes, "arena %zu below the busiest step's %zu", st.arena_bytes,
        st.bound_bytes);
  for (int i = 0; i < 64 * 128; i++) vg_input_fill(g, x)[i] = (float)sin(i * 0.1);
  CHECK(vg_plan_run(p, 0) == VG_OK, "%s", vg_graph_error(g)); /* warm up OpenMP's pool */
  counting = 1;
  for (int step = 1; step < 4; step++) CHECK(vg_plan_run(p, (uint64_t)step) == VG_OK, "%s", vg_graph_error(g));
  counting = 0;
  CHECK(allocs == 0, "running the plan allocated %d times", allocs);
  CHECK(vg_plan_value(p, hidden) != NULL, "fetched node not kept");
  CHECK(vg_plan_value(p, loss) != NULL && isfinite(vg_plan_value(p, loss)[0]), "loss not readable");
  CHECK(vg_plan_value(p, g->nodes[hidden].in[0]) == NULL, "an unfetched intermediate is readable");
  vg_plan_free(p);
  vg_graph_free(g);
}

/* Gradients that their first writer sets outright (op.h, VG_OPF_BWD_SETS)
 * are those of a plan that zeroes every gradient first, bit for bit, with
 * the arena and the parameters' gradients full of NaN before each run: a small convolutional autoencoder
 * with a dense middle. Its code a feeds relu and tanh, both flagged, so the
 * second of them to run adds to what the first set; s feeds a reshape and
 * linear(s, s), which adds to s's gradient twice and so may not set it. */
static int param(vg_graph *g, int grp, const char *name, int nd, const int64_t *d) {
  return vg_param(g, grp, name, vg_shape_of(nd, d), (vg_init){VG_INIT_XAVIER_UNIFORM, 1, 0});
}

static void gradients_set(void) {
  vg_graph *g = vg_graph_new(5);
  const int64_t dx[4] = {6, 1, 8, 8}, dw1[4] = {4, 1, 3, 3}, dw2[4] = {4, 2, 3, 3}, b4[1] = {4};
  int x = vg_input(g, "x", vg_shape_of(4, dx)), grp = vg_group_new(g, "net");
  int in[3] = {x, param(g, grp, "conv.weight", 4, dw1), param(g, grp, "conv.bias", 1, b4)};
  int h = vg_node_add(g, VG_OP_CONV2D, "conv", 3, in, "same=1");
  h = vg_node_add(g, VG_OP_RELU, NULL, 1, &h, NULL);
  h = vg_node_add(g, VG_OP_MAXPOOL2D, NULL, 1, &h, NULL); /* [6, 4, 4, 4] */
  h = vg_node_add(g, VG_OP_RESHAPE, NULL, 1, &h, "dims=6,64");
  h = linear(g, grp, "fc", h, 64, 64);
  const int a = vg_node_add(g, VG_OP_TANH, "a", 1, &h, NULL);
  int two[2] = {vg_node_add(g, VG_OP_RELU, NULL, 1, &a, NULL), vg_node_add(g, VG_OP_TANH, NULL, 1, &a, NULL)};
  const int sum = vg_node_add(g, VG_OP_ADD, "s", 2, two, NULL);
  int ss[2] = {sum, sum};
  const int gram = vg_node_add(g, VG_OP_LINEAR, "gram", 2, ss, NULL); /* [6, 6] */
  h = vg_node_add(g, VG_OP_RESHAPE, NULL, 1, &sum, "dims=6,4,4,4");
  h = vg_node_add(g, VG_OP_UPSAMPLE, NULL, 1, &h, NULL); /* [6, 4, 8, 8] */
  int t[2] = {h, param(g, grp, "up.weight", 4, dw2)};
  h = vg_node_add(g, VG_OP_CONV_TRANSPOSE2D, "up", 2, t, "stride=1 padding=1");
  int hh[2] = {h, h};
  int m = vg_node_add(g, VG_OP_MUL, "square", 2, hh, NULL);
  int means[2] = {vg_node_add(g, VG_OP_MEAN, NULL, 1, &m, NULL), vg_node_add(g, VG_OP_MEAN, NULL, 1, &gram, NULL)};
  int loss = vg_node_add(g, VG_OP_ADD, "loss", 2, means, NULL);
  CHECK(loss >= 0, "%s", vg_graph_error(g));
  vg_plan *p[2] = {NULL, NULL};
  for (int z = 0; z < 2 && loss >= 0; z++) {
    vg_plan_spec s = {.name = z ? "zeroing" : "setting", .loss = loss, .update = &grp, .nupdate = 1, .wrt = &x,
                      .nwrt = 1, .zero_grads = z};
    CHECK(vg_plan_compile(g, &s, &p[z]) == VG_OK, "%s", vg_graph_error(g));
  }
  if (!p[0] || !p[1]) {
    vg_plan_free(p[0]), vg_plan_free(p[1]);
    vg_graph_free(g);
    return;
  }
  const vg_plan_stats st = vg_plan_get_stats(p[0]), sz = vg_plan_get_stats(p[1]);
  /* 18 gradients. Set (9): x, the outputs of conv, its relu, the pool, the
   * first reshape, fc, a (by whichever of relu and tanh runs first), the
   * second reshape and the upsample. Zeroed (9): the loss (seeded), the two
   * means, the square, gram, up, a's relu and tanh (written by add, which is
   * not flagged) and s, whose writers include linear(s, s). */
  CHECK(st.grads_set == 9 && st.grads_zeroed == 9 && sz.grads_set == 0 && sz.grads_zeroed == 18,
        "gradients: %d set and %d zeroed (want 9 and 9); the reference: %d and %d (want 0 and 18)", st.grads_set,
        st.grads_zeroed, sz.grads_set, sz.grads_zeroed);
  /* The parameters, each with one writer: conv's weight and bias, fc's
   * weight and up's weight, all set outright but in the reference. */
  CHECK(st.param_grads_set == 4 && sz.param_grads_set == 0, "parameter gradients set: %d (want 4), the reference %d",
        st.param_grads_set, sz.param_grads_set);
  float *xv = vg_input_fill(g, x);
  for (int i = 0; i < 6 * 64; i++) xv[i] = (float)(sin(i * 0.11) * 3);
  const size_t np = g->nparams, nx = 6 * 64;
  float *want = malloc((np + nx) * sizeof *want);
  for (int z = 1; z >= 0 && want; z--) {
    for (size_t i = 0; i < g->arena->len; i++) g->arena->data[i] = NAN;
    for (size_t i = 0; i < np; i++) g->grads[i] = NAN;
    CHECK(vg_plan_run(p[z], 0) == VG_OK, "%s", vg_graph_error(g));
    if (z) {
      memcpy(want, g->grads, np * sizeof *want);
      memcpy(want + np, vg_plan_grad(p[z], x), nx * sizeof *want);
      continue;
    }
    CHECK(memcmp(want, g->grads, np * sizeof *want) == 0, "parameter gradients differ from zeroing first");
    CHECK(memcmp(want + np, vg_plan_grad(p[z], x), nx * sizeof *want) == 0, "d loss / d x differs from zeroing first");
  }
  free(want);
  vg_plan_free(p[0]), vg_plan_free(p[1]);
  vg_graph_free(g);
  printf("  gradients: %d set by their first writer, %d zeroed, %d of parameters set, as when all are zeroed first\n",
         st.grads_set, st.grads_zeroed, st.param_grads_set);
}

/* Two plans of one graph share one arena, as large as the larger: after
 * the other runs, the first's values are refused, not silently stale, and
 * running it again gives them back, the same. */
static void shared_arena(void) {
  vg_graph *g = vg_graph_new(6);
  int64_t d[2] = {32, 64};
  int x = vg_input(g, "x", vg_shape_of(2, d));
  int grp = vg_group_new(g, "net");
  int h = vg_node_add(g, VG_OP_TANH, NULL, 1, (int[]){linear(g, grp, "fc1", x, 64, 64)}, NULL);
  int out = linear(g, grp, "fc2", h, 64, 64);
  int loss = vg_node_add(g, VG_OP_MEAN, "loss", 1, &out, NULL);
  vg_plan *train, *eval;
  vg_plan_spec ts = {.name = "train", .loss = loss, .update = &grp, .nupdate = 1};
  vg_plan_spec es = {.name = "eval", .loss = -1, .fetch = &h, .nfetch = 1};
  CHECK(vg_plan_compile(g, &ts, &train) == VG_OK, "%s", vg_graph_error(g));
  CHECK(vg_plan_compile(g, &es, &eval) == VG_OK, "%s", vg_graph_error(g));
  vg_plan_stats a = vg_plan_get_stats(train), b = vg_plan_get_stats(eval);
  CHECK(b.arena_bytes < a.arena_bytes && a.shared_bytes == a.arena_bytes && b.shared_bytes == a.shared_bytes,
        "eval (%zu bytes) does not lie in train's arena (%zu; shared %zu and %zu)", b.arena_bytes, a.arena_bytes,
        a.shared_bytes, b.shared_bytes);
  for (int i = 0; i < 32 * 64; i++) vg_input_fill(g, x)[i] = (float)sin(i * 0.3);
  char why[256];
  CHECK(vg_plan_value(train, loss) == NULL && vg_plan_unreadable(train, loss, 0, why, sizeof why) &&
            strstr(why, "has not run"), "a plan that has not run gives a value");
  CHECK(vg_plan_run(train, 1) == VG_OK, "%s", vg_graph_error(g));
  const float first = vg_plan_value(train, loss)[0];
  CHECK(vg_plan_run(eval, 1) == VG_OK, "%s", vg_graph_error(g));
  CHECK(vg_plan_value(eval, h) != NULL, "eval's own value is not readable");
  CHECK(vg_plan_value(train, loss) == NULL, "train's loss is readable after eval ran in its memory");
  CHECK(vg_plan_unreadable(train, loss, 0, why, sizeof why) && strstr(why, "plan 'eval' ran after plan 'train'"),
        "the reason names neither plan: %s", why);
  /* Parameter gradients live outside the arena: still train's. */
  const int w1 = vg_node_find(g, "fc1.weight");
  CHECK(vg_plan_grad(train, w1) != NULL && !vg_plan_unreadable(train, w1, 1, why, sizeof why),
        "a parameter's gradient was refused");
  vg_plan_free(eval);
  CHECK(vg_plan_value(train, loss) == NULL, "freeing the plan that ran last made train's values current");
  /* A plan compiled before a larger one keeps its own arena; both run. */
  vg_plan *small;
  vg_plan_spec ss = {.name = "small", .loss = -1, .fetch = &h, .nfetch = 1};
  CHECK(vg_plan_compile(g, &ss, &small) == VG_OK, "%s", vg_graph_error(g));
  CHECK(vg_plan_run(small, 1) == VG_OK && vg_plan_value(small, h) != NULL, "the small plan did not run");
  /* The parameters moved only by gradient, which no optimizer applied. */
  CHECK(vg_plan_run(train, 1) == VG_OK, "%s", vg_graph_error(g));
  CHECK(vg_plan_value(train, loss) && vg_plan_value(train, loss)[0] == first, "train's loss changed after eval ran");
  vg_plan_free(train);
  vg_plan_free(small);
  vg_graph_free(g);
  /* Small first, then large: the large plan gets a new arena, the small
   * one keeps its old one, and each runs and reads its own values. */
  g = vg_graph_new(6);
  x = vg_input(g, "x", vg_shape_of(2, d));
  grp = vg_group_new(g, "net");
  h = vg_node_add(g, VG_OP_TANH, NULL, 1, (int[]){linear(g, grp, "fc1", x, 64, 64)}, NULL);
  out = linear(g, grp, "fc2", h, 64, 64);
  loss = vg_node_add(g, VG_OP_MEAN, "loss", 1, &out, NULL);
  for (int i = 0; i < 32 * 64; i++) vg_input_fill(g, x)[i] = (float)sin(i * 0.3);
  CHECK(vg_plan_compile(g, &es, &eval) == VG_OK && vg_plan_compile(g, &ts, &train) == VG_OK, "%s", vg_graph_error(g));
  CHECK(vg_plan_get_stats(eval).shared_bytes < vg_plan_get_stats(train).shared_bytes, "eval grew into train's arena");
  CHECK(vg_plan_run(eval, 1) == VG_OK && vg_plan_run(train, 1) == VG_OK, "%s", vg_graph_error(g));
  CHECK(vg_plan_value(train, loss) && vg_plan_value(train, loss)[0] == first, "train's loss differs compiled second");
  CHECK(vg_plan_value(eval, h) != NULL, "eval, alone in its arena, was refused");
  vg_plan_free(train);
  vg_plan_free(eval);
  vg_graph_free(g);
}

/* z feeds two branches whose losses add: d loss / d w must be the sum of
 * both paths' gradients. Checked against central differences in float. */
static void shared_node(void) {
  vg_graph *g = vg_graph_new(4);
  int64_t d[2] = {5, 6};
  int x = vg_input(g, "x", vg_shape_of(2, d));
  int grp = vg_group_new(g, "net");
  int z = linear(g, grp, "enc", x, 6, 4);
  int a = vg_node_add(g, VG_OP_TANH, "a", 1, &z, NULL);
  int b = linear(g, grp, "other", z, 4, 3);
  int la = vg_node_add(g, VG_OP_SUM, "la", 1, &a, NULL);
  int lb = vg_node_add(g, VG_OP_MSE, "lb", 1, &b, "target=0.3 reduction=sum");
  int ab[2] = {la, lb};
  int loss = vg_node_add(g, VG_OP_ADD, "loss", 2, ab, NULL);
  vg_plan *p;
  vg_plan_spec s = {.name = "shared", .loss = loss, .update = &grp, .nupdate = 1};
  CHECK(vg_plan_compile(g, &s, &p) == VG_OK, "%s", vg_graph_error(g));
  for (int i = 0; i < 30; i++) vg_input_fill(g, x)[i] = (float)cos(i);
  vg_plan_run(p, 0);
  float *w = vg_param_data(g, vg_node_find(g, "enc.weight"));
  float *dw = g->grads + g->nodes[vg_node_find(g, "enc.weight")].off;
  float analytic[24];
  memcpy(analytic, dw, sizeof analytic);
  double worst = 0;
  for (int i = 0; i < 24; i++) {
    float keep = w[i];
    w[i] = keep + 1e-2f;
    vg_plan_run(p, 0);
    double lp = vg_plan_value(p, loss)[0];
    w[i] = keep - 1e-2f;
    vg_plan_run(p, 0);
    double lm = vg_plan_value(p, loss)[0];
    w[i] = keep;
    double num = (lp - lm) / 2e-2;
    worst = fmax(worst, fabs(num - analytic[i]) / fmax(fabs(num), 1));
  }
  CHECK(worst < 5e-3, "gradient through a shared node is off by %.2e", worst);
  vg_plan_free(p);
  vg_graph_free(g);
}

/* log of a negative input: the run reports the loss; the check names log. */
static void first_bad_node(void) {
  vg_graph *g = vg_graph_new(5);
  int64_t d[1] = {4};
  vg_graph_set_where(g, "model.lua:7");
  int x = vg_input(g, "x", vg_shape_of(1, d));
  int grp = vg_group_new(g, "net");
  int w = vg_param(g, grp, "w", vg_shape_of(1, d), (vg_init){VG_INIT_CONST, 1, 0});
  int xw[2] = {x, w};
  int m = vg_node_add(g, VG_OP_MUL, "m", 2, xw, NULL);
  vg_graph_set_where(g, "model.lua:8");
  int lg = vg_node_add(g, VG_OP_LOG, "logm", 1, &m, NULL);
  int e = vg_node_add(g, VG_OP_EXP, "e", 1, &lg, NULL);
  int loss = vg_node_add(g, VG_OP_SUM, "loss", 1, &e, NULL);
  vg_plan *p;
  vg_plan_spec s = {.name = "reconstruct", .loss = loss, .update = &grp, .nupdate = 1};
  CHECK(vg_plan_compile(g, &s, &p) == VG_OK, "%s", vg_graph_error(g));
  float *xv = vg_input_fill(g, x);
  xv[0] = 1, xv[1] = 2, xv[2] = -1, xv[3] = 3;
  CHECK(vg_plan_run(p, 17) == VG_ERR_NUMERIC, "NaN loss not reported");
  CHECK(strcmp(vg_graph_error(g), "model.lua:8: run 'reconstruct', step 17: loss 'loss' is nan") == 0 ||
            strcmp(vg_graph_error(g), "model.lua:8: run 'reconstruct', step 17: loss 'loss' is -nan") == 0,
        "got: %s", vg_graph_error(g));
  CHECK(vg_plan_check_finite(p, 17) == VG_ERR_NUMERIC, "bad node not found");
  CHECK(strcmp(vg_graph_error(g), "model.lua:8: run 'reconstruct', step 17: output of log 'logm' is not finite") == 0,
        "got: %s", vg_graph_error(g));
  vg_plan_free(p);
  vg_graph_free(g);
}

/* The AAE's last two phases in small: "disc" updates the discriminator
 * from codes of an encoder it does not update (through stop_gradient);
 * "gen" updates the encoder through the discriminator. */
typedef struct aae {
  vg_graph *g;
  int x, code, enc, disc, wenc, gl;
  vg_plan *dp, *gp;
  vg_optim *dopt, *gopt;
} aae;

static void aae_fill(aae *a, int step) {
  float *x = vg_input_fill(a->g, a->x);
  for (int i = 0; i < 16 * 12; i++) x[i] = (float)sin(0.37 * i + step);
}

/* fused: each plan takes its optimizer's step inside its backward pass. */
static void aae_build(aae *a, int reuse, int fused) {
  vg_graph *g = a->g = vg_graph_new(11);
  int64_t d[2] = {16, 12}, dw[2] = {1, 4};
  a->x = vg_input(g, "x", vg_shape_of(2, d));
  a->enc = vg_group_new(g, "encoder");
  a->disc = vg_group_new(g, "discriminator");
  int h = vg_node_add(g, VG_OP_RELU, NULL, 1, (int[]){linear(g, a->enc, "e1", a->x, 12, 10)}, NULL);
  h = vg_node_add(g, VG_OP_DROPOUT, "drop", 1, &h, "p=0.25");
  a->code = linear(g, a->enc, "e2", h, 10, 4);
  a->wenc = vg_node_find(g, "e1.weight");
  int w = vg_param(g, a->disc, "d.weight", vg_shape_of(2, dw), (vg_init){VG_INIT_XAVIER_UNIFORM, 1, 0});
  int sg = vg_node_add(g, VG_OP_STOP_GRADIENT, NULL, 1, &a->code, NULL);
  int fake = vg_node_add(g, VG_OP_TANH, NULL, 1, (int[]){vg_node_add(g, VG_OP_LINEAR, "d_fake", 2, (int[]){sg, w}, NULL)}, NULL);
  int dl = vg_node_add(g, VG_OP_MEAN, "disc_loss", 1, &fake, NULL);
  int gen = vg_node_add(g, VG_OP_TANH, NULL, 1, (int[]){vg_node_add(g, VG_OP_LINEAR, "d_gen", 2, (int[]){a->code, w}, NULL)}, NULL);
  int gl = a->gl = vg_node_add(g, VG_OP_MEAN, "gen_loss", 1, &gen, NULL);
  vg_optim_conf conf = vg_optim_defaults(VG_OPTIM_ADAM);
  CHECK(vg_optim_new(g, &conf, &a->disc, NULL, 1, &a->dopt) == VG_OK && vg_optim_new(g, &conf, &a->enc, NULL, 1, &a->gopt) == VG_OK,
        "%s", vg_graph_error(g));
  vg_plan_spec ds = {.name = "disc", .loss = dl, .update = &a->disc, .nupdate = 1, .fetch = &a->code, .nfetch = 1,
                     .optim = fused ? a->dopt : NULL};
  CHECK(vg_plan_compile(g, &ds, &a->dp) == VG_OK, "%s", vg_graph_error(g));
  vg_plan_spec gs = {.name = "gen", .loss = gl, .update = &a->enc, .nupdate = 1, .after = reuse ? a->dp : NULL,
                     .optim = fused ? a->gopt : NULL};
  CHECK(vg_plan_compile(g, &gs, &a->gp) == VG_OK, "%s", vg_graph_error(g));
}

/* One training step: each phase, then its optimizer's step unless the
 * plan took it. */
static void aae_step(aae *m, int step) {
  aae_fill(m, step);
  CHECK(vg_plan_run(m->dp, (uint64_t)step) == VG_OK, "%s", vg_graph_error(m->g));
  if (!vg_optim_plan(m->dopt)) vg_optim_step(m->dopt);
  CHECK(vg_plan_run(m->gp, (uint64_t)step) == VG_OK, "%s", vg_graph_error(m->g));
  if (!vg_optim_plan(m->gopt)) vg_optim_step(m->gopt);
}

static float aae_loss(aae *a) { return vg_plan_value(a->gp, a->gl)[0]; }

static void aae_free(aae *a) {
  vg_optim_free(a->dopt), vg_optim_free(a->gopt);
  vg_plan_free(a->gp), vg_plan_free(a->dp);
  vg_graph_free(a->g);
}

/* "gen" reuses the encoder's values "disc" computed: the same bits as
 * computing them again, recomputed whenever anything they depend on was
 * written since (inputs, encoder parameters, another step), and really
 * skipped otherwise, the discriminator's own update in between included,
 * also when each plan takes its optimizer's step itself (c). */
static void reuse_after(void) {
  aae a, b, c;
  aae_build(&a, 1, 0);
  aae_build(&b, 0, 0);
  aae_build(&c, 1, 1);
  CHECK(vg_plan_get_stats(a.gp).nodes_reused == 4 && vg_plan_get_stats(b.gp).nodes_reused == 0 &&
            vg_plan_get_stats(c.gp).nodes_reused == 4,
        "gen reuses %d forward steps, not the encoder's 4", vg_plan_get_stats(a.gp).nodes_reused);
  CHECK(vg_plan_get_stats(a.gp).flops < vg_plan_get_stats(b.gp).flops, "reused steps still counted in the FLOPs");
  for (int step = 1; step <= 6; step++) {
    aae *all[3] = {&a, &b, &c};
    for (int k = 0; k < 3; k++) aae_step(all[k], step);
    CHECK(aae_loss(&a) == aae_loss(&b), "step %d: gen loss %.9g reusing, %.9g not", step, aae_loss(&a), aae_loss(&b));
    CHECK(aae_loss(&c) == aae_loss(&b), "step %d: gen loss %.9g with the optimizers in the plans, %.9g not", step,
          aae_loss(&c), aae_loss(&b));
  }
  CHECK(memcmp(a.g->params, b.g->params, a.g->nparams * sizeof(float)) == 0, "parameters differ after 6 steps");
  CHECK(memcmp(c.g->params, b.g->params, c.g->nparams * sizeof(float)) == 0,
        "parameters differ after 6 steps with the optimizers in the plans");
  /* With its step inside "disc", the codes stay reusable too. */
  CHECK(vg_plan_run(c.dp, 12) == VG_OK, "%s", vg_graph_error(c.g));
  ((float *)vg_plan_value(c.dp, c.code))[0] += 1.0f;
  CHECK(vg_plan_run(c.gp, 12) == VG_OK, "%s", vg_graph_error(c.g));
  const float scribbled_c = aae_loss(&c);
  aae_fill(&c, 6);
  CHECK(vg_plan_run(c.gp, 12) == VG_OK && aae_loss(&c) != scribbled_c,
        "the discriminator's step inside its plan stopped the reuse");
  aae_free(&c);

  /* White box: scribble on the shared code after "disc" ran, to see
   * whether "gen" read it or computed its own. */
#define SCRIBBLE() ((float *)vg_plan_value(a.dp, a.code))[0] += 1.0f
  CHECK(vg_plan_run(a.dp, 10) == VG_OK && vg_plan_run(a.gp, 10) == VG_OK, "%s", vg_graph_error(a.g));
  const float ref = aae_loss(&a);
  CHECK(vg_plan_run(a.dp, 10) == VG_OK, "%s", vg_graph_error(a.g));
  SCRIBBLE();
  CHECK(vg_plan_run(a.gp, 10) == VG_OK && aae_loss(&a) != ref, "gen did not reuse disc's code");
  CHECK(vg_plan_value(a.dp, a.code) != NULL, "disc's code unreadable though gen only read it");
  const char *what[] = {"an input written", "an encoder parameter written", "another step"};
  for (int t = 0; t < 3; t++) {
    CHECK(vg_plan_run(a.dp, 10) == VG_OK, "%s", vg_graph_error(a.g));
    SCRIBBLE();
    uint64_t step = 10;
    if (t == 0) aae_fill(&a, 6); /* the same values: a write is a write */
    if (t == 1) vg_param_data(a.g, a.wenc)[0] += 0.0f;
    if (t == 2) step = 11;
    CHECK(vg_plan_run(a.gp, step) == VG_OK, "%s", vg_graph_error(a.g));
    CHECK(t == 2 || aae_loss(&a) == ref, "%s: gen reused stale codes (%.9g, not %.9g)", what[t], aae_loss(&a), ref);
    CHECK(vg_plan_value(a.dp, a.code) == NULL, "%s: disc's code readable after gen rewrote it", what[t]);
  }
  /* gen at step 11 against disc then gen at step 11. */
  const float at11 = aae_loss(&a);
  CHECK(vg_plan_run(a.dp, 11) == VG_OK && vg_plan_run(a.gp, 11) == VG_OK && aae_loss(&a) == at11,
        "another step: %.9g recomputed, %.9g reused", at11, aae_loss(&a));
  /* The discriminator's optimizer step leaves the codes reusable. */
  CHECK(vg_plan_run(a.dp, 12) == VG_OK, "%s", vg_graph_error(a.g));
  vg_optim_step(a.dopt);
  SCRIBBLE();
  CHECK(vg_plan_run(a.gp, 12) == VG_OK, "%s", vg_graph_error(a.g));
  const float scribbled = aae_loss(&a);
  aae_fill(&a, 6);
  CHECK(vg_plan_run(a.gp, 12) == VG_OK && aae_loss(&a) != scribbled, "the discriminator's step stopped the reuse");
#undef SCRIBBLE
  /* Either plan freed first, the other still runs. */
  vg_plan_free(a.dp), a.dp = NULL;
  CHECK(vg_plan_run(a.gp, 13) == VG_OK && isfinite(aae_loss(&a)), "gen without disc: %s", vg_graph_error(a.g));
  aae_free(&a);
  aae_free(&b);
}

/* A plan given its optimizer (spec.optim) takes the step during its
 * backward pass, each parameter once its gradient is complete: the same
 * bits as running the plan and then vg_optim_step, for every rule, with a
 * weight read by two layers (its update must wait for the second one's
 * backward, which reads it) and groups at two learning rates. */
typedef struct tiny {
  vg_graph *g;
  int x, grp[2], w1, w2, loss;
  vg_plan *p;
  vg_optim *o;
} tiny;

static int tiny_build(tiny *t, vg_optim_kind kind, int fused, int wrt) {
  vg_graph *g = t->g = vg_graph_new(21);
  int64_t d[2] = {8, 10};
  t->x = vg_input(g, "x", vg_shape_of(2, d));
  t->grp[0] = vg_group_new(g, "a"), t->grp[1] = vg_group_new(g, "b");
  int h = vg_node_add(g, VG_OP_TANH, NULL, 1, (int[]){linear(g, t->grp[0], "fc1", t->x, 10, 10)}, NULL);
  t->w1 = vg_node_find(g, "fc1.weight");
  h = vg_node_add(g, VG_OP_TANH, NULL, 1, (int[]){vg_node_add(g, VG_OP_LINEAR, "fc1_again", 2, (int[]){h, t->w1}, NULL)}, NULL);
  h = linear(g, t->grp[1], "fc2", h, 10, 4);
  t->w2 = vg_node_find(g, "fc2.weight");
  int hh[2] = {h, h};
  h = vg_node_add(g, VG_OP_MUL, NULL, 2, hh, NULL);
  t->loss = vg_node_add(g, VG_OP_MEAN, "loss", 1, &h, NULL);
  vg_optim_conf conf = vg_optim_defaults(kind);
  conf.momentum = kind == VG_OPTIM_SGD || kind == VG_OPTIM_RMSPROP ? 0.9 : 0;
  conf.nesterov = kind == VG_OPTIM_SGD;
  conf.weight_decay = kind == VG_OPTIM_ADAMW ? 0.1 : 0.01;
  const double lr[2] = {0.05, 0.02};
  if (vg_optim_new(g, &conf, t->grp, lr, 2, &t->o) != VG_OK) return 0;
  vg_plan_spec s = {.name = fused ? "fused" : "apart", .loss = t->loss, .update = t->grp, .nupdate = 2,
                    .optim = fused ? t->o : NULL, .wrt = &t->w1, .nwrt = wrt};
  return vg_plan_compile(g, &s, &t->p) == VG_OK;
}

static void tiny_fill(tiny *t, int step) {
  float *x = vg_input_fill(t->g, t->x);
  for (int i = 0; i < 80; i++) x[i] = (float)sin(0.29 * i + 1.7 * step);
}

static void tiny_free(tiny *t) {
  vg_plan_free(t->p);
  vg_optim_free(t->o);
  vg_graph_free(t->g);
}

static void optimizer_in_backward(void) {
  const vg_optim_kind kinds[] = {VG_OPTIM_SGD, VG_OPTIM_ADAM, VG_OPTIM_ADAMW, VG_OPTIM_RMSPROP};
  for (int k = 0; k < 4; k++) {
    const int wrt = k == 1; /* Adam keeps w1's gradient readable too */
    tiny f = {0}, r = {0};
    const int built = tiny_build(&f, kinds[k], 1, wrt) & tiny_build(&r, kinds[k], 0, 0);
    CHECK(built, "%s: %s / %s", vg_optim_kind_name(kinds[k]), vg_graph_error(f.g), vg_graph_error(r.g));
    if (!built) {
      tiny_free(&f), tiny_free(&r);
      continue;
    }
    CHECK(vg_plan_get_stats(f.p).params_applied == 2 && vg_plan_get_stats(r.p).params_applied == 0,
          "%d parameters updated in the backward pass, not 2", vg_plan_get_stats(f.p).params_applied);
    for (int step = 1; step <= 5; step++) {
      tiny_fill(&f, step), tiny_fill(&r, step);
      if (step == 5) counting = 1;
      CHECK(vg_plan_run(f.p, (uint64_t)step) == VG_OK, "%s", vg_graph_error(f.g));
      counting = 0;
      CHECK(vg_plan_run(r.p, (uint64_t)step) == VG_OK, "%s", vg_graph_error(r.g));
      if (wrt)
        CHECK(memcmp(vg_plan_grad(f.p, f.w1), r.g->grads + r.g->nodes[r.w1].off, 100 * sizeof(float)) == 0,
              "step %d: the kept gradient of fc1.weight differs", step);
      vg_optim_step(r.o);
      CHECK(vg_plan_value(f.p, f.loss)[0] == vg_plan_value(r.p, r.loss)[0], "%s step %d: loss %.9g fused, %.9g apart",
            vg_optim_kind_name(kinds[k]), step, vg_plan_value(f.p, f.loss)[0], vg_plan_value(r.p, r.loss)[0]);
    }
    CHECK(allocs == 0, "a run that takes the optimizer's step allocated %d times", allocs);
    CHECK(memcmp(f.g->params, r.g->params, f.g->nparams * sizeof(float)) == 0,
          "%s: parameters differ from run-then-step after 5 steps", vg_optim_kind_name(kinds[k]));
    CHECK(vg_optim_steps(f.o) == 5 && f.g->groups[f.grp[1]].steps == 5, "the step count is %lld, not 5",
          (long long)vg_optim_steps(f.o));
    CHECK((vg_plan_grad(f.p, f.w2) == NULL) && (wrt == (vg_plan_grad(f.p, f.w1) != NULL)),
          "applied gradients readable after the run (only those in wrt should be)");
    /* Locating a NaN runs the plan again without stepping. */
    float *before = malloc(f.g->nparams * sizeof *before);
    if (before) {
      memcpy(before, f.g->params, f.g->nparams * sizeof *before);
      CHECK(vg_plan_check_finite(f.p, 6) == VG_OK, "%s", vg_graph_error(f.g));
      CHECK(memcmp(before, f.g->params, f.g->nparams * sizeof *before) == 0 && vg_optim_steps(f.o) == 5,
            "vg_plan_check_finite moved the parameters");
      free(before);
    }
    tiny_free(&f), tiny_free(&r);
  }

  /* The optimizer must step exactly the groups the plan updates. */
  tiny t = {0};
  CHECK(tiny_build(&t, VG_OPTIM_ADAM, 0, 0), "%s", vg_graph_error(t.g));
  vg_optim *one = NULL;
  vg_optim_conf conf = vg_optim_defaults(VG_OPTIM_ADAM);
  CHECK(vg_optim_new(t.g, &conf, &t.grp[0], NULL, 1, &one) == VG_OK, "%s", vg_graph_error(t.g));
  vg_plan *p = NULL;
  vg_plan_spec s = {.name = "both", .loss = t.loss, .update = t.grp, .nupdate = 2, .optim = one};
  CHECK(vg_plan_compile(t.g, &s, &p) == VG_ERR_ARG && strstr(vg_graph_error(t.g), "group 'b' is updated but its optimizer"),
        "an optimizer missing a group: %s", vg_graph_error(t.g));
  vg_plan_free(p), p = NULL;
  s = (vg_plan_spec){.name = "b only", .loss = t.loss, .update = &t.grp[1], .nupdate = 1, .optim = t.o};
  CHECK(vg_plan_compile(t.g, &s, &p) == VG_ERR_ARG && strstr(vg_graph_error(t.g), "steps group 'a', which the plan does not"),
        "an optimizer of more groups: %s", vg_graph_error(t.g));
  vg_plan_free(p), p = NULL;
  s = (vg_plan_spec){.name = "eval", .loss = t.loss, .update = t.grp, .nupdate = 2, .optim = t.o, .eval = 1};
  CHECK(vg_plan_compile(t.g, &s, &p) == VG_ERR_ARG && strstr(vg_graph_error(t.g), "no training loss"),
        "an optimizer in evaluation mode: %s", vg_graph_error(t.g));
  vg_plan_free(p), p = NULL;
  CHECK(vg_optim_plan(t.o) == NULL && vg_optim_plan(one) == NULL, "an optimizer marked as stepped by a plan that failed");
  vg_optim_free(one), one = NULL;
  const int twice[2] = {t.grp[0], t.grp[0]};
  CHECK(vg_optim_new(t.g, &conf, twice, NULL, 2, &one) == VG_ERR_ARG && strstr(vg_graph_error(t.g), "group 'a' listed twice"),
        "a group listed twice: %s", vg_graph_error(t.g));
  vg_optim_free(one);
  /* A plan that steps its optimizer cannot run split over processes: it
   * would step before their gradients are summed. */
  s = (vg_plan_spec){.name = "fused", .loss = t.loss, .update = t.grp, .nupdate = 2, .optim = t.o};
  CHECK(vg_plan_compile(t.g, &s, &p) == VG_OK, "%s", vg_graph_error(t.g));
  CHECK(vg_optim_plan(t.o) && strcmp(vg_optim_plan(t.o), "fused") == 0, "the optimizer does not name its plan");
  const vg_collective two = {.sum = NULL, .share = 0.5};
  tiny_fill(&t, 1);
  vg_plan_set_collective(p, &two);
  CHECK(vg_plan_run(p, 1) == VG_ERR_ARG && strstr(vg_graph_error(t.g), "before the processes could sum their gradients"),
        "a fused plan ran split over processes: %s", vg_graph_error(t.g));
  vg_plan_set_collective(p, NULL);
  CHECK(vg_plan_run(p, 1) == VG_OK, "%s", vg_graph_error(t.g));
  vg_plan_free(p);
  tiny_free(&t);

  /* A deep MLP's parameter gradients are alive a layer or two at a time,
   * not all through the run. */
  vg_graph *g = vg_graph_new(3);
  int64_t d[2] = {64, 128};
  int x = vg_input(g, "x", vg_shape_of(2, d)), grp = vg_group_new(g, "net"), h = x;
  for (int l = 0; l < 12; l++) {
    char n[32];
    snprintf(n, sizeof n, "fc%d", l);
    h = vg_node_add(g, VG_OP_TANH, NULL, 1, (int[]){linear(g, grp, n, h, 128, 128)}, NULL);
  }
  int loss = vg_node_add(g, VG_OP_MEAN, "loss", 1, &h, NULL);
  vg_optim *o = NULL;
  CHECK(vg_optim_new(g, &conf, &grp, NULL, 1, &o) == VG_OK, "%s", vg_graph_error(g));
  vg_plan *pf = NULL, *pa = NULL;
  vg_plan_spec sf = {.name = "fused", .loss = loss, .update = &grp, .nupdate = 1, .optim = o};
  vg_plan_spec sa = {.name = "apart", .loss = loss, .update = &grp, .nupdate = 1};
  CHECK(vg_plan_compile(g, &sf, &pf) == VG_OK && vg_plan_compile(g, &sa, &pa) == VG_OK, "%s", vg_graph_error(g));
  if (pf && pa) {
    const size_t fused = vg_plan_get_stats(pf).arena_bytes, apart = vg_plan_get_stats(pa).arena_bytes,
                 grads = g->nparams * sizeof(float);
    printf("  optimizer in the backward pass: deep mlp arena %zu bytes, %zu + %zu of parameter gradients apart\n",
           fused, apart, grads);
    CHECK(fused < apart + grads / 4, "arena %zu with the optimizer inside, %zu + %zu apart", fused, apart, grads);
  }
  vg_plan_free(pf), vg_plan_free(pa);
  vg_optim_free(o);
  vg_graph_free(g);
}

int main(void) {
  memory_reuse();
  gradients_set();
  reuse_after();
  shared_node();
  shared_arena();
  first_bad_node();
  optimizer_in_backward();
  CHECK_DONE();
}
