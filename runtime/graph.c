#include "graph.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

static int node_commit(vg_graph *g);

vg_graph *vg_graph_new(uint64_t seed) {
  vg_graph *g = calloc(1, sizeof *g);
  if (!g) return NULL;
  g->seed = seed;
  g->index_cap = 128;
  g->index = malloc((size_t)g->index_cap * sizeof *g->index);
  if (g->index) memset(g->index, 0xff, (size_t)g->index_cap * sizeof *g->index);
  else g->index_cap = 0;
  return g;
}

void vg_graph_free(vg_graph *g) {
  if (!g) return;
  for (int i = 0; i < g->n; i++) free(g->nodes[i].data);
  free(g->nodes);
  free(g->index);
  free(g->groups);
  free(g->params);
  free(g->grads);
  vg_arena_release(g->arena);
  free(g);
}

vg_arena *vg_arena_acquire(vg_graph *g, size_t len) {
  if (!g->arena || g->arena->len < len) {
    if (len > (SIZE_MAX - 64) / sizeof(float)) return NULL;
    vg_arena *a = calloc(1, sizeof *a);
    /* 64-byte aligned, and never a zero-byte allocation. */
    size_t bytes = ((len ? len : 1) * sizeof(float) + 63) / 64 * 64;
    if (!a || !(a->data = aligned_alloc(64, bytes))) {
      free(a);
      return NULL;
    }
    memset(a->data, 0, bytes);
    a->len = len;
    a->refs = 1; /* the graph's */
    vg_arena_release(g->arena);
    g->arena = a;
  }
  g->arena->refs++;
  return g->arena;
}

void vg_arena_release(vg_arena *a) {
  if (!a || --a->refs > 0) return;
  free(a->data);
  free(a);
}

const char *vg_graph_error(const vg_graph *g) { return g->err; }

void vg_graph_set_where(vg_graph *g, const char *where) {
  snprintf(g->where, sizeof g->where, "%s", where ? where : "");
}

vg_status vg_graph_fail(vg_graph *g, vg_status st, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(g->err, sizeof g->err, fmt, ap);
  va_end(ap);
  return st;
}

vg_status vg_fail_at(vg_graph *g, vg_status st, const char *where, const char *fmt, ...) {
  char msg[sizeof g->err - VG_WHERE_MAX - 2]; /* where, ": " and msg fit */
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (where && where[0]) snprintf(g->err, sizeof g->err, "%s: %s", where, msg);
  else snprintf(g->err, sizeof g->err, "%s", msg);
  return st;
}

/* ---- helpers for the ops' infer functions ---- */

const vg_shape *vg_in_shape(const vg_graph *g, const vg_node *n, int k) { return &g->nodes[n->in[k]].shape; }
const char *vg_in_name(const vg_graph *g, const vg_node *n, int k) { return g->nodes[n->in[k]].name; }

vg_status vg_op_fail(vg_graph *g, const vg_node *n, vg_status st, const char *fmt, ...) {
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return vg_fail_at(g, st, n->where, "%s '%s': %s", vg_ops_f32[n->op]->name, n->name, msg);
}

vg_status vg_infer_same_shape(vg_graph *g, vg_node *n, int k) {
  const vg_shape *a = vg_in_shape(g, n, 0), *b = vg_in_shape(g, n, k);
  if (vg_shape_eq(a, b)) return VG_OK;
  char sa[VG_SHAPE_STRLEN], sb[VG_SHAPE_STRLEN];
  return vg_op_fail(g, n, VG_ERR_SHAPE, "input %d '%s' has shape %s but input 1 '%s' has shape %s", k + 1,
                    vg_in_name(g, n, k), vg_shape_str(b, sb, sizeof sb), vg_in_name(g, n, 0),
                    vg_shape_str(a, sa, sizeof sa));
}

/* ---- attributes ---- */

const char *vg_op_name(vg_op_id op) { return op >= 0 && op < VG_OP_COUNT ? vg_ops_f32[op]->name : "?"; }

int vg_op_find(const char *name) {
  for (int i = 0; i < VG_OP_COUNT; i++)
    if (strcmp(vg_ops_f32[i]->name, name) == 0) return i;
  return -1;
}

vg_attrs vg_attrs_default(vg_op_id op) {
  vg_attrs a;
  memset(&a, 0, sizeof a);
  const vg_attr_spec *s = vg_ops_f32[op]->attrs;
  for (int i = 0; s[i].name; i++) a.v[i] = s[i].def;
  return a;
}

