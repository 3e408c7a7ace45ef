#!/usr/bin/env bash
# Runs tests/tests/faults_kill_relay.rs several times in a row while both cores are kept busy
# by other processes, as a slow or shared machine would: a live client that lost its relay
# must finish catching up however slow the machine. Stops at the first failure, whose output
# names the seed that reproduces it (QUADERNO_FAULT_SEED=...).
#
#   scripts/faults-under-load.sh [RUNS]     (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10}"

cargo build --workspace --bins --tests
burners=()
stop_burners() { kill "${burners[@]}" 2>/dev/null || true; }
trap stop_burners EXIT
for _ in $(seq "$(nproc)"); do
  (while :; do :; done) &
  burners+=("$!")
done

for i in $(seq "$runs"); do
  echo "run $i of $runs, with $(nproc) busy loops beside it"
  log="$(mktemp)"
  if ! cargo test -q -p quaderno-tests --test faults_kill_relay -- --nocapture >"$log" 2>&1; then
    cat "$log"
    echo "run $i failed"
    exit 1
  fi
  grep -E "QUADERNO_FAULT_SEED|test result" "$log" || true
  rm -f "$log"
done
echo "all $runs runs passed"
