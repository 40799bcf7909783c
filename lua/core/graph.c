/* Graphs seen from Lua: core.graph(seed) is a userdata with __gc; nodes and
 * groups are integer ids, which lua/vaegraph.lua wraps into objects. Every
 * node records the user's script line that made it. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "module.h"
#include "rng.h"

/* Nodes made from now on record the user's line (errors name it). */
static void set_where(lua_State *L, vg_graph *g) {
  char where[VG_WHERE_MAX];
  vg_lua_where(L, where, sizeof where);
  vg_graph_set_where(g, where);
}

static int push_id(lua_State *L, vg_graph *g, int id) {
  if (id < 0) return vg_lua_raise_graph(L, g);
  lua_pushinteger(L, id);
  return 1;
}

/* core.graph(seed) */
static int l_graph(lua_State *L) {
  lua_Integer seed = luaL_optinteger(L, 1, 0);
  vg_graph **g = lua_newuserdata(L, sizeof *g);
  *g = NULL;
  luaL_getmetatable(L, VG_GRAPH_MT);
  lua_setmetatable(L, -2);
  *g = vg_graph_new((uint64_t)seed);
  if (!*g) return vg_lua_fail(L, "out of memory for a graph");
  return 1;
}

static int l_graph_gc(lua_State *L) {
  vg_graph **g = luaL_checkudata(L, 1, VG_GRAPH_MT);
  vg_graph_free(*g);
  *g = NULL;
  return 0;
}

/* g:input(name, shape) */
static int l_input(lua_State *L) {
  vg_graph *g = vg_lua_graph(L, 1);
  const char *name = luaL_checkstring(L, 2);
  char what[VG_NAME_MAX + 16];
  snprintf(what, sizeof what, "input '%s'", name);
  vg_shape s = vg_lua_shape(L, 3, what);
  set_where(L, g);
  return push_id(L, g, vg_input(g, name, s));
}

/* g:group(name) */
static int l_group(lua_State *L) {
  vg_graph *g = vg_lua_graph(L, 1);
  const char *name = luaL_checkstring(L, 2);
  set_where(L, g);
  return push_id(L, g, vg_group_new(g, name));
}

static const char *const init_names[] = {"zeros",          "const",          "uniform",        "normal",
                                         "kaiming_uniform", "kaiming_normal", "xavier_uniform", "xavier_normal",
                                         "eye",            NULL};

/* g:param(group, name, shape, init, a, b) */
static int l_param(lua_State *L) {
  vg_graph *g = vg_lua_graph(L, 1);
  lua_Integer group = vg_checkint(L, 2);
  const char *name = luaL_checkstring(L, 3);
  char what[VG_NAME_MAX + 16];
  snprintf(what, sizeof what, "parameter '%s'", name);
  vg_shape s = vg_lua_shape(L, 4, what);
  vg_init init = {(vg_init_kind)luaL_checkoption(L, 5, "zeros", init_names), luaL_optnumber(L, 6, 0),
                  luaL_optnumber(L, 7, 0)};
  if (group < 0 || group >= g->ngroups) return luaL_argerror(L, 2, "not a group of this graph");
  set_where(L, g);
  return push_id(L, g, vg_param(g, (int)group, name, s, init));
}

/* A list of whole numbers as the text "2,-1,3" that DIMS attributes read. */
static void dims_text(lua_State *L, int op, const char *key, char *buf, size_t len) {
  size_t k = 0;
  int n = (int)vg_rawlen(L, -1);
  buf[0] = 0;
  for (int j = 1; j <= n && k < len; j++) {
    lua_rawgeti(L, -1, j);
    lua_Number v = lua_tonumber(L, -1);
    if (lua_type(L, -1) != LUA_TNUMBER || v != floor(v) || fabs(v) > 2147483647.0)
      vg_lua_fail(L, "%s: option '%s' is a list of whole numbers", vg_op_name(op), key);
    k += (size_t)snprintf(buf + k, len - k, "%s%lld", j > 1 ? "," : "", (long long)v);
    lua_pop(L, 1);
  }
}

