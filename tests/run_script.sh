#!/bin/sh
# Runs a model script briefly and checks that it wrote every output:
#   run_script.sh VAEGRAPH SCRIPT DATA_DIR OUT_DIR [extra options]
set -eu
vaegraph=$1 script=$2 data=$3 out=$4
shift 4
rm -rf "$out"
"$vaegraph" "$script" --epochs 1 --data "$data" --out "$out" --quiet "$@"
for f in metrics.csv reconstructions.png samples.png interpolation.png latent.png checkpoint.safetensors; do
  [ -s "$out/$f" ] || { echo "missing or empty: $out/$f"; exit 1; }
done
for f in "$out"/*.png; do
  head -c 8 "$f" | od -An -tx1 | grep -q '89 50 4e 47 0d 0a 1a 0a' || { echo "not a PNG: $f"; exit 1; }
done
head -1 "$out/metrics.csv" | grep -q '^epoch,train_loss,test_loss,test_rec,test_kl,kl_weight,examples_per_s$' \
  || { echo "metrics.csv columns: $(head -1 "$out/metrics.csv")"; exit 1; }
[ "$(wc -l < "$out/metrics.csv")" -eq 2 ] || { echo "metrics.csv rows"; exit 1; }
ls "$out"/*.tmp 2>/dev/null && { echo "temporary files left behind"; exit 1; }
echo "ok: $script wrote all outputs"
