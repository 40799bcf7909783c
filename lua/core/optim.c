/* Optimizers seen from Lua: core.optim(g, kind, conf, groups, lrs) makes
 * one (a userdata that keeps its graph alive), o:step() updates. */
#include "module.h"
#include "optim.h"

typedef struct loptim {
  vg_optim *o;
  int graph_ref;
} loptim;

static const char *const optim_names[] = {"sgd", "adam", "adamw", "rmsprop", NULL};

static double opt_field(lua_State *L, int t, const char *key, double def) {
  lua_getfield(L, t, key);
  double v = lua_isnil(L, -1) ? def : luaL_checknumber(L, -1);
  lua_pop(L, 1);
  return v;
}

/* core.optim(g, kind, {lr=, ...}, {groups}, {lrs} or nil) */
static int l_optim(lua_State *L) {
  lua_settop(L, 5); /* scratch arrays go above the arguments */
  vg_graph *g = vg_lua_graph(L, 1);
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
  int n;
  const int *groups = vg_lua_ids(L, 4, g->ngroups, "group", &n);
  double *lrs = NULL;
  if (!lua_isnoneornil(L, 5)) {
    luaL_checktype(L, 5, LUA_TTABLE);
    lrs = lua_newuserdata(L, (size_t)(n ? n : 1) * sizeof *lrs);
    for (int i = 0; i < n; i++) {
      lua_rawgeti(L, 5, i + 1);
      lrs[i] = lua_isnil(L, -1) ? c.lr : luaL_checknumber(L, -1);
      lua_pop(L, 1);
    }
  }
  loptim *lo = lua_newuserdata(L, sizeof *lo);
  lo->o = NULL;
  lo->graph_ref = LUA_NOREF;
  luaL_getmetatable(L, VG_OPTIM_MT);
  lua_setmetatable(L, -2);
  if (vg_optim_new(g, &c, groups, lrs, n, &lo->o)) return vg_lua_raise_graph(L, g);
  lua_pushvalue(L, 1);
  lo->graph_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return 1;
}

static loptim *check_optim(lua_State *L, int i) {
  loptim *lo = luaL_checkudata(L, i, VG_OPTIM_MT);
  if (!lo->o) luaL_argerror(L, i, "optimizer already freed");
  return lo;
}

struct vg_optim *vg_lua_optim(lua_State *L, int i) { return check_optim(L, i)->o; }

static int l_optim_gc(lua_State *L) {
  loptim *lo = luaL_checkudata(L, 1, VG_OPTIM_MT);
  vg_optim_free(lo->o);
  lo->o = NULL;
  luaL_unref(L, LUA_REGISTRYINDEX, lo->graph_ref);
  lo->graph_ref = LUA_NOREF;
  return 0;
}

static int l_step(lua_State *L) {
  vg_optim *o = check_optim(L, 1)->o;
  if (vg_optim_plan(o))
    return vg_lua_fail(L, "o:step(): plan '%s' takes this optimizer's steps in its backward pass (compiled with optim); "
                          "a step here would be a second one", vg_optim_plan(o));
  vg_optim_step(o);
  return 0;
}

/* o:set_lr(k, lr): the k-th group's (from 1) learning rate. */
static int l_set_lr(lua_State *L) {
  vg_optim *o = check_optim(L, 1)->o;
  lua_Integer k = vg_checkint(L, 2);
  if (k < 1 || k > vg_optim_ngroups(o)) return luaL_argerror(L, 2, "not a group of this optimizer");
  vg_optim_set_lr(o, (int)k - 1, luaL_checknumber(L, 3));
  return 0;
}

void vg_lua_open_optim(lua_State *L) {
  static const luaL_Reg methods[] = {{"step", l_step}, {"set_lr", l_set_lr}, {NULL, NULL}};
  static const luaL_Reg funcs[] = {{"optim", l_optim}, {NULL, NULL}};
  vg_lua_class(L, VG_OPTIM_MT, methods, l_optim_gc);
  vg_lua_setfuncs(L, funcs);
}