/* Attributes from a Lua table {key = number | string | {dims}}. */
static void read_attrs(lua_State *L, vg_graph *g, int op, int i, vg_attrs *a) {
  *a = vg_attrs_default(op);
  if (lua_isnoneornil(L, i)) return;
  luaL_checktype(L, i, LUA_TTABLE);
  lua_pushnil(L);
  while (lua_next(L, i)) {
    if (lua_type(L, -2) != LUA_TSTRING) vg_lua_fail(L, "%s: option keys are names", vg_op_name(op));
    const char *key = lua_tostring(L, -2);
    vg_status st;
    if (lua_type(L, -1) == LUA_TNUMBER) st = vg_attrs_set_num(g, op, a, key, lua_tonumber(L, -1));
    else if (lua_type(L, -1) == LUA_TSTRING) st = vg_attrs_set_str(g, op, a, key, lua_tostring(L, -1));
    else if (lua_type(L, -1) == LUA_TTABLE) {
      char buf[128];
      dims_text(L, op, key, buf, sizeof buf);
      st = vg_attrs_set_str(g, op, a, key, buf);
    } else
      st = vg_fail_at(g, VG_ERR_ARG, g->where, "%s: option '%s' must be a number, a name or a list", vg_op_name(op), key);
    if (st) vg_lua_raise_graph(L, g);
    lua_pop(L, 1);
  }
}

/* g:op(opname, name or nil, {inputs}, {attrs}) */
static int l_op(lua_State *L) {
  lua_settop(L, 5); /* scratch arrays go above the arguments */
  vg_graph *g = vg_lua_graph(L, 1);
  const char *opname = luaL_checkstring(L, 2);
  const char *name = luaL_optstring(L, 3, NULL);
  int op = vg_op_find(opname);
  if (op < 0) return vg_lua_fail(L, "no op named '%s'", opname);
  int nin;
  const int *in = vg_lua_ids(L, 4, g->n, "input", &nin);
  if (nin > VG_MAX_IN)
    return vg_lua_fail(L, "%s: %d inputs; an op takes at most %d (VG_MAX_IN in runtime/op.h)", opname, nin, VG_MAX_IN);
  set_where(L, g);
  vg_attrs a;
  read_attrs(L, g, op, 5, &a);
  return push_id(L, g, vg_node_add_attrs(g, op, name, nin, in, &a));
}

static int l_shape(lua_State *L) {
  vg_graph *g = vg_lua_graph(L, 1);
  vg_lua_push_shape(L, &g->nodes[vg_lua_node(L, g, 2)].shape);
  return 1;
}

static int l_name(lua_State *L) {
  vg_graph *g = vg_lua_graph(L, 1);
  lua_pushstring(L, g->nodes[vg_lua_node(L, g, 2)].name);
  return 1;
}

/* g:where(node) -> the script line that made it */
static int l_node_where(lua_State *L) {
  vg_graph *g = vg_lua_graph(L, 1);
  lua_pushstring(L, g->nodes[vg_lua_node(L, g, 2)].where);
  return 1;
}

/* g:kind(node) -> "input", "param" or the op's name */
static int l_kind(lua_State *L) {
  vg_graph *g = vg_lua_graph(L, 1);
  lua_pushstring(L, vg_op_name(g->nodes[vg_lua_node(L, g, 2)].op));
  return 1;
}

static int l_find(lua_State *L) {
  vg_graph *g = vg_lua_graph(L, 1);
  int id = vg_node_find(g, luaL_checkstring(L, 2));
  if (id < 0) lua_pushnil(L);
  else lua_pushinteger(L, id);
  return 1;
}

/* g:data(node) -> a copy of an input's or parameter's values as a table;
 * g:data(node, {values}) sets them. */
