#!/usr/bin/env bash
# Instructions the relay's sync hub executes for a fixed amount of work, counted by valgrind
# (callgrind): unlike time, the count does not depend on what else the machine is doing, so a
# change to the hub can be judged on a shared machine. See
# crates/quaderno-sync/benches/hub_instructions.rs for the work.
#
# Usage: scripts/bench-instructions.sh
# Prints instructions inside Hub::handle per delivery (scenario 1's small documents) and per
# turn of 8 keystrokes in a 5 KB note (scenario 5).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
command -v valgrind >/dev/null || { echo "valgrind is needed: apt-get install valgrind" >&2; exit 2; }

bin=$(cargo bench -p quaderno-sync --bench hub_instructions --no-run --message-format=json \
  --manifest-path "$root/Cargo.toml" 2>/dev/null |
  grep -o '"executable":"[^"]*hub_instructions[^"]*"' | tail -1 | cut -d'"' -f4)
[ -x "$bin" ] || { echo "could not build the hub_instructions benchmark" >&2; exit 1; }

count() {
  valgrind --tool=callgrind --callgrind-out-file="$work/$1.out" \
    --toggle-collect='quaderno_sync::hub::Hub::handle' "$bin" "$1" >/dev/null 2>"$work/$1.err"
  grep -o 'refs: *[0-9,]*' "$work/$1.err" | tr -dc '0-9'
}

typing=$(count typing)
meeting=$(count meeting)
awk -v t="$typing" -v m="$meeting" 'BEGIN {
  printf "typing:  %d instructions in Hub::handle, %.0f per delivery (300 edits x 9 members)\n", t, t / 2700
  printf "meeting: %d instructions in Hub::handle, %.0f per turn of 8 keystrokes (20 turns, 5 KB note)\n", m, m / 20
}'
