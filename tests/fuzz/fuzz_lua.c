/* The fuzz targets of the pure-Lua readers (vg.csv, vg.ratings, the
 * command-line parser): one Lua 5.4 state, made once as lua/main.c makes
 * the program's, runs a driver script (tests/fuzz/<target>.lua) on each
 * input. Built once per target with VG_FUZZ_DRIVER naming the script.
 *
 * The driver returns { run = function(input, write), raisers = {...} }:
 * run gets the input as a string and write(slot, bytes) -> path, which puts
 * bytes in the target's temporary files (fuzz_file.h).
 *
 * Findings. A reader may reject its input with an error of its own; any
 * other error means it did not validate something. The two are told apart
 * by where the error was raised, not by its text (which can quote the
 * input): an error is the reader's own when the function that raised it is
 * the global `error`, called from a file ending in one of `raisers`
 * (lua/vaegraph/errors.lua's fail for the data readers). A runtime error
 * ("attempt to index a nil value"), a library function's ("bad argument #1
 * to 'format'"), running out of memory, or an error from the driver's own
 * checks is printed with its traceback, and abort() makes libFuzzer save
 * the input.
 *
 * Coverage. libFuzzer sees only compiled code, and the interpreter's loop
 * looks the same for every line of Lua. A line hook hashes (source, line)
 * and the previous line into a table in the __libfuzzer_extra_counters
 * section, which libFuzzer reads as more coverage counters: the edges
 * between the readers' lines become what the fuzzer steers by. */
#include "fuzz_file.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#ifndef VG_FUZZ_DRIVER
#error "VG_FUZZ_DRIVER must name the driver script (tests/fuzz/CMakeLists.txt sets it)"
#endif

void vg_lua_preload_core(lua_State *L); /* lua/core/module.h */

#define EDGES (1u << 16)
__attribute__((section("__libfuzzer_extra_counters"), used)) static uint8_t edges[EDGES];
static uint32_t previous;

static void on_line(lua_State *L, lua_Debug *ar) {
  if (!lua_getinfo(L, "S", ar)) return;
  /* The source string lives as long as its function's prototype: the
   * modules stay loaded, so its address names the file. */
  const uint32_t here = (uint32_t)((uintptr_t)ar->source * 2654435761u) ^ (uint32_t)ar->currentline * 40503u;
  uint8_t *c = &edges[(here ^ previous) & (EDGES - 1)];
  if (*c < 255) (*c)++;
  previous = here >> 1;
}

static lua_State *L;
static int run_ref, raisers_ref, error_ref;
static int raised_cleanly;

/* Whether the source ("@/x/lua/vaegraph/errors.lua") ends in one of the
 * driver's raisers. */
static int is_raiser(lua_State *S, const char *source) {
  size_t n = strlen(source);
  int found = 0;
  lua_rawgeti(S, LUA_REGISTRYINDEX, raisers_ref);
  for (lua_Integer i = 1; !found; i++) {
    lua_rawgeti(S, -1, i);
    const char *r = lua_tostring(S, -1);
    if (!r) found = -1;
    else if (strlen(r) <= n && strcmp(source + n - strlen(r), r) == 0) found = 1;
    lua_pop(S, 1);
  }
  lua_pop(S, 1);
  return found > 0;
}

/* The message handler: runs where the error was raised, with the stack
 * intact. Level 1 is the raising function, level 2 its caller. */
static int on_error(lua_State *S) {
  lua_Debug ar;
  raised_cleanly = 0;
  if (lua_type(S, 1) == LUA_TSTRING && lua_getstack(S, 1, &ar) && lua_getinfo(S, "f", &ar)) {
    lua_rawgeti(S, LUA_REGISTRYINDEX, error_ref);
    const int by_error = lua_rawequal(S, -1, -2);
    lua_pop(S, 2);
    if (by_error && lua_getstack(S, 2, &ar) && lua_getinfo(S, "S", &ar)) raised_cleanly = is_raiser(S, ar.source);
  }
  if (raised_cleanly) return 1;
  const char *msg = lua_tostring(S, 1);
  luaL_traceback(S, S, msg ? msg : "(an error object that is not a string)", 1);
  return 1;
}

static int l_write(lua_State *S) {
  const int k = (int)luaL_checkinteger(S, 1);
  size_t n;
  const char *bytes = luaL_checklstring(S, 2, &n);
  luaL_argcheck(S, k >= 0 && k < VG_FUZZ_SLOTS, 1, "no such file slot");
  lua_pushstring(S, vg_fuzz_write(k, (const uint8_t *)bytes, n));
  return 1;
}

static void die(const char *what) {
  fprintf(stderr, "fuzz %s: %s\n", VG_FUZZ_DRIVER, what);
  abort();
}

static void open_state(void) {
  vg_fuzz_file_init("");
  L = luaL_newstate();
  if (!L) die("cannot create a Lua state");
  luaL_openlibs(L);
  /* As lua/main.c: vaegraph.core linked in, the source tree's lua/ first. */
  vg_lua_preload_core(L);
  lua_getglobal(L, "package");
  lua_pushstring(L, VG_SOURCE_DIR "/lua/?.lua;" VG_SOURCE_DIR "/tests/fuzz/?.lua");
  lua_setfield(L, -2, "path");
  lua_pop(L, 1);
  /* Library frames are skipped when errors look for the user's line, as
   * lua/vaegraph.lua arranges: errors then name the driver's line. */
  if (luaL_dostring(L, "require('vaegraph.core').set_library('@" VG_SOURCE_DIR "/lua/vaegraph.lua')"))
    die(lua_tostring(L, -1));
  lua_getglobal(L, "error");
  error_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  if (luaL_dofile(L, VG_SOURCE_DIR "/tests/fuzz/" VG_FUZZ_DRIVER ".lua")) die(lua_tostring(L, -1));
  if (!lua_istable(L, -1)) die("the driver must return a table");
  lua_getfield(L, -1, "run");
  if (!lua_isfunction(L, -1)) die("the driver has no run function");
  run_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_getfield(L, -1, "raisers");
  if (!lua_istable(L, -1)) die("the driver has no raisers list");
  raisers_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pop(L, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static unsigned runs;
  if (!L) open_state();
  lua_pushcfunction(L, on_error);
  lua_rawgeti(L, LUA_REGISTRYINDEX, run_ref);
  lua_pushlstring(L, (const char *)data, size);
  lua_pushcfunction(L, l_write);
  previous = 0;
  lua_sethook(L, on_line, LUA_MASKLINE, 0);
  raised_cleanly = 0;
  const int st = lua_pcall(L, 2, 0, -4);
  lua_sethook(L, NULL, 0, 0);
  if (st != LUA_OK && !(st == LUA_ERRRUN && raised_cleanly)) {
    fprintf(stderr, "fuzz %s: not the reader's own error (status %d):\n%s\n", VG_FUZZ_DRIVER, st,
            lua_tostring(L, -1) ? lua_tostring(L, -1) : "(no message)");
    abort();
  }
  vg_fuzz_note(st == LUA_OK ? "accepted" : "rejected", st == LUA_OK ? NULL : lua_tostring(L, -1));
  lua_settop(L, 0);
  /* Files a failed read left open wait for the collector; a full cycle now
   * and then keeps them from piling up. */
  if (++runs % 256 == 0) lua_gc(L, LUA_GCCOLLECT, 0);
  return 0;
}
