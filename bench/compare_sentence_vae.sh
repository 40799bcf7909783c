#!/usr/bin/env bash
# graphs/sentence_vae.lua beside its PyTorch peer (bench/torch_sentence_vae.py):
# Penn Treebank's valid file to train on (vocabulary from it), its test file
# to test on, the same model, schedule, batch, epochs and threads. The two
# run in turn, vaegraph then PyTorch, PAIRS times (default 3); the summary
# gives median rates and the median of the pairs' ratios. Options after the
# third argument go to both (e.g. --latent categorical). Run it on a quiet
# machine: figures taken beside a build or tests are void.
#   [PAIRS=N] bench/compare_sentence_vae.sh [epochs] [threads] [ptb dir] [options]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/openblas_core.sh
epochs=${1:-5}
threads=${2:-2}
ptb=${3:-../shared/data/ptb}
pairs=${PAIRS:-3}
shift $(( $# < 3 ? $# : 3 ))
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
vaegraph=${VAEGRAPH:-build/vaegraph}
echo "== vaegraph graphs/sentence_vae.lua ($("$vaegraph" --version)), $epochs epochs, $threads threads $*"
echo "== PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'), OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(detected)}"
echo "== $pairs pairs, each vaegraph then PyTorch; CPU: $(lscpu | sed -n 's/^Model name: *//p')"
for ((p = 1; p <= pairs; p++)); do
  # Peak resident memory of each run (kB), from GNU time.
  OMP_NUM_THREADS=$threads /usr/bin/time -f %M -o "$out/vg$p.rss" "$vaegraph" graphs/sentence_vae.lua --data "$ptb" --min-count 1 --epochs "$epochs" \
    --threads "$threads" --out "$out/vg$p" --quiet "$@" 2>/dev/null
  OMP_NUM_THREADS=$threads /usr/bin/time -f %M -o "$out/pt$p.rss" /usr/bin/python3 bench/torch_sentence_vae.py --train "$ptb/ptb.valid.txt" \
    --test "$ptb/ptb.test.txt" --epochs "$epochs" --threads "$threads" "$@" > "$out/pt$p.csv" 2>/dev/null
  echo "pair $p done"
done
/usr/bin/python3 - "$out" "$pairs" <<'PY'
import csv, statistics, sys
out, pairs = sys.argv[1], int(sys.argv[2])
rows = lambda f: list(csv.DictReader(open(f)))
vr, pr, ratios = [], [], []
for p in range(1, pairs + 1):
    vg, pt = rows(f"{out}/vg{p}/metrics.csv"), rows(f"{out}/pt{p}.csv")
    v, t = vg[-1], pt[-1]
    figures = [f"{c} {float(v[c]):.3f} vs {float(t[c]):.3f} ({100 * (float(v[c]) / float(t[c]) - 1):+.2f}%)"
               for c in ("test_nll", "test_kl", "test_ppl")]
    rv = sum(float(r["examples_per_s"]) for r in vg) / len(vg)
    rp = sum(float(r["sentences_per_s"]) for r in pt) / len(pt)
    vr.append(rv), pr.append(rp), ratios.append(rv / rp)
    print(f"sentence_vae pair {p}, after {v['epoch']} epochs, vaegraph vs PyTorch: " + "; ".join(figures)
          + f"; sentences/s {rv:.1f} vs {rp:.1f} ({rv / rp:.2f}x)")
med = statistics.median
rss = lambda side: med(int(open(f"{out}/{side}{p}.rss").read().split()[-1]) / 1024 for p in range(1, pairs + 1))
print(f"sentence_vae: training sentences/s, medians of {pairs}: vaegraph {med(vr):.0f}, PyTorch {med(pr):.0f}; "
      f"median ratio {med(ratios):.2f}x (range {min(ratios):.2f}-{max(ratios):.2f}); "
      f"peak memory MB {rss('vg'):.0f} vs {rss('pt'):.0f}")
PY
