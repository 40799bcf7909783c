#!/bin/sh
# The mistakes users made, each pinned to the message it now gives (the
# script line or the file, and what is wrong), through the program:
#   user_errors.sh VAEGRAPH SOURCE_DIR OUT_DIR
set -eu
vg=$1 src=$2 out=$3
rm -rf "$out"
mkdir -p "$out"
cd "$out"
fail() { echo "FAIL: $*"; exit 1; }
# expect WANT SCRIPT [options]: the run fails and its error holds WANT.
expect() {
  want=$1
  shift
  if "$vg" "$@" --quiet >run.out 2>run.err; then fail "$* succeeded; wanted: $want"; fi
  grep -qF -- "$want" run.err || fail "$*:
  got  $(cat run.err)
  want $want"
  echo "ok: $want"
}
"$vg" "$src/tests/lua/make_data.lua" idx data 28 256 >/dev/null

# A tiny VAE-like script with a hole to fill: the line "-- HOLE".
model() {
  sed "s|-- HOLE|$1|" > "$2" <<'EOF'
local vg = require "vaegraph"
local g = vg.graph{ batch = 32 }
local x = g:input("x", { 784 })
local enc = g:group "net"
local net = vg.mlp(enc, { 784, 16, 784 })
local logits = net(x)
local loss = vg.bce_logits(logits, x, { reduction = "mean" })
-- HOLE
return vg.train{ graph = g, epochs = 1, feed = { x = "image" }, phases = { { loss = loss, update = { enc } } }, eval = EVAL }
EOF
}

# A misspelt block is named, with the nearest real one.
model 'local z = vg.reparm(x, x)' reparm.lua
expect "reparm.lua:8: vg.reparm does not exist (did you mean vg.reparam?)" reparm.lua --data data

# A non-scalar node under eval: named, with where it was made.
model 'EVAL = { test_loss = loss, per_pixel = logits }' eval.lua
expect "vg.train eval: 'per_pixel' is" eval.lua --data data
grep -qF "(made at eval.lua:6); an eval metric is a scalar" run.err || fail "eval: $(cat run.err)"

# A loss weight no schedule sets: refused at the first step, at its line.
model 'local beta = g:scalar("beta"); loss = loss * beta' weight.lua
expect "weight.lua:8: run 'phase1': input 'beta' (read by 'mul_" weight.lua --data data
grep -qF "was never set; give it a value before the run (a data feed, or a schedule for a loss weight)" run.err ||
  fail "weight: $(cat run.err)"

# Labels beyond the classes of a data set whose classes are named.
mkdir -p named && cp data/* named/
printf '\014' | dd of=named/train-labels-idx1-ubyte bs=1 seek=20 conv=notrunc 2>/dev/null
model '' named.lua
sed -i 's|feed = { x = "image" }|data = vg.mnist{ dir = "named", names = { "a", "b", "c", "d", "e", "f", "g", "h", "i", "j" } }, feed = { x = "image" }|' named.lua
expect "named.lua:9: vg.mnist: named: training example 13 has label 12, but the data set has 10 classes (0..9: a, b, c" named.lua
# Without names, a gap in the class ids is a warning and the run goes on.
mkdir -p unnamed && cp named/* unnamed/
"$vg" "$src/graphs/vae.lua" --data unnamed --out o --epochs 1 --quiet --hidden 16 --latent 2 2>run.err ||
  fail "unnamed labels: $(cat run.err)"
grep -qF "warning: vg.mnist: unnamed: labels run 0..12 but no example has class 10..11: is a label file wrong?" run.err ||
  fail "unnamed labels: $(cat run.err)"
echo "ok: unnamed labels with a gap warn"

# A damaged gzip stream is named as one.
mkdir -p gz && cp data/* gz/ && gzip -9 gz/train-images-idx3-ubyte
size=$(wc -c < gz/train-images-idx3-ubyte.gz)
head -c $((size / 2)) gz/train-images-idx3-ubyte.gz > cut.gz && mv cut.gz gz/train-images-idx3-ubyte.gz
expect "gz/train-images-idx3-ubyte.gz: the gzip stream is cut short after" "$src/graphs/vae.lua" --data gz --out o
cp data/train-images-idx3-ubyte gz/ && gzip -9f gz/train-images-idx3-ubyte
printf '\377\000\125\252%.0s' 1 2 3 4 5 6 7 8 9 10 | dd of=gz/train-images-idx3-ubyte.gz bs=1 seek=12 conv=notrunc 2>/dev/null
expect "gz/train-images-idx3-ubyte.gz: corrupt gzip stream near compressed byte" "$src/graphs/vae.lua" --data gz --out o

# Numbers in messages from C come out as numbers (no '%l' from Lua's formatter).
cat > rows.lua <<'EOF'
local vg = require "vaegraph"
local r = vg.core.rows(5000)
EOF
expect "rows.lua:2: rows: dimension 5000 is outside 1..4096" rows.lua

# Options out of range: the program's are named, a script's size names the
# layer's parameter at the script's line.
expect "option --threads wants a whole number from 1 to 1024, got 0" "$src/graphs/vae.lua" --data data --threads 0
expect "vae.lua:21: parameter 'encoder.mu.weight': size 1 of its shape is 0" "$src/graphs/vae.lua" --data data --latent 0

# Resuming a run that did all its epochs says there is nothing to do.
"$vg" "$src/graphs/vae.lua" --data data --out done --epochs 1 --quiet --hidden 16 --latent 2
expect "done/checkpoint.safetensors has trained 1 epochs already, and this run asks for 1: nothing to do" \
  "$src/graphs/vae.lua" --data data --out done --epochs 1 --hidden 16 --latent 2 --resume done/checkpoint.safetensors
echo "ok: every message"
