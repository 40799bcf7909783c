/* The graph builder, the compiler and the executor on graphs no one meant
 * to write: inputs and parameters of any small shape, then ops of any kind
 * on any earlier nodes with any attributes (as text, so the attribute
 * parser runs too), a loss on any node, training and evaluation plans,
 * inputs holding anything from small integers (ids, labels, lengths) to
 * NaN. What a script can build, however wrong, must end in an error with a
 * message or in a run that reads and writes only its own memory. And what
 * runs keeps two promises: the same bits at one thread as at two, and the
 * same bits from a plan that takes values from the one before it
 * (vg_plan_spec.after) as from one that computes them all.
 *
 * The input is a little program, one byte b per choice (bytes past the end
 * read as 0), so that fuzz_seeds.c can write sensible graphs by hand; the
 * moduli and tables are fuzz_graph.h's:
 *   flags            FG_THREADS2, FG_ADAM, FG_PARTIAL, FG_EVAL, FG_MEAN, FG_WRT,
 *                    FG_AFTER, FG_BEFORE_UPDATES
 *   inputs           1 + b % FG_INPUTS, each a shape: nd (1 + b % 4), then
 *                    nd dimensions ((b % FG_DIM + 1) % FG_DIM: a byte
 *                    past the end gives 1, not an empty dimension)
 *   parameters       b % FG_PARAMS, each a shape and an init kind
 *   ops              b % FG_OPS, each: op (b % VG_OP_COUNT), input count
 *                    (nin_of), that many node numbers (b % nodes so far),
 *                    attribute count (b % FG_ATTRS), each attribute: key
 *                    (b % keys; one past the last: an unknown key) and
 *                    value (an enum's choice, FG_DIMS or FG_VALUES)
 *   rewires          b % FG_REWIRES, each: node, input slot, new source
 *                    (vg_node_connect; each b % nodes or b % VG_MAX_IN)
 *   loss             node number (b % nodes): summed (or averaged) when
 *                    it is not a scalar
 *   values           per input: kind (b % FG_KINDS, value_of) and a seed
 * Nodes are numbered as made (inputs, parameters, then ops), failed ops
 * taking no number. */
#include "fuzz_file.h"
#include "fuzz_graph.h"

#include <math.h>
#include <omp.h>

#include "graph.h"
#include "optim.h"
#include "plan.h"

typedef struct reader {
  const uint8_t *p;
  size_t n, at;
} reader;

static unsigned take(reader *r) { return r->at < r->n ? r->p[r->at++] : 0u; }

/* Past this many floats the harness skips compiling: the graph may be
 * right (an op's attribute asked for a billion rows), but it is libFuzzer's
 * malloc limit that it would meet, not a bug. */
enum { MAX_FLOATS = 1 << 20, MAX_NODES = 64 };

/* Every failing call must say why: the message is cleared before each call
 * (fresh) and looked at after one that failed. */
static void fresh(vg_graph *g) { g->err[0] = '\0'; }

static void expect_message(const vg_graph *g, const char *what) {
  const char *e = vg_graph_error(g);
  VG_FUZZ_CHECK(e && e[0], "%s failed without a message", what);
  vg_fuzz_note(what, e);
}

static vg_shape shape_of(reader *r) {
  vg_shape s = {0};
  s.nd = 1 + (int)(take(r) % 4);
  for (int i = 0; i < s.nd; i++) s.d[i] = (take(r) % FG_DIM + 1) % FG_DIM; /* 0 reads 1; FG_DIM - 1 reads 0 */
  return s;
}

/* nin_min .. nin_max, and one past either end now and then. */
static int nin_of(const vg_op_f32 *op, unsigned b) {
  const int span = op->nin_max - op->nin_min + 1;
  const int k = (int)(b % (unsigned)(span + 2));
  return k == span ? op->nin_max + 1 : k == span + 1 ? op->nin_min - 1 : op->nin_min + k;
}

/* "key=value ..." from the program; an enum's value is one of its choices
 * or a word it does not know. */
