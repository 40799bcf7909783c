/* vaegraph.core: the C runtime seen from Lua. Graphs, plans and optimizers
 * are userdata with __gc; nodes and groups are integer ids, wrapped into
 * objects by lua/vaegraph.lua. This file is the one place where a runtime
 * error (a value) becomes a Lua error, prefixed with the script position. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "module.h"
#include "graph.h"
#include "checkpoint.h"
#include "safetensors.h"
#include "idx.h"
#include "image.h"
#include "imageset.h"
#include "optim.h"
#include "plan.h"
#include "rng.h"

#define GRAPH_MT "vaegraph.graph"
#define PLAN_MT "vaegraph.plan"
#define OPTIM_MT "vaegraph.optim"
#define DATA_MT "vaegraph.dataset"

typedef struct lgraph {
  vg_graph *g;
} lgraph;

/* Plans and optimizers keep their graph alive through a registry ref. */
typedef struct lplan {
  vg_plan *p;
  int graph_ref;
} lplan;

typedef struct loptim {
  vg_optim *o;
  int graph_ref;
} loptim;

/* ---- errors ---- */

/* The runtime's message already carries the script position when a node is
 * involved; other messages get the caller's position from luaL_where. */
static int raise(lua_State *L, const char *msg) {
  if (strstr(msg, ".lua:")) {
    lua_pushstring(L, msg);
    return lua_error(L);
  }
  luaL_where(L, 1);
  lua_pushstring(L, msg);
  lua_concat(L, 2);
  return lua_error(L);
}

static int raise_graph(lua_State *L, vg_graph *g) { return raise(L, vg_graph_error(g)); }

/* "file.lua:12" of the innermost Lua function calling into C. */
static void set_where(lua_State *L, vg_graph *g) {
  lua_Debug ar;
  for (int level = 1; lua_getstack(L, level, &ar); level++) {
    lua_getinfo(L, "Sl", &ar);
    if (ar.currentline > 0 && ar.short_src[0] != '[') {
      /* Skip frames inside the library itself: the user wants their line. */
      if (strstr(ar.short_src, "vaegraph.lua")) continue;
      const char *base = strrchr(ar.short_src, '/');
      char where[VG_WHERE_MAX];
      snprintf(where, sizeof where, "%s:%d", base ? base + 1 : ar.short_src, ar.currentline);
      vg_graph_set_where(g, where);
      return;
    }
  }
  vg_graph_set_where(g, NULL);
}

/* ---- helpers ---- */

static vg_graph *check_graph(lua_State *L, int i) {
  lgraph *lg = luaL_checkudata(L, i, GRAPH_MT);
  if (!lg->g) luaL_argerror(L, i, "graph already freed");
  return lg->g;
}

static vg_shape check_shape(lua_State *L, int i) {
  luaL_checktype(L, i, LUA_TTABLE);
  vg_shape s = vg_shape_scalar();
  int n = (int)vg_rawlen(L, i);
  if (n > VG_MAX_DIMS) luaL_argerror(L, i, "a shape has at most 5 dimensions");
  for (int k = 1; k <= n; k++) {
    lua_rawgeti(L, i, k);
    if (!lua_isnumber(L, -1)) luaL_argerror(L, i, "a shape is a list of positive integers");
    lua_Number v = lua_tonumber(L, -1);
    if (v != floor(v) || v < 1 || v > 2147483647.0) luaL_argerror(L, i, "a shape is a list of positive integers");
    s.d[s.nd++] = (int64_t)v;
    lua_pop(L, 1);
  }
  return s;
}

static void push_shape(lua_State *L, const vg_shape *s) {
  lua_createtable(L, s->nd, 0);
  for (int k = 0; k < s->nd; k++) {
    lua_pushinteger(L, (lua_Integer)s->d[k]);
    lua_rawseti(L, -2, k + 1);
  }
}

static int check_node(lua_State *L, vg_graph *g, int i) {
  lua_Integer id = vg_checkint(L, i);
  if (id < 0 || id >= g->n) luaL_argerror(L, i, "not a node of this graph");
  return (int)id;
}

/* A list of integer ids at index i (absent or nil: empty). Returns the count. */
static int check_ids(lua_State *L, int i, int *ids, int max, int limit, const char *what) {
  if (lua_isnoneornil(L, i)) return 0;
  luaL_checktype(L, i, LUA_TTABLE);
  int n = (int)vg_rawlen(L, i);
  if (n > max) luaL_error(L, "at most %d %s", max, what);
  for (int k = 1; k <= n; k++) {
    lua_rawgeti(L, i, k);
    lua_Number v = lua_tonumber(L, -1);
    if (!lua_isnumber(L, -1) || v != floor(v) || v < 0 || v >= limit) luaL_error(L, "bad %s id in position %d", what, k);
    ids[k - 1] = (int)v;
    lua_pop(L, 1);
  }
  return n;
}

vg_graph *vg_lua_graph(lua_State *L, int i) { return check_graph(L, i); }
int vg_lua_node(lua_State *L, vg_graph *g, int i) { return check_node(L, g, i); }
int vg_lua_raise(lua_State *L, const char *msg) { return raise(L, msg); }

/* ---- graph ---- */

static int l_graph(lua_State *L) {
  lua_Integer seed = luaL_optinteger(L, 1, 0);
  lgraph *lg = lua_newuserdata(L, sizeof *lg);
  lg->g = NULL;
  luaL_getmetatable(L, GRAPH_MT);
  lua_setmetatable(L, -2);
  lg->g = vg_graph_new((uint64_t)seed);
  if (!lg->g) return luaL_error(L, "out of memory");
  return 1;
}

