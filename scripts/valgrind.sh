#!/usr/bin/env bash
# Runs the C tests (ctest's test_* programs, with their arguments and
# environment) under valgrind's memcheck: any invalid read or write, use of
# uninitialised memory, or definitely or indirectly lost block fails.
# Too slow for CI (the gradient checks run for minutes under valgrind).
#   scripts/valgrind.sh [BUILD_DIR] [TEST_NAME_REGEX]
# VG_VALGRIND_ISA (default: portable) is passed as VAEGRAPH_ISA: valgrind
# 3.19 does not decode AVX-512, so memcheck sees the portable path (run it
# again with avx2 for those kernels' memory accesses).
set -euo pipefail
build=${1:-build}
filter=${2:-.}
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)"; exit 2; }
[ -d "$build/tests" ] || { echo "$build/tests: build first (scripts/setup.sh)"; exit 2; }
isa=${VG_VALGRIND_ISA:-portable}
logs=$build/valgrind
mkdir -p "$logs"
# name|working directory|environment (- for none)|command of each test_* test.
tests=$(cd "$build" && ctest --show-only=json-v1 | python3 -c '
import json, os, re, sys
for t in json.load(sys.stdin)["tests"]:
    cmd = t.get("command") or []
    if not cmd or not os.path.basename(cmd[0]).startswith("test_") or not re.search(sys.argv[1], t["name"]):
        continue
    props = {p["name"]: p["value"] for p in t.get("properties", [])}
    env = props.get("ENVIRONMENT", [])
    print("|".join([t["name"], props.get("WORKING_DIRECTORY", "."), " ".join(env) or "-", " ".join(cmd)]))
' "$filter")
failed=0
total=0
while IFS='|' read -r name dir env cmd; do
  [ "$env" = - ] && env=""
  total=$((total + 1))
  log=$logs/$name.log
  start=$(date +%s)
  # shellcheck disable=SC2086  # the command and environment are word lists
  if (cd "$dir" && env VAEGRAPH_ISA="$isa" OMP_NUM_THREADS=2 $env valgrind -q --error-exitcode=99 --leak-check=full \
        --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect $cmd) >"$log" 2>&1; then
    echo "clean   $name ($(( $(date +%s) - start )) s)"
  else
    failed=$((failed + 1))
    echo "FAILED  $name ($(( $(date +%s) - start )) s): $log"
    grep -m 5 '==[0-9]*==' "$log" || tail -5 "$log"
  fi
done <<< "$tests"
echo "valgrind memcheck ($isa kernels): $((total - failed)) of $total C tests clean"
[ "$failed" -eq 0 ]
