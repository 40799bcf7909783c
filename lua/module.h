/* What the parts of the vaegraph.core module share (module.c registers
 * everything; text.c adds the corpus classes). */
#ifndef VG_LUA_MODULE_H
#define VG_LUA_MODULE_H

#include "compat.h"
#include "graph.h"

/* Raises msg as a Lua error, with the caller's script position unless the
 * message has one. */
int vg_lua_raise(lua_State *L, const char *msg);
vg_graph *vg_lua_graph(lua_State *L, int i);
int vg_lua_node(lua_State *L, vg_graph *g, int i);
/* A userdata class: methods under __index, and its finaliser. */
void vg_lua_class(lua_State *L, const char *name, const luaL_Reg *methods, lua_CFunction gc);
/* Adds the text functions to the module table on top of the stack. */
void vg_lua_open_text(lua_State *L);

#endif
