#!/usr/bin/env bash
# A vaegraph model script beside its PyTorch peer (bench/torch_peer.py): same
# model, data, batch, optimizer, epochs and threads, one after the other.
# Run it on a quiet machine: figures taken beside a build or tests are void.
# PyTorch's linear layers go through Debian's OpenBLAS, which takes some
# CPUs for older ones than they are: set OPENBLAS_CORETYPE (SkylakeX on an
# AVX-512 Xeon) to give the peer its best kernel; the line below says which.
#   bench/compare.sh MODEL [epochs] [threads] [script options]
#   MODEL: vae ae conv_vae aae gumbel_vae vq_vae semisup_vae
#   (semisup_vae: --model m2|head|classifier among the options)
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:?usage: bench/compare.sh MODEL [epochs] [threads] [script options]}
epochs=${2:-10}
threads=${3:-2}
shift $(( $# < 3 ? $# : 3 ))
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
vaegraph=${VAEGRAPH:-build/vaegraph}
echo "== vaegraph graphs/$model.lua, $epochs epochs, $threads threads $*"
OMP_NUM_THREADS=$threads "$vaegraph" "graphs/$model.lua" --epochs "$epochs" --threads "$threads" --out "$out/vg" --quiet "$@"
cat "$out/vg/metrics.csv"
peer=()
if [ "$model" = semisup_vae ]; then
  # The same labelled subset: the one vaegraph's seed chose.
  "$vaegraph" bench/labelled_indices.lua > "$out/labelled.txt"
  kind=m2
  for ((i = 1; i <= $#; i++)); do [ "${!i}" = --model ] && { j=$((i + 1)); kind=${!j}; }; done
  peer=(--labelled-file "$out/labelled.txt" --model-kind "$kind")
fi
echo "== PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'), OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(detected)}"
OMP_NUM_THREADS=$threads /usr/bin/python3 bench/torch_peer.py "$model" --epochs "$epochs" --threads "$threads" "${peer[@]}" | tee "$out/torch.csv"
/usr/bin/python3 - "$out/vg/metrics.csv" "$out/torch.csv" "$model" <<'PY'
import csv, sys
vg, pt = list(csv.DictReader(open(sys.argv[1]))), list(csv.DictReader(open(sys.argv[2])))
v, p = vg[-1], pt[-1]
mean = lambda rows: sum(float(r["examples_per_s"]) for r in rows) / len(rows)
for col in ("test_loss", "test_rec", "test_accuracy", "test_perplexity"):
    if col in v and col in p:
        lv, lp = float(v[col]), float(p[col])
        print(f"{sys.argv[3]}: {col} after {v['epoch']} epochs: vaegraph {lv:.4f}, PyTorch {lp:.4f} ({100 * (lv / lp - 1):+.2f}%)")
for c in (k for k in v if k.startswith("disc_acc")):
    print(f"{sys.argv[3]}: {c} by epoch: vaegraph {[round(float(r[c]), 3) for r in vg]}, PyTorch {[round(float(r[c]), 3) for r in pt]}")
print(f"{sys.argv[3]}: training examples/s: vaegraph {mean(vg):.0f}, PyTorch {mean(pt):.0f}, ratio {mean(vg) / mean(pt):.2f}x")
PY
