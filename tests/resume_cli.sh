#!/bin/sh
# Through the program: a run stopped after epoch 1 and resumed (without
# repeating --seed) ends with the same checkpoint as an uninterrupted one;
# resuming with another seed or batch is refused.
#   resume_cli.sh VAEGRAPH SCRIPT DATA_DIR OUT_DIR [script options]
set -eu
vg=$1 script=$2 data=$3 out=$4
shift 4
rm -rf "$out"
common="--data $data --limit 1024 --quiet $*"
"$vg" "$script" $common --epochs 2 --seed 7 --out "$out/straight"
"$vg" "$script" $common --epochs 1 --seed 7 --out "$out/resumed"
"$vg" "$script" $common --epochs 2 --out "$out/resumed" --resume "$out/resumed/checkpoint.safetensors"
cmp "$out/straight/checkpoint.safetensors" "$out/resumed/checkpoint.safetensors" || { echo "resumed run differs"; exit 1; }
# A run that already did its epochs says so rather than "resumed" and nothing.
if "$vg" "$script" $common --epochs 2 --out "$out/resumed" --resume "$out/resumed/checkpoint.safetensors" 2>"$out/err"; then
  echo "resuming a finished run succeeded"; exit 1
fi
grep -q "checkpoint.safetensors has trained 2 epochs already, and this run asks for 2: nothing to do (give --epochs N, N > 2, to train further, or --eval-only to evaluate it)" "$out/err" || { cat "$out/err"; exit 1; }
if "$vg" "$script" $common --epochs 3 --seed 8 --out "$out/other" --resume "$out/resumed/checkpoint.safetensors" 2>"$out/err"; then
  echo "a different seed was accepted"; exit 1
fi
grep -q "seed 8, but the checkpoint was trained with seed 7" "$out/err" || { cat "$out/err"; exit 1; }
if "$vg" "$script" $common --epochs 3 --batch 64 --out "$out/other" --resume "$out/resumed/checkpoint.safetensors" 2>"$out/err"; then
  echo "a different batch was accepted"; exit 1
fi
grep -q "was trained with batch [0-9]* and limit 1024; this run has batch 64" "$out/err" || { cat "$out/err"; exit 1; }
echo "ok: resume through the program is exact"
