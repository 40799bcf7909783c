#!/usr/bin/env bash
# One process with 2 threads against 2 MPI ranks with 1 thread each, same
# model, data and global batch: training examples/s of the last epoch (from
# metrics.csv), in interleaved pairs (A B A B ...), medians and the ratio.
#   bench/mpi_speed.sh SCRIPT [PAIRS] [vaegraph options]
#   bench/mpi_speed.sh vae 3 --epochs 2
set -euo pipefail
cd "$(dirname "$0")/.."
script=$1 pairs=${2:-3}
shift 2 || shift $#
vg=${VAEGRAPH:-build/vaegraph}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
rate() { tail -1 "$1/metrics.csv" | awk -F, '{ print $NF }'; }
one=() two=()
for i in $(seq "$pairs"); do
  "$vg" "graphs/$script.lua" --threads 2 --quiet --out "$work/one" "$@"
  one+=("$(rate "$work/one")")
  mpirun -np 2 "$vg" "graphs/$script.lua" --threads 1 --quiet --out "$work/two" "$@"
  two+=("$(rate "$work/two")")
  echo "pair $i: 1 rank x 2 threads ${one[-1]}, 2 ranks x 1 thread ${two[-1]} examples/s"
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
m1=$(median "${one[@]}") m2=$(median "${two[@]}")
echo "$script: 1 rank x 2 threads $m1, 2 ranks x 1 thread $m2 examples/s (medians of $pairs); ratio $(awk -v a="$m2" -v b="$m1" 'BEGIN { printf "%.2f", a / b }')"