static int l_graph_gc(lua_State *L) {
  lgraph *lg = luaL_checkudata(L, 1, GRAPH_MT);
  vg_graph_free(lg->g);
  lg->g = NULL;
  return 0;
}

static int l_input(lua_State *L) {
  vg_graph *g = check_graph(L, 1);
  const char *name = luaL_checkstring(L, 2);
  vg_shape s = check_shape(L, 3);
  set_where(L, g);
  int id = vg_input(g, name, s);
  if (id < 0) return raise_graph(L, g);
  lua_pushinteger(L, id);
  return 1;
}

static int l_group(lua_State *L) {
  vg_graph *g = check_graph(L, 1);
  const char *name = luaL_checkstring(L, 2);
  set_where(L, g);
  int id = vg_group_new(g, name);
  if (id < 0) return raise_graph(L, g);
  lua_pushinteger(L, id);
  return 1;
}

static const char *const init_names[] = {"zeros",          "const",          "uniform",        "normal",
                                         "kaiming_uniform", "kaiming_normal", "xavier_uniform", "xavier_normal", NULL};

/* g:param(group, name, shape, init, a, b) */
static int l_param(lua_State *L) {
  vg_graph *g = check_graph(L, 1);
  int group = (int)vg_checkint(L, 2);
  const char *name = luaL_checkstring(L, 3);
  vg_shape s = check_shape(L, 4);
  vg_init init = {(vg_init_kind)luaL_checkoption(L, 5, "zeros", init_names), luaL_optnumber(L, 6, 0),
                  luaL_optnumber(L, 7, 0)};
  set_where(L, g);
  int id = vg_param(g, group, name, s, init);
  if (id < 0) return raise_graph(L, g);
  lua_pushinteger(L, id);
  return 1;
}

/* Attributes from a Lua table {key = number | string | {dims}}. */
static void read_attrs(lua_State *L, vg_graph *g, int op, int i, vg_attrs *a) {
  *a = vg_attrs_default(op);
  if (lua_isnoneornil(L, i)) return;
  luaL_checktype(L, i, LUA_TTABLE);
  lua_pushnil(L);
  while (lua_next(L, i)) {
    if (lua_type(L, -2) != LUA_TSTRING) luaL_error(L, "%s: option keys are names", vg_op_name(op));
    const char *key = lua_tostring(L, -2);
    vg_status st;
    if (lua_type(L, -1) == LUA_TNUMBER) st = vg_attrs_set_num(g, op, a, key, lua_tonumber(L, -1));
    else if (lua_type(L, -1) == LUA_TSTRING) st = vg_attrs_set_str(g, op, a, key, lua_tostring(L, -1));
    else if (lua_type(L, -1) == LUA_TTABLE) {
      char buf[128];
      size_t k = 0;
      int n = (int)vg_rawlen(L, -1);
      buf[0] = 0;
      for (int j = 1; j <= n && k < sizeof buf; j++) {
        lua_rawgeti(L, -1, j);
        lua_Number v = lua_tonumber(L, -1);
        if (lua_type(L, -1) != LUA_TNUMBER || v != floor(v) || fabs(v) > 2147483647.0)
          luaL_error(L, "%s: option '%s' is a list of whole numbers", vg_op_name(op), key);
        k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%lld", j > 1 ? "," : "", (long long)v);
        lua_pop(L, 1);
      }
      st = vg_attrs_set_str(g, op, a, key, buf);
    } else
      st = vg_graph_fail(g, VG_ERR_ARG, "%s: option '%s' must be a number, a name or a list", vg_op_name(op), key);
    if (st) raise_graph(L, g);
    lua_pop(L, 1);
  }
}

/* g:op(opname, name or nil, {inputs}, {attrs}) */
static int l_op(lua_State *L) {
  vg_graph *g = check_graph(L, 1);
  const char *opname = luaL_checkstring(L, 2);
  const char *name = luaL_optstring(L, 3, NULL);
  int op = vg_op_find(opname);
  if (op < 0) return luaL_error(L, "no op named '%s'", opname);
  int in[VG_MAX_IN];
  int nin = check_ids(L, 4, in, VG_MAX_IN, g->n, "input");
  set_where(L, g);
  vg_attrs a;
  read_attrs(L, g, op, 5, &a);
  int id = vg_node_add_attrs(g, op, name, nin, in, &a);
  if (id < 0) return raise_graph(L, g);
  lua_pushinteger(L, id);
  return 1;
}

static int l_shape(lua_State *L) {
  vg_graph *g = check_graph(L, 1);
  push_shape(L, &g->nodes[check_node(L, g, 2)].shape);
  return 1;
}

static int l_name(lua_State *L) {
  vg_graph *g = check_graph(L, 1);
  lua_pushstring(L, g->nodes[check_node(L, g, 2)].name);
  return 1;
}

static int l_find(lua_State *L) {
  vg_graph *g = check_graph(L, 1);
  int id = vg_node_find(g, luaL_checkstring(L, 2));
  if (id < 0) lua_pushnil(L);
  else lua_pushinteger(L, id);
  return 1;
}

/* g:data(node) -> a copy of an input's or parameter's values as a table;
 * g:data(node, {values}) sets them. */