static void attrs_of(reader *r, const vg_op_f32 *op, char *text, size_t cap) {
  int nkeys = 0;
  while (nkeys < VG_MAX_ATTR && op->attrs[nkeys].name) nkeys++;
  size_t len = 0;
  text[0] = '\0';
  const int count = (int)(take(r) % FG_ATTRS);
  for (int a = 0; a < count; a++) {
    const int key = (int)(take(r) % (unsigned)(nkeys + 1));
    const unsigned v = take(r);
    char value[64];
    const char *name = key < nkeys ? op->attrs[key].name : "bogus";
    if (key < nkeys && op->attrs[key].kind == VG_ATTR_ENUM) {
      const char *c = op->attrs[key].choices;
      unsigned want = v % FG_CHOICES;
      while (want > 0 && c) {
        c = strchr(c, '|');
        if (c) c++;
        want--;
      }
      if (!c) snprintf(value, sizeof value, "zzz");
      else snprintf(value, sizeof value, "%.*s", (int)strcspn(c, "|"), c);
    } else if (key < nkeys && op->attrs[key].kind == VG_ATTR_DIMS) {
      snprintf(value, sizeof value, "%s", FG_DIMS[v % FG_NDIMS]);
    } else {
      snprintf(value, sizeof value, "%s", FG_VALUES[v % FG_NVALUES]);
    }
    const int w = snprintf(text + len, cap - len, "%s%s=%s", len ? " " : "", name, value);
    if (w < 0 || (size_t)w >= cap - len) break;
    len += (size_t)w;
  }
}

/* A float from the kind the program asked for: 0 uniform in [-1, 1], 1
 * small integers (ids, labels, lengths), 2 probabilities, 3 large or
 * negative integers, 4 anything including NaN and infinities. */
static float value_of(int kind, uint32_t *s) {
  *s = *s * 1664525u + 1013904223u;
  const uint32_t u = *s >> 8;
  switch (kind) {
    case 0: return (float)u / 8388608.0f - 1.0f;
    case 1: return (float)(u % 6);
    case 2: return (float)u / 16777216.0f;
    case 3: return (float)((int)(u % 2001) - 1000) * 1000.0f;
    default: {
      static const float odd[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 1e30f, -1e30f, 1e-40f, 2.5f, 3.0f};
      return odd[u % 10];
    }
  }
}

static size_t floats_needed(const vg_graph *g, int threads) {
  size_t sum = 0;
  for (int i = 0; i < g->n; i++) {
    const vg_node *n = &g->nodes[i];
    const int64_t numel = vg_shape_numel(&n->bound);
    /* each term bounded first, so the sum cannot wrap */
    if (numel < 0 || numel > MAX_FLOATS || n->saved_bound > MAX_FLOATS || n->scratch_bound > MAX_FLOATS ||
        n->scratch_thread_bound > MAX_FLOATS)
      return SIZE_MAX;
    sum += (size_t)numel * 2 + n->saved_bound + n->scratch_bound + n->scratch_thread_bound * threads;
    if (sum > MAX_FLOATS) return SIZE_MAX;
  }
  return sum;
}

/* One run of a compiled plan; a failure must carry a message, and a run
 * with a loss must leave it readable. */
static vg_status run_plan(vg_graph *g, vg_plan *p, int loss, uint64_t step) {
  fresh(g);
  const vg_status st = vg_plan_run(p, step);
  if (st != VG_OK) {
    expect_message(g, "run");
    return st;
  }
  if (loss >= 0) {
    const float *v = vg_plan_value(p, loss);
    VG_FUZZ_CHECK(v != NULL, "the loss of a plan that ran is not readable");
    vg_fuzz_touch(v, sizeof *v);
  }
  return VG_OK;
}

/* What a training run gave, for comparing two ways of computing it. */
typedef struct result {
  vg_status st;
  uint32_t loss;
  uint32_t *grads; /* the graph's parameter gradients, as bits */
} result;

/* NaN's payload is not a promise; every other bit is (-0 included). */
static uint32_t bits(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  return isnan(x) ? 0x7fc00000u : u;
}

