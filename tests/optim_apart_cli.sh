#!/bin/sh
# Each phase taking its optimizer's step inside its backward pass (the
# default) gives the run of the step taken after the phase's run
# (VAEGRAPH_OPTIM_APART=1, as under mpirun): every metric (but the speed)
# and the final checkpoint, byte for byte.
#   optim_apart_cli.sh VAEGRAPH SCRIPT DATA_DIR OUT_DIR [script options]
set -eu
vg=$1 script=$2 data=$3 out=$4
shift 4
rm -rf "$out"
for way in inside apart; do
  if [ $way = apart ]; then
    VAEGRAPH_OPTIM_APART=1 "$vg" "$script" --data "$data" --epochs 2 --seed 5 --quiet --out "$out/$way" "$@"
  else
    "$vg" "$script" --data "$data" --epochs 2 --seed 5 --quiet --out "$out/$way" "$@"
  fi
  cut -d, -f1-$(($(head -1 "$out/$way/metrics.csv" | tr ',' '\n' | wc -l) - 1)) "$out/$way/metrics.csv" > "$out/$way/losses.csv"
done
cmp "$out/inside/losses.csv" "$out/apart/losses.csv" || { diff "$out/inside/losses.csv" "$out/apart/losses.csv"; exit 1; }
cmp "$out/inside/checkpoint.safetensors" "$out/apart/checkpoint.safetensors" || { echo "checkpoints differ"; exit 1; }
echo "ok: the optimizer's step inside the backward pass gives the run of the step after it"
