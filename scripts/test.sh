#!/usr/bin/env bash
# Runs every test of the workspace: unit, property, and end-to-end tests that start the real
# quaderno-server and quaderno binaries (built first) and JavaScript automerge-repo peers.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d tests/js/node_modules ]; then
  echo "installing the JavaScript peers used by the interoperability tests (npm install in tests/js)"
  npm install --prefix tests/js --no-audit --no-fund
fi

# The binaries are built with the tests' feature set, so `cargo test` does not build every
# dependency a second time.
cargo build --workspace --bins --tests
cargo test --workspace --no-fail-fast "$@"
