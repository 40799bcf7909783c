#!/usr/bin/env bash
# Training beside a busy neighbour (issue 16, point 3): a busy loop pinned to
# one core while SCRIPT trains at the default thread count (which checks
# now and then whether one thread beats all) and at --threads 1, in
# interleaved pairs; then the default against --threads 2 on the idle
# machine. Prints each run's examples/s and the medians' ratios.
#   bench/busy_neighbour.sh SCRIPT [PAIRS] [extra vaegraph options...]
# e.g. bench/busy_neighbour.sh graphs/vae.lua 3 --epochs 2
#      bench/busy_neighbour.sh graphs/aae.lua 3 --epochs 1 --limit 20480
set -euo pipefail
cd "$(dirname "$0")/.."
script=$1
pairs=${2:-3}
shift $(($# >= 2 ? 2 : 1))
vaegraph=${VAEGRAPH:-build/vaegraph}
out=$(mktemp -d)
busy=
cleanup() {
  [ -n "$busy" ] && kill "$busy" 2>/dev/null || true
  rm -rf "$out"
}
trap cleanup EXIT

rate() { # examples/s of the last epoch
  "$vaegraph" "$script" --out "$out" "$@" 2>&1 | sed -n 's/.*examples_per_s \([0-9]*\).*/\1/p' | tail -1
}
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "== $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $script $*"
taskset -c 1 sh -c 'while :; do :; done' &
busy=$!
def=() one=()
for i in $(seq "$pairs"); do
  d=$(rate "$@") o=$(rate --threads 1 "$@")
  echo "busy neighbour, pair $i: default $d, --threads 1 $o examples/s"
  def+=("$d") one+=("$o")
done
kill "$busy"
wait "$busy" 2>/dev/null || true
busy=
md=$(printf '%s\n' "${def[@]}" | median) mo=$(printf '%s\n' "${one[@]}" | median)
idle_d=() idle_t=()
for i in $(seq "$pairs"); do
  d=$(rate "$@") t=$(rate --threads 2 "$@")
  echo "idle, pair $i: default $d, --threads 2 $t examples/s"
  idle_d+=("$d") idle_t+=("$t")
done
mid=$(printf '%s\n' "${idle_d[@]}" | median) mit=$(printf '%s\n' "${idle_t[@]}" | median)
awk -v a="$md" -v b="$mo" -v c="$mid" -v d="$mit" -v s="$script" 'BEGIN {
  printf "%s: busy neighbour, default %d vs --threads 1 %d examples/s (%.2fx); idle, default %d vs --threads 2 %d (%.2fx); medians\n",
    s, a, b, a / b, c, d, c / d }'
