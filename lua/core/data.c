/* Image sets seen from Lua (runtime/imageset.h): made from IDX files, a
 * folder of PNGs or bytes a Lua format reader produced; filtered; and
 * filling a graph's inputs batch by batch. lua/vaegraph/data/ builds the
 * data sources on top of them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idx.h"
#include "image_folder.h"
#include "imageset.h"
#include "module.h"

#define SET_MT "vaegraph.imageset"

/* A new, empty set userdata on the stack. */
static vg_imageset *new_set(lua_State *L) {
  vg_imageset *s = lua_newuserdata(L, sizeof *s);
  memset(s, 0, sizeof *s);
  luaL_getmetatable(L, SET_MT);
  lua_setmetatable(L, -2);
  return s;
}

static vg_imageset *check_set(lua_State *L, int i) {
  vg_imageset *s = luaL_checkudata(L, i, SET_MT);
  if (!s->x) luaL_argerror(L, i, "image set already freed");
  return s;
}

static int l_set_gc(lua_State *L) {
  vg_imageset_free(luaL_checkudata(L, 1, SET_MT));
  return 0;
}

/* core.idx_images(images_path, labels_path or nil) */
static int l_idx_images(lua_State *L) {
  const char *ipath = luaL_checkstring(L, 1), *lpath = luaL_optstring(L, 2, NULL);
  vg_imageset *s = new_set(L);
  char err[1024];
  vg_idx im, lb;
  memset(&lb, 0, sizeof lb);
  if (vg_idx_load(ipath, &im, err, sizeof err)) return vg_lua_raise(L, err);
  if (lpath && vg_idx_load(lpath, &lb, err, sizeof err)) {
    vg_idx_free(&im);
    return vg_lua_raise(L, err);
  }
  vg_status st = vg_imageset_from_idx(&im, lpath ? &lb : NULL, ipath, s, err, sizeof err);
  vg_idx_free(&im);
  vg_idx_free(&lb);
  if (st) return vg_lua_raise(L, err);
  return 1;
}

static int opt_int(lua_State *L, int t, const char *key) {
  lua_getfield(L, t, key);
  lua_Number v = lua_isnil(L, -1) ? 0 : luaL_checknumber(L, -1);
  lua_pop(L, 1);
  if (!(v >= 0 && v <= 1 << 20) || v != floor(v)) vg_lua_fail(L, "image_folder: %s must be a whole number >= 0", key);
  return (int)v;
}

/* core.image_folder(dir, {height, width, channels}) -> set, {class names} */
static int l_image_folder(lua_State *L) {
  const char *dir = luaL_checkstring(L, 1);
  vg_image_folder_options o = {0, 0, 0};
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    o.height = opt_int(L, 2, "height"), o.width = opt_int(L, 2, "width"), o.channels = opt_int(L, 2, "channels");
  }
  vg_imageset *s = new_set(L);
  char **names = NULL, err[1024];
  if (vg_image_folder_load(dir, &o, s, &names, err, sizeof err)) return vg_lua_raise(L, err);
  lua_newtable(L);
  for (int k = 0; names && names[k]; k++) {
    lua_pushstring(L, names[k]);
    lua_rawseti(L, -2, k + 1);
  }
  vg_image_folder_names_free(names);
  return 2;
}

/* core.imageset{ n =, channels =, height =, width =, pixels = string,
 * labels = {...} or nil }: a set from bytes, for a format read in Lua. */
