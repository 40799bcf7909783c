/* Checkpoints seen from Lua: core.save and core.load of a run's state (see
 * runtime/checkpoint.h), and core.checkpoint_meta, read before a graph
 * exists. */
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "module.h"
#include "safetensors.h"

/* The {phase name, optimizer} pairs at index i, in an array that lives as
 * long as the userdata pushed for it. */
static vg_phase_state *read_phases(lua_State *L, int i, int *count) {
  luaL_checktype(L, i, LUA_TTABLE);
  int n = (int)vg_rawlen(L, i);
  vg_phase_state *ph = lua_newuserdata(L, (size_t)(n ? n : 1) * sizeof *ph);
  for (int k = 0; k < n; k++) {
    lua_rawgeti(L, i, k + 1);
    luaL_checktype(L, -1, LUA_TTABLE);
    lua_rawgeti(L, -1, 1);
    lua_rawgeti(L, -2, 2);
    /* A string (not a number converted here) stays alive in the table. */
    if (lua_type(L, -2) != LUA_TSTRING) vg_lua_fail(L, "phase %d: its name must be a string", k + 1);
    ph[k].phase = lua_tostring(L, -2);
    ph[k].optim = vg_lua_optim(L, lua_gettop(L));
    lua_pop(L, 3);
  }
  *count = n;
  return ph;
}

/* Metadata pairs by key, so a checkpoint's bytes do not depend on the order
 * Lua's (randomly seeded) table iteration happens to visit them. */
static int cmp_pair(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* core.save(path, graph, {{phase, optim}, ...}, {key = value, ...}) */
static int l_save(lua_State *L) {
  lua_settop(L, 4); /* scratch arrays go above the arguments */
  const char *path = luaL_checkstring(L, 1);
  vg_graph *g = vg_lua_graph(L, 2);
  int nph, nmeta = 0;
  const vg_phase_state *ph = read_phases(L, 3, &nph);
  luaL_checktype(L, 4, LUA_TTABLE);
  int count = 0;
  for (lua_pushnil(L); lua_next(L, 4); lua_pop(L, 1)) count++;
  const char **meta = lua_newuserdata(L, (size_t)(2 * count + 1) * sizeof *meta);
  for (lua_pushnil(L); lua_next(L, 4); lua_pop(L, 1)) {
    /* Only strings: they stay alive in the table after the loop pops them
     * (a number converted here would not). */
    if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
      return vg_lua_fail(L, "save: metadata keys and values must be strings");
    meta[2 * nmeta] = lua_tostring(L, -2);
    meta[2 * nmeta + 1] = lua_tostring(L, -1);
    nmeta++;
  }
  qsort(meta, (size_t)nmeta, 2 * sizeof *meta, cmp_pair);
  char err[1024];
  if (vg_checkpoint_save(path, g, ph, nph, meta, nmeta, err, sizeof err)) return vg_lua_raise(L, err);
  return 0;
}

/* core.load(path, graph, phases, {keys}) -> {key = value} */
static int l_load(lua_State *L) {
  lua_settop(L, 4); /* scratch arrays go above the arguments */
  const char *path = luaL_checkstring(L, 1);
  vg_graph *g = vg_lua_graph(L, 2);
  int nph;
  const vg_phase_state *ph = read_phases(L, 3, &nph);
  luaL_checktype(L, 4, LUA_TTABLE);
  int nkeys = (int)vg_rawlen(L, 4);
  const char **keys = lua_newuserdata(L, (size_t)(nkeys ? nkeys : 1) * sizeof *keys);
  char(*values)[256] = lua_newuserdata(L, (size_t)(nkeys ? nkeys : 1) * sizeof *values);
  for (int k = 0; k < nkeys; k++) {
    lua_rawgeti(L, 4, k + 1);
    if (lua_type(L, -1) != LUA_TSTRING) return vg_lua_fail(L, "load: metadata keys must be strings");
    keys[k] = lua_tostring(L, -1);
    lua_pop(L, 1);
  }
  char err[1024];
  if (vg_checkpoint_load(path, g, ph, nph, keys, nkeys, values, err, sizeof err)) return vg_lua_raise(L, err);
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
    if (lua_type(L, -1) != LUA_TSTRING) return vg_lua_fail(L, "checkpoint_meta: keys must be strings");
    lua_pop(L, 1);
  }
  vg_st_file *f;
  char err[1024];
  if (vg_st_read(path, &f, err, sizeof err)) return vg_lua_raise(L, err);
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

void vg_lua_open_checkpoint(lua_State *L) {
  static const luaL_Reg funcs[] = {
      {"save", l_save}, {"load", l_load}, {"checkpoint_meta", l_checkpoint_meta}, {NULL, NULL}};
  vg_lua_setfuncs(L, funcs);
}
