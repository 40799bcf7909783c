/* Pictures seen from Lua: image grids from plans' values, scatter plots of
 * latent codes, line charts of metrics, and PNG files themselves. The
 * drawing is in runtime/ (plot.h, pngfile.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module.h"
#include "pca.h"
#include "plot.h"
#include "pngfile.h"

/* A source's four fields { plan, node, first_row, rows } pushed on the stack
 * (plan at -4 .. rows at -1). */
static void push_source(lua_State *L, int list, int s) {
  lua_rawgeti(L, list, s);
  luaL_checktype(L, -1, LUA_TTABLE);
  for (int k = 1; k <= 4; k++) lua_rawgeti(L, -k, k);
}

/* core.grid_png(path, sources, cols, channels, h, w, lo, hi, scale): tiles
 * images taken, in order, from sources {plan, node, first_row, rows}; each
 * row of a node's value is one channels x h x w image (CHW). A source may
 * instead be { values = {...} }: whole images' values gathered in Lua (test
 * images picked by a score). */
static int l_grid_png(lua_State *L) {
  lua_settop(L, 9); /* scratch arrays go above the arguments */
  const char *path = luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  const lua_Integer cols = vg_checkint(L, 3), c = vg_checkint(L, 4), h = vg_checkint(L, 5), w = vg_checkint(L, 6);
  const float lo = (float)luaL_checknumber(L, 7), hi = (float)luaL_checknumber(L, 8);
  const lua_Integer scale = luaL_optinteger(L, 9, 2);
  if (c != 1 && c != 3) return luaL_argerror(L, 4, "channels must be 1 or 3");
  if (h < 1 || w < 1 || h > 1 << 14 || w > 1 << 14 || h * w > 1 << 24) return luaL_argerror(L, 5, "bad image size");
  if (cols < 1 || cols > 1 << 14 || scale < 1 || scale > 64) return luaL_argerror(L, 3, "bad column count or scale");
  const int64_t per = c * h * w;
  const int nsrc = (int)vg_rawlen(L, 2);
  vg_image_run *runs = lua_newuserdata(L, (size_t)(nsrc ? nsrc : 1) * sizeof *runs);
  for (int s = 1; s <= nsrc; s++) {
    luaL_checkstack(L, 8, "grid sources");
    lua_rawgeti(L, 2, s);
    luaL_checktype(L, -1, LUA_TTABLE);
    lua_getfield(L, -1, "values");
    if (!lua_isnil(L, -1)) {
      luaL_checktype(L, -1, LUA_TTABLE);
      const int64_t len = (int64_t)vg_rawlen(L, -1);
      if (len < per || len % per)
        return vg_lua_fail(L, "grid: source %d holds %lld values, not whole %lldx%lldx%lld images", s, (long long)len,
                           (long long)c, (long long)h, (long long)w);
      float *v = lua_newuserdata(L, (size_t)len * sizeof *v); /* kept on the stack until the grid is drawn */
      for (int64_t i = 0; i < len; i++) {
        lua_rawgeti(L, -2, (int)i + 1);
        if (!lua_isnumber(L, -1)) return vg_lua_fail(L, "grid: source %d value %lld is not a number", s, (long long)i + 1);
        v[i] = (float)lua_tonumber(L, -1);
        lua_pop(L, 1);
      }
      runs[s - 1] = (vg_image_run){v, (int)(len / per)};
      lua_remove(L, -2), lua_remove(L, -2); /* values and the source go; the userdata stays */
      continue;
    }
    lua_pop(L, 2);
    push_source(L, 2, s);
    vg_graph *g;
    const vg_plan *p = vg_lua_plan(L, -4, &g);
    const int node = vg_lua_node(L, g, -3);
    const lua_Integer first = vg_checkint(L, -2), rows = vg_checkint(L, -1);
    const vg_shape *sh = &g->nodes[node].shape;
    const float *v = vg_lua_value(L, p, g, node);
    if (!v) return vg_lua_fail(L, "grid: plan does not keep '%s'", g->nodes[node].name);
    if (sh->nd < 1 || vg_shape_numel(sh) / sh->d[0] != per || first < 0 || rows < 0 || first > sh->d[0] ||
        rows > sh->d[0] - first)
      return vg_lua_fail(L, "grid: '%s' has no rows %lld..%lld of %lldx%lldx%lld images", g->nodes[node].name,
                         (long long)first, (long long)(first + rows), (long long)c, (long long)h, (long long)w);
    runs[s - 1] = (vg_image_run){v + first * per, (int)rows};
    lua_pop(L, 5);
  }
  char err[1024];
  if (vg_grid_png(path, runs, nsrc, (int)c, (int)h, (int)w, (int)cols, (int)scale, lo, hi, err, sizeof err))
    return vg_lua_raise(L, err);
  return 0;
}

