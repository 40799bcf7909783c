/* The vaegraph program: runs a model script with the vaegraph Lua module. */
#include <signal.h>
#include <stdio.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "core/compat.h"
#include "isa.h"

void vg_lua_preload_core(lua_State *L); /* lua/core/module.h */
void vg_lua_dist_abort(void);

static const char usage[] =
    "usage: vaegraph SCRIPT.lua [options]     train the model the script declares\n"
    "       vaegraph --plan SCRIPT.lua        print its compiled graph and memory plan\n"
    "       vaegraph --dot SCRIPT.lua         the same as a Graphviz DOT graph\n"
    "       vaegraph SCRIPT.lua --help        the script's options and their defaults\n"
    "       vaegraph --help | --version\n"
    "\n"
    "options every script takes:\n"
    "  --epochs N     training epochs            --batch N      batch size\n"
    "  --data DIR     MNIST-format IDX folder    --out DIR      where outputs go\n"
    "  --threads N    OpenMP threads             --seed N       seed (default 1)\n"
    "  --resume FILE  continue from a checkpoint --quiet        no progress output\n"
    "  --limit N      at most N examples an epoch (quick runs)\n"
    "\n"
    "Model scripts are in graphs/; writing one: docs/guide.md\n";

/* Errors already name the script line and what went wrong; the Lua stack
 * is for whoever debugs vaegraph itself (VAEGRAPH_TRACEBACK=1). */
static int traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (!msg) msg = "(error object is not a string)";
  const char *want = getenv("VAEGRAPH_TRACEBACK");
  if (want && *want && strcmp(want, "0") != 0) luaL_traceback(L, L, msg, 1);
  else lua_pushstring(L, msg);
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2 || ((strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) && argc == 2)) {
    fputs(usage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  char err[256];
  if (vg_isa_check(err, sizeof err)) {
    fprintf(stderr, "vaegraph: %s\n", err);
    return 2;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("vaegraph %s (%s), kernels %s (this CPU's best: %s)\n", VG_VERSION, LUA_RELEASE,
           vg_isa_name(vg_isa_current()), vg_isa_name(vg_isa_cpu()));
    return 0;
  }
  /* Past a file-size limit (ulimit -f) a write should fail with EFBIG, which
   * the writers report with the file's name and keep the previous file,
   * rather than the default SIGXFSZ ending the process mid-write. */
  signal(SIGXFSZ, SIG_IGN);
#ifdef __GLIBC__
  /* Buffers of 256 KiB and up (an epoch's pictures, its test scores) come
   * from mmap and go back to the system when freed. By default glibc moves
   * that threshold up as large blocks are freed, serves them from the heap
   * instead, and the small tables Lua keeps between epochs then pin the
   * heap's top: resident memory grew by a picture's size now and then,
   * epochs into a run. Nothing is allocated per training step (a plan runs
   * without allocating), so mapping these costs nothing measurable. */
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
#endif
  lua_State *L = luaL_newstate();
  if (!L) {
    fprintf(stderr, "vaegraph: cannot create a Lua state (out of memory)\n");
    return 1;
  }
  luaL_openlibs(L);
  /* require "vaegraph" finds lua/vaegraph.lua (the source tree's first, so a
   * build runs what is checked out), and vaegraph.core is linked in. */
  vg_lua_preload_core(L);
  const char *dir = getenv("VAEGRAPH_LUA_DIR");
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "path");
  lua_pushfstring(L, "%s/?.lua;%s/?.lua;%s/?.lua;%s", dir ? dir : VG_SOURCE_LUA_DIR, VG_SOURCE_LUA_DIR, VG_LUA_DIR,
                  lua_tostring(L, -1));
  lua_setfield(L, -3, "path");
  lua_pop(L, 2);
  /* The script is the first argument ending in ".lua", so program flags may
   * come before it (vaegraph --plan x.lua); arg[0] is the script and
   * arg[1..] every other argument in order, as the stock interpreter has. */
  int script = 1;
  for (int i = 1; i < argc; i++) {
    size_t len = strlen(argv[i]);
    if (len > 4 && strcmp(argv[i] + len - 4, ".lua") == 0) {
      script = i;
      break;
    }
  }
  lua_newtable(L);
  lua_pushstring(L, argv[script]);
  lua_rawseti(L, -2, 0);
  for (int i = 1, k = 1; i < argc; i++)
    if (i != script) {
      lua_pushstring(L, argv[i]);
      lua_rawseti(L, -2, k++);
    }
  lua_setglobal(L, "arg");
  lua_pushcfunction(L, traceback);
  int status = luaL_loadfile(L, argv[script]);
  if (status == 0) status = lua_pcall(L, 0, 0, 1);
  if (status != 0) {
    fprintf(stderr, "vaegraph: %s\n", lua_tostring(L, -1));
    fflush(stderr);
    vg_lua_dist_abort();
  }
  lua_close(L);
  return status == 0 ? 0 : 1;
}
