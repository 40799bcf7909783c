#!/bin/sh
# The same seed gives the same run at 1 and 2 threads: every metric (but the
# speed) and the final checkpoint, byte for byte.
#   threads_cli.sh VAEGRAPH SCRIPT DATA_DIR OUT_DIR [script options]
set -eu
. "$(dirname "$0")/same_run.sh"
vg=$1 script=$2 data=$3 out=$4
shift 4
rm -rf "$out"
for t in 1 2; do
  "$vg" "$script" --data "$data" --epochs 2 --seed 3 --quiet --threads $t --out "$out/t$t" "$@"
done
same_run "$out/t1" "$out/t2"
echo "ok: 1 and 2 threads give the same run"