static void run_keep(vg_graph *g, vg_plan *p, int loss, uint64_t step, result *out) {
  out->st = run_plan(g, p, loss, step);
  out->loss = 0;
  if (out->st != VG_OK) return;
  out->loss = bits(*vg_plan_value(p, loss));
  for (size_t i = 0; i < g->nparams; i++) out->grads[i] = bits(g->grads[i]);
}

static void same_result(const vg_graph *g, const result *a, const result *b, const char *what) {
  VG_FUZZ_CHECK(a->st == b->st, "%s: one run ends with status %d, the other with %d", what, (int)a->st, (int)b->st);
  if (a->st != VG_OK) return;
  VG_FUZZ_CHECK(a->loss == b->loss, "%s: loss bits %08x against %08x", what, (unsigned)a->loss, (unsigned)b->loss);
  for (size_t i = 0; i < g->nparams; i++)
    VG_FUZZ_CHECK(a->grads[i] == b->grads[i], "%s: parameter gradient %zu, bits %08x against %08x", what, i,
                  (unsigned)a->grads[i], (unsigned)b->grads[i]);
}

/* The values a run starts from: batch norm's running statistics change in
 * training, so each of two runs compared starts from a copy of the same. */
typedef struct state {
  float *params;
  float *inputs[FG_INPUTS];
} state;

static void state_save(vg_graph *g, const int *inputs, int ninputs, state *s) {
  s->params = malloc((g->nparams + 1) * sizeof *s->params);
  VG_FUZZ_CHECK(s->params != NULL, "out of memory");
  if (g->nparams) memcpy(s->params, g->params, g->nparams * sizeof *s->params);
  for (int i = 0; i < ninputs; i++) {
    const size_t n = (size_t)vg_shape_numel(&g->nodes[inputs[i]].shape);
    s->inputs[i] = malloc((n + 1) * sizeof *s->inputs[i]);
    VG_FUZZ_CHECK(s->inputs[i] != NULL, "out of memory");
    memcpy(s->inputs[i], vg_input_data(g, inputs[i]), n * sizeof *s->inputs[i]);
  }
}

static void state_restore(vg_graph *g, const int *inputs, int ninputs, const state *s) {
  if (g->nparams) memcpy(g->params, s->params, g->nparams * sizeof *s->params);
  g->writes++; /* as vg_param_data would: plans reusing values must look again */
  for (int i = 0; i < ninputs; i++) {
    const size_t n = (size_t)vg_shape_numel(&g->nodes[inputs[i]].shape);
    memcpy(vg_input_fill(g, inputs[i]), s->inputs[i], n * sizeof *s->inputs[i]);
  }
}

static void state_free(state *s, int ninputs) {
  free(s->params);
  for (int i = 0; i < ninputs; i++) free(s->inputs[i]);
}

/* Without an optimizer a run changes no parameter, so the same step can
 * be run again other ways, from the same state, and must give the same
 * bits. */
static void check_same_bits(vg_graph *g, vg_plan *train, int loss, const int *groups, int ngroups,
                            const int *inputs, int ninputs, unsigned flags) {
  result a = {0}, b = {0};
  a.grads = malloc((g->nparams + 1) * sizeof *a.grads);
  b.grads = malloc((g->nparams + 1) * sizeof *b.grads);
  VG_FUZZ_CHECK(a.grads && b.grads, "out of memory");
  state s;
  state_save(g, inputs, ninputs, &s);
  if (flags & FG_THREADS2) {
    run_keep(g, train, loss, 5, &a);
    state_restore(g, inputs, ninputs, &s);
    omp_set_num_threads(1);
    run_keep(g, train, loss, 5, &b);
    omp_set_num_threads(2);
    same_result(g, &a, &b, "2 threads against 1");
  }
  if (flags & FG_AFTER) {
    vg_plan *before = NULL, *after = NULL;
    const vg_plan_spec bs = {.name = "before", .loss = loss, .update = groups,
                             .nupdate = flags & FG_BEFORE_UPDATES ? ngroups : 0};
    fresh(g);
    if (vg_plan_compile(g, &bs, &before) != VG_OK) expect_message(g, "compile before");
    const vg_plan_spec as = {.name = "after", .loss = loss, .update = groups, .nupdate = ngroups, .after = before};
    fresh(g);
    if (before && vg_plan_compile(g, &as, &after) != VG_OK) expect_message(g, "compile after");
    if (after) {
      state_restore(g, inputs, ninputs, &s);
      fresh(g);
      if (vg_plan_run(before, 6) != VG_OK) expect_message(g, "run before");
      run_keep(g, after, loss, 6, &a);
      state_restore(g, inputs, ninputs, &s);
      run_keep(g, train, loss, 6, &b);
      same_result(g, &a, &b, "a plan reusing values of the one before against one computing all");
    }
    vg_plan_free(after);
    vg_plan_free(before);
  }
  state_free(&s, ninputs);
  free(a.grads), free(b.grads);
}

