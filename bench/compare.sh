#!/usr/bin/env bash
# A vaegraph model script beside its PyTorch peer (bench/torch_peer.py): same
# model, data, batch, optimizer, epochs and threads. The two run in turn,
# vaegraph then PyTorch, PAIRS times (default 3), so that a drift in the
# machine's speed falls on both; the summary gives each side's median
# training rate and the median of the pairs' ratios, and each pair's test
# figures after the last epoch.
# Run it on a quiet machine: figures taken beside a build or tests are void.
# PyTorch's linear layers go through Debian's OpenBLAS, which takes some
# CPUs for older ones than they are: bench/openblas_core.sh sets
# OPENBLAS_CORETYPE to this CPU's widest kernel (SkylakeX with AVX-512) to
# give the peer its best; the header says which.
#   [PAIRS=N] bench/compare.sh MODEL [epochs] [threads] [script options]
#   MODEL: vae ae conv_vae aae gumbel_vae vq_vae semisup_vae
#   (semisup_vae: --model m2|head|classifier among the options)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/openblas_core.sh
model=${1:?usage: [PAIRS=N] bench/compare.sh MODEL [epochs] [threads] [script options]}
epochs=${2:-10}
threads=${3:-2}
pairs=${PAIRS:-3}
shift $(( $# < 3 ? $# : 3 ))
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
vaegraph=${VAEGRAPH:-build/vaegraph}
peer=()
if [ "$model" = semisup_vae ]; then
  # The same labelled subset: the one vaegraph's seed chose.
  "$vaegraph" bench/labelled_indices.lua > "$out/labelled.txt"
  kind=m2
  for ((i = 1; i <= $#; i++)); do [ "${!i}" = --model ] && { j=$((i + 1)); kind=${!j}; }; done
  peer=(--labelled-file "$out/labelled.txt" --model-kind "$kind")
fi
# The importance-sampled likelihood: both sides estimate it after the last epoch.
for ((i = 1; i <= $#; i++)); do [ "${!i}" = --eval-ll ] && { j=$((i + 1)); peer+=(--eval-ll "${!j}"); }; done
echo "== vaegraph graphs/$model.lua ($("$vaegraph" --version)), $epochs epochs, $threads threads $*"
echo "== PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'), OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(detected)}"
echo "== $pairs pairs, each vaegraph then PyTorch; CPU: $(lscpu | sed -n 's/^Model name: *//p')"
for ((p = 1; p <= pairs; p++)); do
  # Peak resident memory of each run (kB), from GNU time.
  OMP_NUM_THREADS=$threads /usr/bin/time -f %M -o "$out/vg$p.rss" "$vaegraph" "graphs/$model.lua" --epochs "$epochs" \
    --threads "$threads" --out "$out/vg$p" --quiet "$@"
  cp "$out/vg$p/metrics.csv" "$out/vg$p.csv"
  OMP_NUM_THREADS=$threads /usr/bin/time -f %M -o "$out/pt$p.rss" /usr/bin/python3 bench/torch_peer.py "$model" \
    --epochs "$epochs" --threads "$threads" "${peer[@]}" > "$out/pt$p.csv"
  echo "pair $p done"
done
/usr/bin/python3 - "$out" "$pairs" "$model" <<'PY'
import csv, statistics, sys
out, pairs, model = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = lambda f: list(csv.DictReader(open(f)))
rate = lambda rs: sum(float(r["examples_per_s"]) for r in rs) / len(rs)
vg_rates, pt_rates, ratios = [], [], []
for p in range(1, pairs + 1):
    vg, pt = rows(f"{out}/vg{p}.csv"), rows(f"{out}/pt{p}.csv")
    v, t = vg[-1], pt[-1]
    figures = []
    for col in ("test_loss", "test_rec", "test_accuracy", "test_perplexity", "test_nll_is"):
        if v.get(col) and t.get(col):
            lv, lp = float(v[col]), float(t[col])
            figures.append(f"{col} {lv:.4f} vs {lp:.4f} ({100 * (lv / lp - 1):+.2f}%)")
    for c in (k for k in v if k.startswith("disc_acc")):
        figures.append(f"{c} by epoch {[round(float(r[c]), 3) for r in vg]} vs {[round(float(r[c]), 3) for r in pt]}")
    vg_rates.append(rate(vg)), pt_rates.append(rate(pt)), ratios.append(rate(vg) / rate(pt))
    print(f"{model} pair {p}, after {v['epoch']} epochs, vaegraph vs PyTorch: " + "; ".join(figures)
          + f"; examples/s {rate(vg):.0f} vs {rate(pt):.0f} ({ratios[-1]:.2f}x)")
med = statistics.median
rss = lambda side: med(int(open(f"{out}/{side}{p}.rss").read().split()[-1]) / 1024 for p in range(1, pairs + 1))
print(f"{model}: training examples/s, medians of {pairs}: vaegraph {med(vg_rates):.0f}, PyTorch {med(pt_rates):.0f}; "
      f"median ratio {med(ratios):.2f}x (range {min(ratios):.2f}-{max(ratios):.2f}); "
      f"peak memory MB {rss('vg'):.0f} vs {rss('pt'):.0f}")
PY
