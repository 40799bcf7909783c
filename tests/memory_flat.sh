#!/bin/sh
# Resident memory stays flat over a long run: EPOCHS short epochs (--limit),
# /proc's VmRSS sampled as the run goes and read at each epoch's end (the
# moment metrics.csv gains its row). The first epochs may grow it once:
# glibc raises its mmap threshold as the first large buffers are freed and
# keeps later ones on the heap, and Lua's collector finds its pace. After
# epoch 5 no epoch may end more than 1 MiB above the highest of epochs 1..5,
# and the second half of the run may not grow 512 KiB: a leak of a batch's
# tensors (400 KiB) or of 20 KiB of tables per epoch would fail.
#   memory_flat.sh VAEGRAPH SOURCE_DIR OUT_DIR SCRIPT EPOCHS [script options]
set -eu
vg=$1 src=$2 out=$3 script=$4 epochs=$5
shift 5
rm -rf "$out"
mkdir -p "$out"
"$vg" "$src/tests/lua/make_data.lua" idx "$out/data" 28 1024 >/dev/null
"$vg" "$src/graphs/$script.lua" --data "$out/data" --out "$out/run" --epochs "$epochs" --limit 512 --quiet "$@" &
pid=$!
: > "$out/rss"
rows=0
while kill -0 "$pid" 2>/dev/null; do
  rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status" 2>/dev/null || true)
  now=1
  [ -f "$out/run/metrics.csv" ] && now=$(wc -l < "$out/run/metrics.csv")
  now=$((now - 1))
  if [ -n "$rss" ] && [ "$now" -gt "$rows" ]; then
    rows=$now
    echo "$rows $rss" >> "$out/rss"
  fi
  sleep 0.02
done
wait "$pid" || { echo "FAIL: the run failed"; exit 1; }
[ "$(wc -l < "$out/rss")" -ge $((epochs / 2)) ] || { echo "FAIL: sampled only $(wc -l < "$out/rss") epochs"; exit 1; }
# Each end of the second half is the median of five epochs' samples: one
# sample may land in a trough of the collector's sawtooth (LuaJIT's swings
# by half a MiB), which a steady leak does not.
awk -v half=$((epochs / 2)) '
  function median5(a, hi,   i, j, t, v, n) {
    n = 0
    for (i = hi - 4; i <= hi; i++) if (i in a) v[++n] = a[i]
    for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
    return v[int((n + 1) / 2)]
  }
  { rss[$1] = $2; lastn = $1 }
  $1 <= 5 { if ($2 > warm) warm = $2; next }
  { if ($2 > worst) { worst = $2; at = $1 } }
  END {
    mid = median5(rss, half); last = median5(rss, lastn)
    printf "epochs 1-5: up to %.1f MiB; after: up to %.1f MiB (epoch %d); epochs %d-%d: %.1f MiB, last five: %.1f MiB (medians)\n",
      warm / 1024, worst / 1024, at, half - 4, half, mid / 1024, last / 1024
    if (worst > warm + 1024) { print "FAIL: resident memory grows after the first epochs"; exit 1 }
    if (last > mid + 512) { print "FAIL: resident memory grows in the second half"; exit 1 }
    print "ok: flat resident memory"
  }' "$out/rss"
