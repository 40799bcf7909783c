/* Image data sets seen from Lua (to be replaced by image sets). */
#include <stdio.h>
#include <string.h>

#include "dataset.h"
#include "idx.h"
#include "module.h"

#define DATA_MT "vaegraph.dataset"


/* core.dataset(images_path, labels_path or nil) */
static int l_dataset(lua_State *L) {
  const char *ipath = luaL_checkstring(L, 1), *lpath = luaL_optstring(L, 2, NULL);
  vg_dataset *d = lua_newuserdata(L, sizeof *d);
  memset(d, 0, sizeof *d);
  luaL_getmetatable(L, DATA_MT);
  lua_setmetatable(L, -2);
  char err[1024];
  vg_idx im, lb;
  memset(&lb, 0, sizeof lb);
  if (vg_idx_load(ipath, &im, err, sizeof err)) return vg_lua_raise(L, err);
  if (lpath && vg_idx_load(lpath, &lb, err, sizeof err)) {
    vg_idx_free(&im);
    return vg_lua_raise(L, err);
  }
  vg_status st = vg_dataset_from_idx(&im, lpath ? &lb : NULL, ipath, d, err, sizeof err);
  vg_idx_free(&im);
  vg_idx_free(&lb);
  if (st) return vg_lua_raise(L, err);
  return 1;
}

static vg_dataset *check_dataset(lua_State *L, int i) {
  vg_dataset *d = luaL_checkudata(L, i, DATA_MT);
  if (!d->x) luaL_argerror(L, i, "data set already freed");
  return d;
}

static int l_dataset_gc(lua_State *L) {
  vg_dataset_free(luaL_checkudata(L, 1, DATA_MT));
  return 0;
}

static int l_dataset_info(lua_State *L) {
  vg_dataset *d = check_dataset(L, 1);
  lua_createtable(L, 0, 5);
  lua_pushinteger(L, d->n), lua_setfield(L, -2, "n");
  lua_pushinteger(L, d->dim), lua_setfield(L, -2, "dim");
  lua_pushinteger(L, d->h), lua_setfield(L, -2, "h");
  lua_pushinteger(L, d->w), lua_setfield(L, -2, "w");
  lua_pushinteger(L, d->classes), lua_setfield(L, -2, "classes");
  return 1;
}

static int l_dataset_order(lua_State *L) {
  vg_dataset *d = check_dataset(L, 1);
  vg_dataset_order(d, lua_toboolean(L, 2), (uint64_t)vg_checkint(L, 3), (uint64_t)vg_checkint(L, 4));
  return 0;
}

/* The input node's buffer, which must hold `per` values per batch row. */
static float *input_rows(lua_State *L, vg_graph *g, int node, int64_t per, int *batch) {
  const vg_node *n = &g->nodes[node];
  if (n->op != VG_OP_INPUT) vg_lua_fail(L, "'%s' is not an input", n->name);
  int64_t len = vg_shape_numel(&n->shape);
  if (n->shape.nd < 1 || len != n->shape.d[0] * per) {
    char b[VG_SHAPE_STRLEN];
    vg_lua_fail(L, "input '%s' %s cannot take rows of %lld values", n->name, vg_shape_str(&n->shape, b, sizeof b),
               (long long)per);
  }
  *batch = (int)n->shape.d[0];
  return n->data;
}

/* A row index into a data set: 0 <= first < n. */
static int64_t check_first(lua_State *L, const vg_dataset *d, int arg) {
  lua_Integer first = vg_checkint(L, arg);
  if (first < 0 || first >= d->n) luaL_argerror(L, arg, "row index out of the data set");
  return (int64_t)first;
}

/* d:fill(graph, node, first, scale, shift): rows first.. of this epoch's order. */
static int l_dataset_fill(lua_State *L) {
  vg_dataset *d = check_dataset(L, 1);
  vg_graph *g = vg_lua_graph(L, 2);
  int batch;
  float *dst = input_rows(L, g, vg_lua_node(L, g, 3), d->dim, &batch);
  vg_dataset_fill(d, check_first(L, d, 4), batch, (float)luaL_optnumber(L, 5, 1.0 / 255), (float)luaL_optnumber(L, 6, 0), dst);
  return 0;
}

/* d:onehot(graph, node, first) */
static int l_dataset_onehot(lua_State *L) {
  vg_dataset *d = check_dataset(L, 1);
  vg_graph *g = vg_lua_graph(L, 2);
  int node = vg_lua_node(L, g, 3), batch;
  const vg_node *n = &g->nodes[node];
  int classes = n->shape.nd == 2 ? (int)n->shape.d[1] : 0;
  if (!d->y) return vg_lua_fail(L, "input '%s' is fed one-hot labels, but the data set has no labels file", n->name);
  if (classes < d->classes)
    return vg_lua_fail(L, "input '%s' has room for %d classes, the labels have %d", n->name, classes, d->classes);
  float *dst = input_rows(L, g, node, classes, &batch);
  vg_dataset_fill_onehot(d, check_first(L, d, 4), batch, classes, dst);
  return 0;
}

/* d:labels(first, count) -> table of labels (-1 without labels) */
static int l_dataset_labels(lua_State *L) {
  vg_dataset *d = check_dataset(L, 1);
  lua_Integer first = check_first(L, d, 2), count = vg_checkint(L, 3);
  if (count < 0 || count > d->n) return luaL_argerror(L, 3, "bad count");
  lua_createtable(L, (int)count, 0);
  for (lua_Integer i = 0; i < count; i++) {
    int label;
    vg_dataset_labels(d, first + i, 1, &label);
    lua_pushinteger(L, label);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

void vg_lua_open_data(lua_State *L) {
  static const luaL_Reg methods[] = {{"info", l_dataset_info},     {"order", l_dataset_order},
                                     {"fill", l_dataset_fill},     {"onehot", l_dataset_onehot},
                                     {"labels", l_dataset_labels}, {NULL, NULL}};
  static const luaL_Reg funcs[] = {{"dataset", l_dataset}, {NULL, NULL}};
  vg_lua_class(L, DATA_MT, methods, l_dataset_gc);
  vg_lua_setfuncs(L, funcs);
}
