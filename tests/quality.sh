#!/bin/sh
# --quality: one epoch of a script with its samples and codes scored by a
# judge (a classifier checkpoint), then the checkpoint scored again at
# another thread count, which must print the same scores; the scores must
# lie in their ranges, and the columns must be those the script's kind has.
# SCORER (bench/score_samples.lua) checks a --save-samples file.
#   quality.sh VAEGRAPH SCRIPT DATA JUDGE WORK "COLUMNS" [options]
set -eu
vaegraph=$1 script=$2 data=$3 judge=$4 work=$5 columns=$6
shift 6
rm -rf "$work"
"$vaegraph" "$script" --data "$data" --epochs 1 --limit 1000 --quality --judge "$judge" --threads 2 --out "$work" "$@" > "$work.log"
scores() { grep -o '\(sample_[a-z]*\|code_fd\) [^ ]*' "$1" | tr '\n' ' '; }
first=$(scores "$work.log")
for c in $columns; do
  echo "$first" | grep -q "$c " || { echo "no $c in: $first"; exit 1; }
  head -1 "$work/metrics.csv" | tr ',' '\n' | grep -qx "$c" || { echo "metrics.csv lacks $c: $(head -1 "$work/metrics.csv")"; exit 1; }
done
# Ranges: distances positive; the class entropy between 0 and ln 10;
# an accuracy between 0 and 1.
echo "$first" | awk '{
  for (i = 1; i < NF; i += 2) {
    v = $(i + 1)
    if ($i ~ /_fd$/ && !(v > 0)) { print $i " = " v ", want > 0"; exit 1 }
    if ($i == "sample_classes" && !(v >= 0 && v <= 2.3026)) { print $i " = " v ", want in [0, ln 10]"; exit 1 }
    if ($i == "sample_accuracy" && !(v >= 0 && v <= 1)) { print $i " = " v ", want in [0, 1]"; exit 1 }
  } }'
"$vaegraph" "$script" --data "$data" --limit 1000 --resume "$work/checkpoint.safetensors" --eval-only --quality \
  --judge "$judge" --threads 1 --out "$work/again" "$@" > "$work.again.log"
again=$(scores "$work.again.log")
[ "$first" = "$again" ] || { printf 'scores differ:\n  %s\n  %s\n' "$first" "$again"; exit 1; }
# With --save-samples, the samples' file scored on its own (8-bit pixels)
# gives nearly the same distance (within 5%: rounding to 8 bits moves
# the distance of a thousand samples from a one-epoch model by ~3%).
if [ -e "$work/samples-idx3-ubyte" ]; then
  "$vaegraph" "$SCORER" --samples "$work/samples-idx3-ubyte" --judge "$judge" --data "$data" --limit 1000 > "$work.file.log"
  file_fd=$(grep -o 'sample_fd [^ ]*' "$work.file.log" | cut -d' ' -f2)
  run_fd=$(echo "$first" | grep -o 'sample_fd [^ ]*' | cut -d' ' -f2)
  awk -v a="$file_fd" -v b="$run_fd" 'BEGIN { d = a - b; if (d < 0) d = -d; if (!(d <= 0.05 * b)) { print "file " a ", run " b; exit 1 } }'
  first="$first file_fd $file_fd"
fi
echo "ok: $first"