/* The strings of a list at index i (nil: none), alive while the list is. */
static const char **string_list(lua_State *L, int i, int *n) {
  *n = lua_istable(L, i) ? (int)vg_rawlen(L, i) : 0;
  const char **s = lua_newuserdata(L, (size_t)(*n ? *n : 1) * sizeof *s);
  for (int k = 0; k < *n; k++) {
    lua_rawgeti(L, i, k + 1);
    s[k] = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?";
    lua_pop(L, 1);
  }
  return s;
}

/* core.rows(dim[, expected]): rows of dim floats gathered in C from plans'
 * values (r:add(plan, node, count) takes node's first count rows), for plots
 * of a whole test set's codes without a Lua number per value; r:count() is
 * how many it holds. With the expected count it allocates that once rather
 * than doubling past it: a test set's 300-d codes are 12 MB, not 20 plus a
 * realloc's copy. */
#define VG_ROWS_MT "vaegraph.rows"

typedef struct rows {
  float *v;
  int64_t n, cap; /* rows */
  int dim;
} rows;

static int l_rows(lua_State *L) {
  const lua_Integer dim = vg_checkint(L, 1);
  if (dim < 1 || dim > 4096) return vg_lua_fail(L, "rows: dimension %lld is outside 1..4096", (long long)dim);
  const lua_Integer expected = lua_isnoneornil(L, 2) ? 0 : vg_checkint(L, 2);
  if (expected < 0 || expected > INT32_MAX)
    return vg_lua_fail(L, "rows: expected count %lld is outside 0..%d", (long long)expected, INT32_MAX);
  rows *r = lua_newuserdata(L, sizeof *r);
  memset(r, 0, sizeof *r);
  r->dim = (int)dim;
  luaL_getmetatable(L, VG_ROWS_MT);
  lua_setmetatable(L, -2);
  if (expected > 0) {
    r->v = malloc((size_t)expected * (size_t)dim * sizeof *r->v);
    if (!r->v) return vg_lua_fail(L, "rows: out of memory for %lld rows of %d values", (long long)expected, r->dim);
    r->cap = expected;
  }
  return 1;
}

static int l_rows_gc(lua_State *L) {
  rows *r = luaL_checkudata(L, 1, VG_ROWS_MT);
  free(r->v);
  r->v = NULL;
  return 0;
}

static int l_rows_count(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)((rows *)luaL_checkudata(L, 1, VG_ROWS_MT))->n);
  return 1;
}

static int l_rows_add(lua_State *L) {
  rows *r = luaL_checkudata(L, 1, VG_ROWS_MT);
  int64_t count;
  const float *v = vg_lua_rows(L, 2, r->dim, "rows", &count, NULL);
  if (r->n + count > r->cap) {
    int64_t cap = r->cap ? r->cap : 1024;
    while (cap < r->n + count) cap *= 2;
    float *nv = realloc(r->v, (size_t)cap * (size_t)r->dim * sizeof *nv);
    if (!nv) return vg_lua_fail(L, "rows: out of memory for %lld rows of %d values", (long long)cap, r->dim);
    r->v = nv, r->cap = cap;
  }
  memcpy(r->v + r->n * r->dim, v, (size_t)count * (size_t)r->dim * sizeof *v);
  r->n += count;
  return 0;
}

/* The points at index i, a flat list of numbers or a core.rows of dim
 * values each, as floats: a rows' own buffer (a test set of codes is not
 * copied), or a list's numbers in a userdata pushed on the stack. */