static int l_data(lua_State *L) {
  vg_graph *g = check_graph(L, 1);
  int id = check_node(L, g, 2);
  const vg_node *n = &g->nodes[id];
  float *d = n->op == VG_OP_INPUT ? vg_input_data(g, id) : vg_param_data(g, id);
  if (!d) return luaL_error(L, "'%s' holds no data here (an input, or a parameter once compiled)", n->name);
  int64_t len = vg_shape_numel(&n->shape);
  if (lua_isnoneornil(L, 3)) {
    lua_createtable(L, (int)len, 0);
    for (int64_t i = 0; i < len; i++) {
      lua_pushnumber(L, d[i]);
      lua_rawseti(L, -2, (int)i + 1);
    }
    return 1;
  }
  luaL_checktype(L, 3, LUA_TTABLE);
  if ((int64_t)vg_rawlen(L, 3) != len) return luaL_error(L, "'%s' holds %lld values, got %d", n->name, (long long)len, (int)vg_rawlen(L, 3));
  for (int64_t i = 0; i < len; i++) {
    lua_rawgeti(L, 3, (int)i + 1);
    d[i] = (float)lua_tonumber(L, -1);
    lua_pop(L, 1);
  }
  return 0;
}

/* g:set_scalar(node, v): an input of one value (a loss weight), set every
 * step without building a table. */
static int l_set_scalar(lua_State *L) {
  vg_graph *g = check_graph(L, 1);
  int id = check_node(L, g, 2);
  const vg_node *n = &g->nodes[id];
  if (n->op != VG_OP_INPUT || vg_shape_numel(&n->shape) != 1)
    return luaL_error(L, "'%s' is not a scalar input", n->name);
  n->data[0] = (float)luaL_checknumber(L, 3);
  return 0;
}

/* g:set_shape(node, shape): an input's shape for the next runs, at most
 * its declared size in each dimension (a smaller batch of samples). */
static int l_set_shape(lua_State *L) {
  vg_graph *g = check_graph(L, 1);
  int id = check_node(L, g, 2);
  if (vg_input_set_shape(g, id, check_shape(L, 3))) return raise_graph(L, g);
  return 0;
}

/* ---- plans ---- */

/* g:compile{name=, loss=, update={groups}, fetch={nodes}} */
static int l_compile(lua_State *L) {
  vg_graph *g = check_graph(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  int update[64], fetch[256];
  vg_plan_spec s = {0};
  lua_getfield(L, 2, "name");
  s.name = lua_tostring(L, -1);
  lua_getfield(L, 2, "loss");
  s.loss = lua_isnil(L, -1) ? -1 : (int)luaL_checkinteger(L, -1);
  lua_getfield(L, 2, "update");
  s.nupdate = check_ids(L, lua_gettop(L), update, 64, g->ngroups, "group");
  lua_getfield(L, 2, "fetch");
  s.nfetch = check_ids(L, lua_gettop(L), fetch, 256, g->n, "node");
  s.update = update, s.fetch = fetch;
  lplan *lp = lua_newuserdata(L, sizeof *lp);
  lp->p = NULL;
  lp->graph_ref = LUA_NOREF;
  luaL_getmetatable(L, PLAN_MT);
  lua_setmetatable(L, -2);
  if (vg_plan_compile(g, &s, &lp->p)) return raise_graph(L, g);
  lua_pushvalue(L, 1);
  lp->graph_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return 1;
}

static lplan *check_plan(lua_State *L, int i) {
  lplan *lp = luaL_checkudata(L, i, PLAN_MT);
  if (!lp->p) luaL_argerror(L, i, "plan already freed");
  return lp;
}

static int l_plan_gc(lua_State *L) {
  lplan *lp = luaL_checkudata(L, 1, PLAN_MT);
  vg_plan_free(lp->p);
  lp->p = NULL;
  luaL_unref(L, LUA_REGISTRYINDEX, lp->graph_ref);
  lp->graph_ref = LUA_NOREF;
  return 0;
}

static vg_graph *plan_graph(lua_State *L, lplan *lp) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, lp->graph_ref);
  vg_graph *g = ((lgraph *)lua_touserdata(L, -1))->g;
  lua_pop(L, 1);
  return g;
}

/* p:run(step): a NaN or infinity is located (first bad node) and raised. */
static int l_run(lua_State *L) {
  lplan *lp = check_plan(L, 1);
  lua_Integer step = vg_checkint(L, 2);
  vg_status st = vg_plan_run(lp->p, (uint64_t)step);
  if (st == VG_ERR_NUMERIC) vg_plan_check_finite(lp->p, (uint64_t)step);
  if (st) return raise_graph(L, plan_graph(L, lp));
  return 0;
}

/* p:value(node) -> a number for a scalar, else a table copy; nil if the
 * plan does not keep the node. */
