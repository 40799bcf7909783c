#!/bin/sh
# The same seed gives the same run at 1 and 2 threads: every metric (but the
# speed) and the final checkpoint, byte for byte.
#   threads_cli.sh VAEGRAPH SCRIPT DATA_DIR OUT_DIR [script options]
set -eu
vg=$1 script=$2 data=$3 out=$4
shift 4
rm -rf "$out"
for t in 1 2; do
  "$vg" "$script" --data "$data" --epochs 2 --seed 3 --quiet --threads $t --out "$out/t$t" "$@"
  cut -d, -f1-$(($(head -1 "$out/t$t/metrics.csv" | tr ',' '\n' | wc -l) - 1)) "$out/t$t/metrics.csv" > "$out/t$t/losses.csv"
done
cmp "$out/t1/losses.csv" "$out/t2/losses.csv" || { diff "$out/t1/losses.csv" "$out/t2/losses.csv"; exit 1; }
cmp "$out/t1/checkpoint.safetensors" "$out/t2/checkpoint.safetensors" || { echo "checkpoints differ"; exit 1; }
echo "ok: 1 and 2 threads give the same run"
