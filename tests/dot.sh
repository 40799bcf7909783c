#!/bin/sh
# vaegraph --dot: the AAE's three phases and its evaluation as one DOT
# graph, each phase with forward and backward steps, shapes, parameter
# groups and memory slots; Graphviz's dot renders it when installed.
#   dot.sh VAEGRAPH SOURCE_DIR OUT_DIR
set -eu
vg=$1 src=$2 out=$3
rm -rf "$out"
mkdir -p "$out"
"$vg" --dot "$src/graphs/aae.lua" > "$out/aae.dot"
fail() { echo "FAIL: $*"; exit 1; }
head -1 "$out/aae.dot" | grep -q '^digraph vaegraph {$' || fail "not a digraph: $(head -1 "$out/aae.dot")"
for plan in reconstruction discriminator regularization eval; do
  grep -q "label=\"plan '$plan': [0-9]* forward, [0-9]* backward steps" "$out/aae.dot" || fail "no cluster for plan '$plan'"
done
grep -q "label=\"group 'encoder'\"" "$out/aae.dot" || fail "no encoder group"
grep -q 'label="d [^"]*backward\\ndy slot @' "$out/aae.dot" || fail "no backward step with its gradient's slot"
grep -q 'linear \[256,1000\]\\nslot @' "$out/aae.dot" || fail "no forward step with shape and slot"
[ "$(grep -c -- '->' "$out/aae.dot")" -gt 100 ] || fail "too few edges"
if command -v dot >/dev/null; then
  dot -Tsvg "$out/aae.dot" -o "$out/aae.svg" || fail "dot rejects the graph"
  grep -q '<svg' "$out/aae.svg" || fail "no SVG"
  echo "ok: --dot (rendered by $(dot -V 2>&1 | head -1))"
else
  echo "ok: --dot (Graphviz not installed: the text was checked, not rendered)"
fi