static int attr_index(vg_op_id op, const char *key) {
  const vg_attr_spec *s = vg_ops_f32[op]->attrs;
  for (int i = 0; s[i].name; i++)
    if (strcmp(s[i].name, key) == 0) return i;
  return -1;
}

static void attr_keys(vg_op_id op, char *buf, size_t len) {
  const vg_attr_spec *s = vg_ops_f32[op]->attrs;
  size_t k = 0;
  buf[0] = 0;
  for (int i = 0; s[i].name && k < len; i++) k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? ", " : "", s[i].name);
  if (!s[0].name) snprintf(buf, len, "none");
}

static vg_status unknown_key(vg_graph *g, vg_op_id op, const char *key) {
  char keys[256];
  attr_keys(op, keys, sizeof keys);
  return vg_fail_at(g, VG_ERR_ARG, g->where, "%s: unknown option '%s' (valid: %s)",
                       vg_op_name(op), key, keys);
}

vg_status vg_attrs_set_num(vg_graph *g, vg_op_id op, vg_attrs *a, const char *key, double v) {
  int i = attr_index(op, key);
  if (i < 0) return unknown_key(g, op, key);
  const vg_attr_spec *s = &vg_ops_f32[op]->attrs[i];
  if (!isfinite(v))
    return vg_fail_at(g, VG_ERR_ARG, g->where, "%s: option '%s' must be a finite number, got %g", vg_op_name(op), key, v);
  if (s->kind == VG_ATTR_NUM) {
    a->v[i] = v;
    return VG_OK;
  }
  if (s->kind == VG_ATTR_INT && v == floor(v) && fabs(v) <= 2147483647.0) {
    a->v[i] = v;
    return VG_OK;
  }
  if (s->kind == VG_ATTR_DIMS && v == floor(v) && fabs(v) <= 2147483647.0) {
    a->dims.nd = 1;
    a->dims.d[0] = (int64_t)v;
    return VG_OK;
  }
  return vg_fail_at(g, VG_ERR_ARG, g->where, "%s: option '%s' wants %s, got %g",
                       vg_op_name(op), key, s->kind == VG_ATTR_INT ? "an integer" : s->choices, v);
}

vg_status vg_attrs_set_str(vg_graph *g, vg_op_id op, vg_attrs *a, const char *key, const char *v) {
  int i = attr_index(op, key);
  if (i < 0) return unknown_key(g, op, key);
  const vg_attr_spec *s = &vg_ops_f32[op]->attrs[i];
  if (s->kind == VG_ATTR_ENUM) {
    const char *c = s->choices;
    size_t vl = strlen(v);
    for (int idx = 0; c && *c; idx++) {
      size_t cl = strcspn(c, "|");
      if (cl == vl && strncmp(c, v, cl) == 0) {
        a->v[i] = idx;
        return VG_OK;
      }
      c += cl + (c[cl] == '|');
    }
    return vg_fail_at(g, VG_ERR_ARG, g->where, "%s: option '%s' must be one of %s, got '%s'", vg_op_name(op), key, s->choices, v);
  }
  if (s->kind == VG_ATTR_DIMS) {
    vg_shape d;
    memset(&d, 0, sizeof d);
    const char *p = v;
    while (*p) {
      char *end;
      long long x = strtoll(p, &end, 10);
      if (end == p || d.nd == VG_MAX_DIMS || x > 2147483647LL || x < -2147483647LL) goto bad; /* each op checks its own */
      d.d[d.nd++] = x;
      p = end;
      if (*p == ',') p++;
      else if (*p) goto bad;
    }
    a->dims = d;
    return VG_OK;
  }
  {
    char *end;
    double x = strtod(v, &end);
    if (end != v && *end == 0) return vg_attrs_set_num(g, op, a, key, x);
  }
bad:
  return vg_fail_at(g, VG_ERR_ARG, g->where, "%s: option '%s': cannot read '%s'",
                       vg_op_name(op), key, v);
}

