/* Each kind of bad graph gives its error, with the exact text a user sees,
 * and leaves the graph usable (AddressSanitizer checks for leaks). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "graph.h"
#include "plan.h"

static vg_graph *g;
static int x, grp;

static void fresh(void) {
  vg_graph_free(g);
  g = vg_graph_new(1);
  int64_t d[2] = {256, 400};
  vg_graph_set_where(g, "aae.lua:12");
  x = vg_input(g, "x", vg_shape_of(2, d));
  grp = vg_group_new(g, "encoder");
}

static int param(const char *name, int64_t a, int64_t b) {
  int64_t d[2] = {a, b};
  return vg_param(g, grp, name, vg_shape_of(b ? 2 : 1, d), (vg_init){VG_INIT_NORMAL, 0, 0.1});
}

static void shape_mismatch(void) {
  fresh();
  int w = param("encoder.fc2.weight", 150, 1000), b = param("encoder.fc2.bias", 150, 0);
  int in[3] = {x, w, b};
  int before = g->n;
  int y = vg_node_add(g, VG_OP_LINEAR, "encoder.fc2", 3, in, NULL);
  CHECK(y == -1, "mismatched linear was accepted");
  CHECK(g->n == before, "a failed node was left in the graph");
  CHECK(strcmp(vg_graph_error(g), "aae.lua:12: linear 'encoder.fc2': input has 400 features, weight expects 1000 "
                                  "(input [256,400], weight 'encoder.fc2.weight' [150,1000])") == 0,
        "got: %s", vg_graph_error(g));
  int64_t d[2] = {256, 399};
  int x2 = vg_input(g, "x2", vg_shape_of(2, d));
  int ab[2] = {x, x2};
  CHECK(vg_node_add(g, VG_OP_ADD, "both", 2, ab, NULL) == -1, "mismatched add was accepted");
  CHECK(strcmp(vg_graph_error(g), "aae.lua:12: add 'both': 'x' [256,400] and 'x2' [256,399] do not broadcast "
                                  "(the shapes must be equal, or one, without its trailing 1s, must begin the other: "
                                  "[B] or [B,1] against [B,C,H,W])") == 0,
        "got: %s", vg_graph_error(g));
}

static void loss_not_scalar(void) {
  fresh();
  int w = param("w", 10, 400);
  int in[2] = {x, w};
  int y = vg_node_add(g, VG_OP_LINEAR, "y", 2, in, NULL);
  vg_plan *p = NULL;
  vg_plan_spec s = {.name = "train", .loss = y, .update = &grp, .nupdate = 1};
  CHECK(vg_plan_compile(g, &s, &p) == VG_ERR_GRAPH && p == NULL, "non-scalar loss compiled");
  CHECK(strcmp(vg_graph_error(g), "aae.lua:12: compile 'train': loss 'y' must be a scalar, but its shape is "
                                  "[256,10]; reduce it with sum or mean, or give the loss op reduction=sum") == 0,
        "got: %s", vg_graph_error(g));
}

static void param_not_reaching(void) {
  fresh();
  int w = param("w", 10, 400);
  vg_graph_set_where(g, "aae.lua:20");
  param("unused.weight", 3, 3);
  int in[2] = {x, w};
  int y = vg_node_add(g, VG_OP_LINEAR, "y", 2, in, NULL);
  int l = vg_node_add(g, VG_OP_SUM, "loss", 1, &y, NULL);
  vg_plan *p = NULL;
  vg_plan_spec s = {.name = "train", .loss = l, .update = &grp, .nupdate = 1};
  CHECK(vg_plan_compile(g, &s, &p) == VG_ERR_GRAPH && p == NULL, "unreached parameter compiled");
  CHECK(strcmp(vg_graph_error(g), "aae.lua:20: compile 'train': parameter 'unused.weight' (group 'encoder') does not "
                                  "reach loss 'loss'; did you mean to update another group, or forget to use the "
                                  "layer?") == 0,
        "got: %s", vg_graph_error(g));
}

static void cycle(void) {
  fresh();
  int a = vg_node_add(g, VG_OP_RELU, "a", 1, &x, NULL);
  int b = vg_node_add(g, VG_OP_TANH, "b", 1, &a, NULL);
  int c = vg_node_add(g, VG_OP_SIGMOID, "c", 1, &b, NULL);
  CHECK(vg_node_connect(g, a, 0, c) == VG_OK, "%s", vg_graph_error(g));
  int l = vg_node_add(g, VG_OP_SUM, "loss", 1, &c, NULL);
  vg_plan *p = NULL;
  vg_plan_spec s = {.name = "train", .loss = l};
  CHECK(vg_plan_compile(g, &s, &p) == VG_ERR_GRAPH && p == NULL, "cyclic graph compiled");
  CHECK(strcmp(vg_graph_error(g), "compile 'train': the graph has a cycle: 'c' -> 'b' -> 'a' -> 'c' "
                                  "(each node feeds the next)") == 0,
        "got: %s", vg_graph_error(g));
}

static void bad_arguments(void) {
  fresh();
  CHECK(vg_node_add(g, VG_OP_LEAKY_RELU, "lr", 1, &x, "slop=0.2") == -1, "unknown option accepted");
  CHECK(strcmp(vg_graph_error(g), "aae.lua:12: leaky_relu: unknown option 'slop' (valid: slope)") == 0, "got: %s",
        vg_graph_error(g));
  int two[2] = {x, x};
  CHECK(vg_node_add(g, VG_OP_RELU, "r", 2, two, NULL) == -1, "wrong input count accepted");
  CHECK(strcmp(vg_graph_error(g), "aae.lua:12: relu 'r': takes 1 input, got 2") == 0, "got: %s", vg_graph_error(g));
  CHECK(vg_node_add(g, VG_OP_BCE, "l", 1, &x, "reduction=avg") == -1, "bad enum accepted");
  CHECK(strcmp(vg_graph_error(g), "aae.lua:12: bce: option 'reduction' must be one of none|sum|mean|batchmean, "
                                  "got 'avg'") == 0,
        "got: %s", vg_graph_error(g));
  CHECK(vg_node_add(g, VG_OP_RELU, "x", 1, &x, NULL) == -1, "duplicate name accepted");
  CHECK_CONTAINS(vg_graph_error(g), "the name is taken by the input node created at aae.lua:12");
  CHECK(vg_node_add(g, VG_OP_RESHAPE, "r", 1, &x, "dims=7,-1") == -1, "impossible reshape accepted");
  CHECK(strcmp(vg_graph_error(g), "aae.lua:12: reshape 'r': cannot reshape 'x' [256,400] (102400 values) to [7,-1]") == 0,
        "got: %s", vg_graph_error(g));
}

static void sealed_and_connect(void) {
  fresh();
  int a = vg_node_add(g, VG_OP_RELU, "a", 1, &x, NULL);
  int b = vg_node_add(g, VG_OP_CONCAT, "cat", 2, (int[]){a, x}, "axis=1");
  vg_node_add(g, VG_OP_ADD, "sum", 2, (int[]){a, x}, NULL);
  int64_t d[2] = {5, 5};
  int bad = vg_input(g, "bad", vg_shape_of(2, d));
  int64_t d2[2] = {256, 40};
  int other = vg_input(g, "other", vg_shape_of(2, d2));
  /* Rewiring that breaks a consumer is refused and changes nothing. */
  CHECK(vg_node_connect(g, b, 1, bad) == VG_ERR_SHAPE, "bad connect accepted");
  CHECK(g->nodes[b].shape.d[1] == 800 && g->nodes[b].in[1] == x, "failed connect left the node changed");
  CHECK(vg_node_connect(g, a, 0, other) == VG_ERR_SHAPE, "connect breaking a consumer accepted");
  CHECK_CONTAINS(vg_graph_error(g), "add 'sum'");
  CHECK(g->nodes[a].shape.d[1] == 400 && g->nodes[a].in[0] == x, "failed connect left the node changed");
  /* A good rewiring re-infers the consumers. */
  int y = vg_node_add(g, VG_OP_TANH, "y", 1, &other, NULL);
  int cat2 = vg_node_add(g, VG_OP_CONCAT, "cat2", 2, (int[]){y, x}, "axis=1");
  int64_t d3[2] = {256, 7};
  int seven = vg_input(g, "seven", vg_shape_of(2, d3));
  CHECK(vg_node_connect(g, y, 0, seven) == VG_OK, "%s", vg_graph_error(g));
  CHECK(g->nodes[cat2].shape.d[1] == 407, "consumer not re-inferred: %lld", (long long)g->nodes[cat2].shape.d[1]);
  /* A parameter is not a loss. */
  int w = param("w", 1, 0);
  vg_plan *p = NULL;
  vg_plan_spec s = {.name = "train", .loss = w, .update = &grp, .nupdate = 1};
  CHECK(vg_plan_compile(g, &s, &p) == VG_ERR_GRAPH, "a parameter compiled as a loss");
  CHECK(strcmp(vg_graph_error(g), "aae.lua:12: compile 'train': param 'w' cannot be a loss; a loss is computed by an "
                                  "op") == 0,
        "got: %s", vg_graph_error(g));
  /* After compiling, the graph is sealed. */
  int l = vg_node_add(g, VG_OP_MEAN, "l", 1, &cat2, NULL);
  vg_plan_spec s2 = {.name = "fwd", .loss = l};
  CHECK(vg_plan_compile(g, &s2, &p) == VG_OK, "%s", vg_graph_error(g));
  vg_plan_free(p);
  CHECK(vg_node_add(g, VG_OP_RELU, "late", 1, &x, NULL) == -1, "node added to a sealed graph");
  CHECK(strcmp(vg_graph_error(g), "aae.lua:12: relu 'late': the graph is sealed (a plan was compiled or an optimizer "
                                  "made from it); declare every node before that") == 0,
        "got: %s", vg_graph_error(g));
  CHECK(vg_node_connect(g, a, 0, x) == VG_ERR_GRAPH, "connect on a sealed graph");
  /* Automatic names step around names the user took. */
  fresh();
  int taken = vg_node_add(g, VG_OP_RELU, "relu_3", 1, &x, NULL);
  int auto1 = vg_node_add(g, VG_OP_RELU, NULL, 1, &x, NULL);
  CHECK(taken >= 0 && auto1 >= 0, "%s", vg_graph_error(g));
  int64_t huge[4] = {65536, 65536, 65536, 65536};
  CHECK(vg_input(g, "huge", vg_shape_of(4, huge)) == -1, "an input of 2^64 values was accepted");
  int64_t six[6] = {1, 2, 3, 4, 5, 6};
  CHECK(vg_input(g, "six", vg_shape_of(6, six)) == -1, "6 dimensions accepted");
  CHECK_CONTAINS(vg_graph_error(g), "6 dimensions (at most 5)");
  CHECK(vg_node_add(g, VG_OP_GAUSSIAN_NOISE, "n", 1, &x, "sd=nan") == -1, "sd=nan accepted");
  CHECK_CONTAINS(vg_graph_error(g), "option 'sd' must be a finite number");
}

