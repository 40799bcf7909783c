#!/bin/sh
# Per-example results: vae.lua writes test_scores.csv with a row per test
# example, in the test set's order, whose means are the test metrics in
# metrics.csv; --eval-only on the checkpoint writes the same rows again.
#   scores.sh VAEGRAPH VAE_SCRIPT MNIST_DIR WORK_DIR
set -eu
vaegraph=$1 script=$2 data=$3 work=$4
rm -rf "$work"
"$vaegraph" "$script" --data "$data" --epochs 1 --quiet --out "$work"
scores=$work/test_scores.csv
[ "$(head -1 "$scores")" = "index,label,kl,neg_elbo,rec" ] || { echo "header: $(head -1 "$scores")"; exit 1; }
[ "$(wc -l < "$scores")" -eq 10001 ] || { echo "$(wc -l < "$scores") lines, want 10001"; exit 1; }
# Rows in order, labels as in the data: 0..9999, the MNIST test set's first labels 7 2 1 0 4.
awk -F, 'NR > 1 && $1 != NR - 2 { print "row " NR " has index " $1; exit 1 }' "$scores"
[ "$(sed -n '2,6p' "$scores" | cut -d, -f2 | tr '\n' ' ')" = "7 2 1 0 4 " ] || { echo "labels: $(sed -n '2,6p' "$scores" | cut -d, -f2)"; exit 1; }
# The means of the columns against metrics.csv's test_loss, test_rec, test_kl.
awk -F, -v metrics="$(tail -1 "$work/metrics.csv")" '
  NR > 1 { kl += $3; elbo += $4; rec += $5; n++ }
  END {
    split(metrics, m, ",")   # epoch,train_loss,test_loss,test_rec,test_kl,...
    d1 = elbo / n - m[3]; d2 = rec / n - m[4]; d3 = kl / n - m[5]
    if (d1 < 0) d1 = -d1; if (d2 < 0) d2 = -d2; if (d3 < 0) d3 = -d3
    if (d1 > 1e-4 * m[3] || d2 > 1e-4 * m[4] || d3 > 1e-3 * m[5]) {
      printf "means %g %g %g, metrics %s\n", elbo / n, rec / n, kl / n, metrics; exit 1 }
    printf "means match: neg_elbo %g rec %g kl %g\n", elbo / n, rec / n, kl / n
  }' "$scores"
cp "$scores" "$work/first.csv"
"$vaegraph" "$script" --data "$data" --resume "$work/checkpoint.safetensors" --eval-only --quiet --out "$work"
cmp -s "$scores" "$work/first.csv" || { echo "--eval-only gave other scores"; exit 1; }
echo "ok: test_scores.csv"