static const float *points(lua_State *L, int i, int dim, int *n) {
  rows *r = luaL_testudata(L, i, VG_ROWS_MT);
  if (r) {
    if (r->dim != dim) return vg_lua_fail(L, "scatter_png: rows of %d values, plot of %d", r->dim, dim), NULL;
    if (r->n > INT32_MAX) return vg_lua_fail(L, "scatter_png: %lld points, at most %d", (long long)r->n, INT32_MAX), NULL;
    *n = (int)r->n;
    return r->v;
  }
  if (!lua_istable(L, i)) return luaL_argerror(L, i, "points: a list of numbers or core.rows"), NULL;
  *n = (int)(vg_rawlen(L, i) / (size_t)dim);
  float *v = lua_newuserdata(L, (size_t)(*n ? *n : 1) * (size_t)dim * sizeof *v);
  /* Only numbers are read here: lua_tonumber raises nothing. */
  for (int k = 0; k < *n * dim; k++) {
    lua_rawgeti(L, i, k + 1);
    v[k] = (float)lua_tonumber(L, -1);
    lua_pop(L, 1);
  }
  return v;
}

/* core.scatter_png(path, points, dim, labels or nil, background, size,
 * title, names or nil): points is a flat list of n*dim numbers or a
 * core.rows of dim; its last `background` points (draws from the prior) are
 * drawn grey behind the others, the codes, and labels colour the codes. All
 * are projected by one PCA when dim > 2, so both share the plot's axes;
 * names label the classes in the legend. Returns the number of non-finite
 * points skipped. */
static int l_scatter_png(lua_State *L) {
  lua_settop(L, 8); /* scratch arrays go above the arguments */
  const char *path = luaL_checkstring(L, 1);
  int dim = (int)vg_checkint(L, 3);
  if (dim < 1 || dim > 4096) return luaL_argerror(L, 3, "dimension must be 1 to 4096");
  if (!lua_isnil(L, 4)) luaL_checktype(L, 4, LUA_TTABLE);
  const lua_Integer nbg = lua_isnil(L, 5) ? 0 : vg_checkint(L, 5);
  int size = (int)luaL_optinteger(L, 6, 600);
  const char *title = luaL_optstring(L, 7, NULL);
  if (!lua_isnil(L, 8)) luaL_checktype(L, 8, LUA_TTABLE);
  int total = 0;
  const float *all = points(L, 2, dim, &total);
  if (nbg < 0 || nbg > total)
    return vg_lua_fail(L, "scatter_png: %lld background points, but only %d points in all", (long long)nbg, total);
  const int n = total - (int)nbg;
  int nlab = lua_istable(L, 4) ? (int)vg_rawlen(L, 4) : 0, nnames;
  const char **names = string_list(L, 8, &nnames);
  const size_t pts = total ? (size_t)total : 1;
  float *xy = lua_newuserdata(L, pts * 2 * sizeof *xy);
  int *labels = lua_newuserdata(L, pts * sizeof *labels);
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
  vg_status st = total ? vg_pca2(all, total, dim, xy) : VG_OK;
  if (!st)
    st = vg_scatter_png(path, xy, labels, n, nbg ? xy + 2 * (size_t)n : NULL, (int)nbg, size, title,
                        nnames ? names : NULL, nnames, &skipped, err, sizeof err);
  if (st) return vg_lua_raise(L, err);
  lua_pushinteger(L, skipped);
  return 1;
}

/* A list of numbers at the top of the stack as doubles (non-numbers NaN). */
static double *doubles(lua_State *L, int *n) {
  int t = lua_gettop(L);
  *n = (int)vg_rawlen(L, t);
  double *v = lua_newuserdata(L, (size_t)(*n ? *n : 1) * sizeof *v);
  for (int k = 0; k < *n; k++) {
    lua_rawgeti(L, t, k + 1);
    v[k] = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1) : 0.0 / 0.0;
    lua_pop(L, 1);
  }
  return v;
}

/* core.lines_png(path, panels, cols, panel_w, panel_h, title): panels is a
 * list of { title =, series = { {label =, x = {...}, y = {...}}, ... } }. */