vg_status vg_attrs_parse(vg_graph *g, vg_op_id op, vg_attrs *a, const char *text) {
  if (!text) return VG_OK;
  const char *p = text;
  while (*p) {
    while (*p == ' ') p++;
    if (!*p) break;
    size_t len = strcspn(p, " ");
    char item[256];
    if (len >= sizeof item) return vg_graph_fail(g, VG_ERR_ARG, "%s: option text too long", vg_op_name(op));
    memcpy(item, p, len);
    item[len] = 0;
    char *eq = strchr(item, '=');
    if (!eq) return vg_graph_fail(g, VG_ERR_ARG, "%s: option '%s' has no '='", vg_op_name(op), item);
    *eq = 0;
    vg_status st = vg_attrs_set_str(g, op, a, item, eq + 1);
    if (st) return st;
    p += len;
  }
  return VG_OK;
}

/* ---- nodes ---- */

static vg_node *node_push(vg_graph *g) {
  if (g->n == g->cap) {
    int cap = g->cap ? 2 * g->cap : 64;
    vg_node *nodes = realloc(g->nodes, (size_t)cap * sizeof *nodes);
    if (!nodes) return NULL;
    g->nodes = nodes;
    g->cap = cap;
  }
  vg_node *n = &g->nodes[g->n];
  memset(n, 0, sizeof *n);
  snprintf(n->where, sizeof n->where, "%s", g->where);
  n->group = -1;
  return n;
}

static vg_status check_name(vg_graph *g, const char *kind, const char *name) {
  if (!name || !*name) return vg_fail_at(g, VG_ERR_ARG, g->where, "%s needs a name", kind);
  if (strlen(name) >= VG_NAME_MAX)
    return vg_fail_at(g, VG_ERR_ARG, g->where, "%s name '%.40s...' is longer than %d characters", kind, name, VG_NAME_MAX - 1);
  int other = vg_node_find(g, name);
  if (other >= 0)
    return vg_fail_at(g, VG_ERR_ARG, g->where, "%s '%s': the name is taken by the %s node created at %s", kind, name, vg_op_name(g->nodes[other].op),
                         g->nodes[other].where[0] ? g->nodes[other].where : "?");
  return VG_OK;
}

static vg_status check_shape(vg_graph *g, const char *kind, const char *name, const vg_shape *s) {
  if (s->nd < 0 || s->nd > VG_MAX_DIMS)
    return vg_fail_at(g, VG_ERR_SHAPE, g->where, "%s '%s': %d dimensions (at most %d)",
                         kind, name, s->nd, VG_MAX_DIMS);
  if (!vg_shape_valid(s)) {
    char b[VG_SHAPE_STRLEN];
    return vg_fail_at(g, VG_ERR_SHAPE, g->where, "%s '%s': bad shape %s (dimensions must be positive, at most 2^36 values)", kind, name, vg_shape_str(s, b, sizeof b));
  }
  return VG_OK;
}

/* Once a plan or optimizer holds pointers into the graph, it stops growing. */
static vg_status check_open(vg_graph *g, const char *kind, const char *name) {
  if (!g->frozen) return VG_OK;
  return vg_fail_at(g, VG_ERR_GRAPH, g->where, "%s '%s': the graph is sealed (a plan was compiled or an optimizer made from it); "
                       "declare every node before that", kind, name ? name : "");
}

static void set_bounds(vg_node *n) {
  n->bound = n->shape;
  n->saved_bound = n->saved_len;
  n->scratch_bound = n->scratch_len;
  n->scratch_thread_bound = n->scratch_thread_len;
}

int vg_input(vg_graph *g, const char *name, vg_shape shape) {
  if (check_open(g, "input", name) || check_name(g, "input", name) || check_shape(g, "input", name, &shape)) return -1;
  float *data = calloc((size_t)vg_shape_numel(&shape), sizeof *data);
  vg_node *n = data ? node_push(g) : NULL;
  if (!n) {
    free(data);
    vg_graph_fail(g, VG_ERR_NOMEM, "input '%s': out of memory", name);
    return -1;
  }
  n->op = VG_OP_INPUT;
  n->flags = vg_ops_f32[VG_OP_INPUT]->flags;
  n->shape = shape;
  set_bounds(n);
  n->data = data;
  snprintf(n->name, sizeof n->name, "%s", name);
  return node_commit(g);
}

