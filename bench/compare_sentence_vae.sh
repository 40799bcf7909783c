#!/usr/bin/env bash
# graphs/sentence_vae.lua beside its PyTorch peer (bench/torch_sentence_vae.py):
# Penn Treebank's valid file to train on (vocabulary from it), its test file
# to test on, the same model, schedule, batch, epochs and threads, one after
# the other. Run it on a quiet machine: figures taken beside a build or tests
# are void.
#   bench/compare_sentence_vae.sh [epochs] [threads] [ptb dir]
set -euo pipefail
cd "$(dirname "$0")/.."
epochs=${1:-5}
threads=${2:-2}
ptb=${3:-../shared/data/ptb}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
vaegraph=${VAEGRAPH:-build/vaegraph}
echo "== vaegraph graphs/sentence_vae.lua, $epochs epochs, $threads threads"
OMP_NUM_THREADS=$threads "$vaegraph" graphs/sentence_vae.lua --data "$ptb" --min-count 1 --epochs "$epochs" \
  --threads "$threads" --out "$out/vg" --quiet 2>/dev/null
cat "$out/vg/metrics.csv"
echo "== PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')"
OMP_NUM_THREADS=$threads /usr/bin/python3 bench/torch_sentence_vae.py --train "$ptb/ptb.valid.txt" --test "$ptb/ptb.test.txt" \
  --epochs "$epochs" --threads "$threads" | tee "$out/torch.csv"
/usr/bin/python3 - "$out/vg/metrics.csv" "$out/torch.csv" <<'PY'
import csv, sys
vg, pt = list(csv.DictReader(open(sys.argv[1]))), list(csv.DictReader(open(sys.argv[2])))
v, p = vg[-1], pt[-1]
for col in ("test_nll", "test_kl", "test_ppl"):
    lv, lp = float(v[col]), float(p[col])
    print(f"sentence_vae: {col} after {v['epoch']} epochs: vaegraph {lv:.3f}, PyTorch {lp:.3f} ({100 * (lv / lp - 1):+.2f}%)")
rv = sum(float(r["examples_per_s"]) for r in vg) / len(vg)
rp = sum(float(r["sentences_per_s"]) for r in pt) / len(pt)
print(f"sentence_vae: training sentences/s: vaegraph {rv:.1f}, PyTorch {rp:.1f}, ratio {rv / rp:.2f}x")
PY