static int l_lines_png(lua_State *L) {
  lua_settop(L, 6);
  const char *path = luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  const lua_Integer cols = vg_checkint(L, 3), pw = vg_checkint(L, 4), ph = vg_checkint(L, 5);
  const char *title = luaL_optstring(L, 6, NULL);
  if (cols < 1 || pw < 1 || ph < 1 || cols > 1 << 12 || pw > 1 << 14 || ph > 1 << 14)
    return luaL_argerror(L, 3, "bad layout");
  const int np = (int)vg_rawlen(L, 2);
  vg_panel *panels = lua_newuserdata(L, (size_t)(np ? np : 1) * sizeof *panels);
  /* Everything read stays referenced from the stack until the plot is made. */
  for (int i = 0; i < np; i++) {
    luaL_checkstack(L, 8, "too many panels");
    lua_rawgeti(L, 2, i + 1);
    luaL_checktype(L, -1, LUA_TTABLE);
    lua_getfield(L, -1, "title");
    panels[i].title = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
    lua_getfield(L, -2, "series");
    luaL_checktype(L, -1, LUA_TTABLE);
    const int ns = (int)vg_rawlen(L, -1);
    const int list = lua_gettop(L);
    vg_series *series = lua_newuserdata(L, (size_t)(ns ? ns : 1) * sizeof *series);
    for (int k = 0; k < ns; k++) {
      luaL_checkstack(L, 8, "too many series");
      lua_rawgeti(L, list, k + 1);
      luaL_checktype(L, -1, LUA_TTABLE);
      lua_getfield(L, -1, "label");
      series[k].label = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
      int nx, ny;
      lua_getfield(L, -2, "x");
      luaL_checktype(L, -1, LUA_TTABLE);
      series[k].x = doubles(L, &nx);
      lua_getfield(L, -4, "y");
      luaL_checktype(L, -1, LUA_TTABLE);
      series[k].y = doubles(L, &ny);
      if (nx != ny) return vg_lua_fail(L, "%s: series '%s' has %d x and %d y values", path, series[k].label, nx, ny);
      series[k].n = nx;
    }
    panels[i].series = series;
    panels[i].nseries = ns;
  }
  char err[1024];
  if (vg_lines_png(path, panels, np, (int)cols, (int)pw, (int)ph, title, err, sizeof err)) return vg_lua_raise(L, err);
  return 0;
}

/* core.png_write(path, width, height, channels, bytes): an 8-bit grey or RGB
 * PNG from a string of interleaved pixels, written atomically. */
static int l_png_write(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  const lua_Integer w = vg_checkint(L, 2), h = vg_checkint(L, 3), c = vg_checkint(L, 4);
  size_t len;
  const char *px = luaL_checklstring(L, 5, &len);
  if (w < 1 || h < 1 || w > 1 << 16 || h > 1 << 16 || (c != 1 && c != 3) || len != (size_t)(w * h * c))
    return vg_lua_fail(L, "%s: %lldx%lld pixels of %lld channels need %lld bytes, got %zu", path, (long long)w, (long long)h,
                       (long long)c, (long long)(w * h * c), len);
  char err[1024];
  if (vg_png_write(path, (int)w, (int)h, (int)c, (const uint8_t *)px, err, sizeof err)) return vg_lua_raise(L, err);
  return 0;
}

/* core.png_read(path) -> width, height, channels, bytes */
static int l_png_read(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  int w, h, c;
  uint8_t *px;
  char err[1024];
  if (vg_png_read(path, &w, &h, &c, &px, err, sizeof err)) return vg_lua_raise(L, err);
  lua_pushinteger(L, w);
  lua_pushinteger(L, h);
  lua_pushinteger(L, c);
  lua_pushlstring(L, (const char *)px, (size_t)w * (size_t)h * (size_t)c);
  free(px);
  return 4;
}

void vg_lua_open_pictures(lua_State *L) {
  static const luaL_Reg funcs[] = {{"grid_png", l_grid_png}, {"scatter_png", l_scatter_png}, {"lines_png", l_lines_png},
                                   {"png_write", l_png_write}, {"png_read", l_png_read},   {"rows", l_rows},
                                   {NULL, NULL}};
  vg_lua_setfuncs(L, funcs);
  static const luaL_Reg rows_methods[] = {{"add", l_rows_add}, {"count", l_rows_count}, {NULL, NULL}};
  vg_lua_class(L, VG_ROWS_MT, rows_methods, l_rows_gc);
}