int vg_group_new(vg_graph *g, const char *name) {
  if (vg_group_find(g, name) >= 0) {
    vg_fail_at(g, VG_ERR_ARG, g->where, "group '%s' already exists", name);
    return -1;
  }
  if (strlen(name) >= VG_NAME_MAX) {
    vg_graph_fail(g, VG_ERR_ARG, "group name '%.40s...' too long", name);
    return -1;
  }
  if (check_open(g, "group", name)) return -1;
  if (g->ngroups == g->gcap) {
    int cap = g->gcap ? 2 * g->gcap : 8;
    vg_group *gr = realloc(g->groups, (size_t)cap * sizeof *gr);
    if (!gr) {
      vg_graph_fail(g, VG_ERR_NOMEM, "group '%s': out of memory", name);
      return -1;
    }
    g->groups = gr;
    g->gcap = cap;
  }
  vg_group *gr = &g->groups[g->ngroups];
  memset(gr, 0, sizeof *gr);
  snprintf(gr->name, sizeof gr->name, "%s", name);
  return g->ngroups++;
}

int vg_param(vg_graph *g, int group, const char *name, vg_shape shape, vg_init init) {
  if (check_name(g, "param", name) || check_shape(g, "param", name, &shape)) return -1;
  if (group < 0 || group >= g->ngroups) {
    vg_fail_at(g, VG_ERR_ARG, g->where, "param '%s': no group %d", name, group);
    return -1;
  }
  if (check_open(g, "param", name)) return -1;
  vg_node *n = node_push(g);
  if (!n) {
    vg_graph_fail(g, VG_ERR_NOMEM, "param '%s': out of memory", name);
    return -1;
  }
  n->op = VG_OP_PARAM;
  n->flags = vg_ops_f32[VG_OP_PARAM]->flags;
  n->shape = shape;
  set_bounds(n);
  n->group = group;
  n->init = init;
  snprintf(n->name, sizeof n->name, "%s", name);
  return node_commit(g);
}

static vg_status infer_node(vg_graph *g, vg_node *n) {
  const vg_op_f32 *op = vg_ops_f32[n->op];
  n->saved_len = n->scratch_len = n->scratch_thread_len = 0;
  n->flags = op->flags;
  return op->infer ? op->infer(g, n) : VG_OK;
}

vg_status vg_input_set_shape(vg_graph *g, int node, vg_shape shape) {
  if (node < 0 || node >= g->n || g->nodes[node].op != VG_OP_INPUT)
    return vg_graph_fail(g, VG_ERR_ARG, "set shape: node %d is not an input", node);
  vg_node *n = &g->nodes[node];
  int fits = shape.nd == n->bound.nd;
  for (int k = 0; fits && k < shape.nd; k++) fits = shape.d[k] >= 1 && shape.d[k] <= n->bound.d[k];
  if (!fits) {
    char a[VG_SHAPE_STRLEN], b[VG_SHAPE_STRLEN];
    return vg_graph_fail(g, VG_ERR_SHAPE, "input '%s' is declared %s; it cannot take shape %s (each dimension at most the declared one)",
                         n->name, vg_shape_str(&n->bound, b, sizeof b), vg_shape_str(&shape, a, sizeof a));
  }
  if (!vg_shape_eq(&shape, &n->shape)) {
    n->shape = shape;
    g->shape_gen++;
  }
  return VG_OK;
}

vg_status vg_input_repeat_rows(vg_graph *g, int node, int64_t rows, int64_t times, int64_t offset) {
  if (node < 0 || node >= g->n || g->nodes[node].op != VG_OP_INPUT)
    return vg_graph_fail(g, VG_ERR_ARG, "repeat rows: node %d is not an input", node);
  vg_node *n = &g->nodes[node];
  const int64_t have = n->shape.d[0], first = offset / (times > 0 ? times : 1);
  if (times < 1 || offset < 0 || rows < 1 || rows > n->bound.d[0] || (offset + rows - 1) / times - first >= have)
    return vg_graph_fail(g, VG_ERR_ARG,
                         "repeat rows of input '%s': %lld rows, each of its %lld rows %lld times from row %lld do not fit "
                         "its batch of %lld",
                         n->name, (long long)rows, (long long)have, (long long)times, (long long)offset,
                         (long long)n->bound.d[0]);
  const int64_t width = vg_shape_numel(&n->shape) / have;
  g->writes++;
  /* Row r becomes old row (offset + r) / times - first <= r: copied from
   * the last row back, no source is overwritten before it is read. */
  for (int64_t r = rows - 1; r >= 0; r--) {
    const int64_t src = (offset + r) / times - first;
    if (src != r) memmove(n->data + r * width, n->data + src * width, (size_t)width * sizeof *n->data);
  }
  vg_shape shape = n->shape;
  shape.d[0] = rows;
  return vg_input_set_shape(g, node, shape);
}

