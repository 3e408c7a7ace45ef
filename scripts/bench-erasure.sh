#!/usr/bin/env bash
# Erasure benchmark (issue 14): how long a participant's `quaderno sync` takes when it brings an
# erasure (deleting the note, clearing the write-ahead log, compacting the file) and when it
# brings a redaction (the same, and fetching the note's successor), against a sync that brings
# nothing, on a store holding NOTES notes of a group. Release build, everything on 127.0.0.1.
#
# Usage: scripts/bench-erasure.sh [NOTES] [RUNS]      (defaults 2000 and 5)
set -euo pipefail

notes=${1:-2000}
runs=${2:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
relay_pid=
cleanup() {
  [ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

cargo build --release -p quaderno-cli -p quaderno-server --manifest-path "$root/Cargo.toml" >&2
target=${CARGO_TARGET_DIR:-$root/target}/release
q() { QUADERNO_LOG=warn "$target/quaderno" --data-dir "$work/$1" "${@:2}"; }
admin() { RUST_LOG=warn "$target/quaderno-server" --data-dir "$work/relay" "$@"; }

admin group create palermo >/dev/null
RUST_LOG=warn "$target/quaderno-server" --data-dir "$work/relay" serve --listen 127.0.0.1:0 \
  >"$work/relay.log" 2>&1 &
relay_pid=$!
for _ in $(seq 100); do
  url=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$work/relay.log" | head -1 | sed 's/listening on //') || true
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "the relay did not start" >&2; exit 1; }

code() { admin --json invite create --group palermo --role "$1" | sed -n 's/.*"code": *"\([^"]*\)".*/\1/p'; }
q elena init --name Elena --city Palermo >/dev/null
q elena join "$url" "$(code admin)" >/dev/null
q rita init --name Rita --city Palermo >/dev/null
q rita join "$url" "$(code editor)" >/dev/null

echo "importing $notes notes into the group" >&2
mkdir -p "$work/notes"
awk -v n="$notes" -v dir="$work/notes" 'BEGIN {
  srand(3);
  split("servizi territorio comunità minori famiglie scuola salute casa lavoro rete", words, " ");
  for (i = 0; i < n; i++) {
    file = sprintf("%s/nota-%05d.md", dir, i);
    printf "---\ntitle: Incontro %d\n---\n\n", i > file;
    for (p = 0; p < 4; p++) {
      line = "Resoconto";
      for (w = 0; w < 40; w++) line = line " " words[int(rand() * 10) + 1];
      print line " Mario Rossi.\n" > file;
    }
    close(file);
  }
}'
q elena import --group palermo "$work/notes" >/dev/null
q elena sync >/dev/null
q rita sync >/dev/null

seconds() { local start end; start=$(date +%s.%N); "$@" >/dev/null; end=$(date +%s.%N); awk -v a="$start" -v b="$end" "BEGIN { printf \"%.3f\", b - a }"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

nothing=(); erased=(); redacted=()
for run in $(seq "$runs"); do
  nothing+=("$(seconds q rita sync)")
  q elena erase "Incontro $run" --reason "misura" >/dev/null
  erased+=("$(seconds q rita sync)")
  q elena redact "Incontro $((run + runs))" --passage "Mario Rossi" --reason "misura" >/dev/null
  redacted+=("$(seconds q rita sync)")
done
size=$(stat -c %s "$work/rita/quaderno.sqlite3")
echo "store: $notes notes, $((size / 1024)) KiB"
echo "sync bringing nothing:     median $(printf '%s\n' "${nothing[@]}" | median) s  (runs: ${nothing[*]})"
echo "sync bringing an erasure:  median $(printf '%s\n' "${erased[@]}" | median) s  (runs: ${erased[*]})"
echo "sync bringing a redaction: median $(printf '%s\n' "${redacted[@]}" | median) s  (runs: ${redacted[*]})"