/* Batch norm's running statistics take no gradient: a phase that updates
 * their group is refused; the affine parameters' group compiles. */
static void no_gradient_inputs(void) {
  vg_graph_free(g);
  g = vg_graph_new(1);
  int64_t d[2] = {8, 3}, c = 3;
  int xin = vg_input(g, "x", vg_shape_of(2, d));
  int aff = vg_group_new(g, "bn"), state = vg_group_new(g, "bn.state");
  vg_init one = {VG_INIT_CONST, 1, 0}, zero = {VG_INIT_ZEROS, 0, 0};
  int in[5] = {xin, vg_param(g, aff, "bn.weight", vg_shape_of(1, &c), one), vg_param(g, aff, "bn.bias", vg_shape_of(1, &c), zero),
               vg_param(g, state, "bn.running_mean", vg_shape_of(1, &c), zero),
               vg_param(g, state, "bn.running_var", vg_shape_of(1, &c), one)};
  int y = vg_node_add(g, VG_OP_BATCH_NORM, "bn", 5, in, NULL);
  int sq = vg_node_add(g, VG_OP_MUL, "sq", 2, (int[]){y, y}, NULL);
  int l = vg_node_add(g, VG_OP_SUM, "loss", 1, &sq, NULL);
  vg_plan *p = NULL;
  vg_plan_spec bad = {.name = "train", .loss = l, .update = &state, .nupdate = 1};
  CHECK(vg_plan_compile(g, &bad, &p) == VG_ERR_GRAPH && !p, "running statistics were made trainable");
  CHECK_CONTAINS(vg_graph_error(g), "parameter 'bn.running_mean' (group 'bn.state') reaches loss 'loss' only through "
                                    "stop_gradient or inputs that take no gradient");
  vg_plan_spec ok = {.name = "train", .loss = l, .update = &aff, .nupdate = 1};
  CHECK(vg_plan_compile(g, &ok, &p) == VG_OK, "%s", vg_graph_error(g));
  vg_plan_free(p);
}

