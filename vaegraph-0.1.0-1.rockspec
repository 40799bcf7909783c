-- luarocks make: the vaegraph Lua module (require "vaegraph") for a stock
-- interpreter, built with CMake against that interpreter's headers.
--   luarocks --lua-version=5.4 make          # or 5.1 for LuaJIT
-- Needs a C compiler with OpenMP, CMake, libpng and zlib (scripts/setup.sh
-- installs them).
rockspec_format = "3.0"
package = "vaegraph"
version = "0.1.0-1"
source = { url = "git+https://example.invalid/vaegraph.git" } -- luarocks make builds this checkout
description = {
  summary = "Autoencoders and VAEs on a CPU: static dataflow graphs with autodiff and OpenMP kernels",
  detailed = "A C runtime for static dataflow graphs (shape inference, reverse-mode autodiff, planned memory, " ..
    "OpenMP kernels bit-identical at any thread count) with a Lua library that declares models and their training.",
}
dependencies = { "lua >= 5.1" }
build = {
  type = "cmake",
  variables = {
    CMAKE_BUILD_TYPE = "Release",
    VG_ROCK = "ON",
    VG_BENCH = "OFF",
    VG_LUA_INCDIR = "$(LUA_INCDIR)",
    VG_LUA_CMOD_DIR = "$(LIBDIR)",
    VG_LUA_MOD_DIR = "$(LUADIR)",
  },
}
