#!/usr/bin/env bash
# One command on a fresh Debian machine: install every package vaegraph needs,
# build it, and install the `vaegraph` program on the PATH.
#   scripts/setup.sh            # Lua 5.4 build (default)
#   VG_LUA=luajit scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

pkgs=(
  build-essential cmake pkg-config
  lua5.4 liblua5.4-dev luajit libluajit-5.1-dev
  libpng-dev zlib1g-dev
  libopenblas-dev            # GEMM benchmark reference only
  dataset-fashion-mnist      # default image data set
  fortunes                   # default sentences (graphs/sentence_vae.lua)
  python3-torch python3-numpy  # the PyTorch peer (bench/) and the weights test
  clang libomp-dev           # libFuzzer targets (tests/fuzz/, bench/fuzz.sh)
  valgrind                   # scripts/valgrind.sh
  luarocks                   # the rockspec's test (luarocks make)
  graphviz                   # renders vaegraph --dot in its test
  libopenmpi-dev openmpi-bin # mpirun -np N vaegraph: data-parallel training
)
if [ "${VG_SKIP_APT:-0}" != 1 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
fi

build=${VG_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DVG_LUA="${VG_LUA:-lua5.4}"
cmake --build "$build" -j"$(nproc)"
$sudo cmake --install "$build"
echo "vaegraph installed: $(command -v vaegraph)"