/* Values an op takes as indices are checked before its kernel runs, in
 * every plan (with or without a loss): an id outside the vocabulary, a
 * target that is neither a class nor the ignored id, a length past the time
 * axis, a fractional or NaN length. Each names the node, position and value
 * and leaves the plan usable. */
static void bad_index_values(void) {
  vg_graph_free(g);
  g = vg_graph_new(1);
  vg_graph_set_where(g, "svae.lua:7");
  enum { B = 2, T = 3, V = 5, E = 4, H = 2 };
  int tok = vg_input(g, "tokens", vg_shape_of(2, (int64_t[]){B, T}));
  int tgt = vg_input(g, "targets", vg_shape_of(1, (int64_t[]){B}));
  int len = vg_input(g, "lengths", vg_shape_of(1, (int64_t[]){B}));
  int grp2 = vg_group_new(g, "m");
  vg_init u = {VG_INIT_UNIFORM, -0.5, 0.5};
  int emb = vg_param(g, grp2, "emb", vg_shape_of(2, (int64_t[]){V, E}), u);
  int x = vg_node_add(g, VG_OP_EMBEDDING, "embed", 2, (int[]){tok, emb}, NULL);
  int rnn[6] = {x, len, vg_param(g, grp2, "wih", vg_shape_of(2, (int64_t[]){4 * H, E}), u),
                vg_param(g, grp2, "whh", vg_shape_of(2, (int64_t[]){4 * H, H}), u),
                vg_param(g, grp2, "bih", vg_shape_of(1, (int64_t[]){4 * H}), u),
                vg_param(g, grp2, "bhh", vg_shape_of(1, (int64_t[]){4 * H}), u)};
  int h = vg_node_add(g, VG_OP_LSTM, "rnn", 6, rnn, "output=last");
  int wo = vg_param(g, grp2, "wo", vg_shape_of(2, (int64_t[]){V, H}), u);
  int logits = vg_node_add(g, VG_OP_LINEAR, "out", 2, (int[]){h, wo}, NULL);
  int loss = vg_node_add(g, VG_OP_CROSS_ENTROPY, "nll", 2, (int[]){logits, tgt}, "reduction=sum ignore=0");
  CHECK(loss >= 0, "%s", vg_graph_error(g));
  vg_plan *train = NULL, *encode = NULL;
  vg_plan_spec ts = {.name = "train", .loss = loss, .update = &grp2, .nupdate = 1};
  vg_plan_spec es = {.name = "encode", .loss = -1, .fetch = &h, .nfetch = 1};
  CHECK(vg_plan_compile(g, &ts, &train) == VG_OK && vg_plan_compile(g, &es, &encode) == VG_OK, "%s", vg_graph_error(g));
  if (!train || !encode) return;
  float *ids = vg_input_fill(g, tok), *t = vg_input_fill(g, tgt), *l = vg_input_fill(g, len);
  const float good_ids[B * T] = {1, 4, 2, 1, 3, 0}, good_t[B] = {4, 0}, good_l[B] = {2, 2};
  struct {
    int which, at;
    float v;
    const char *want;
  } cases[] = {
      {0, 4, 5, "svae.lua:7: embedding 'embed': run 'train', step 3: id at [1,1] is 5, not a whole number in [0, 4]"},
      {0, 1, -1, "svae.lua:7: embedding 'embed': run 'encode', step 3: id at [0,1] is -1, not a whole number in [0, 4]"},
      {0, 0, 1.5f, "id at [0,0] is 1.5, not a whole number in [0, 4]"},
      {1, 1, 7, "svae.lua:7: cross_entropy 'nll': run 'train', step 3: target at [1] is 7, not a whole number in [0, 4]"},
      {2, 1, 4, "svae.lua:7: lstm 'rnn': run 'encode', step 3: length at [1] is 4, not a whole number in [0, 3]"},
      {2, 0, NAN, "lstm 'rnn': run 'train', step 3: length at [0] is nan, not a whole number in [0, 3]"},
      {2, 0, 2.5f, "length at [0] is 2.5, not a whole number in [0, 3]"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    memcpy(ids, good_ids, sizeof good_ids), memcpy(t, good_t, sizeof good_t), memcpy(l, good_l, sizeof good_l);
    vg_plan *p = strstr(cases[i].want, "'encode'") ? encode : train;
    CHECK(vg_plan_run(p, 3) == VG_OK, "good values refused: %s", vg_graph_error(g));
    (cases[i].which == 0 ? ids : cases[i].which == 1 ? t : l)[cases[i].at] = cases[i].v;
    CHECK(vg_plan_run(p, 3) == VG_ERR_VALUE, "case %zu: bad value accepted", i);
    CHECK_CONTAINS(vg_graph_error(g), cases[i].want);
  }
  memcpy(ids, good_ids, sizeof good_ids), memcpy(t, good_t, sizeof good_t), memcpy(l, good_l, sizeof good_l);
  CHECK(vg_plan_run(train, 4) == VG_OK, "the plan is not usable after a refused value: %s", vg_graph_error(g));
  vg_plan_free(train);
  vg_plan_free(encode);
}

/* batch_norm writes its running statistics in place in training: a
 * computed node there would have an activation overwritten, and a buffer
 * also passed as beta (found by fuzz_graph) or as both statistics would
 * change under the op. */
static void batch_norm_state(void) {
  fresh();
  int gamma = param("bn.gamma", 400, 0), beta = param("bn.beta", 400, 0);
  int mean = param("bn.running_mean", 400, 0), var = param("bn.running_var", 400, 0);
  int sq[1] = {beta};
  int computed = vg_node_add(g, VG_OP_EXP, "computed", 1, sq, NULL);
  CHECK(computed >= 0, "%s", vg_graph_error(g));
  const int before = g->n;
  int in[5] = {x, gamma, beta, computed, var};
  CHECK(vg_node_add(g, VG_OP_BATCH_NORM, "bn", 5, in, NULL) == -1, "a computed running mean was accepted");
  CHECK(strcmp(vg_graph_error(g), "aae.lua:12: batch_norm 'bn': running_mean 'computed' is the output of an op (exp); "
                                  "it must be a parameter or an input, since training updates it in place") == 0,
        "got: %s", vg_graph_error(g));
  int aliased[5] = {x, gamma, beta, beta, var};
  CHECK(vg_node_add(g, VG_OP_BATCH_NORM, "bn", 5, aliased, NULL) == -1, "beta as the running mean was accepted");
  CHECK(strcmp(vg_graph_error(g), "aae.lua:12: batch_norm 'bn': 'bn.beta' is both beta and running_mean; the running "
                                  "statistics need buffers of their own, since training updates them in place") == 0,
        "got: %s", vg_graph_error(g));
  int same[5] = {x, gamma, beta, mean, mean};
  CHECK(vg_node_add(g, VG_OP_BATCH_NORM, "bn", 5, same, NULL) == -1, "one buffer for both statistics was accepted");
  CHECK(strstr(vg_graph_error(g), "'bn.running_mean' is both running_mean and running_var") != NULL, "got: %s",
        vg_graph_error(g));
  CHECK(g->n == before, "a refused batch_norm was left in the graph");
  int good[5] = {x, gamma, beta, mean, var};
  CHECK(vg_node_add(g, VG_OP_BATCH_NORM, "bn", 5, good, NULL) >= 0, "%s", vg_graph_error(g));
}

int main(void) {
  bad_index_values();
  no_gradient_inputs();
  sealed_and_connect();
  shape_mismatch();
  loss_not_scalar();
  param_not_reaching();
  cycle();
  bad_arguments();
  batch_norm_state();
  vg_graph_free(g);
  CHECK_DONE();
}
