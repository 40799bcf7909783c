#!/bin/sh
# Each phase taking its optimizer's step inside its backward pass (the
# default) gives the run of the step taken after the phase's run
# (VAEGRAPH_OPTIM_APART=1, as under mpirun): every metric (but the speed)
# and the final checkpoint, byte for byte.
#   optim_apart_cli.sh VAEGRAPH SCRIPT DATA_DIR OUT_DIR [script options]
set -eu
. "$(dirname "$0")/same_run.sh"
vg=$1 script=$2 data=$3 out=$4
shift 4
rm -rf "$out"
for apart in 0 1; do
  VAEGRAPH_OPTIM_APART=$apart "$vg" "$script" --data "$data" --epochs 2 --seed 5 --quiet --out "$out/apart$apart" "$@"
done
same_run "$out/apart0" "$out/apart1"
echo "ok: the optimizer's step inside the backward pass gives the run of the step after it"
