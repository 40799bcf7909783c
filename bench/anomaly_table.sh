#!/usr/bin/env bash
# graphs/anomaly.lua beside its PyTorch peer (bench/torch_anomaly.py) on
# Fashion-MNIST's one-class protocol: for each class as the normal one,
# vaegraph then PyTorch, EPOCHS each (default 10); prints a markdown table of
# the AUROC of the negative ELBO and of the reconstruction error, and the
# training rates. Run it on a quiet machine.
#   bench/anomaly_table.sh [epochs] [threads]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/openblas_core.sh
epochs=${1:-10}
threads=${2:-2}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
vaegraph=${VAEGRAPH:-build/vaegraph}
names=(T-shirt/top Trouser Pullover Dress Coat Sandal Shirt Sneaker Bag "Ankle boot")
echo "vaegraph ($("$vaegraph" --version)) and PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')" \
  "(OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-detected}), $epochs epochs, $threads threads; CPU: $(lscpu | sed -n 's/^Model name: *//p')"
echo
echo "| normal class | AUROC, negative ELBO | AUROC, reconstruction | training examples/s |"
echo "| --- | --- | --- | --- |"
for c in 0 1 2 3 4 5 6 7 8 9; do
  OMP_NUM_THREADS=$threads "$vaegraph" graphs/anomaly.lua --normal "$c" --epochs "$epochs" --threads "$threads" \
    --out "$out/vg$c" --quiet
  OMP_NUM_THREADS=$threads /usr/bin/python3 bench/torch_anomaly.py --normal "$c" --epochs "$epochs" --threads "$threads" \
    > "$out/pt$c.csv"
  /usr/bin/python3 - "$out/vg$c/metrics.csv" "$out/pt$c.csv" "$c ${names[$c]}" <<'PY'
import csv, sys
vg, pt = list(csv.DictReader(open(sys.argv[1]))), list(csv.DictReader(open(sys.argv[2])))
v, p = vg[-1], pt[-1]
rate = lambda rows: sum(float(r["examples_per_s"]) for r in rows) / len(rows)
print(f"| {sys.argv[3]} | {float(v['auroc_neg_elbo']):.3f} vs {float(p['auroc_neg_elbo']):.3f} | "
      f"{float(v['auroc_rec']):.3f} vs {float(p['auroc_rec']):.3f} | {rate(vg):,.0f} vs {rate(pt):,.0f} ({rate(vg) / rate(pt):.2f}x) |")
PY
done
