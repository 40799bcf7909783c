#!/usr/bin/env bash
# libFuzzer on every reader of outside bytes (tests/fuzz/): builds
# build-fuzz with clang, ASan and UBSan if needed (seed corpora included),
# replays every file of tests/fuzz/regressions/<target>/ through its target,
# then fuzzes each target for SECONDS (default 60), one after another.
# Corpora grow in build-fuzz/fuzz/corpus/<target>, so a later run resumes
# where this one stopped; whatever a run finds is written to
# build-fuzz/fuzz/findings/<target>/ and its log to build-fuzz/fuzz/logs/.
# Prints a table; exits 1 when a regression input still fails or a target
# found anything. libFuzzer stops a target at its first finding; with
# KEEP_GOING=1 it fuzzes on past findings in a child process (-fork=1
# -ignore_crashes=1 ...), so a known bug does not hide the next one, at the
# price of writing one file per crashing input, duplicates included.
#   bench/fuzz.sh [SECONDS]
#   TARGETS="fuzz_idx fuzz_png" bench/fuzz.sh 300     # some of them
#   KEEP_GOING=1 TARGETS=fuzz_idx bench/fuzz.sh 120
# A finding worth keeping goes to tests/fuzz/regressions/<target>/ (the
# ctest fuzz.<target>.regressions replays it too).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
build=${VG_FUZZ_BUILD:-build-fuzz}
all="fuzz_idx fuzz_idx_gzip fuzz_safetensors fuzz_text fuzz_png fuzz_graph fuzz_csv fuzz_ratings fuzz_cli"
targets=${TARGETS:-$all}

if [ ! -f "$build/CMakeCache.txt" ]; then
  CC=clang cmake -S . -B "$build" -DVG_FUZZ=ON -DVG_SANITIZE=ON -DVG_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
fi
# One job: the fuzz build shares the machine with whatever else is building.
cmake --build "$build" -j"${VG_FUZZ_JOBS:-1}" --target fuzz_all > "$build/fuzz_build.log" 2>&1 \
  || { tail -30 "$build/fuzz_build.log"; echo "fuzz.sh: the build failed (log: $build/fuzz_build.log)" >&2; exit 2; }

bin=$build/tests/fuzz
seeds=$bin/seeds
work=$build/fuzz
mkdir -p "$work/logs"
# Sanitizer reports with symbols, and leaks as findings.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

status=0
declare -A reg_total reg_failed
for t in $targets; do
  [ -x "$bin/$t" ] || { echo "fuzz.sh: no target $t (known: $all)" >&2; exit 2; }
  reg_total[$t]=0 reg_failed[$t]=0
  [ -d "tests/fuzz/regressions/$t" ] || continue
  for f in "tests/fuzz/regressions/$t"/*; do
    [ -f "$f" ] || continue
    case $f in *.md) continue ;; esac
    reg_total[$t]=$((reg_total[$t] + 1))
    log=$work/logs/$t.regression.$(basename "$f").log
    if ! "$bin/$t" -rss_limit_mb=2048 -timeout=10 "$f" > "$log" 2>&1; then
      reg_failed[$t]=$((reg_failed[$t] + 1))
      status=1
      echo "regression still fails: $t $f (log: $log)"
      grep -m3 -E "ERROR|^fuzz|runtime error|SUMMARY" "$log" | sed 's/^/    /' || true
    fi
  done
done

printf '\n%-17s %12s %9s %9s %12s\n' target executions exec/s findings regressions
for t in $targets; do
  corpus=$work/corpus/$t findings=$work/findings/$t log=$work/logs/$t.log
  mkdir -p "$corpus" "$findings"
  marker=$(mktemp)
  more=()
  [ "${KEEP_GOING:-0}" = 1 ] && more+=(-fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1)
  # The Lua readers' words, which the fuzzer cannot learn from comparisons.
  [ -f "tests/fuzz/$t.dict" ] && more+=(-dict="tests/fuzz/$t.dict")
  # A Lua state holds on to memory between inputs, which libFuzzer takes for
  # a possible leak and checks with a full LeakSanitizer pass after each
  # input (up to 1000 times a process, every fork job anew). Pure Lua cannot
  # leak; the check at exit still runs.
  case $t in fuzz_csv | fuzz_ratings | fuzz_cli) more+=(-detect_leaks=0) ;; esac
  # New inputs go to the first folder; the seeds are read, never written.
  "$bin/$t" "$corpus" "$seeds/$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix="$findings/" -print_final_stats=1 "${more[@]}" > "$log" 2>&1 || true
  found=$(find "$findings" -type f -newer "$marker" \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  rm -f "$marker"
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  if [ -z "$runs" ]; then
    # Fork mode's summary: "#N: cov: ... time: Ts job: ...", the last one.
    runs=$(sed -n 's/^#\([0-9]*\): cov:.*/\1/p' "$log" | tail -1)
    time=$(sed -n 's/^#[0-9]*: cov:.* time: \([0-9]*\)s.*/\1/p' "$log" | tail -1)
    [ -n "$runs" ] && [ "${time:-0}" -gt 0 ] && rate=$((runs / time))
  fi
  printf '%-17s %12s %9s %9s %12s\n' "$t" "${runs:-?}" "${rate:-?}" "$found" "${reg_failed[$t]}/${reg_total[$t]} fail"
  if [ "$found" -gt 0 ]; then
    status=1
    grep -m4 -E "^==[0-9]+==ERROR|runtime error|^fuzz|SUMMARY|out-of-memory|Test unit written" "$log" | sed 's/^/    /' || true
  fi
done
[ "$status" = 0 ] && echo "no findings" || echo "findings: see $work/findings/ and $work/logs/"
exit "$status"
