#!/bin/sh
# The C library from outside: install this build into a fresh prefix, build
# tests/c_library/train_tiny.c with pkg-config alone (no include or link
# flags of the build tree), run it, and configure a CMake project that finds
# the package.
#   c_library.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -eu
build=$1 src=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
pc=$(find "$work/prefix" -name vaegraph.pc)
[ -n "$pc" ] || { echo "FAIL: no vaegraph.pc installed"; exit 1; }
export PKG_CONFIG_PATH="$(dirname "$pc")"
echo "pkg-config: $(pkg-config --cflags --libs vaegraph)"
cc -std=c11 -O2 -Wall -Werror -o "$work/train_tiny" "$src/tests/c_library/train_tiny.c" $(pkg-config --cflags --libs vaegraph) -lm
# The library is found where pkg-config says, not through the build tree.
LD_LIBRARY_PATH="$(pkg-config --variable=libdir vaegraph)" "$work/train_tiny" "$work/tiny.safetensors"
# find_package(vaegraph) from a CMake project.
mkdir -p "$work/cmake_user"
cat > "$work/cmake_user/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.18)
project(user C)
find_package(vaegraph 0.1 REQUIRED)
add_executable(train_tiny ${SRC}/tests/c_library/train_tiny.c)
target_link_libraries(train_tiny PRIVATE vaegraph::vaegraph m)
EOF
cmake -S "$work/cmake_user" -B "$work/cmake_user/build" -DCMAKE_PREFIX_PATH="$work/prefix" -DSRC="$src" > "$work/cmake_user.log"
cmake --build "$work/cmake_user/build" > "$work/cmake_user_build.log" || { cat "$work/cmake_user_build.log"; exit 1; }
"$work/cmake_user/build/train_tiny" "$work/tiny2.safetensors" | tail -1
echo "ok: the installed library builds with pkg-config and find_package"
