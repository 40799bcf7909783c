/* Pictures seen from Lua: image grids from plans' values, scatter plots of
 * latent codes. The drawing itself is in runtime/ (plot.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "module.h"

/* core.grid_png(path, sources, cols, h, w, lo, hi, scale): tiles images
 * taken, in order, from sources {plan, node, first_row, rows}; each row of
 * a node's value is one h x w image. */
static int l_grid_png(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  int cols = (int)vg_checkint(L, 3), h = (int)vg_checkint(L, 4), w = (int)vg_checkint(L, 5);
  float lo = (float)luaL_checknumber(L, 6), hi = (float)luaL_checknumber(L, 7);
  int scale = (int)luaL_optinteger(L, 8, 2);
  if (h < 1 || w < 1 || (int64_t)h * w > 1 << 20) return luaL_argerror(L, 4, "bad image size");
  const size_t per = (size_t)h * (size_t)w;
  int nsrc = (int)vg_rawlen(L, 2), total = 0;
  /* First pass: check every source and count images. */
  for (int s = 1; s <= nsrc; s++) {
    lua_rawgeti(L, 2, s);
    luaL_checktype(L, -1, LUA_TTABLE);
    for (int k = 1; k <= 4; k++) lua_rawgeti(L, -k, k);
    vg_graph *g;
    const vg_plan *p = vg_lua_plan(L, -4, &g);
    int node = vg_lua_node(L, g, -3);
    lua_Integer first = vg_checkint(L, -2), rows = vg_checkint(L, -1);
    const vg_shape *sh = &g->nodes[node].shape;
    if (!vg_plan_value(p, node)) return vg_lua_fail(L, "grid: plan does not keep '%s'", g->nodes[node].name);
    if (sh->nd < 1 || (size_t)(vg_shape_numel(sh) / sh->d[0]) != per || first < 0 || rows < 0 || first > sh->d[0] ||
        rows > sh->d[0] - first)
      return vg_lua_fail(L, "grid: '%s' has no rows %lld..%lld of %dx%d images", g->nodes[node].name, (long long)first,
                         (long long)(first + rows), h, w);
    total += (int)rows;
    lua_pop(L, 5);
  }
  float *imgs = lua_newuserdata(L, (size_t)(total ? total : 1) * per * sizeof *imgs);
  size_t at = 0;
  for (int s = 1; s <= nsrc; s++) { /* checked above */
    lua_rawgeti(L, 2, s);
    for (int k = 1; k <= 4; k++) lua_rawgeti(L, -k, k);
    vg_graph *g;
    const vg_plan *p = vg_lua_plan(L, -4, &g);
    const int node = (int)lua_tointeger(L, -3);
    const size_t first = (size_t)lua_tointeger(L, -2), rows = (size_t)lua_tointeger(L, -1);
    memcpy(imgs + at, vg_plan_value(p, node) + first * per, rows * per * sizeof *imgs);
    at += rows * per;
    lua_pop(L, 5);
  }
  uint8_t *pix = NULL;
  int gw, gh;
  char err[1024] = "";
  vg_status st = vg_image_grid(imgs, total, h, w, cols, 1, scale, lo, hi, &pix, &gw, &gh);
  if (!st) st = vg_png_write(path, gw, gh, 1, pix, err, sizeof err);
  else snprintf(err, sizeof err, "%s: cannot make the image grid", path);
  free(pix);
  if (st) return vg_lua_raise(L, err);
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
  float *all = lua_newuserdata(L, pts * (size_t)dim * sizeof *all), *xy = lua_newuserdata(L, pts * 2 * sizeof *xy);
  int *labels = lua_newuserdata(L, pts * sizeof *labels);
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
  if (st) return vg_lua_raise(L, err);
  lua_pushinteger(L, skipped);
  return 1;
}

void vg_lua_open_pictures(lua_State *L) {
  static const luaL_Reg funcs[] = {{"grid_png", l_grid_png}, {"scatter_png", l_scatter_png}, {NULL, NULL}};
  vg_lua_setfuncs(L, funcs);
}
