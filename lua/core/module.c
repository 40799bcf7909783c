/* vaegraph.core: the C runtime seen from Lua. This file opens the module and
 * holds what its other files share: turning runtime errors (values) into
 * Lua errors that name the user's script line, and argument checks. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module.h"

/* ---- errors ---- */

/* The Lua library's own files start with this (".../lua/vaegraph"), so
 * frames inside "vaegraph.lua" and in the folder "vaegraph/" are skipped when an
 * error looks for the user's line. Set once by core.set_library. */
static char library_prefix[1024];

static int in_library(const char *source) {
  return library_prefix[0] && strncmp(source, library_prefix, strlen(library_prefix)) == 0;
}

/* The script's file name from the global `arg[0]`, "" if there is none. */
static void script_name(lua_State *L, char *buf, size_t len) {
  buf[0] = 0;
  lua_getglobal(L, "arg");
  if (lua_istable(L, -1)) {
    lua_rawgeti(L, -1, 0);
    const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    if (s) {
      const char *base = strrchr(s, '/');
      snprintf(buf, len, "%s", base ? base + 1 : s);
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

void vg_lua_where(lua_State *L, char *buf, size_t len) {
  lua_Debug ar;
  for (int level = 1; lua_getstack(L, level, &ar); level++) {
    lua_getinfo(L, "Sl", &ar);
    if (ar.currentline <= 0 || ar.source[0] != '@' || in_library(ar.source + 1)) continue;
    const char *path = ar.source + 1, *base = strrchr(path, '/');
    snprintf(buf, len, "%s:%d", base ? base + 1 : path, ar.currentline);
    return;
  }
  script_name(L, buf, len);
}

/* "file.lua:12: " starts a message that already says where. */
static int names_a_line(const char *msg) {
  const char *p = strstr(msg, ".lua:");
  return p && p[5] >= '0' && p[5] <= '9';
}

int vg_lua_raise(lua_State *L, const char *msg) {
  char where[VG_WHERE_MAX];
  if (names_a_line(msg)) where[0] = 0;
  else vg_lua_where(L, where, sizeof where);
  if (where[0]) lua_pushfstring(L, "%s: %s", where, msg);
  else lua_pushstring(L, msg);
  return lua_error(L);
}

int vg_lua_fail(lua_State *L, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return vg_lua_raise(L, msg);
}

int vg_lua_raise_graph(lua_State *L, vg_graph *g) { return vg_lua_raise(L, vg_graph_error(g)); }

/* core.set_library(source): the Lua library's vaegraph.lua announces its
 * path ("@/x/lua/vaegraph.lua"); its folder plus "vaegraph" prefixes every
 * library file. */
static int l_set_library(lua_State *L) {
  const char *src = luaL_checkstring(L, 1);
  if (src[0] == '@') src++;
  const char *end = strstr(src, "vaegraph.lua");
  size_t len = end ? (size_t)(end - src) + strlen("vaegraph") : 0;
  if (len >= sizeof library_prefix) len = 0;
  memcpy(library_prefix, src, len);
  library_prefix[len] = 0;
  return 0;
}

/* core.where() -> the user's script position, as errors name it. */
static int l_where(lua_State *L) {
  char where[VG_WHERE_MAX];
  vg_lua_where(L, where, sizeof where);
  lua_pushstring(L, where);
  return 1;
}

/* ---- arguments ---- */

vg_graph *vg_lua_graph(lua_State *L, int i) {
  vg_graph **g = luaL_checkudata(L, i, VG_GRAPH_MT);
  if (!*g) luaL_argerror(L, i, "graph already freed");
  return *g;
}

int vg_lua_node(lua_State *L, vg_graph *g, int i) {
  /* A node from the Lua library is a table with its id; C takes either. */
  if (lua_type(L, i) == LUA_TTABLE) {
    lua_getfield(L, i, "id");
    const int ok = lua_isnumber(L, -1);
    const lua_Integer id = ok ? lua_tointeger(L, -1) : -1;
    lua_pop(L, 1);
    if (!ok) luaL_argerror(L, i, "a node or a node id, got a table without an id");
    if (id < 0 || id >= g->n) luaL_argerror(L, i, "not a node of this graph");
    return (int)id;
  }
  lua_Integer id = vg_checkint(L, i);
  if (id < 0 || id >= g->n) luaL_argerror(L, i, "not a node of this graph");
  return (int)id;
}

vg_shape vg_lua_shape(lua_State *L, int i, const char *what) {
  if (lua_type(L, i) != LUA_TTABLE) vg_lua_fail(L, "%s: a shape is a list of sizes, got %s", what, luaL_typename(L, i));
  vg_shape s = vg_shape_scalar();
  int n = (int)vg_rawlen(L, i);
  if (n > VG_MAX_DIMS) vg_lua_fail(L, "%s: a shape has at most %d dimensions, got %d", what, VG_MAX_DIMS, n);
  for (int k = 1; k <= n; k++) {
    lua_rawgeti(L, i, k);
    lua_Number v = lua_tonumber(L, -1);
    if (!lua_isnumber(L, -1) || v != floor(v) || v < 1 || v > 2147483647.0) {
      /* A size of 0 or less is most often a script option (--latent 0). */
      const char *got = lua_isnumber(L, -1) ? lua_tostring(L, -1) : luaL_typename(L, -1);
      vg_lua_fail(L, "%s: size %d of its shape is %s; sizes are whole numbers from 1 to 2^31 - 1", what, k, got);
    }
    s.d[s.nd++] = (int64_t)v;
    lua_pop(L, 1);
  }
  return s;
}

void vg_lua_push_shape(lua_State *L, const vg_shape *s) {
  lua_createtable(L, s->nd, 0);
  for (int k = 0; k < s->nd; k++) {
    lua_pushinteger(L, (lua_Integer)s->d[k]);
    lua_rawseti(L, -2, k + 1);
  }
}

int *vg_lua_ids(lua_State *L, int i, int limit, const char *what, int *count) {
  i = vg_absindex(L, i);
  int n = lua_isnoneornil(L, i) ? 0 : (luaL_checktype(L, i, LUA_TTABLE), (int)vg_rawlen(L, i));
  int *ids = lua_newuserdata(L, (size_t)(n ? n : 1) * sizeof *ids);
  for (int k = 1; k <= n; k++) {
    lua_rawgeti(L, i, k);
    lua_Number v = lua_tonumber(L, -1);
    if (!lua_isnumber(L, -1) || v != floor(v) || v < 0 || v >= limit) vg_lua_fail(L, "%s %d of the list is not one of this graph's", what, k);
    ids[k - 1] = (int)v;
    lua_pop(L, 1);
  }
  *count = n;
  return ids;
}

void vg_lua_push_floats(lua_State *L, const float *v, size_t n, int scalar) {
  if (scalar && n == 1) {
    lua_pushnumber(L, v[0]);
    return;
  }
  lua_createtable(L, n > INT32_MAX ? INT32_MAX : (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_pushnumber(L, v[i]);
    lua_rawseti(L, -2, (int)i + 1);
  }
}

/* ---- registration ---- */

void vg_lua_setfuncs(lua_State *L, const luaL_Reg *l) { vg_setfuncs(L, l); }

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
  static const luaL_Reg funcs[] = {{"set_library", l_set_library}, {"where", l_where}, {NULL, NULL}};
  vg_newlib(L, funcs);
  vg_lua_open_graph(L);
  vg_lua_open_plan(L);
  vg_lua_open_optim(L);
  vg_lua_open_data(L);
  vg_lua_open_text(L);
  vg_lua_open_checkpoint(L);
  vg_lua_open_pictures(L);
  vg_lua_open_host(L);
  vg_lua_open_quality(L);
  vg_lua_open_dist(L);
  return 1;
}

void vg_lua_preload_core(lua_State *L) {
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "preload");
  lua_pushcfunction(L, luaopen_vaegraph_core);
  lua_setfield(L, -2, "vaegraph.core");
  lua_pop(L, 2);
}
