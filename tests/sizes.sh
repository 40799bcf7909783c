#!/bin/sh
# Image scripts take their sizes from the data: vae.lua and cvae.lua on 8x8
# MNIST-format files write every output at that size; ae.lua refuses 7x7
# images with a message naming the sizes; conv_vae.lua trains on a folder
# of 32x32 colour PNGs and draws in colour. The test makes the data itself.
#   sizes.sh VAEGRAPH GRAPHS_DIR TESTS_DIR WORK_DIR
set -eu
vaegraph=$1 graphs=$2 tests=$3 work=$4
rm -rf "$work" && mkdir -p "$work"
cd "$work"
"$vaegraph" "$tests/lua/make_data.lua" idx idx8 8 1000 > /dev/null
"$vaegraph" "$tests/lua/make_data.lua" idx idx7 7 400 > /dev/null
"$vaegraph" "$tests/lua/make_data.lua" png rgb32 32 300 3 3 > /dev/null

# Width, height and colour type (0 grey, 2 RGB) from a PNG's IHDR chunk.
png_info() { od -An -tu1 -j16 -N10 "$1" | awk '{ print $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8, $10 }'; }
want() { # FILE "W H TYPE"
  got=$(png_info "$1")
  [ "$got" = "$2" ] || { echo "$1: $got, want $2"; exit 1; }
}

for script in vae cvae; do
  "$vaegraph" "$graphs/$script.lua" --data idx8 --epochs 1 --quiet --out "$script"
  for f in metrics.csv reconstructions.png samples.png interpolation.png latent.png curves.png checkpoint.safetensors; do
    [ -s "$script/$f" ] || { echo "$script: missing $f"; exit 1; }
  done
  # 8x8 images enlarged 4 times, 8 a row with 1-pixel gaps: 4 * (8*8 + 9).
  want "$script/reconstructions.png" "292 292 0"
done
# vae: 8 rows of 8 samples; cvae: a row per class (10).
want vae/samples.png "292 292 0"
want cvae/samples.png "292 364 0"
[ "$(wc -l < vae/test_scores.csv)" -eq 251 ] || { echo "vae: test_scores.csv has $(wc -l < vae/test_scores.csv) lines, want 251"; exit 1; }

if "$vaegraph" "$graphs/ae.lua" --data idx7 --epochs 1 --quiet --out ae7 2> ae7.err; then
  echo "ae.lua trained on 7x7 images"; exit 1
fi
grep -q "ae.lua:[0-9]*: this network halves the images twice, so their sides must be multiples of 4 (both odd or both even multiples); idx7 has 7x7 images" ae7.err ||
  { echo "ae.lua on 7x7: $(cat ae7.err)"; exit 1; }

"$vaegraph" "$graphs/conv_vae.lua" --data rgb32 --epochs 1 --batch 32 --quiet --out conv
# 30 test images: three groups of 8 over their reconstructions.
want conv/reconstructions.png "$((2 * (8 * 32 + 9))) $((2 * (6 * 32 + 7))) 2"
want conv/samples.png "$((2 * (8 * 32 + 9))) $((2 * (4 * 32 + 5))) 2"
grep -q "cat" conv/metrics.csv && { echo "class names in metrics.csv?"; exit 1; }
echo "ok: sizes from the data"
