#!/bin/sh
# Runs a model script for one epoch and checks that it wrote what it should:
#   run_script.sh VAEGRAPH SCRIPT DATA_DIR OUT_DIR "FILES" "COLUMNS" [options]
# FILES: the outputs expected (space-separated); COLUMNS: metrics.csv's header.
set -eu
vaegraph=$1 script=$2 data=$3 out=$4 files=$5 columns=$6
shift 6
rm -rf "$out"
"$vaegraph" "$script" --epochs 1 --data "$data" --out "$out" --quiet "$@"
for f in $files; do
  [ -s "$out/$f" ] || { echo "missing or empty: $out/$f"; exit 1; }
done
for f in "$out"/*.png; do
  [ -e "$f" ] || continue
  head -c 8 "$f" | od -An -tx1 | grep -q '89 50 4e 47 0d 0a 1a 0a' || { echo "not a PNG: $f"; exit 1; }
done
[ "$(head -1 "$out/metrics.csv")" = "$columns" ] || { echo "metrics.csv columns: $(head -1 "$out/metrics.csv"), want $columns"; exit 1; }
[ "$(wc -l < "$out/metrics.csv")" -eq 2 ] || { echo "metrics.csv rows"; exit 1; }
if ls "$out"/*.tmp >/dev/null 2>&1; then echo "temporary files left behind"; exit 1; fi
tail -1 "$out/metrics.csv" | grep -qi 'nan\|inf' && { echo "non-finite metrics: $(tail -1 "$out/metrics.csv")"; exit 1; }
echo "ok: $script wrote $files"
