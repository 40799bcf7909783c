#!/bin/sh
# Faults during a run never cost the user their checkpoint:
#   1. a file-size limit (ulimit -f) makes the checkpoint write fail: the run
#      stops with an error naming the file, and the previous checkpoint is
#      intact and resumes;
#   2. an output folder that turned read-only: refused at the start with the
#      folder named, checkpoint intact;
#   3. kill -9 at random moments, KILLS times: every newest checkpoint
#      resumes, and the .tmp files a killed write leaves are removed at the
#      next start.
#   faults.sh VAEGRAPH SOURCE_DIR OUT_DIR [KILLS]
set -eu
vg=$1 src=$2 out=$3 kills=${4:-20}
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
"$vg" "$src/tests/lua/make_data.lua" idx "$out/data" 28 512 >/dev/null
run="$vg $src/graphs/vae.lua --data $out/data --hidden 64 --latent 4 --quiet"
fail() { echo "FAIL: $*"; exit 1; }

# The epochs a checkpoint holds, from the refusal to resume it with 1.
epochs_of() {
  if $run --out "$2" --epochs 1 --resume "$1" 2>"$2.err"; then fail "resuming $1 with --epochs 1 trained"; fi
  sed -n 's/.* has trained \([0-9]*\) epochs already, and this run asks for 1: nothing to do.*/\1/p' "$2.err"
}

# 1. File-size limit. The first epoch fits; the checkpoint does not.
d=$out/limit
$run --out "$d" --epochs 1
cp "$d/checkpoint.safetensors" "$out/limit_before"
size=$(wc -c < "$out/limit_before")
blocks=$((size / 1024 / 2)) # half the checkpoint, in ulimit's 1024-byte blocks
if (ulimit -f "$blocks" && $run --out "$d" --epochs 2 --resume "$d/checkpoint.safetensors") 2>"$out/limit.err"; then
  fail "a run past the file-size limit succeeded"
fi
grep -q "$d/checkpoint.safetensors: cannot write $d/checkpoint.safetensors.tmp: File too large" "$out/limit.err" ||
  fail "limit: $(cat "$out/limit.err")"
cmp -s "$out/limit_before" "$d/checkpoint.safetensors" || fail "the checkpoint changed when its write failed"
ls "$d"/*.tmp >/dev/null 2>&1 && fail "limit: a .tmp file was left"
$run --out "$d" --epochs 2 --resume "$d/checkpoint.safetensors" || fail "the kept checkpoint does not resume"
[ "$(epochs_of "$d/checkpoint.safetensors" "$out/limit_check")" = 2 ] || fail "the resumed run did not save epoch 2"
# A limit far under a picture: the first larger output fails, whichever it is.
if (ulimit -f 4 && $run --out "$d" --epochs 3 --resume "$d/checkpoint.safetensors") 2>"$out/limit.err"; then
  fail "a run past a 4 KiB file-size limit succeeded"
fi
grep -q "$d/[a-z_]*\.[a-z]*: cannot write $d/[a-z_]*\.[a-z]*\.tmp: File too large (the previous file, if any, is kept)" "$out/limit.err" ||
  fail "small limit: $(cat "$out/limit.err")"
echo "ok: file-size limit (at 4 KiB $(sed 's/.*cannot write \([^:]*\)\.tmp:.*/\1/' "$out/limit.err" | xargs basename) failed first)"
[ "$(epochs_of "$d/checkpoint.safetensors" "$out/limit_check")" = 2 ] || fail "the small limit changed the checkpoint"

# 2. A read-only output folder. Root ignores permission bits, so as root the
#    run is made an unprivileged user's (setpriv), who cannot write there.
d=$out/readonly
$run --out "$d" --epochs 1
cp "$d/checkpoint.safetensors" "$out/ro_before"
chmod 555 "$d"
as_user=""
if [ "$(id -u)" -eq 0 ]; then
  command -v setpriv >/dev/null || { echo "ok: read-only folder skipped (root without setpriv)"; as_user=skip; }
  [ -z "$as_user" ] && as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
  chmod o+rx "$out" "$out/data"
fi
if [ "$as_user" != skip ]; then
  if $as_user $run --out "$d" --epochs 2 --resume "$d/checkpoint.safetensors" 2>"$out/ro.err"; then
    fail "a run into a read-only folder succeeded"
  fi
  grep -q "cannot write into the output folder $d (Permission denied)" "$out/ro.err" || fail "read-only: $(cat "$out/ro.err")"
  cmp -s "$out/ro_before" "$d/checkpoint.safetensors" || fail "the checkpoint changed in a read-only folder"
  chmod 755 "$d"
  $run --out "$d" --epochs 2 --resume "$d/checkpoint.safetensors" || fail "read-only: the checkpoint does not resume"
  echo "ok: read-only folder"
fi

# 3. kill -9 at random moments of a long run, each time resumed from the
#    newest checkpoint (a fresh start when none was written yet).
d=$out/killed
mkdir -p "$d"
seed=1
i=0
while [ $i -lt "$kills" ]; do
  i=$((i + 1))
  if [ -f "$d/checkpoint.safetensors" ]; then
    $run --out "$d" --epochs 1000 --resume "$d/checkpoint.safetensors" 2>"$d/run.err" &
  else
    $run --out "$d" --epochs 1000 2>"$d/run.err" &
  fi
  pid=$!
  # 0.2 .. 1.6 s: before, during and after checkpoint and picture writes.
  seed=$(( (seed * 1103515245 + 12345) % 2147483648 ))
  sleep "$(awk -v s="$seed" 'BEGIN { printf "%.3f", 0.2 + 1.4 * (s % 1000) / 1000 }')"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ -f "$d/checkpoint.safetensors" ]; then
    e=$(epochs_of "$d/checkpoint.safetensors" "$out/kill_check")
    [ -n "$e" ] || fail "kill $i: the newest checkpoint does not load: $(cat "$out/kill_check.err")"
  fi
  grep -q "note: removed [0-9]* temporary file" "$d/run.err" && echo "kill $i: the start removed $(sed -n 's/.*left in [^:]*: //p' "$d/run.err")"
done
[ -f "$d/checkpoint.safetensors" ] || fail "no checkpoint in $kills kills"
e=$(epochs_of "$d/checkpoint.safetensors" "$out/kill_check")
# What a kill in the middle of a write leaves (rare in 20 random kills, so
# made here): half-written .tmp files, removed by the next start.
head -c 1000 "$d/checkpoint.safetensors" > "$d/checkpoint.safetensors.tmp"
head -c 10 "$d/metrics.csv" > "$d/metrics.csv.tmp"
$run --out "$d" --epochs $((e + 1)) --resume "$d/checkpoint.safetensors" 2>"$d/run.err" || fail "the last checkpoint does not resume"
ls "$d"/*.tmp >/dev/null 2>&1 && fail "a .tmp file is still there after a finished run"
for f in checkpoint.safetensors.tmp metrics.csv.tmp; do
  grep -q "note: removed [0-9]* temporary files an interrupted run left in $d: .*$f" "$d/run.err" ||
    fail "stale $f: $(cat "$d/run.err")"
done
echo "ok: $kills kills, every newest checkpoint resumed (the last at epoch $e)"
