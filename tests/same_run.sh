# Sourced by the tests that run one script two ways and expect the same run.
# losses DIR: DIR/metrics.csv without its last column (the speed), as
# DIR/losses.csv. same_run DIR_A DIR_B: fails unless both runs' losses and
# final checkpoints are byte for byte the same.
losses() {
  cut -d, -f1-$(($(head -1 "$1/metrics.csv" | tr ',' '\n' | wc -l) - 1)) "$1/metrics.csv" > "$1/losses.csv"
}
same_run() {
  losses "$1"
  losses "$2"
  cmp "$1/losses.csv" "$2/losses.csv" || { diff "$1/losses.csv" "$2/losses.csv"; exit 1; }
  cmp "$1/checkpoint.safetensors" "$2/checkpoint.safetensors" || { echo "checkpoints differ"; exit 1; }
}
