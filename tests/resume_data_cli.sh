#!/bin/sh
# A sentence VAE's checkpoint records its data (vocabulary and max_len):
# resuming it on other data, whose weights would have the same shapes but
# other meanings, is refused.
#   resume_data_cli.sh VAEGRAPH SCRIPT DATA_DIR OUT_DIR [script options]
set -eu
vg=$1 script=$2 data=$3 out=$4
shift 4
rm -rf "$out"
common="--data $data --limit 256 --quiet $*"
"$vg" "$script" $common --epochs 1 --out "$out/run"
if "$vg" "$script" $common --epochs 2 --max-len 50 --out "$out/run" --resume "$out/run/checkpoint.safetensors" 2>"$out/err"; then
  echo "resuming on other data was accepted"; exit 1
fi
grep -q "was trained on data with vocabulary of [0-9]* words, fnv1a64 [0-9a-f]*, max_len 60; this run's has .*max_len 50" "$out/err" ||
  { cat "$out/err"; exit 1; }
echo "ok: a resume on other data is refused"
