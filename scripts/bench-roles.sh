#!/usr/bin/env bash
# The time from an admin's role change (admin API) to the member's running `sync --watch`
# reporting it: p50 and p99 over 50 changes, 3 s apart. About three minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --workspace --bins --tests
cargo test -p quaderno-tests --test bench_role_changes -- --ignored --nocapture 2>&1 \
  | grep -E "^role change|panicked|FAILED"
