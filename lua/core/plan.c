/* Plans seen from Lua: g:compile{...} makes one (a userdata that keeps its
 * graph alive through a registry reference), p:run(step) runs it, and
 * values and gradients are read back as Lua numbers. */
#include <stdio.h>
#include <stdlib.h>

#include "module.h"
#include "rng.h"
#include "sample.h"

typedef struct lplan {
  vg_plan *p;
  int graph_ref;
  int optim_ref; /* the optimizer it steps (compile's optim), kept alive with it */
} lplan;

static lplan *check_plan(lua_State *L, int i) {
  lplan *lp = luaL_checkudata(L, i, VG_PLAN_MT);
  if (!lp->p) luaL_argerror(L, i, "plan already freed");
  return lp;
}

vg_plan *vg_lua_plan(lua_State *L, int i, vg_graph **g) {
  lplan *lp = check_plan(L, i);
  lua_rawgeti(L, LUA_REGISTRYINDEX, lp->graph_ref);
  *g = *(vg_graph **)lua_touserdata(L, -1);
  lua_pop(L, 1);
  return lp->p;
}

/* Raises unless the value (grad 0) or gradient (grad 1) of node id is
 * readable or simply not kept. */
static void check_readable(lua_State *L, const vg_plan *p, const vg_graph *g, int id, int grad) {
  char why[256];
  if (vg_plan_unreadable(p, id, grad, why, sizeof why))
    vg_lua_fail(L, "plan '%s': no %s of '%s' to read: %s (read a plan's values before running another)",
                vg_plan_name(p), grad ? "gradient" : "value", g->nodes[id].name, why);
}

const float *vg_lua_value(lua_State *L, const vg_plan *p, const vg_graph *g, int id) {
  check_readable(L, p, g, id, 0);
  return vg_plan_value(p, id);
}

const float *vg_lua_rows(lua_State *L, int i, int64_t width, const char *what, int64_t *count, const char **name) {
  vg_graph *g;
  vg_plan *p = vg_lua_plan(L, i, &g);
  const int id = vg_lua_node(L, g, i + 1);
  const vg_node *n = &g->nodes[id];
  const float *v = vg_lua_value(L, p, g, id);
  if (!v) vg_lua_fail(L, "%s: '%s' is not a value this plan keeps (fetch it)", what, n->name);
  const int64_t rows = n->shape.nd < 1 ? 0 : n->shape.d[0];
  if (rows < 1 || vg_shape_numel(&n->shape) / rows != width)
    vg_lua_fail(L, "%s: a row of '%s' must hold %lld values", what, n->name, (long long)width);
  const lua_Integer c = luaL_optinteger(L, i + 2, (lua_Integer)rows);
  if (c < 0 || c > rows) vg_lua_fail(L, "%s: count %lld is outside 0..%lld", what, (long long)c, (long long)rows);
  *count = (int64_t)c;
  if (name) *name = n->name;
  return v;
}

/* g:compile{name =, loss =, update = {groups}, fetch = {nodes}, wrt = {nodes},
 * after = plan, optim = optimizer}: `wrt` lists nodes whose gradients p:grad
 * reads after a run; `after`, the plan run just before this one each step;
 * `optim`, the optimizer of the update groups, whose step each run then
 * takes during its backward pass (plan.h). */
