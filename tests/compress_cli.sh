#!/bin/sh
# Images held compressed in memory (--compress) train the same run as
# images held as bytes: every metric (but the speed) and the final
# checkpoint, byte for byte; --plan's data line says which each run held,
# the flag overriding the script either way.
#   compress_cli.sh VAEGRAPH SCRIPT DATA_DIR OUT_DIR [script options]
set -eu
. "$(dirname "$0")/same_run.sh"
vg=$1 script=$2 data=$3 out=$4
shift 4
rm -rf "$out"
for compress in false true; do
  held=$("$vg" "$script" --data "$data" --plan --compress=$compress "$@" | grep '^data: ')
  want=bytes
  [ $compress = true ] && want=compressed
  [ "$(echo "$held" | grep -o "($want)" | wc -l)" = 2 ] || { echo "--compress=$compress: $held"; exit 1; }
  "$vg" "$script" --data "$data" --epochs 2 --seed 5 --quiet --compress=$compress --out "$out/$compress" "$@"
done
same_run "$out/false" "$out/true"
echo "ok: compressed images train the same run as bytes"
