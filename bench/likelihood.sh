#!/usr/bin/env bash
# vae.lua's importance-sampled log-likelihood beside the PyTorch peer's: each
# trains the same VAE for EPOCHS (default 10), then estimates -log p(x) on
# the test set with K samples per example for each K listed (default
# 1,50,5000), timing each estimate. vaegraph estimates from the checkpoint
# (--resume --eval-only --eval-ll K). Run it on a quiet machine.
#   bench/likelihood.sh [epochs] [threads] [K,K,...]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/openblas_core.sh
epochs=${1:-10}
threads=${2:-2}
ks=${3:-1,50,5000}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
vaegraph=${VAEGRAPH:-build/vaegraph}
echo "== vaegraph ($("$vaegraph" --version)), vae.lua $epochs epochs, $threads threads; CPU: $(lscpu | sed -n 's/^Model name: *//p')"
OMP_NUM_THREADS=$threads "$vaegraph" graphs/vae.lua --epochs "$epochs" --threads "$threads" --out "$out/vg" --quiet
tail -1 "$out/vg/metrics.csv" | awk -F, '{ print "vaegraph test -ELBO " $3 }'
for k in ${ks//,/ }; do
  OMP_NUM_THREADS=$threads "$vaegraph" graphs/vae.lua --threads "$threads" --out "$out/vg" --resume "$out/vg/checkpoint.safetensors" \
    --eval-only --eval-ll "$k" | grep importance-sampled | sed 's/^/vaegraph: /'
done
echo "== PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'), OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(detected)}"
OMP_NUM_THREADS=$threads /usr/bin/python3 bench/torch_peer.py vae --epochs "$epochs" --threads "$threads" --eval-ll "$ks" \
  2> "$out/pt.err" > "$out/pt.csv"
tail -1 "$out/pt.csv" | awk -F, '{ print "PyTorch test -ELBO " $3 }'
sed 's/^/PyTorch: /' "$out/pt.err"