static int l_compile(lua_State *L) {
  lua_settop(L, 2); /* scratch arrays go above the arguments */
  vg_graph *g = vg_lua_graph(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  vg_plan_spec s = {0};
  lua_getfield(L, 2, "name");
  s.name = lua_tostring(L, -1);
  lua_getfield(L, 2, "loss");
  s.loss = lua_isnil(L, -1) ? -1 : vg_lua_node(L, g, lua_gettop(L));
  lua_getfield(L, 2, "update");
  s.update = vg_lua_ids(L, -1, g->ngroups, "group", &s.nupdate);
  lua_getfield(L, 2, "fetch");
  s.fetch = vg_lua_ids(L, -1, g->n, "node", &s.nfetch);
  lua_getfield(L, 2, "wrt");
  s.wrt = vg_lua_ids(L, -1, g->n, "node", &s.nwrt);
  lua_getfield(L, 2, "after");
  if (!lua_isnil(L, -1)) {
    vg_graph *ag;
    s.after = vg_lua_plan(L, lua_gettop(L), &ag);
    if (ag != g) return vg_lua_fail(L, "compile '%s': the plan it runs after belongs to another graph", s.name ? s.name : "plan");
  }
  lua_getfield(L, 2, "optim");
  const int optim_at = lua_gettop(L);
  if (!lua_isnil(L, optim_at)) {
    if (!luaL_testudata(L, optim_at, VG_OPTIM_MT))
      return vg_lua_fail(L, "compile '%s': optim must be an optimizer (vg.core.optim), not a %s", s.name ? s.name : "plan",
                         luaL_typename(L, optim_at));
    s.optim = vg_lua_optim(L, optim_at);
  }
  lplan *lp = lua_newuserdata(L, sizeof *lp);
  lp->p = NULL;
  lp->graph_ref = lp->optim_ref = LUA_NOREF;
  luaL_getmetatable(L, VG_PLAN_MT);
  lua_setmetatable(L, -2);
  if (vg_plan_compile(g, &s, &lp->p)) return vg_lua_raise_graph(L, g);
  lua_pushvalue(L, 1);
  lp->graph_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  if (s.optim) {
    lua_pushvalue(L, optim_at);
    lp->optim_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  return 1;
}

static int l_plan_gc(lua_State *L) {
  lplan *lp = luaL_checkudata(L, 1, VG_PLAN_MT);
  vg_plan_free(lp->p);
  lp->p = NULL;
  luaL_unref(L, LUA_REGISTRYINDEX, lp->graph_ref);
  luaL_unref(L, LUA_REGISTRYINDEX, lp->optim_ref);
  lp->graph_ref = lp->optim_ref = LUA_NOREF;
  return 0;
}

/* p:run(step [, first [, count [, batch]]]): a NaN or infinity is located
 * (first bad node) and raised. `first`, the batch's first example in its
 * data set (or in the global batch, for one rank's share), keys random ops'
 * noise by example; 0 by default. `count`: the examples in the batch (0,
 * the default: each random op's rows). `batch`, under mpirun in training:
 * the global batch this rank's `count` examples are a share of; the ops
 * that need the whole batch's statistics (batch norm) then sum them over
 * the ranks, and every rank must run the plan. */
static int l_run(lua_State *L) {
  vg_graph *g;
  vg_plan *p = vg_lua_plan(L, 1, &g);
  lua_Integer step = vg_checkint(L, 2);
  const lua_Integer first = luaL_optinteger(L, 3, 0), count = luaL_optinteger(L, 4, 0);
  const lua_Integer batch = luaL_optinteger(L, 5, 0);
  if (first < 0) return luaL_argerror(L, 3, "the first example's place is >= 0");
  if (count < 0) return luaL_argerror(L, 4, "the example count is >= 0");
  if (batch < 0 || (batch > 0 && (count < 1 || count > batch)))
    return luaL_argerror(L, 5, "the global batch holds this rank's count of examples, at least 1");
  vg_collective coll;
  vg_plan_set_example(p, (int64_t)first);
  vg_plan_set_examples(p, (int64_t)count);
  vg_plan_set_collective(p, batch > 0 ? vg_lua_dist_collective(&coll, (double)count / (double)batch) : NULL);
  vg_status st = vg_plan_run(p, (uint64_t)step);
  /* Locating the bad node runs the plan again on this rank alone: the
   * others are not there to sum with (the error ends them all). */
  vg_plan_set_collective(p, NULL);
  if (st == VG_ERR_NUMERIC) vg_plan_check_finite(p, (uint64_t)step);
  if (st) return vg_lua_raise_graph(L, g);
  return 0;
}

/* p:value(node) -> a number for a scalar, else a table copy; nil if the
 * plan does not keep the node. */
static int l_value(lua_State *L) {
  vg_graph *g;
  vg_plan *p = vg_lua_plan(L, 1, &g);
  int id = vg_lua_node(L, g, 2);
  const float *v = vg_lua_value(L, p, g, id);
  if (!v) lua_pushnil(L);
  else vg_lua_push_floats(L, v, (size_t)vg_shape_numel(&g->nodes[id].shape), 1);
  return 1;
}

/* p:grad(node) -> d loss / d node after a run, shaped like p:value: for a
 * parameter of an updated group (unless the plan applies them itself:
 * compile's optim), or a node the plan was compiled `wrt`. */
static int l_grad(lua_State *L) {
  vg_graph *g;
  vg_plan *p = vg_lua_plan(L, 1, &g);
  int id = vg_lua_node(L, g, 2);
  check_readable(L, p, g, id, 1);
  const float *d = vg_plan_grad(p, id);
  if (!d)
    return vg_lua_fail(L, "plan '%s' keeps no gradient of '%s': compile it with wrt = {node}, or update its group "
                       "(a plan compiled with optim applies its parameters' gradients during the backward pass and "
                       "keeps them only if listed in wrt)", vg_plan_name(p), g->nodes[id].name);
  vg_lua_push_floats(L, d, (size_t)vg_shape_numel(&g->nodes[id].shape), 1);
  return 1;
}

/* p:pick(node, temperature, seed, step) -> ids: one class per row of the
 * node's values (logits over the last axis); see vg_pick_rows. Ids count
 * from 0. */
static int l_pick(lua_State *L) {
  vg_graph *g;
  vg_plan *p = vg_lua_plan(L, 1, &g);
  int id = vg_lua_node(L, g, 2);
  const double temp = luaL_checknumber(L, 3);
  const uint64_t seed = (uint64_t)vg_checkint(L, 4), step = (uint64_t)vg_checkint(L, 5);
  const float *v = vg_lua_value(L, p, g, id);
  const vg_shape *s = &g->nodes[id].shape;
  if (!v || s->nd < 1) return vg_lua_fail(L, "'%s' is not a value this plan keeps (fetch it)", g->nodes[id].name);
  if (!(temp >= 0)) return luaL_argerror(L, 3, "temperature must be >= 0");
  const int64_t V = s->d[s->nd - 1], rows = vg_shape_numel(s) / V;
  int64_t *ids = lua_newuserdata(L, (size_t)rows * sizeof *ids);
  vg_pick_rows(v, rows, V, temp, seed, step, vg_rng_stream("pick"), ids);
  lua_createtable(L, (int)rows, 0);
  for (int64_t r = 0; r < rows; r++) {
    lua_pushinteger(L, (lua_Integer)ids[r]);
    lua_rawseti(L, -2, (int)r + 1);
  }
  return 1;
}

static int l_stats(lua_State *L) {
  vg_plan_stats s = vg_plan_get_stats(check_plan(L, 1)->p);
  lua_createtable(L, 0, 6);
  lua_pushinteger(L, s.nodes_forward), lua_setfield(L, -2, "forward");
  lua_pushinteger(L, s.nodes_backward), lua_setfield(L, -2, "backward");
  lua_pushnumber(L, (lua_Number)s.arena_bytes), lua_setfield(L, -2, "arena_bytes");
  lua_pushnumber(L, (lua_Number)s.naive_bytes), lua_setfield(L, -2, "naive_bytes");
  lua_pushnumber(L, (lua_Number)s.bound_bytes), lua_setfield(L, -2, "bound_bytes");
  lua_pushnumber(L, (lua_Number)s.scratch_bytes), lua_setfield(L, -2, "scratch_bytes");
  lua_pushnumber(L, s.flops), lua_setfield(L, -2, "flops");
  return 1;
}

static int l_print(lua_State *L) {
  vg_plan_print(check_plan(L, 1)->p, stdout);
  return 0;
}

/* p:dot(q, ...): p and the other plans of its graph as one Graphviz DOT
 * graph on standard output (vaegraph --dot). */
static int l_dot(lua_State *L) {
  const int n = lua_gettop(L);
  const vg_plan *plans[64];
  if (n > 64) return vg_lua_fail(L, "dot: at most 64 plans, got %d", n);
  vg_graph *g0 = NULL;
  for (int i = 1; i <= n; i++) {
    vg_graph *g;
    plans[i - 1] = vg_lua_plan(L, i, &g);
    if (g0 && g != g0) return vg_lua_fail(L, "dot: plan %d is of another graph", i);
    g0 = g;
  }
  vg_plans_dot(plans, n, stdout);
  fflush(stdout);
  return 0;
}

static int l_profile(lua_State *L) {
  vg_plan_print_profile(check_plan(L, 1)->p, stderr, (int)luaL_optinteger(L, 2, 15));
  return 0;
}

void vg_lua_open_plan(lua_State *L) {
  static const luaL_Reg methods[] = {{"run", l_run},     {"value", l_value}, {"grad", l_grad},       {"pick", l_pick},
                                     {"stats", l_stats}, {"print", l_print}, {"profile", l_profile}, {"dot", l_dot},
                                     {NULL, NULL}};
  vg_lua_class(L, VG_PLAN_MT, methods, l_plan_gc);
  /* Compiling is a graph's method. */
  luaL_getmetatable(L, VG_GRAPH_MT);
  lua_getfield(L, -1, "__index");
  lua_pushcfunction(L, l_compile);
  lua_setfield(L, -2, "compile");
  lua_pop(L, 2);
}