static int l_imageset(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_Integer dims[4];
  static const char *const keys[4] = {"n", "channels", "height", "width"};
  for (int k = 0; k < 4; k++) {
    lua_getfield(L, 1, keys[k]);
    if (!lua_isnumber(L, -1)) return vg_lua_fail(L, "imageset: %s must be a whole number", keys[k]);
    dims[k] = vg_checkint(L, -1);
    if (dims[k] < 1 || dims[k] > (k ? 1 << 16 : INT32_MAX)) return vg_lua_fail(L, "imageset: %s is out of range", keys[k]);
    lua_pop(L, 1);
  }
  lua_getfield(L, 1, "pixels");
  size_t len;
  const char *px = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
  const size_t want = (size_t)dims[0] * (size_t)(dims[1] * dims[2] * dims[3]);
  if (!px || len != want) return vg_lua_fail(L, "imageset: pixels must be a string of n*channels*height*width = %zu bytes", want);
  lua_getfield(L, 1, "labels");
  int32_t *labels = NULL;
  if (!lua_isnil(L, -1)) {
    luaL_checktype(L, -1, LUA_TTABLE);
    if ((lua_Integer)vg_rawlen(L, -1) != dims[0]) return vg_lua_fail(L, "imageset: %lld labels for %lld images", (long long)vg_rawlen(L, -1), (long long)dims[0]);
    labels = lua_newuserdata(L, (size_t)dims[0] * sizeof *labels);
    for (lua_Integer i = 0; i < dims[0]; i++) {
      lua_rawgeti(L, -2, (int)i + 1);
      lua_Number v = lua_tonumber(L, -1);
      if (!lua_isnumber(L, -1) || v != floor(v) || v < -1 || v > INT32_MAX)
        return vg_lua_fail(L, "imageset: label %lld is not a class id (or -1 for none)", (long long)i + 1);
      labels[i] = (int32_t)v;
      lua_pop(L, 1);
    }
  }
  vg_imageset *s = new_set(L);
  char err[1024];
  if (vg_imageset_from_bytes(dims[0], (int)dims[1], (int)dims[2], (int)dims[3], (const uint8_t *)px, labels, "imageset", s,
                             err, sizeof err))
    return vg_lua_raise(L, err);
  return 1;
}

/* s:info() -> { n, channels, height, width, classes, labelled, compressed,
 * pixel_bytes (what the pixels take in memory) } */
static int l_info(lua_State *L) {
  vg_imageset *s = check_set(L, 1);
  lua_createtable(L, 0, 8);
  lua_pushinteger(L, s->n), lua_setfield(L, -2, "n");
  lua_pushinteger(L, s->c), lua_setfield(L, -2, "channels");
  lua_pushinteger(L, s->h), lua_setfield(L, -2, "height");
  lua_pushinteger(L, s->w), lua_setfield(L, -2, "width");
  lua_pushinteger(L, s->classes), lua_setfield(L, -2, "classes");
  lua_pushboolean(L, s->y != NULL), lua_setfield(L, -2, "labelled");
  lua_pushboolean(L, s->code != NULL), lua_setfield(L, -2, "compressed");
  lua_pushinteger(L, (lua_Integer)vg_imageset_pixel_bytes(s)), lua_setfield(L, -2, "pixel_bytes");
  return 1;
}

static int raise_set(lua_State *L, vg_status st, const char *err) {
  if (st) return vg_lua_raise(L, err);
  return 0;
}

