#!/bin/sh
# luarocks make installs the Lua module for a stock interpreter: from a copy
# of the sources (as a fresh clone has them) into a fresh tree, then a plain
# lua5.4 loads it, builds and trains a tiny graph.
#   rock.sh SOURCE_DIR WORK_DIR
set -eu
src=$1 work=$2
command -v luarocks >/dev/null || { echo "SKIP: luarocks is not installed (scripts/setup.sh installs it)"; exit 77; }
rm -rf "$work"
mkdir -p "$work/src"
cp -r "$src/CMakeLists.txt" "$src/runtime" "$src/ops" "$src/lua" "$src/lib" "$src"/vaegraph-*.rockspec "$work/src/"
(cd "$work/src" && luarocks --lua-version=5.4 make --tree="$work/tree" vaegraph-*.rockspec) > "$work/make.log" 2>&1 ||
  { tail -20 "$work/make.log"; exit 1; }
eval "$(luarocks --lua-version=5.4 --tree="$work/tree" path)"
lua5.4 - <<'EOF'
local vg = require "vaegraph"
assert(package.searchpath("vaegraph.core", package.cpath):find("/tree/", 1, true), "vaegraph.core from the rock's tree")
local g = vg.graph{ batch = 8 }
local x = g:input("x", { 4 })
local net = g:group "net"
local loss = vg.mse(vg.linear(net, "fc", 4, 4)(x), x, { reduction = "mean" })
local plan = g:compile{ name = "fit", loss = loss, update = { net } }
local opt = vg.core.optim(g.core, "adam", { lr = 1e-2 }, { net.id })
local xs = {}
for i = 1, 32 do xs[i] = (i % 5) / 5 end
local first, last
for step = 1, 300 do
  g.core:data(x.id, xs)
  plan:run(step)
  opt:step()
  last = plan:value(loss.id)
  first = first or last
end
assert(last < first / 10, string.format("did not learn: %g -> %g", first, last))
print(string.format("ok: the rock's module trains (%.4f -> %.6f)", first, last))
EOF
