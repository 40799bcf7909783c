#!/usr/bin/env bash
# graphs/multvae.lua beside its PyTorch peer (bench/torch_multvae.py): the same
# users and split (bench/ratings_split.lua writes vaegraph's for the peer),
# network, schedule, batch, optimizer and epochs; vaegraph then PyTorch,
# PAIRS times (default 3). Prints each pair's test Recall@20, Recall@50,
# NDCG@100 beside the popularity baseline's, and the median rates and ratio.
# Options after the second argument go to vaegraph (e.g. --data u.data).
#   [PAIRS=N] bench/compare_multvae.sh [epochs] [threads] [options]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/openblas_core.sh
epochs=${1:-50}
threads=${2:-2}
pairs=${PAIRS:-3}
shift $(( $# < 2 ? $# : 2 ))
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
vaegraph=${VAEGRAPH:-build/vaegraph}
"$vaegraph" bench/ratings_split.lua --out "$out/data" "$@" > "$out/split.txt"
echo "== vaegraph graphs/multvae.lua ($("$vaegraph" --version)), $epochs epochs, $threads threads $*"
echo "== PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'), OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(detected)}"
echo "== $pairs pairs, each vaegraph then PyTorch; CPU: $(lscpu | sed -n 's/^Model name: *//p'); $(head -1 "$out/split.txt")"
for ((p = 1; p <= pairs; p++)); do
  OMP_NUM_THREADS=$threads "$vaegraph" graphs/multvae.lua --epochs "$epochs" --threads "$threads" --out "$out/data" --quiet "$@"
  cp "$out/data/metrics.csv" "$out/vg$p.csv"
  OMP_NUM_THREADS=$threads /usr/bin/python3 bench/torch_multvae.py "$out/split.txt" --epochs "$epochs" --threads "$threads" \
    > "$out/pt$p.csv"
  echo "pair $p done"
done
/usr/bin/python3 - "$out" "$pairs" <<'PY'
import csv, statistics, sys
out, pairs = sys.argv[1], int(sys.argv[2])
rows = lambda f: list(csv.DictReader(open(f)))
rate = lambda rs: sum(float(r["examples_per_s"]) for r in rs) / len(rs)
ratios, vr, pr = [], [], []
for p in range(1, pairs + 1):
    vg, pt = rows(f"{out}/vg{p}.csv"), rows(f"{out}/pt{p}.csv")
    v, t = vg[-1], pt[-1]
    cells = []
    for m in ("recall20", "recall50", "ndcg100"):
        a, b = float(v["test_" + m]), float(t["test_" + m])
        cells.append(f"{m} {a:.4f} vs {b:.4f} ({100 * (a / b - 1):+.2f}%; popularity {float(v['popularity_' + m]):.4f})")
    vr.append(rate(vg)), pr.append(rate(pt)), ratios.append(rate(vg) / rate(pt))
    print(f"multvae pair {p}, after {v['epoch']} epochs, vaegraph vs PyTorch: " + "; ".join(cells)
          + f"; users/s {rate(vg):.0f} vs {rate(pt):.0f} ({ratios[-1]:.2f}x)")
med = statistics.median
print(f"multvae: training users/s, medians of {pairs}: vaegraph {med(vr):.0f}, PyTorch {med(pr):.0f}; "
      f"median ratio {med(ratios):.2f}x (range {min(ratios):.2f}-{max(ratios):.2f})")
PY
