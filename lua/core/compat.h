/* Every difference between the Lua 5.4 and LuaJIT (5.1 API) C interfaces
 * that vaegraph touches, in one place. Use only what this file and the API
 * common to both provide. */
#ifndef VG_LUA_COMPAT_H
#define VG_LUA_COMPAT_H

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#if LUA_VERSION_NUM < 502
#define vg_rawlen(L, i) lua_objlen((L), (i))
#define vg_absindex(L, i) ((i) > 0 || (i) <= LUA_REGISTRYINDEX ? (i) : lua_gettop(L) + (i) + 1)
#define vg_setfuncs(L, l) luaL_register((L), NULL, (l))
#define vg_newlib(L, l) (lua_newtable(L), luaL_register((L), NULL, (l)))
#else
#define vg_rawlen(L, i) lua_rawlen((L), (i))
#define vg_absindex(L, i) lua_absindex((L), (i))
#define vg_setfuncs(L, l) luaL_setfuncs((L), (l), 0)
#define vg_newlib(L, l) luaL_newlib((L), (l))
#endif

/* An integer argument: an error, not a silent truncation, for 2.5, and no
 * undefined cast for NaN or numbers past 2^53. */
static inline lua_Integer vg_checkint(lua_State *L, int arg) {
  lua_Number n = luaL_checknumber(L, arg);
  if (!(n >= -9007199254740992.0 && n <= 9007199254740992.0) || n != (lua_Number)(lua_Integer)n)
    luaL_argerror(L, arg, "number has no integer representation");
  return (lua_Integer)n;
}

#endif