static int l_value(lua_State *L) {
  lplan *lp = check_plan(L, 1);
  vg_graph *g = plan_graph(L, lp);
  int id = check_node(L, g, 2);
  const float *v = vg_plan_value(lp->p, id);
  if (!v) {
    lua_pushnil(L);
    return 1;
  }
  int64_t len = vg_shape_numel(&g->nodes[id].shape);
  if (len == 1) {
    lua_pushnumber(L, v[0]);
    return 1;
  }
  lua_createtable(L, (int)len, 0);
  for (int64_t i = 0; i < len; i++) {
    lua_pushnumber(L, v[i]);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

/* p:pick(node, temperature, seed, step) -> ids: one class per row of the
 * node's values (logits over the last axis), the most likely with
 * temperature 0, else drawn from softmax(logits / temperature) by the
 * counter RNG keyed like every random draw. Ids count from 0. */
static int l_pick(lua_State *L) {
  lplan *lp = check_plan(L, 1);
  vg_graph *g = plan_graph(L, lp);
  int id = check_node(L, g, 2);
  const double temp = luaL_checknumber(L, 3);
  const uint64_t seed = (uint64_t)vg_checkint(L, 4), step = (uint64_t)vg_checkint(L, 5);
  const float *v = vg_plan_value(lp->p, id);
  const vg_shape *s = &g->nodes[id].shape;
  if (!v || s->nd < 1) return luaL_error(L, "'%s' is not a value this plan keeps (fetch it)", g->nodes[id].name);
  if (!(temp >= 0)) return luaL_argerror(L, 3, "temperature must be >= 0");
  const int64_t V = s->d[s->nd - 1], rows = vg_shape_numel(s) / V;
  const uint32_t stream = vg_rng_stream("pick");
  lua_createtable(L, (int)rows, 0);
  for (int64_t r = 0; r < rows; r++) {
    const float *x = v + r * V;
    int64_t best = 0;
    for (int64_t j = 1; j < V; j++) best = x[j] > x[best] ? j : best;
    if (temp > 0) {
      double total = 0;
      for (int64_t j = 0; j < V; j++) total += exp(((double)x[j] - x[best]) / temp);
      double u = vg_rng_uniform(seed, step, stream, (uint64_t)r) * total, acc = 0;
      for (int64_t j = 0; j < V; j++) {
        acc += exp(((double)x[j] - x[best]) / temp);
        if (u < acc) {
          best = j;
          break;
        }
      }
    }
    lua_pushinteger(L, (lua_Integer)best);
    lua_rawseti(L, -2, (int)r + 1);
  }
  return 1;
}

static int l_stats(lua_State *L) {
  lplan *lp = check_plan(L, 1);
  vg_plan_stats s = vg_plan_get_stats(lp->p);
  lua_createtable(L, 0, 6);
  lua_pushinteger(L, s.nodes_forward), lua_setfield(L, -2, "forward");
  lua_pushinteger(L, s.nodes_backward), lua_setfield(L, -2, "backward");
  lua_pushnumber(L, (lua_Number)s.arena_bytes), lua_setfield(L, -2, "arena_bytes");
  lua_pushnumber(L, (lua_Number)s.naive_bytes), lua_setfield(L, -2, "naive_bytes");
  lua_pushnumber(L, (lua_Number)s.scratch_bytes), lua_setfield(L, -2, "scratch_bytes");
  lua_pushnumber(L, s.flops), lua_setfield(L, -2, "flops");
  return 1;
}

static int l_print(lua_State *L) {
  vg_plan_print(check_plan(L, 1)->p, stdout);
  return 0;
}

static int l_profile(lua_State *L) {
  vg_plan_print_profile(check_plan(L, 1)->p, stderr, (int)luaL_optinteger(L, 2, 15));
  return 0;
}

/* ---- optimizers ---- */

static const char *const optim_names[] = {"sgd", "adam", "adamw", "rmsprop", NULL};

static double opt_field(lua_State *L, int t, const char *key, double def) {
  lua_getfield(L, t, key);
  double v = lua_isnil(L, -1) ? def : luaL_checknumber(L, -1);
  lua_pop(L, 1);
  return v;
}

/* core.optim(g, kind, {lr=, ...}, {groups}, {lrs} or nil) */
static int l_optim(lua_State *L) {
  vg_graph *g = check_graph(L, 1);
  vg_optim_kind kind = (vg_optim_kind)luaL_checkoption(L, 2, NULL, optim_names);
  luaL_checktype(L, 3, LUA_TTABLE);
  vg_optim_conf c = vg_optim_defaults(kind);
  c.lr = opt_field(L, 3, "lr", c.lr);
  c.momentum = opt_field(L, 3, "momentum", c.momentum);
  c.nesterov = opt_field(L, 3, "nesterov", c.nesterov) != 0;
  c.beta1 = opt_field(L, 3, "beta1", c.beta1);
  c.beta2 = opt_field(L, 3, "beta2", c.beta2);
  c.alpha = opt_field(L, 3, "alpha", c.alpha);
  c.eps = opt_field(L, 3, "eps", c.eps);
  c.weight_decay = opt_field(L, 3, "weight_decay", c.weight_decay);
  int groups[64];
  int n = check_ids(L, 4, groups, 64, g->ngroups, "group");
  double lrs[64];
  int has_lrs = !lua_isnoneornil(L, 5);
  if (has_lrs) luaL_checktype(L, 5, LUA_TTABLE);
  for (int i = 0; has_lrs && i < n; i++) {
    lua_rawgeti(L, 5, i + 1);
    lrs[i] = lua_isnil(L, -1) ? c.lr : luaL_checknumber(L, -1);
    lua_pop(L, 1);
  }
  loptim *lo = lua_newuserdata(L, sizeof *lo);
  lo->o = NULL;
  lo->graph_ref = LUA_NOREF;
  luaL_getmetatable(L, OPTIM_MT);
  lua_setmetatable(L, -2);
  if (vg_optim_new(g, &c, groups, has_lrs ? lrs : NULL, n, &lo->o)) return raise_graph(L, g);
  lua_pushvalue(L, 1);
  lo->graph_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return 1;
}

static loptim *check_optim(lua_State *L, int i) {
  loptim *lo = luaL_checkudata(L, i, OPTIM_MT);
  if (!lo->o) luaL_argerror(L, i, "optimizer already freed");
  return lo;
}

static int l_optim_gc(lua_State *L) {
  loptim *lo = luaL_checkudata(L, 1, OPTIM_MT);
  vg_optim_free(lo->o);
  lo->o = NULL;
  luaL_unref(L, LUA_REGISTRYINDEX, lo->graph_ref);
  lo->graph_ref = LUA_NOREF;
  return 0;
}

static int l_step(lua_State *L) {
  vg_optim_step(check_optim(L, 1)->o);
  return 0;
}

static int l_set_lr(lua_State *L) {
  loptim *lo = check_optim(L, 1);
  vg_optim_set_lr(lo->o, (int)vg_checkint(L, 2) - 1, luaL_checknumber(L, 3));
  return 0;
}

/* ---- data sets ---- */

/* core.dataset(images_path, labels_path or nil): an image set from IDX files. */
static int l_dataset(lua_State *L) {
  const char *ipath = luaL_checkstring(L, 1), *lpath = luaL_optstring(L, 2, NULL);
  vg_imageset *d = lua_newuserdata(L, sizeof *d);
  memset(d, 0, sizeof *d);
  luaL_getmetatable(L, DATA_MT);
  lua_setmetatable(L, -2);
  char err[1024];
  vg_idx im, lb;
  memset(&lb, 0, sizeof lb);
  if (vg_idx_load(ipath, &im, err, sizeof err)) return raise(L, err);
  if (lpath && vg_idx_load(lpath, &lb, err, sizeof err)) {
    vg_idx_free(&im);
    return raise(L, err);
  }
  vg_status st = vg_imageset_from_idx(&im, lpath ? &lb : NULL, ipath, d, err, sizeof err);
  vg_idx_free(&im);
  vg_idx_free(&lb);
  if (st) return raise(L, err);
  return 1;
}

static vg_imageset *check_dataset(lua_State *L, int i) {
  vg_imageset *d = luaL_checkudata(L, i, DATA_MT);
  if (!d->x) luaL_argerror(L, i, "data set already freed");
  return d;
}

static int l_dataset_gc(lua_State *L) {
  vg_imageset_free(luaL_checkudata(L, 1, DATA_MT));
  return 0;
}

static int l_dataset_info(lua_State *L) {
  vg_imageset *d = check_dataset(L, 1);
  lua_createtable(L, 0, 6);
  lua_pushinteger(L, d->n), lua_setfield(L, -2, "n");
  lua_pushinteger(L, d->dim), lua_setfield(L, -2, "dim");
  lua_pushinteger(L, d->c), lua_setfield(L, -2, "c");
  lua_pushinteger(L, d->h), lua_setfield(L, -2, "h");
  lua_pushinteger(L, d->w), lua_setfield(L, -2, "w");
  lua_pushinteger(L, d->classes), lua_setfield(L, -2, "classes");
  return 1;
}

static int l_dataset_order(lua_State *L) {
  vg_imageset *d = check_dataset(L, 1);
  vg_imageset_order(d, lua_toboolean(L, 2), (uint64_t)vg_checkint(L, 3), (uint64_t)vg_checkint(L, 4));
  return 0;
}

/* The input node's buffer, which must hold `per` values per batch row. */
static float *input_rows(lua_State *L, vg_graph *g, int node, int64_t per, int *batch) {
  const vg_node *n = &g->nodes[node];
  if (n->op != VG_OP_INPUT) luaL_error(L, "'%s' is not an input", n->name);
  int64_t len = vg_shape_numel(&n->shape);
  if (n->shape.nd < 1 || len != n->shape.d[0] * per) {
    char b[VG_SHAPE_STRLEN];
    luaL_error(L, "input '%s' %s cannot take rows of %lld values", n->name, vg_shape_str(&n->shape, b, sizeof b),
               (long long)per);
  }
  *batch = (int)n->shape.d[0];
  return n->data;
}

/* A row index into a data set: 0 <= first < n. */
static int64_t check_first(lua_State *L, const vg_imageset *d, int arg) {
  lua_Integer first = vg_checkint(L, arg);
  if (first < 0 || first >= d->n) luaL_argerror(L, arg, "row index out of the data set");
  return (int64_t)first;
}

/* A batch reads positions pos .. pos+left-1 of the order and wraps past the
 * end (a test set smaller than a batch fills it by repeating); the C fills
 * do not wrap, so a batch is filled in pieces that lie inside the set.
 * Returns the length of the piece at pos, whose start is *at. */
static int64_t wrap_piece(const vg_imageset *d, int64_t pos, int64_t left, int64_t *at) {
  *at = pos % d->n;
  return left < d->n - *at ? left : d->n - *at;
}

/* d:fill(graph, node, first, scale, shift): rows first.. of this epoch's order. */
static int l_dataset_fill(lua_State *L) {
  vg_imageset *d = check_dataset(L, 1);
  vg_graph *g = check_graph(L, 2);
  int batch;
  float *dst = input_rows(L, g, check_node(L, g, 3), d->dim, &batch);
  const int64_t first = check_first(L, d, 4);
  const float scale = (float)luaL_optnumber(L, 5, 1.0 / 255), shift = (float)luaL_optnumber(L, 6, 0);
  for (int64_t done = 0, at, k; done < batch; done += k) {
    k = wrap_piece(d, first + done, batch - done, &at);
    vg_imageset_fill_pixels(d, at, k, scale, shift, dst + done * d->dim);
  }
  return 0;
}

/* d:onehot(graph, node, first) */
static int l_dataset_onehot(lua_State *L) {
  vg_imageset *d = check_dataset(L, 1);
  vg_graph *g = check_graph(L, 2);
  int node = check_node(L, g, 3), batch;
  const vg_node *n = &g->nodes[node];
  int classes = n->shape.nd == 2 ? (int)n->shape.d[1] : 0;
  if (!d->y) return luaL_error(L, "input '%s' is fed one-hot labels, but the data set has no labels file", n->name);
  if (classes < d->classes)
    return luaL_error(L, "input '%s' has room for %d classes, the labels have %d", n->name, classes, d->classes);
  float *dst = input_rows(L, g, node, classes, &batch);
  const int64_t first = check_first(L, d, 4);
  for (int64_t done = 0, at, k; done < batch; done += k) {
    k = wrap_piece(d, first + done, batch - done, &at);
    vg_imageset_fill_onehot(d, at, k, classes, dst + done * classes);
  }
  return 0;
}

/* d:labels(first, count) -> table of labels (-1 without labels) */
static int l_dataset_labels(lua_State *L) {
  vg_imageset *d = check_dataset(L, 1);
  lua_Integer first = check_first(L, d, 2), count = vg_checkint(L, 3);
  if (count < 0 || count > d->n) return luaL_argerror(L, 3, "bad count");
  lua_createtable(L, (int)count, 0);
  for (lua_Integer i = 0; i < count; i++) {
    int32_t label;
    vg_imageset_labels(d, (first + i) % d->n, 1, &label);
    lua_pushinteger(L, label);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

/* ---- checkpoints ---- */

/* The {phase name, optimizer} pairs at index i, checked; returns the count. */
static int read_phases(lua_State *L, int i, vg_phase_state *ph, int max) {
  luaL_checktype(L, i, LUA_TTABLE);
  int n = (int)vg_rawlen(L, i);
  if (n > max) luaL_error(L, "at most %d phases", max);
  for (int k = 0; k < n; k++) {
    lua_rawgeti(L, i, k + 1);
    luaL_checktype(L, -1, LUA_TTABLE);
    lua_rawgeti(L, -1, 1);
    lua_rawgeti(L, -2, 2);
    /* A string (not a number converted here) stays alive in the table. */
    if (lua_type(L, -2) != LUA_TSTRING) luaL_error(L, "phase %d: its name must be a string", k + 1);
    ph[k].phase = lua_tostring(L, -2);
    ph[k].optim = check_optim(L, lua_gettop(L))->o;
    lua_pop(L, 3);
  }
  return n;
}

/* Metadata pairs by key, so a checkpoint's bytes do not depend on the order
 * Lua's (randomly seeded) table iteration happens to visit them. */
static int cmp_pair(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* core.save(path, graph, {{phase, optim}, ...}, {key = value, ...}) */
static int l_save(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  vg_graph *g = check_graph(L, 2);
  vg_phase_state ph[16];
  int nph = read_phases(L, 3, ph, 16);
  luaL_checktype(L, 4, LUA_TTABLE);
  const char *meta[64];
  int nmeta = 0;
  lua_pushnil(L);
  while (lua_next(L, 4)) {
    if (nmeta == 32) return luaL_error(L, "save: at most 32 metadata entries");
    /* Only strings: they stay alive in the table after the loop pops them
     * (a number converted here would not). */
    if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
      return luaL_error(L, "save: metadata keys and values must be strings");
    meta[2 * nmeta] = lua_tostring(L, -2);
    meta[2 * nmeta + 1] = lua_tostring(L, -1);
    lua_pop(L, 1);
    nmeta++;
  }
  qsort(meta, (size_t)nmeta, 2 * sizeof *meta, cmp_pair);
  char err[1024];
  if (vg_checkpoint_save(path, g, ph, nph, meta, nmeta, err, sizeof err)) return raise(L, err);
  return 0;
}

/* core.load(path, graph, phases, {keys}) -> {key = value} */
static int l_load(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  vg_graph *g = check_graph(L, 2);
  vg_phase_state ph[16];
  int nph = read_phases(L, 3, ph, 16);
  luaL_checktype(L, 4, LUA_TTABLE);
  const char *keys[32];
  int nkeys = (int)vg_rawlen(L, 4);
  if (nkeys > 32) return luaL_error(L, "load: at most 32 metadata keys");
  for (int k = 0; k < nkeys; k++) {
    lua_rawgeti(L, 4, k + 1);
    keys[k] = luaL_checkstring(L, -1);
    lua_pop(L, 1);
  }
  char values[32][256], err[1024];
  if (vg_checkpoint_load(path, g, ph, nph, keys, nkeys, values, err, sizeof err)) return raise(L, err);
  lua_createtable(L, 0, nkeys);
  for (int k = 0; k < nkeys; k++) {
    lua_pushstring(L, values[k]);
    lua_setfield(L, -2, keys[k]);
  }
  return 1;
}

/* core.checkpoint_meta(path, {keys}) -> {key = value}: what a run needs to
 * know before it builds its graph (the seed keys every random draw). */
static int l_checkpoint_meta(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  int n = (int)vg_rawlen(L, 2);
  for (int k = 1; k <= n; k++) {
    lua_rawgeti(L, 2, k);
    if (lua_type(L, -1) != LUA_TSTRING) return luaL_error(L, "checkpoint_meta: keys must be strings");
    lua_pop(L, 1);
  }
  vg_st_file *f;
  char err[1024];
  if (vg_st_read(path, &f, err, sizeof err)) return raise(L, err);
  lua_createtable(L, 0, n);
  for (int k = 1; k <= n; k++) {
    lua_rawgeti(L, 2, k);
    const char *v = vg_st_meta(f, lua_tostring(L, -1));
    if (v) lua_pushstring(L, v);
    else lua_pushnil(L);
    lua_settable(L, -3);
  }
  vg_st_free(f);
  return 1;
}

/* ---- pictures ---- */

/* core.grid_png(path, sources, cols, h, w, lo, hi, scale): tiles images
 * taken, in order, from sources {plan, node, first_row, rows}; each row of
 * a node's value is one h x w image. */
static int l_grid_png(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  int cols = (int)vg_checkint(L, 3), h = (int)vg_checkint(L, 4), w = (int)vg_checkint(L, 5);
  float lo = (float)luaL_checknumber(L, 6), hi = (float)luaL_checknumber(L, 7);
  int scale = (int)luaL_optinteger(L, 8, 2);
  if (h < 1 || w < 1 || h * w > 1 << 20) return luaL_argerror(L, 4, "bad image size");
  int nsrc = (int)vg_rawlen(L, 2), total = 0;
  /* First pass: check every source and count images. */
  for (int s = 1; s <= nsrc; s++) {
    lua_rawgeti(L, 2, s);
    luaL_checktype(L, -1, LUA_TTABLE);
    lua_rawgeti(L, -1, 1);
    lplan *lp = check_plan(L, lua_gettop(L));
    vg_graph *g = plan_graph(L, lp);
    lua_rawgeti(L, -2, 2);
    int node = check_node(L, g, lua_gettop(L));
    lua_rawgeti(L, -3, 3);
    lua_rawgeti(L, -4, 4);
    lua_Integer first = vg_checkint(L, lua_gettop(L) - 1), rows = vg_checkint(L, lua_gettop(L));
    const vg_shape *sh = &g->nodes[node].shape;
    if (!vg_plan_value(lp->p, node)) return luaL_error(L, "grid: plan does not keep '%s'", g->nodes[node].name);
    if (sh->nd < 1 || vg_shape_numel(sh) / sh->d[0] != (int64_t)h * w || first < 0 || rows < 0 || first > sh->d[0] || rows > sh->d[0] - first)
      return luaL_error(L, "grid: '%s' has no rows %lld..%lld of %dx%d images", g->nodes[node].name, (long long)first,
                        (long long)first + (long long)rows, h, w);
    total += (int)rows;
    lua_pop(L, 5);
  }
  float *imgs = malloc((size_t)(total ? total : 1) * (size_t)h * (size_t)w * sizeof *imgs);
  if (!imgs) return luaL_error(L, "grid: out of memory");
  size_t at = 0;
  for (int s = 1; s <= nsrc; s++) { /* checked above: no error can be raised here */
    lua_rawgeti(L, 2, s);
    lua_rawgeti(L, -1, 1);
    lplan *lp = lua_touserdata(L, -1);
    lua_rawgeti(L, -2, 2);
    lua_rawgeti(L, -3, 3);
    lua_rawgeti(L, -4, 4);
    int node = (int)lua_tointeger(L, -3);
    size_t first = (size_t)lua_tointeger(L, -2), rows = (size_t)lua_tointeger(L, -1), per = (size_t)h * (size_t)w;
    memcpy(imgs + at, vg_plan_value(lp->p, node) + first * per, rows * per * sizeof *imgs);
    at += rows * per;
    lua_pop(L, 5);
  }
  uint8_t *pix = NULL;
  int gw, gh;
  char err[1024] = "";
  vg_status st = vg_image_grid(imgs, total, h, w, cols, 1, scale, lo, hi, &pix, &gw, &gh);
  free(imgs);
  if (!st) st = vg_png_write(path, gw, gh, 1, pix, err, sizeof err);
  else snprintf(err, sizeof err, "%s: cannot make the image grid", path);
  free(pix);
  if (st) return raise(L, err);
  return 0;
}

/* core.scatter_png(path, codes, dim, labels or nil, background or nil, size,
 * title): codes and background are flat lists of n*dim numbers, projected
 * together by one PCA when dim > 2, so both share the plot's axes. Returns
 * the number of non-finite points skipped. */
static int l_scatter_png(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  int dim = (int)vg_checkint(L, 3);
  if (dim < 1 || dim > 4096) return luaL_argerror(L, 3, "dimension must be 1 to 4096");
  if (!lua_isnoneornil(L, 4)) luaL_checktype(L, 4, LUA_TTABLE);
  if (!lua_isnoneornil(L, 5)) luaL_checktype(L, 5, LUA_TTABLE);
  int size = (int)luaL_optinteger(L, 6, 600);
  const char *title = luaL_optstring(L, 7, NULL);
  int n = (int)vg_rawlen(L, 2) / dim, nbg = lua_istable(L, 5) ? (int)vg_rawlen(L, 5) / dim : 0;
  int nlab = lua_istable(L, 4) ? (int)vg_rawlen(L, 4) : 0;
  size_t pts = (size_t)(n + nbg) ? (size_t)(n + nbg) : 1;
  float *all = malloc(pts * (size_t)dim * sizeof *all), *xy = malloc(pts * 2 * sizeof *xy);
  int *labels = malloc(pts * sizeof *labels);
  if (!all || !xy || !labels) {
    free(all), free(xy), free(labels);
    return luaL_error(L, "%s: out of memory", path);
  }
  /* Only numbers are read from here on: lua_tonumber raises nothing. */
  for (int k = 0; k < n * dim; k++) {
    lua_rawgeti(L, 2, k + 1);
    all[k] = (float)lua_tonumber(L, -1);
    lua_pop(L, 1);
  }
  for (int k = 0; k < nbg * dim; k++) {
    lua_rawgeti(L, 5, k + 1);
    all[(size_t)n * dim + (size_t)k] = (float)lua_tonumber(L, -1);
    lua_pop(L, 1);
  }
  for (int i = 0; i < n; i++) {
    labels[i] = -1;
    if (i < nlab) {
      lua_rawgeti(L, 4, i + 1);
      labels[i] = (int)lua_tointeger(L, -1);
      lua_pop(L, 1);
    }
  }
  char err[1024];
  snprintf(err, sizeof err, "%s: cannot project the codes", path);
  int skipped = 0;
  vg_status st = vg_pca2(all, n + nbg, dim, xy);
  if (!st)
    st = vg_scatter_png(path, xy, labels, n, nbg ? xy + 2 * (size_t)n : NULL, nbg, size, title, &skipped, err, sizeof err);
  free(all), free(xy), free(labels);
  if (st) return raise(L, err);
  lua_pushinteger(L, skipped);
  return 1;
}

/* ---- host utilities ---- */

/* g:normal(node, seed, step): fills an input with N(0, 1) draws keyed like
 * every random node, e.g. latent codes for samples from the prior. */
static int l_fill_normal(lua_State *L) {
  vg_graph *g = check_graph(L, 1);
  int node = check_node(L, g, 2);
  float *d = vg_input_data(g, node);
  if (!d) return luaL_error(L, "'%s' is not an input", g->nodes[node].name);
  uint64_t seed = (uint64_t)vg_checkint(L, 3), step = (uint64_t)vg_checkint(L, 4);
  uint32_t stream = vg_rng_stream(g->nodes[node].name);
  int64_t len = vg_shape_numel(&g->nodes[node].shape);
  for (int64_t i = 0; i < len; i++) d[i] = (float)vg_rng_normal(seed, step, stream, (uint64_t)i);
  return 0;
}

static int l_threads(lua_State *L) {
  if (!lua_isnoneornil(L, 1)) {
    lua_Integer n = vg_checkint(L, 1);
    if (n < 1 || n > 1024) return luaL_argerror(L, 1, "thread count must be 1 to 1024");
    omp_set_num_threads((int)n);
  }
  lua_pushinteger(L, omp_get_max_threads());
  return 1;
}

static int l_clock(lua_State *L) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  lua_pushnumber(L, (lua_Number)t.tv_sec + 1e-9 * (lua_Number)t.tv_nsec);
  return 1;
}

static int l_isatty(lua_State *L) {
  lua_pushboolean(L, isatty(fileno(stdout)));
  return 1;
}

/* ---- registration ---- */

void vg_lua_class(lua_State *L, const char *name, const luaL_Reg *methods, lua_CFunction gc) {
  luaL_newmetatable(L, name);
  lua_newtable(L);
  vg_setfuncs(L, methods);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
}

int luaopen_vaegraph_core(lua_State *L) {
  static const luaL_Reg graph_methods[] = {{"input", l_input},   {"group", l_group},     {"param", l_param},
                                           {"op", l_op},         {"shape", l_shape},     {"name", l_name},
                                           {"find", l_find},     {"data", l_data},       {"compile", l_compile},
                                           {"normal", l_fill_normal}, {"set_scalar", l_set_scalar},
                                           {"set_shape", l_set_shape},
                                           {NULL, NULL}};
  static const luaL_Reg plan_methods[] = {
      {"run", l_run}, {"value", l_value}, {"pick", l_pick}, {"stats", l_stats}, {"print", l_print}, {"profile", l_profile}, {NULL, NULL}};
  static const luaL_Reg optim_methods[] = {{"step", l_step}, {"set_lr", l_set_lr}, {NULL, NULL}};
  static const luaL_Reg data_methods[] = {{"info", l_dataset_info},     {"order", l_dataset_order},
                                          {"fill", l_dataset_fill},     {"onehot", l_dataset_onehot},
                                          {"labels", l_dataset_labels}, {NULL, NULL}};
  static const luaL_Reg funcs[] = {{"graph", l_graph},     {"optim", l_optim}, {"dataset", l_dataset},
                                   {"threads", l_threads}, {"clock", l_clock}, {"isatty", l_isatty},
                                   {"grid_png", l_grid_png}, {"scatter_png", l_scatter_png},
                                   {"save", l_save},         {"load", l_load},
                                   {"checkpoint_meta", l_checkpoint_meta},
                                   {NULL, NULL}};
  vg_lua_class(L, GRAPH_MT, graph_methods, l_graph_gc);
  vg_lua_class(L, PLAN_MT, plan_methods, l_plan_gc);
  vg_lua_class(L, OPTIM_MT, optim_methods, l_optim_gc);
  vg_lua_class(L, DATA_MT, data_methods, l_dataset_gc);
  vg_newlib(L, funcs);
  vg_lua_open_text(L);
  return 1;
}
