/* The host around a run: threads, a clock, the terminal, folders. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomic_file.h"
#include "module.h"

static int l_threads(lua_State *L) {
  if (!lua_isnoneornil(L, 1)) {
    lua_Integer n = vg_checkint(L, 1);
    if (n < 1 || n > 1024) return luaL_argerror(L, 1, "thread count must be 1 to 1024");
    omp_set_num_threads((int)n);
  }
  lua_pushinteger(L, omp_get_max_threads());
  return 1;
}

static int l_clock(lua_State *L) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  lua_pushnumber(L, (lua_Number)t.tv_sec + 1e-9 * (lua_Number)t.tv_nsec);
  return 1;
}

static int l_isatty(lua_State *L) {
  lua_pushboolean(L, isatty(fileno(stdout)));
  return 1;
}

/* core.mkdir(path): makes the folder and its parents (mkdir -p); an error
 * names the part that could not be made. */
static int l_mkdir(lua_State *L) {
  size_t len;
  const char *path = luaL_checklstring(L, 1, &len);
  char buf[4096];
  if (len == 0 || len >= sizeof buf) return vg_lua_fail(L, "'%s': not a usable folder name", path);
  memcpy(buf, path, len + 1);
  for (size_t i = 1; i <= len; i++) {
    if (buf[i] != '/' && buf[i] != 0) continue;
    const char c = buf[i];
    buf[i] = 0;
    struct stat st;
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) return vg_lua_fail(L, "%s: cannot make the folder: %s", buf, strerror(errno));
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) return vg_lua_fail(L, "%s: exists and is not a folder", buf);
    buf[i] = c;
  }
  return 0;
}

/* core.kind(path) -> "file", "folder", "other", or nil when there is none. */
static int l_kind(lua_State *L) {
  struct stat st;
  if (stat(luaL_checkstring(L, 1), &st) != 0) return 0;
  lua_pushstring(L, S_ISDIR(st.st_mode) ? "folder" : S_ISREG(st.st_mode) ? "file" : "other");
  return 1;
}

/* core.writable(dir) -> true, or false and the system's reason: whether
 * files can be made in dir (a read-only folder or file system fails here,
 * before a run trains for an hour and then cannot save). */
static int l_writable(lua_State *L) {
  if (access(luaL_checkstring(L, 1), W_OK | X_OK) == 0) {
    lua_pushboolean(L, 1);
    return 1;
  }
  lua_pushboolean(L, 0);
  lua_pushstring(L, strerror(errno));
  return 2;
}

/* core.write_file(path, text): written whole or not at all (atomic_file.h). */
static int l_write_file(lua_State *L) {
  size_t n;
  const char *path = luaL_checkstring(L, 1), *text = luaL_checklstring(L, 2, &n);
  char err[1024];
  if (vg_atomic_write(path, text, n, err, sizeof err)) return vg_lua_raise(L, err);
  return 0;
}

/* core.clean_tmp(dir) -> how many *.tmp files an interrupted run left in
 * dir were removed, and their names. */
static int l_clean_tmp(lua_State *L) {
  char names[512];
  const int n = vg_atomic_clean(luaL_checkstring(L, 1), names, sizeof names);
  lua_pushinteger(L, n < 0 ? 0 : n);
  lua_pushstring(L, n > 0 ? names : "");
  return 2;
}

void vg_lua_open_host(lua_State *L) {
  static const luaL_Reg funcs[] = {{"threads", l_threads},       {"clock", l_clock},        {"isatty", l_isatty},
                                   {"mkdir", l_mkdir},           {"kind", l_kind},          {"write_file", l_write_file},
                                   {"clean_tmp", l_clean_tmp},   {"writable", l_writable},  {NULL, NULL}};
  vg_lua_setfuncs(L, funcs);
}