vg_status vg_graph_reinfer(vg_graph *g, const int *nodes, int count) {
  for (int i = 0; i < count; i++) {
    vg_node *n = &g->nodes[nodes[i]];
    if (n->op == VG_OP_INPUT || n->op == VG_OP_PARAM) continue;
    const unsigned flags = n->flags;
    vg_status st = infer_node(g, n);
    n->flags = flags;
    if (st) return st;
    if (vg_shape_numel(&n->shape) > vg_shape_numel(&n->bound) || n->saved_len > n->saved_bound ||
        n->scratch_len > n->scratch_bound || n->scratch_thread_len > n->scratch_thread_bound) {
      char a[VG_SHAPE_STRLEN], b[VG_SHAPE_STRLEN];
      return vg_op_fail(g, n, VG_ERR_SHAPE, "its inputs' run-time shapes make it %s (or its buffers) larger than the %s it was built for",
                        vg_shape_str(&n->shape, a, sizeof a), vg_shape_str(&n->bound, b, sizeof b));
    }
  }
  return VG_OK;
}

/* Bounds come from the inputs' bounds, whatever shapes inputs have now (a
 * node added after a smaller batch was fed); then the current shape. */
static vg_status infer_with_bounds(vg_graph *g, vg_node *n) {
  vg_shape cur[VG_MAX_IN];
  for (int k = 0; k < n->nin; k++) {
    vg_node *in = &g->nodes[n->in[k]];
    cur[k] = in->shape;
    in->shape = in->bound;
  }
  vg_status st = infer_node(g, n);
  if (!st) set_bounds(n);
  for (int k = n->nin - 1; k >= 0; k--) g->nodes[n->in[k]].shape = cur[k];
  return st ? st : infer_node(g, n);
}

int vg_node_add_attrs(vg_graph *g, vg_op_id op, const char *name, int nin, const int *in, const vg_attrs *a) {
  if (op < 0 || op >= VG_OP_COUNT) {
    vg_graph_fail(g, VG_ERR_ARG, "no op %d", (int)op);
    return -1;
  }
  const vg_op_f32 *rec = vg_ops_f32[op];
  if (rec->flags & VG_OPF_SOURCE) {
    vg_fail_at(g, VG_ERR_ARG, g->where, "use vg_input or vg_param to make a '%s' node",
                  rec->name);
    return -1;
  }
  if (check_open(g, rec->name, name)) return -1;
  char auto_name[VG_NAME_MAX];
  if (!name || !*name) {
    /* Unnamed nodes get "<op>_<k>", the first k that is free; errors still
     * find them by the script line. */
    for (int k = g->n;; k++) {
      snprintf(auto_name, sizeof auto_name, "%s_%d", rec->name, k);
      if (vg_node_find(g, auto_name) < 0) break;
    }
    name = auto_name;
  }
  if (check_name(g, rec->name, name)) return -1;
  if (nin < rec->nin_min || nin > rec->nin_max) {
    if (rec->nin_min == rec->nin_max)
      vg_fail_at(g, VG_ERR_ARG, g->where, "%s '%s': takes %d input%s, got %d",
                    rec->name, name, rec->nin_min, rec->nin_min == 1 ? "" : "s", nin);
    else
      vg_fail_at(g, VG_ERR_ARG, g->where, "%s '%s': takes %d to %d inputs, got %d",
                    rec->name, name, rec->nin_min, rec->nin_max, nin);
    return -1;
  }
  for (int k = 0; k < nin; k++)
    if (in[k] < 0 || in[k] >= g->n) {
      vg_fail_at(g, VG_ERR_ARG, g->where, "%s '%s': input %d is not a node of this graph (id %d)", rec->name, name, k + 1, in[k]);
      return -1;
    }
  vg_node *n = node_push(g);
  if (!n) {
    vg_graph_fail(g, VG_ERR_NOMEM, "%s '%s': out of memory", rec->name, name);
    return -1;
  }
  n->op = op;
  n->nin = nin;
  if (nin) memcpy(n->in, in, (size_t)nin * sizeof *in); /* in may be NULL for an op without inputs */
  n->attr = a ? *a : vg_attrs_default(op);
  snprintf(n->name, sizeof n->name, "%s", name);
  if (infer_with_bounds(g, n)) return -1; /* the slot is reused by the next push */
  if (check_shape(g, rec->name, name, &n->bound)) return -1;
  return node_commit(g);
}

