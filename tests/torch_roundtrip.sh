#!/bin/sh
# Weights both ways between vaegraph and its PyTorch peer (bench/torch_peer.py):
# a vaegraph checkpoint evaluated by the peer, and the peer's weights given to
# `vaegraph --init`, each give the other's test loss to 1e-4 relative. Both
# evaluate at z = mu (--eval-mean), so the two test losses are the same
# number for the VAEs too. Then both train from the same weights on a
# training set of one batch (so each epoch is one step on the same examples,
# whatever the order): the losses agree step by step, which pins forward,
# backward and Adam together. Skipped (exit 77) when torch is missing.
#   torch_roundtrip.sh VAEGRAPH SOURCE_DIR MNIST_DIR OUT_DIR MODEL...
set -eu
vg=$1 src=$2 mnist=$3 out=$4
shift 4
py=/usr/bin/python3
if ! "$py" -c "import torch" 2>/dev/null; then
  echo "skipped: $py cannot import torch (Debian package python3-torch)"
  exit 77
fi
rm -rf "$out"
mkdir -p "$out/data" "$out/one_batch"
# N training and 256 test images, cut from the MNIST test set.
make_data() {
  "$py" - "$mnist" "$1" "$2" <<'EOF'
import gzip, sys
src, dst, ntrain = sys.argv[1], sys.argv[2], int(sys.argv[3])
for stem, lo, n in (("train", 0, ntrain), ("t10k", 512, 256)):
    for kind, hdr, size in (("images-idx3", 16, 784), ("labels-idx1", 8, 1)):
        b = gzip.open(f"{src}/t10k-{kind}-ubyte.gz").read()
        head = bytearray(b[:hdr])
        head[4:8] = n.to_bytes(4, "big")
        with gzip.open(f"{dst}/{stem}-{kind}-ubyte.gz", "wb") as f:
            f.write(bytes(head) + b[hdr + lo * size:hdr + (lo + n) * size])
EOF
}
make_data "$out/data" 512
make_data "$out/one_batch" 128
# |a - b| <= 1e-4 |b|, or exit naming the direction.
close() {
  [ -n "$1" ] && [ -n "$2" ] || { echo "$3: a number is missing ('$1', '$2')"; exit 1; }
  awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b; exit !(d <= 1e-4 * m) }' ||
    { echo "$3: $1 against $2"; exit 1; }
}
# A column of a CSV's last row, by name (empty when there is none).
column() {
  awk -F, -v want="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == want) c = i }
    { last = $0 } END { split(last, v, ","); print c ? v[c] : "" }' "$1"
}
# The test loss: the column test_loss, or test_rec for models without one
# (the AAE, the semi-supervised VAE).
test_loss() {
  v=$(column "$1" test_loss)
  [ -n "$v" ] || v=$(column "$1" test_rec)
  echo "$v"
}
for model in "$@"; do
  o=$out/$model
  mkdir -p "$o"
  # The semi-supervised VAE's peer trains on the labelled subset vaegraph's
  # seed picks.
  peer=""
  if [ "$model" = semisup_vae ]; then
    "$vg" "$src/bench/labelled_indices.lua" --data "$out/data" >"$o/labelled.txt"
    peer="--labelled-file $o/labelled.txt"
  fi
  # vaegraph -> PyTorch
  # --eval-mean: a VAE evaluates at z = mu on both sides, so its test loss
  # is one number (a no-op for models that sample nothing).
  "$vg" "$src/graphs/$model.lua" --data "$out/data" --epochs 2 --quiet --out "$o/vg" --eval-mean
  # shellcheck disable=SC2086 # $peer is empty or two words
  "$py" "$src/bench/torch_peer.py" "$model" --data "$out/data" --threads 1 --epochs 0 --eval-mean $peer \
    --init "$o/vg/checkpoint.safetensors" >"$o/torch_eval.csv"
  close "$(test_loss "$o/torch_eval.csv")" "$(test_loss "$o/vg/metrics.csv")" "$model: PyTorch's test loss of vaegraph's checkpoint"
  # PyTorch -> vaegraph
  # shellcheck disable=SC2086
  "$py" "$src/bench/torch_peer.py" "$model" --data "$out/data" --threads 1 --epochs 1 --eval-mean $peer \
    --save "$o/torch.safetensors" >"$o/torch_train.csv"
  "$vg" "$src/graphs/$model.lua" --data "$out/data" --init "$o/torch.safetensors" --eval-only --eval-mean --quiet \
    --out "$o/init"
  close "$(test_loss "$o/init/evaluation.csv")" "$(test_loss "$o/torch_train.csv")" "$model: vaegraph's test loss of PyTorch's weights"
  # A classifier's test cross-entropy too (the semi-supervised VAE's).
  if [ -n "$(column "$o/vg/metrics.csv" test_ce)" ]; then
    close "$(column "$o/torch_eval.csv" test_ce)" "$(column "$o/vg/metrics.csv" test_ce)" "$model: PyTorch's test_ce of vaegraph's checkpoint"
    close "$(column "$o/init/evaluation.csv" test_ce)" "$(column "$o/torch_train.csv" test_ce)" "$model: vaegraph's test_ce of PyTorch's weights"
  fi
  echo "$model: both ways agree ($(test_loss "$o/init/evaluation.csv"), $(test_loss "$o/torch_train.csv"))"
done
# Training side by side from PyTorch's weights, 8 steps on one batch of 128.
o=$out/steps
mkdir -p "$o"
"$py" "$src/bench/torch_peer.py" vq_vae --data "$out/one_batch" --threads 1 --epochs 0 --save "$o/init.safetensors" >/dev/null
"$py" "$src/bench/torch_peer.py" vq_vae --data "$out/one_batch" --threads 1 --epochs 8 --init "$o/init.safetensors" >"$o/torch.csv"
"$vg" "$src/graphs/vq_vae.lua" --data "$out/one_batch" --epochs 8 --init "$o/init.safetensors" --quiet --out "$o/vg"
for step in 1 2 3 4 5 6 7 8; do
  for col in 2 3; do
    close "$(sed -n "$((step + 1))p" "$o/vg/metrics.csv" | cut -d, -f$col)" \
      "$(sed -n "$((step + 1))p" "$o/torch.csv" | cut -d, -f$col)" "vq_vae step $step, column $col"
  done
done
echo "vq_vae: 8 steps from the same weights give PyTorch's train and test losses"
# A file for another model is refused by name, and changes nothing.
if "$vg" "$src/graphs/vae.lua" --data "$out/data" --init "$out/vq_vae/torch.safetensors" --eval-only --out "$out/wrong" 2>"$out/err"; then
  echo "another model's weights were accepted"; exit 1
fi
grep -q "torch.safetensors: no tensor 'encoder.fc1.weight'" "$out/err" || { cat "$out/err"; exit 1; }
echo "ok: weights move both ways"