static int l_data(lua_State *L) {
  vg_graph *g = vg_lua_graph(L, 1);
  int id = vg_lua_node(L, g, 2);
  const vg_node *n = &g->nodes[id];
  float *d = n->op == VG_OP_INPUT ? vg_input_data(g, id) : vg_param_data(g, id);
  if (!d) return vg_lua_fail(L, "'%s' holds no data here (an input, or a parameter once compiled)", n->name);
  int64_t len = vg_shape_numel(&n->shape);
  if (lua_isnoneornil(L, 3)) {
    vg_lua_push_floats(L, d, (size_t)len, 0);
    return 1;
  }
  luaL_checktype(L, 3, LUA_TTABLE);
  if ((int64_t)vg_rawlen(L, 3) != len)
    return vg_lua_fail(L, "'%s' holds %lld values, got %lld", n->name, (long long)len, (long long)vg_rawlen(L, 3));
  if (n->op == VG_OP_INPUT) vg_input_fill(g, id);
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
  vg_graph *g = vg_lua_graph(L, 1);
  const int id = vg_lua_node(L, g, 2);
  const vg_node *n = &g->nodes[id];
  if (n->op != VG_OP_INPUT || vg_shape_numel(&n->shape) != 1) return vg_lua_fail(L, "'%s' is not a scalar input", n->name);
  vg_input_fill(g, id)[0] = (float)luaL_checknumber(L, 3);
  return 0;
}

/* g:set_shape(node, shape): an input's shape for the next runs, at most
 * its declared size in each dimension (a smaller batch of samples). */
static int l_set_shape(lua_State *L) {
  vg_graph *g = vg_lua_graph(L, 1);
  int id = vg_lua_node(L, g, 2);
  if (vg_input_set_shape(g, id, vg_lua_shape(L, 3, g->nodes[id].name))) return vg_lua_raise_graph(L, g);
  return 0;
}

/* g:repeat_rows(node, rows, times, offset): vg_input_repeat_rows. */
static int l_repeat_rows(lua_State *L) {
  vg_graph *g = vg_lua_graph(L, 1);
  int id = vg_lua_node(L, g, 2);
  if (vg_input_repeat_rows(g, id, (int64_t)vg_checkint(L, 3), (int64_t)vg_checkint(L, 4), (int64_t)vg_checkint(L, 5)))
    return vg_lua_raise_graph(L, g);
  return 0;
}

/* g:set_rows(node, width, rows): the input becomes [#rows, width], zeros
 * but for a 1 at each (0-based) column rows[r] lists: sparse rows (a
 * user's clicks over the items) filled without a table of every value. */