int vg_node_add(vg_graph *g, vg_op_id op, const char *name, int nin, const int *in, const char *attrs) {
  if (op < 0 || op >= VG_OP_COUNT) {
    vg_graph_fail(g, VG_ERR_ARG, "no op %d", (int)op);
    return -1;
  }
  vg_attrs a = vg_attrs_default(op);
  if (vg_attrs_parse(g, op, &a, attrs)) return -1;
  return vg_node_add_attrs(g, op, name, nin, in, &a);
}

vg_status vg_node_connect(vg_graph *g, int node, int slot, int src) {
  if (node < 0 || node >= g->n || src < 0 || src >= g->n)
    return vg_graph_fail(g, VG_ERR_ARG, "connect: no such node (%d <- %d)", node, src);
  vg_node *n = &g->nodes[node];
  if (slot < 0 || slot >= n->nin)
    return vg_graph_fail(g, VG_ERR_ARG, "connect: %s '%s' has no input %d", vg_op_name(n->op), n->name, slot + 1);
  if (check_open(g, vg_op_name(n->op), n->name)) return VG_ERR_GRAPH;
  /* Consumers come after their inputs in id order (a cycle made here is
   * reported by compiling), so one pass re-infers everything downstream;
   * on any failure every node is put back as it was. */
  size_t count = (size_t)(g->n - node);
  vg_node *saved = malloc(count * sizeof *saved);
  if (!saved) return vg_graph_fail(g, VG_ERR_NOMEM, "connect: out of memory");
  memcpy(saved, n, count * sizeof *saved);
  n->in[slot] = src;
  vg_status st = VG_OK;
  for (int i = node; i < g->n && !st; i++) {
    vg_node *m = &g->nodes[i];
    if (m->op == VG_OP_INPUT || m->op == VG_OP_PARAM) continue;
    if (!(st = infer_with_bounds(g, m))) st = check_shape(g, vg_op_name(m->op), m->name, &m->bound);
  }
  if (st) memcpy(n, saved, count * sizeof *saved);
  free(saved);
  return st;
}

static uint32_t name_hash(const char *s) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

int vg_node_find(const vg_graph *g, const char *name) {
  if (!g->index) {
    for (int i = 0; i < g->n; i++)
      if (strcmp(g->nodes[i].name, name) == 0) return i;
    return -1;
  }
  const uint32_t mask = (uint32_t)g->index_cap - 1;
  for (uint32_t h = name_hash(name) & mask;; h = (h + 1) & mask) {
    const int id = g->index[h];
    if (id < 0) return -1;
    if (strcmp(g->nodes[id].name, name) == 0) return id;
  }
}

static void index_put(int *index, int cap, const vg_graph *g, int id) {
  const uint32_t mask = (uint32_t)cap - 1;
  uint32_t h = name_hash(g->nodes[id].name) & mask;
  while (index[h] >= 0) h = (h + 1) & mask;
  index[h] = id;
}

/* Makes the node being built (nodes[n]) part of the graph: indexed by name,
 * the index doubled when it is half full (or dropped, if that fails: names
 * are then found by a scan). Returns its id. */
static int node_commit(vg_graph *g) {
  const int id = g->n++;
  if (g->index && 2 * g->n > g->index_cap) {
    const int cap = 2 * g->index_cap;
    int *index = malloc((size_t)cap * sizeof *index);
    free(g->index);
    g->index = index;
    g->index_cap = index ? cap : 0;
    if (index) {
      memset(index, 0xff, (size_t)cap * sizeof *index);
      for (int i = 0; i < g->n; i++) index_put(index, cap, g, i);
      return id;
    }
  }
  if (g->index) index_put(g->index, g->index_cap, g, id);
  return id;
}

int vg_group_find(const vg_graph *g, const char *name) {
  for (int i = 0; i < g->ngroups; i++)
    if (strcmp(g->groups[i].name, name) == 0) return i;
  return -1;
}