/* s:keep_classes({ids}) */
static int l_keep_classes(lua_State *L) {
  vg_imageset *s = check_set(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  const int n = (int)vg_rawlen(L, 2);
  int top = s->classes;
  for (int k = 1; k <= n; k++) {
    lua_rawgeti(L, 2, k);
    lua_Integer c = vg_checkint(L, -1);
    if (c < 0 || c > 1 << 20) return vg_lua_fail(L, "classes: %lld is not a class id", (long long)c);
    if (c + 1 > top) top = (int)c + 1;
    lua_pop(L, 1);
  }
  unsigned char *keep = lua_newuserdata(L, (size_t)top + 1);
  memset(keep, 0, (size_t)top + 1);
  for (int k = 1; k <= n; k++) {
    lua_rawgeti(L, 2, k);
    keep[lua_tointeger(L, -1)] = 1;
    lua_pop(L, 1);
  }
  char err[1024];
  return raise_set(L, vg_imageset_keep_classes(s, keep, top, err, sizeof err), err);
}

/* s:limit(n) */
static int l_limit(lua_State *L) {
  vg_imageset *s = check_set(L, 1);
  char err[1024];
  return raise_set(L, vg_imageset_limit(s, (int64_t)vg_checkint(L, 2), err, sizeof err), err);
}

/* s:compress([name]): the examples held compressed from now on; name (the
 * set's, for errors) defaults to "image set" */
static int l_compress(lua_State *L) {
  vg_imageset *s = check_set(L, 1);
  char err[1024];
  return raise_set(L, vg_imageset_compress(s, luaL_optstring(L, 2, "image set"), err, sizeof err), err);
}

/* s:label_subset(per_class, seed) */
static int l_label_subset(lua_State *L) {
  vg_imageset *s = check_set(L, 1);
  lua_Integer per = vg_checkint(L, 2);
  if (per < 1 || per > INT32_MAX) return luaL_argerror(L, 2, "labels per class must be 1 or more");
  char err[1024];
  return raise_set(L, vg_imageset_label_subset(s, (int)per, (uint64_t)vg_checkint(L, 3), err, sizeof err), err);
}

/* s:split_every(k) -> train, test */
static int l_split_every(lua_State *L) {
  vg_imageset *s = check_set(L, 1);
  lua_Integer k = vg_checkint(L, 2);
  if (k < 2 || k > INT32_MAX) return luaL_argerror(L, 2, "k must be 2 or more");
  vg_imageset *train = new_set(L), *test = new_set(L);
  char err[1024];
  if (vg_imageset_split_every(s, (int)k, train, test, err, sizeof err)) return vg_lua_raise(L, err);
  return 2;
}

/* s:labelled() -> a new set of the examples with a label */
static int l_labelled(lua_State *L) {
  vg_imageset *s = check_set(L, 1);
  vg_imageset *out = new_set(L);
  char err[1024];
  if (vg_imageset_labelled(s, out, err, sizeof err)) return vg_lua_raise(L, err);
  return 1;
}

static int l_order(lua_State *L) {
  vg_imageset *s = check_set(L, 1);
  vg_imageset_order(s, lua_toboolean(L, 2), (uint64_t)vg_checkint(L, 3), (uint64_t)vg_checkint(L, 4));
  return 0;
}

/* The examples first .. first + count - 1 of this epoch's order, checked. */
static void check_range(lua_State *L, const vg_imageset *s, int arg, int64_t *first, int64_t *count) {
  const lua_Integer f = vg_checkint(L, arg), c = vg_checkint(L, arg + 1);
  if (f < 0 || c < 1 || f > s->n || c > s->n - f)
    vg_lua_fail(L, "examples %lld..%lld are outside the set's %lld", (long long)f, (long long)(f + c - 1), (long long)s->n);
  *first = f, *count = c;
}

/* Input `node`'s buffer after giving it `count` rows of `per` values each
 * (its declared shape with the first dimension `count`). */
static float *input_rows(lua_State *L, vg_graph *g, int node, int64_t per, int64_t count) {
  const vg_node *n = &g->nodes[node];
  char b[VG_SHAPE_STRLEN];
  if (n->op != VG_OP_INPUT) vg_lua_fail(L, "'%s' is not an input, so it cannot be fed", n->name);
  if (n->bound.nd < 1 || vg_shape_numel(&n->bound) != n->bound.d[0] * per)
    vg_lua_fail(L, "input '%s' %s cannot take examples of %lld values", n->name, vg_shape_str(&n->bound, b, sizeof b),
                (long long)per);
  if (count > n->bound.d[0])
    vg_lua_fail(L, "input '%s' %s holds %lld examples, not %lld", n->name, vg_shape_str(&n->bound, b, sizeof b),
                (long long)n->bound.d[0], (long long)count);
  vg_shape s = n->bound;
  s.d[0] = count;
  if (vg_input_set_shape(g, node, s)) vg_lua_raise_graph(L, g);
  return vg_input_fill(g, node);
}

/* s:pixels(graph, node, first, count, scale, shift) */
static int l_pixels(lua_State *L) {
  vg_imageset *s = check_set(L, 1);
  vg_graph *g = vg_lua_graph(L, 2);
  const int node = vg_lua_node(L, g, 3);
  int64_t first, count;
  check_range(L, s, 4, &first, &count);
  float *dst = input_rows(L, g, node, s->dim, count);
  vg_imageset_fill_pixels(s, first, count, (float)luaL_checknumber(L, 6), (float)luaL_checknumber(L, 7), dst);
  return 0;
}

/* s:onehot(graph, node, first, count): as wide as the input's rows. */
static int l_onehot(lua_State *L) {
  vg_imageset *s = check_set(L, 1);
  vg_graph *g = vg_lua_graph(L, 2);
  const int node = vg_lua_node(L, g, 3);
  const vg_node *n = &g->nodes[node];
  int64_t first, count;
  check_range(L, s, 4, &first, &count);
  const int64_t width = n->bound.nd == 2 ? n->bound.d[1] : 0;
  if (!s->y) return vg_lua_fail(L, "input '%s' is fed one-hot labels, but the data has no labels", n->name);
  if (width < s->classes)
    return vg_lua_fail(L, "input '%s' has room for %lld classes, the labels have %d", n->name, (long long)width, s->classes);
  vg_imageset_fill_onehot(s, first, count, (int)width, input_rows(L, g, node, width, count));
  return 0;
}

/* One value per example, from fn, into an input of [count] (or [count, 1]). */
static int fill_one_each(lua_State *L, void (*fn)(const vg_imageset *, int64_t, int64_t, float *)) {
  vg_imageset *s = check_set(L, 1);
  vg_graph *g = vg_lua_graph(L, 2);
  const int node = vg_lua_node(L, g, 3);
  int64_t first, count;
  check_range(L, s, 4, &first, &count);
  fn(s, first, count, input_rows(L, g, node, 1, count));
  return 0;
}

/* s:class_ids(graph, node, first, count): -1 without a label. */
static int l_class_ids(lua_State *L) { return fill_one_each(L, vg_imageset_fill_class); }

/* s:label_mask(graph, node, first, count): 1 where an example has a label. */
static int l_label_mask(lua_State *L) { return fill_one_each(L, vg_imageset_fill_has_label); }

/* s:labels(first, count) -> list of labels (-1: none) */
static int l_labels(lua_State *L) {
  vg_imageset *s = check_set(L, 1);
  int64_t first, count;
  check_range(L, s, 2, &first, &count);
  int32_t *l = lua_newuserdata(L, (size_t)count * sizeof *l);
  vg_imageset_labels(s, first, count, l);
  lua_createtable(L, (int)count, 0);
  for (int64_t i = 0; i < count; i++) {
    lua_pushinteger(L, l[i]);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

static int l_fingerprint(lua_State *L) {
  char buf[128];
  const char *f = vg_imageset_fingerprint(check_set(L, 1), buf, sizeof buf);
  if (!f) return vg_lua_fail(L, "fingerprint: out of memory decoding an example");
  lua_pushstring(L, f);
  return 1;
}

void vg_lua_open_data(lua_State *L) {
  static const luaL_Reg methods[] = {
      {"info", l_info},           {"keep_classes", l_keep_classes}, {"limit", l_limit}, {"compress", l_compress},     {"label_subset", l_label_subset},
      {"split_every", l_split_every}, {"labelled", l_labelled}, {"order", l_order},           {"pixels", l_pixels},   {"onehot", l_onehot},
      {"class_ids", l_class_ids}, {"label_mask", l_label_mask},     {"labels", l_labels},   {"fingerprint", l_fingerprint},
      {NULL, NULL}};
  static const luaL_Reg funcs[] = {
      {"idx_images", l_idx_images}, {"image_folder", l_image_folder}, {"imageset", l_imageset}, {NULL, NULL}};
  vg_lua_class(L, SET_MT, methods, l_set_gc);
  vg_lua_setfuncs(L, funcs);
}
