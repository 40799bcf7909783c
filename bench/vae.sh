#!/usr/bin/env bash
# graphs/vae.lua beside the same VAE in PyTorch: same data, batch, optimizer,
# epochs and thread count, run one after the other on a quiet machine.
#   bench/vae.sh [epochs] [threads]
set -euo pipefail
cd "$(dirname "$0")/.."
epochs=${1:-10}
threads=${2:-2}
out=$(mktemp -d)
vaegraph=${VAEGRAPH:-build/vaegraph}
echo "== vaegraph ($epochs epochs, $threads threads)"
OMP_NUM_THREADS=$threads "$vaegraph" graphs/vae.lua --epochs "$epochs" --threads "$threads" --out "$out/vg" --quiet
cat "$out/vg/metrics.csv"
echo "== PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')"
OMP_NUM_THREADS=$threads /usr/bin/python3 bench/torch_vae.py --epochs "$epochs" --threads "$threads" | tee "$out/torch.csv"
/usr/bin/python3 - "$out/vg/metrics.csv" "$out/torch.csv" <<'PY'
import csv, sys
vg = list(csv.DictReader(open(sys.argv[1])))
pt = list(csv.DictReader(open(sys.argv[2])))
v, p = vg[-1], pt[-1]
rate_v = sum(float(r["examples_per_s"]) for r in vg) / len(vg)
rate_p = sum(float(r["examples_per_s"]) for r in pt) / len(pt)
print(f"test loss after {v['epoch']} epochs: vaegraph {float(v['test_loss']):.3f}, PyTorch {float(p['test_loss']):.3f}, "
      f"difference {100 * (float(v['test_loss']) / float(p['test_loss']) - 1):+.2f}%")
print(f"training examples/s (mean over epochs): vaegraph {rate_v:.0f}, PyTorch {rate_p:.0f}, ratio {rate_v / rate_p:.2f}x")
PY
rm -rf "$out"
