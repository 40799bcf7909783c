#!/bin/sh
# Data-parallel training: `mpirun -np 2` gives the losses and test scores of
# a one-process run with the same global batch (to 1e-5 relative), is
# deterministic, and resumes at another rank count; for SCRIPT with options
# (a name under graphs/, or a path from SOURCE_DIR).
#   mpi.sh VAEGRAPH SOURCE_DIR OUT_DIR SCRIPT [script options]
set -eu
vg=$1 src=$2 out=$3 script=$4
shift 4
command -v mpirun >/dev/null || { echo "SKIP: mpirun is not installed (scripts/setup.sh installs openmpi-bin)"; exit 77; }
rm -rf "$out"
mkdir -p "$out"
"$vg" "$src/tests/lua/make_data.lua" idx "$out/data" 28 512 >/dev/null
# mpirun refuses root unless told; --oversubscribe: two ranks on fewer cores.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
case $script in
  */*) path=$src/$script ;;
  *) path=$src/graphs/$script.lua ;;
esac
run="$path --data $out/data --quiet --threads 1 $*"
fail() { echo "FAIL: $*"; exit 1; }
# Every number of two CSV files within 1e-5 relative (1e-6 absolute).
same() {
  awk -F, -v what="$3" 'NR == FNR { a[FNR] = $0; next }
    { n = split(a[FNR], x, ","); if (n != NF) { print what ": line " FNR " has " NF " fields, not " n; bad = 1; exit }
      for (i = 1; i <= NF; i++) if (x[i] != $i) {
        if (FNR == 1 || $i == "" || x[i] == "") { print what ": line " FNR " field " i ": " x[i] " vs " $i; bad = 1; exit }
        d = x[i] - $i; if (d < 0) d = -d; m = (x[i] < 0 ? -x[i] : x[i]); if (d > 1e-5 * m + 1e-6) {
          print what ": line " FNR " field " i ": " x[i] " vs " $i; bad = 1; exit } } }
    END { exit bad }' "$1" "$2"
}
# The speed column differs by design.
metrics() { cut -d, -f1-$(($(head -1 "$1" | tr ',' '\n' | grep -n examples_per_s | cut -d: -f1) - 1)) "$1"; }

"$vg" $run --epochs 2 --out "$out/one"
mpirun -np 2 "$vg" $run --epochs 2 --out "$out/two"
metrics "$out/one/metrics.csv" > "$out/one.csv"
metrics "$out/two/metrics.csv" > "$out/two.csv"
same "$out/one.csv" "$out/two.csv" metrics || fail "2 ranks differ from 1"
if [ -f "$out/one/test_scores.csv" ]; then same "$out/one/test_scores.csv" "$out/two/test_scores.csv" test_scores || fail "scores"; fi
echo "2 ranks = 1 rank: $(tail -1 "$out/two.csv")"
# Deterministic at a given rank count: the same checkpoint, bit for bit.
mpirun -np 2 "$vg" $run --epochs 2 --out "$out/two_again"
cmp -s "$out/two/checkpoint.safetensors" "$out/two_again/checkpoint.safetensors" || fail "two 2-rank runs differ"
# Resumed at another rank count: 1 epoch on 2 ranks, the second on 1.
mpirun -np 2 "$vg" $run --epochs 1 --out "$out/switch"
"$vg" $run --epochs 2 --out "$out/switch" --resume "$out/switch/checkpoint.safetensors"
metrics "$out/switch/metrics.csv" > "$out/switch.csv"
same "$out/one.csv" "$out/switch.csv" "resumed on 1 rank" || fail "resume at another rank count"
# Only rank 0 writes: one row per epoch.
[ "$(wc -l < "$out/two/metrics.csv")" -eq 3 ] || fail "metrics.csv rows: $(wc -l < "$out/two/metrics.csv")"
echo "ok: $script on 2 ranks matches 1 rank, is deterministic and resumes on 1"
