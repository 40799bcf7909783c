#!/usr/bin/env bash
# The test command: configure, build and run ctest three ways —
# Lua 5.4 (Release), LuaJIT (Release), and AddressSanitizer +
# UndefinedBehaviorSanitizer (Lua 5.4, -O1 -g) — then fuzz every reader of
# outside bytes for VG_FUZZ_SECONDS (default 20) each with libFuzzer (clang,
# ASan + UBSan), after replaying its seeds and past findings. Any failure
# fails the script.
#   scripts/test.sh              # all four
#   scripts/test.sh lua54        # one of: lua54 luajit asan fuzz
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(lua54 luajit asan fuzz)

run() {
  local name=$1 dir=$2
  shift 2
  echo "=== $name: configure and build in $dir"
  cmake -S . -B "$dir" "$@" >"$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; return 1; }
  cmake --build "$dir" -j"$jobs"
  echo "=== $name: ctest"
  (cd "$dir" && OMP_NUM_THREADS=2 ctest --output-on-failure -j1)
}

mkdir -p build-tests
for c in "${configs[@]}"; do
  case $c in
    lua54) run "Lua 5.4" build-tests/lua54 -DCMAKE_BUILD_TYPE=Release -DVG_LUA=lua5.4 ;;
    luajit) run "LuaJIT" build-tests/luajit -DCMAKE_BUILD_TYPE=Release -DVG_LUA=luajit ;;
    asan)
      # Leak checks stay on; UBSan stops at the first report. -O1, as the
      # sanitizers' authors advise: at -O0 this suite alone took 17 minutes.
      ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        run "ASan+UBSan" build-tests/asan -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_C_FLAGS_DEBUG=-g -O1" -DVG_LUA=lua5.4 \
        -DVG_SANITIZE=ON -DVG_BENCH=OFF ;;
    fuzz)
      echo "=== libFuzzer: build, replay seeds and regressions, ${VG_FUZZ_SECONDS:-20} s per target"
      VG_FUZZ_BUILD=build-tests/fuzz VG_FUZZ_JOBS=$jobs bench/fuzz.sh "${VG_FUZZ_SECONDS:-20}"
      (cd build-tests/fuzz && ctest -R '^fuzz\.' --output-on-failure -j1) ;;
    *) echo "unknown configuration '$c' (lua54, luajit, asan, fuzz)" >&2; exit 2 ;;
  esac
done
echo "=== all configurations passed: ${configs[*]}"
