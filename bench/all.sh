#!/usr/bin/env bash
# Every compared model beside its PyTorch peer (bench/compare.sh: vaegraph,
# PyTorch, vaegraph, PyTorch, ... PAIRS times, default 3; the peer on this
# CPU's widest OpenBLAS kernel), then one table: median training rates and
# their ratio, the test figure of each side, peak resident memory, and
# vaegraph's rate against its FLOP-bound limit (training GFLOP per example
# from --plan, against bench_gemm's 1024^3 GFLOP/s on this CPU). Writes
# bench/results.md and puts the table into README.md between its markers.
# Run on a quiet machine: hours for the full list. MODELS="vae aae" limits it;
# the table keeps the other models' rows from the last run that measured
# them, each row dated.
#   [PAIRS=N] [MODELS="..."] bench/all.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/openblas_core.sh
vaegraph=${VAEGRAPH:-build/vaegraph}
all_models="vae cvae ae conv_vae aae gumbel_vae vq_vae semisup_vae sentence_vae"
models=${MODELS:-$all_models}
# Epochs per model: those of the issues that compared them.
declare -A EPOCHS=([sentence_vae]=5 [vae]=10 [cvae]=10 [ae]=3 [conv_vae]=3 [aae]=10 [gumbel_vae]=5 [vq_vae]=5 [semisup_vae]=5)
export PAIRS=${PAIRS:-3}
log=$(mktemp)
trap 'rm -f "$log" "$log.plan"' EXIT

# The CPU each row was measured on, short: rows of earlier runs may differ.
# The model name alone can hide which: AMD's EPYCs here were a Zen 3 with
# AVX2 and a Zen 5 with AVX-512. The CPU family and the kernels in use tell.
cpu=$(lscpu | sed -n 's/^Model name: *//p' | sed 's/([^)]*)//g; s/ Processor//; s/ [0-9]*-Core.*//; s/  */ /g; s/ *$//')
cpu="$cpu (family $(lscpu | sed -n 's/^CPU family: *//p'), $("$vaegraph" --version | sed -n 's/.*kernels \([a-z0-9]*\).*/\1/p'))"
peak=$(OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 build/bench_gemm 50 3 | awk '$1 == "square" { print $5 }')
echo "== bench_gemm 1024^3: vaegraph $peak GFLOP/s; CPU: $(lscpu | sed -n 's/^Model name: *//p')"
rows=""
for m in $models; do
  e=${EPOCHS[$m]:-5}
  if [ "$m" = sentence_vae ]; then
    # Penn Treebank's valid sentences to train on, its test sentences to test.
    bench/compare_sentence_vae.sh "$e" 2 | tee -a "$log"
  else
    bench/compare.sh "$m" "$e" 2 | tee -a "$log"
  fi
  "$vaegraph" --plan "graphs/$m.lua" > "$log.plan"
  rows+=$(python3 - "$m" "$e" "$peak" "$log" "$cpu" <<'PY'
import re, sys
m, e, peak, log, cpu = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4], sys.argv[5]
# Training GFLOP per example: the phases' plans (not the evaluation's) over the batch.
gflop_step, name, batch = 0.0, None, None
for line in open(log + ".plan"):
    if line.startswith("plan '"):
        name = line.split("'")[1]
    elif "GFLOP per step" in line and name != "eval":
        gflop_step += float(line.split()[0])
    elif batch is None and re.match(r"\s+0\s", line):
        batch = int(re.search(r"\[(\d+)", line).group(1))
lines = [l for l in open(log) if l.startswith(m + ":") or l.startswith(m + " pair")]
summary = [l for l in lines if l.startswith(m + ":")][-1]
rates = re.search(r"vaegraph (\d+), PyTorch (\d+); median ratio ([\d.]+)x \(range ([\d.]+)-([\d.]+)\); peak memory MB (\d+) vs (\d+)", summary)
vg, pt, ratio, lo, hi, mv, mp = rates.groups()
figure = re.search(r"vs PyTorch: ([^;]*)", [l for l in lines if " pair " in l][-1])
limit = peak / (gflop_step / batch)  # examples/s if every FLOP ran at bench_gemm's peak
# A sentence batch is as long as its longest sentence, which the plan's
# bound (the longest allowed) overstates: no FLOP-bound figure for it.
bound = "n/a (lengths vary)" if m == "sentence_vae" else f"{100 * int(vg) / limit:.0f}% of {limit:,.0f}"
print(f"| `{m}.lua` | {e} | {figure.group(1) if figure else ''} | {int(vg):,} vs {int(pt):,} | **{ratio}x** ({lo}-{hi}) "
      f"| {bound} | {mv} vs {mp} MB | {__import__('datetime').date.today()}, {cpu} |")
PY
)$'\n'
done
# This run's rows replace those of the same models; the others stay.
rows=$(python3 - "$all_models" "$rows" <<'PY'
import os, re, sys
order, new = sys.argv[1].split(), sys.argv[2]
key = lambda line: (re.match(r"\| `(\w+)\.lua`", line) or [None, None])[1]
kept = {}
if os.path.exists("bench/results.md"):
    for line in open("bench/results.md"):
        if key(line):
            kept[key(line)] = line.rstrip("\n")
for line in new.splitlines():
    if key(line):
        kept[key(line)] = line
print("\n".join(kept[m] for m in order if m in kept))
PY
)
table="| model | epochs | test figure, vaegraph vs PyTorch (last pair) | training examples/s, medians | ratio (range) | vaegraph against its FLOP-bound limit | peak memory | measured |
| --- | --- | --- | --- | --- | --- | --- | --- |
$rows
"
{ echo "At 2 threads, $PAIRS interleaved pairs per model; rows dated and named by CPU, each from the last run that measured it. This run: $(lscpu | sed -n 's/^Model name: *//p'), PyTorch with OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-its own guess}, bench_gemm 1024^3 $peak GFLOP/s (the FLOP-bound limits of this run's rows)."; echo; printf '%s' "$table"; } > bench/results.md
python3 - <<'PY'
import re
readme, table = open("README.md").read(), open("bench/results.md").read()
start, end = "<!-- bench/all.sh -->", "<!-- /bench/all.sh -->"
if start in readme:
    readme = re.sub(re.escape(start) + ".*?" + re.escape(end), start + "\n" + table + end, readme, flags=re.S)
    open("README.md", "w").write(readme)
    print("README.md: table replaced")
else:
    print("README.md has no " + start + " marker; the table is in bench/results.md")
PY
cat bench/results.md