float *vg_param_data(vg_graph *g, int node) {
  if (node < 0 || node >= g->n || g->nodes[node].op != VG_OP_PARAM || !g->frozen) return NULL;
  g->writes++;
  return g->params + g->nodes[node].off;
}

float *vg_input_data(vg_graph *g, int node) {
  if (node < 0 || node >= g->n || g->nodes[node].op != VG_OP_INPUT) return NULL;
  return g->nodes[node].data;
}

float *vg_input_fill(vg_graph *g, int node) {
  float *d = vg_input_data(g, node);
  if (d) g->nodes[node].fed = 1, g->writes++;
  return d;
}

/* ---- parameter layout and initialisation ---- */

/* Fans as PyTorch computes them: weight [out, in, k...]. */
static void fans(const vg_shape *s, double *fan_in, double *fan_out) {
  double rf = 1;
  for (int i = 2; i < s->nd; i++) rf *= (double)s->d[i];
  if (s->nd < 2) {
    *fan_in = *fan_out = s->nd ? (double)s->d[0] : 1;
    return;
  }
  *fan_in = (double)s->d[1] * rf;
  *fan_out = (double)s->d[0] * rf;
}

static void init_param(const vg_graph *g, const vg_node *n, float *w) {
  size_t len = (size_t)vg_shape_numel(&n->shape);
  uint32_t stream = vg_rng_stream(n->name);
  double fan_in, fan_out;
  fans(&n->shape, &fan_in, &fan_out);
  double a = n->init.a, b = n->init.b, lo = 0, hi = 0, mean = 0, sd = 0;
  int uniform = 1;
  switch (n->init.kind) {
    case VG_INIT_ZEROS: lo = hi = 0; break;
    case VG_INIT_CONST: lo = hi = a; break;
    case VG_INIT_UNIFORM: lo = a, hi = b; break;
    case VG_INIT_NORMAL: uniform = 0, mean = a, sd = b; break;
    case VG_INIT_KAIMING_UNIFORM: hi = sqrt(6.0 / ((1 + a * a) * fan_in)), lo = -hi; break;
    case VG_INIT_KAIMING_NORMAL: uniform = 0, sd = sqrt(2.0 / ((1 + a * a) * fan_in)); break;
    case VG_INIT_XAVIER_UNIFORM: hi = a * sqrt(6.0 / (fan_in + fan_out)), lo = -hi; break;
    case VG_INIT_XAVIER_NORMAL: uniform = 0, sd = a * sqrt(2.0 / (fan_in + fan_out)); break;
    case VG_INIT_EYE: break;
  }
  if (n->init.kind == VG_INIT_EYE) {
    const size_t cols = n->shape.nd >= 2 ? (size_t)n->shape.d[n->shape.nd - 1] : 1;
    for (size_t i = 0; i < len; i++) w[i] = (i / cols == i % cols) ? 1.0f : 0.0f;
    return;
  }
  /* Step UINT64_MAX keeps initialisation draws apart from training draws. */
  for (size_t i = 0; i < len; i++)
    w[i] = uniform ? (float)(lo + (hi - lo) * vg_rng_uniform(g->seed, UINT64_MAX, stream, i))
                   : (float)(mean + sd * vg_rng_normal(g->seed, UINT64_MAX, stream, i));
}

vg_status vg_graph_freeze(vg_graph *g) {
  if (g->frozen) return VG_OK;
  size_t total = 0;
  for (int gr = 0; gr < g->ngroups; gr++) {
    g->groups[gr].off = total;
    for (int i = 0; i < g->n; i++)
      if (g->nodes[i].op == VG_OP_PARAM && g->nodes[i].group == gr) {
        g->nodes[i].off = total;
        total += (size_t)vg_shape_numel(&g->nodes[i].shape);
      }
    g->groups[gr].len = total - g->groups[gr].off;
  }
  float *p = calloc(total ? total : 1, sizeof *p), *d = calloc(total ? total : 1, sizeof *d);
  if (!p || !d) {
    free(p);
    free(d);
    return vg_graph_fail(g, VG_ERR_NOMEM, "parameters: out of memory for %zu values", total);
  }
  g->params = p;
  g->grads = d;
  g->nparams = total;
  for (int i = 0; i < g->n; i++)
    if (g->nodes[i].op == VG_OP_PARAM) init_param(g, &g->nodes[i], p + g->nodes[i].off);
  g->frozen = 1;
  return VG_OK;
}
