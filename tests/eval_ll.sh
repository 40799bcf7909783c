#!/bin/sh
# A model script's importance-sampled likelihood: one epoch, then --eval-ll
# K; metrics.csv must have a finite test_nll_is (below test_loss, the
# -ELBO, when the script reports one and BOUND=1) and test_scores.csv an
# nll_is per test example.
#   eval_ll.sh VAEGRAPH SCRIPT DATA_DIR OUT_DIR K [options]
set -eu
vaegraph=$1 script=$2 data=$3 out=$4 k=$5
shift 5
rm -rf "$out"
"$vaegraph" "$script" --epochs 1 --data "$data" --out "$out" --quiet --eval-ll "$k" "$@"
awk -F, -v bound="${BOUND:-0}" '
  NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
  END {
    if (!("test_nll_is" in col)) { print "no test_nll_is column"; exit 1 }
    v = $col["test_nll_is"]
    if (v == "" || v ~ /nan|inf/) { print "test_nll_is is " v; exit 1 }
    if (bound && ("test_loss" in col) && !(v + 0 < $col["test_loss"] + 0)) { print "test_nll_is " v " is not below test_loss " $col["test_loss"]; exit 1 }
    print "test_nll_is " v
  }' "$out/metrics.csv"
rows=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "nll_is") c = i; next } c && $c != "" { n++ } END { print n + 0 }' "$out/test_scores.csv")
[ "$rows" -gt 0 ] || { echo "no nll_is in test_scores.csv"; exit 1; }
echo "ok: $script estimated log p(x) for $rows test examples"
