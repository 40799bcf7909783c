#!/bin/sh
# README's table of sample quality: every image model that draws samples,
# trained with its defaults and --quality, then the last epoch's sample_fd,
# sample_classes (and sample_accuracy, code_fd where the model has them).
# The judge is out/judge's (trained first when missing).
#   bench/quality_table.sh [SCRIPT ...]     (default: all seven)
set -eu
cd "$(dirname "$0")/.."
vaegraph=${VAEGRAPH:-build/vaegraph}
scripts=${*:-vae vae2d cvae conv_vae gumbel_vae semisup_vae aae}
rows=""
for s in $scripts; do
  out=out/quality/$s
  "$vaegraph" "graphs/$s.lua" --quality --quiet --out "$out"
  rows="$rows$(awk -F, -v s="$s" '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    { last = $0 }
    END {
      n = split(last, v, ",")
      printf "| `%s.lua` | %s | %s | %s | %s | %s |\n", s, v[col["epoch"]], v[col["sample_fd"]], v[col["sample_classes"]],
        ("sample_accuracy" in col) ? v[col["sample_accuracy"]] : "", ("code_fd" in col) ? v[col["code_fd"]] : ""
    }' "$out/metrics.csv")
"
  printf '%s' "$rows" | tail -1
done
echo
echo "| script | epochs | sample_fd | sample_classes | sample_accuracy | code_fd |"
echo "| --- | --- | --- | --- | --- | --- |"
printf '%s' "$rows"
