#!/usr/bin/env bash
# Runs each cargo-fuzz target for a while from the seeds, and records what it did.
#   scripts/fuzz.sh [seconds per target (600)] [target ...]
# A crash fails the run; its input is copied to fuzz/regressions/{target}/, which
# tests/fuzz_regressions.rs replays on stable from then on.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.1
seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(webhook action_validation automations)

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "fuzz: cargo fuzz needs the nightly toolchain: rustup toolchain install nightly" >&2
  exit 1
fi
if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
  echo "fuzz: installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

FUZZ_SEEDS_DIR="$PWD/fuzz/corpus" cargo test --quiet --test fuzz_regressions \
  the_seeds_are_written_one_file_each -- --exact --nocapture
mkdir -p fuzz/results
status=0
for target in "${targets[@]}"; do
  log="fuzz/results/$target.log"
  echo "fuzz: $target for ${seconds}s (log: $log)"
  if (cd fuzz && cargo +nightly fuzz run "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048) >"$log" 2>&1; then
    outcome="0 crashes"
  else
    outcome="CRASH"
    status=1
    mkdir -p "fuzz/regressions/$target"
    cp fuzz/artifacts/"$target"/* "fuzz/regressions/$target/" 2>/dev/null || true
  fi
  runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | awk '{print $2}')
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | tail -1 | awk '{print $2}')
  coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | awk '{print $2}')
  corpus=$(find "fuzz/corpus/$target" -type f | wc -l)
  line="$(date -u +%Y-%m-%d) $target: ${seconds}s, ${runs:-?} executions (${speed:-?}/s), coverage ${coverage:-?} edges, corpus $corpus inputs, $outcome"
  echo "fuzz: $line"
  echo "$line" >>fuzz/results/summary.txt
done
exit $status