static void fill_inputs(vg_graph *g, const int *inputs, int ninputs, reader *r) {
  for (int i = 0; i < ninputs; i++) {
    const int kind = (int)(take(r) % FG_KINDS);
    uint32_t s = take(r) * 2654435761u + 1u;
    float *x = vg_input_fill(g, inputs[i]);
    VG_FUZZ_CHECK(x != NULL, "input %d has no data", inputs[i]);
    const int64_t n = vg_shape_numel(&g->nodes[inputs[i]].shape);
    for (int64_t k = 0; k < n; k++) x[k] = value_of(kind, &s);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  reader r = {data, size, 0};
  const unsigned flags = take(&r);
  const int threads = flags & FG_THREADS2 ? 2 : 1;
  omp_set_num_threads(threads);

  vg_graph *g = vg_graph_new(7);
  VG_FUZZ_CHECK(g != NULL, "out of memory");
  int inputs[FG_INPUTS], ninputs = 0, groups[1], ngroups = 0;
  char name[32], attrs[512];

  const int want_inputs = 1 + (int)(take(&r) % FG_INPUTS);
  for (int i = 0; i < want_inputs; i++) {
    snprintf(name, sizeof name, "x%d", i);
    fresh(g);
    const int id = vg_input(g, name, shape_of(&r));
    if (id < 0) expect_message(g, "input");
    else inputs[ninputs++] = id;
  }
  const int nparams = (int)(take(&r) % FG_PARAMS);
  if (nparams > 0) {
    fresh(g);
    groups[0] = vg_group_new(g, "p");
    if (groups[0] < 0) expect_message(g, "group");
    else ngroups = 1;
  }
  for (int i = 0; i < nparams && ngroups; i++) {
    snprintf(name, sizeof name, "w%d", i);
    const vg_shape s = shape_of(&r);
    const vg_init init = {(vg_init_kind)(take(&r) % FG_INITS), 0.0, 1.0};
    fresh(g);
    if (vg_param(g, groups[0], name, s, init) < 0) expect_message(g, "param");
  }

  const int nops = (int)(take(&r) % FG_OPS);
  for (int i = 0; i < nops && g->n > 0 && g->n < MAX_NODES; i++) {
    const vg_op_id op = (vg_op_id)(take(&r) % VG_OP_COUNT);
    const vg_op_f32 *rec = vg_ops_f32[op];
    const int nin = nin_of(rec, take(&r));
    int in[VG_MAX_IN + 1]; /* nin_of may ask for one more than an op takes */
    for (int k = 0; k <= VG_MAX_IN; k++) in[k] = k < nin ? (int)(take(&r) % (unsigned)g->n) : 0;
    attrs_of(&r, rec, attrs, sizeof attrs);
    snprintf(name, sizeof name, "n%d", i);
    vg_graph_set_where(g, "fuzz.lua:1");
    fresh(g);
    const int id = vg_node_add(g, op, name, nin < 0 ? 0 : nin, in, attrs);
    if (id < 0) expect_message(g, rec->name);
    else vg_fuzz_note(rec->name, attrs);
  }

  /* Rewiring (C programs can; a cycle must be refused when compiling). */
  const int rewires = (int)(take(&r) % FG_REWIRES);
  for (int i = 0; i < rewires && g->n > 0; i++) {
    const int node = (int)(take(&r) % (unsigned)g->n), slot = (int)(take(&r) % VG_MAX_IN);
    const int src = (int)(take(&r) % (unsigned)g->n);
    fresh(g);
    if (vg_node_connect(g, node, slot, src) != VG_OK) expect_message(g, "connect");
  }

  const int loss_at = g->n > 0 ? (int)(take(&r) % (unsigned)g->n) : -1;
  int loss = loss_at;
  if (loss >= 0 && vg_shape_numel(&g->nodes[loss].shape) != 1) {
    fresh(g);
    loss = vg_node_add(g, flags & FG_MEAN ? VG_OP_MEAN : VG_OP_SUM, "loss", 1, &loss_at, NULL);
    if (loss < 0) expect_message(g, "loss");
  }

  vg_plan *train = NULL, *eval = NULL;
  vg_optim *optim = NULL;
  int nwrt = 0; /* inputs whose gradients the training plan keeps */
  if (loss >= 0 && floats_needed(g, threads) <= MAX_FLOATS) {
    fresh(g);
    if (vg_graph_freeze(g) != VG_OK) expect_message(g, "freeze");
    if (g->frozen && ngroups && (flags & FG_ADAM)) {
      const vg_optim_conf conf = vg_optim_defaults(VG_OPTIM_ADAM);
      fresh(g);
      if (vg_optim_new(g, &conf, groups, NULL, ngroups, &optim) != VG_OK) expect_message(g, "optimizer");
    }
    vg_plan_spec spec = {.name = "train", .loss = loss, .update = groups, .nupdate = ngroups,
                         .wrt = inputs, .nwrt = flags & FG_WRT ? ninputs : 0, .optim = optim};
    fresh(g);
    if (g->frozen && vg_plan_compile(g, &spec, &train) != VG_OK) {
      expect_message(g, "compile");
      /* An input that takes no gradient is refused in wrt: try without. */
      spec.nwrt = 0;
      fresh(g);
      if (vg_plan_compile(g, &spec, &train) != VG_OK) expect_message(g, "compile without wrt");
    }
    nwrt = train ? spec.nwrt : 0;
    if (g->frozen && (flags & FG_EVAL)) {
      vg_plan_spec es = {.name = "eval", .loss = -1, .fetch = &loss_at, .nfetch = 1};
      fresh(g);
      if (vg_plan_compile(g, &es, &eval) != VG_OK) expect_message(g, "compile eval");
    }
  }
  if (train || eval) {
    for (int i = 0; i < ninputs && (flags & FG_PARTIAL); i++) {
      vg_shape s = g->nodes[inputs[i]].shape;
      s.d[0] = s.d[0] / 2;
      fresh(g);
      if (vg_input_set_shape(g, inputs[i], s) != VG_OK) expect_message(g, "partial batch");
    }
    fill_inputs(g, inputs, ninputs, &r);
    FILE *devnull = fopen("/dev/null", "w");
    if (devnull && train) vg_plan_print(train, devnull);
    if (devnull) fclose(devnull);
    for (uint64_t step = 0; step < 2; step++) {
      if (train) run_plan(g, train, loss, step);
      for (int i = 0; train && i < nwrt; i++) {
        const float *d = vg_plan_grad(train, inputs[i]);
        if (d) vg_fuzz_touch(d, (size_t)vg_shape_numel(&g->nodes[inputs[i]].shape) * sizeof *d);
      }
      if (eval) run_plan(g, eval, -1, step);
    }
    if (train && !optim) check_same_bits(g, train, loss, groups, ngroups, inputs, ninputs, flags);
    if (train) {
      fresh(g);
      const vg_status st = vg_plan_check_finite(train, 2);
      if (st != VG_OK) expect_message(g, "check_finite");
    }
  }
  vg_plan_free(eval);
  vg_plan_free(train);
  vg_optim_free(optim);
  vg_graph_free(g);
  return 0;
}