static int l_set_rows(lua_State *L) {
  vg_graph *g = vg_lua_graph(L, 1);
  int id = vg_lua_node(L, g, 2);
  const lua_Integer width = vg_checkint(L, 3);
  luaL_checktype(L, 4, LUA_TTABLE);
  const int64_t count = (int64_t)vg_rawlen(L, 4);
  vg_shape shape = g->nodes[id].shape;
  if (shape.nd != 2 || width != g->nodes[id].bound.d[1])
    return vg_lua_fail(L, "set_rows: '%s' is not a [batch, %lld] input", g->nodes[id].name, (long long)width);
  shape.d[0] = count, shape.d[1] = width;
  if (vg_input_set_shape(g, id, shape)) return vg_lua_raise_graph(L, g);
  float *d = vg_input_fill(g, id);
  memset(d, 0, (size_t)(count * width) * sizeof *d);
  for (int64_t r = 0; r < count; r++) {
    lua_rawgeti(L, 4, (int)r + 1);
    luaL_checktype(L, -1, LUA_TTABLE);
    const int64_t n = (int64_t)vg_rawlen(L, -1);
    for (int64_t j = 1; j <= n; j++) {
      lua_rawgeti(L, -1, (int)j);
      const lua_Integer c = vg_checkint(L, -1);
      if (c < 0 || c >= width) return vg_lua_fail(L, "set_rows: row %lld has column %lld, outside 0..%lld", (long long)r + 1, (long long)c, (long long)width - 1);
      d[r * width + c] = 1;
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  return 0;
}

/* g:normal(node, seed, step): fills an input with N(0, 1) draws keyed like
 * every random node, e.g. latent codes for samples from the prior. */
static int l_fill_normal(lua_State *L) {
  vg_graph *g = vg_lua_graph(L, 1);
  int node = vg_lua_node(L, g, 2);
  float *d = vg_input_fill(g, node);
  if (!d) return vg_lua_fail(L, "'%s' is not an input", g->nodes[node].name);
  uint64_t seed = (uint64_t)vg_checkint(L, 3), step = (uint64_t)vg_checkint(L, 4);
  uint32_t stream = vg_rng_stream(g->nodes[node].name);
  int64_t len = vg_shape_numel(&g->nodes[node].shape);
  for (int64_t i = 0; i < len; i++) d[i] = (float)vg_rng_normal(seed, step, stream, (uint64_t)i);
  return 0;
}

/* core.ops() -> { {name =, doc =, inputs = {min, max}, source = bool,
 * random = bool, attrs = { {name, kind, default, choices, shown}, ... }},
 * ... } in ops/ops.def's order: the one list of ops, from which the Lua
 * functions and the guide's op table are made. */
static int l_ops(lua_State *L) {
  lua_createtable(L, VG_OP_COUNT, 0);
  for (int i = 0; i < VG_OP_COUNT; i++) {
    const vg_op_f32 *op = vg_ops_f32[i];
    lua_createtable(L, 0, 5);
    lua_pushstring(L, op->name), lua_setfield(L, -2, "name");
    lua_createtable(L, 2, 0);
    lua_pushinteger(L, op->nin_min), lua_rawseti(L, -2, 1);
    lua_pushinteger(L, op->nin_max), lua_rawseti(L, -2, 2);
    lua_setfield(L, -2, "inputs");
    lua_pushboolean(L, (op->flags & VG_OPF_SOURCE) != 0), lua_setfield(L, -2, "source");
    lua_pushboolean(L, (op->flags & VG_OPF_RANDOM) != 0), lua_setfield(L, -2, "random");
    if (op->doc) lua_pushstring(L, op->doc), lua_setfield(L, -2, "doc");
    lua_newtable(L);
    for (int k = 0; k < VG_MAX_ATTR && op->attrs[k].name; k++) {
      const vg_attr_spec *a = &op->attrs[k];
      static const char *const kinds[] = {"number", "integer", "choice", "dims"};
      lua_createtable(L, 0, 5);
      lua_pushstring(L, a->name), lua_setfield(L, -2, "name");
      lua_pushstring(L, kinds[a->kind]), lua_setfield(L, -2, "kind");
      lua_pushnumber(L, a->def), lua_setfield(L, -2, "default");
      if (a->choices) lua_pushstring(L, a->choices), lua_setfield(L, -2, "choices");
      if (a->shown) lua_pushstring(L, a->shown), lua_setfield(L, -2, "shown");
      lua_rawseti(L, -2, k + 1);
    }
    lua_setfield(L, -2, "attrs");
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

void vg_lua_open_graph(lua_State *L) {
  static const luaL_Reg methods[] = {{"input", l_input},         {"group", l_group},         {"param", l_param},
                                     {"op", l_op},               {"shape", l_shape},         {"name", l_name},
                                     {"where", l_node_where},    {"kind", l_kind},           {"find", l_find},
                                     {"data", l_data},           {"normal", l_fill_normal},  {"set_scalar", l_set_scalar},
                                     {"set_shape", l_set_shape}, {"repeat_rows", l_repeat_rows}, {"set_rows", l_set_rows}, {NULL, NULL}};
  static const luaL_Reg funcs[] = {{"graph", l_graph}, {"ops", l_ops}, {NULL, NULL}};
  vg_lua_class(L, VG_GRAPH_MT, methods, l_graph_gc);
  vg_lua_setfuncs(L, funcs);
}
