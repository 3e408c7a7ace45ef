#!/usr/bin/env bash
# The relay at an earlier commit against the relay of this checkout, side by side in one run:
# live typing at 10 and 100 clients and the cold pull of 1,000 notes (the scenarios of
# scripts/bench-relay.sh), the two relays alternating, release builds, driven by this
# checkout's quaderno-bench.
#
# Usage: scripts/bench-before-after.sh REV
# Environment:
#   REPEATS=3   runs of each scenario against each relay
#   OUT=DIR     where reports go (default bench-results/before-after-YYYYmmdd-HHMMSS)
# Summaries (medians with ranges, "before" on the left) are in OUT/summary.md.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
rev=${1:?usage: scripts/bench-before-after.sh REV}
repeats=${REPEATS:-3}
out=${OUT:-$root/bench-results/before-after-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
target_dir=${CARGO_TARGET_DIR:-$root/target}
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

echo "building the relay at $rev" >&2
worktree="$out/src-before"
rm -rf "$worktree"
git -C "$root" worktree add --detach "$worktree" "$rev" >&2
CARGO_TARGET_DIR=$target_dir cargo build --release -p quaderno-server \
  --manifest-path "$worktree/Cargo.toml" >&2
cp "$target_dir/release/quaderno-server" "$out/quaderno-server-before"
git -C "$root" worktree remove --force "$worktree"
echo "building the relay of this checkout" >&2
cargo build --release -p quaderno-server -p quaderno-bench --manifest-path "$root/Cargo.toml" >&2
cp "$target_dir/release/quaderno-server" "$out/quaderno-server-after"
bench="$target_dir/release/quaderno-bench"

pid="" url=""
start() {
  local side=$1 dir=$2
  : >"$out/relay.stdout"
  RUST_LOG=warn "$out/quaderno-server-$side" --data-dir "$dir" serve --listen 127.0.0.1:0 \
    --max-messages-per-sec 1000000 >"$out/relay.stdout" 2>>"$out/relay-$side.log" &
  pid=$!
  for _ in $(seq 1 200); do
    [ -s "$out/relay.stdout" ] && break
    sleep 0.05
  done
  url=$(head -1 "$out/relay.stdout" | awk '{print $NF}')
}
stop() {
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=""
  fi
}
trap stop EXIT

# A data directory with 100 devices in group `bench`, made by each relay for itself.
for side in before after; do
  rm -rf "$out/template-$side"
  mkdir -p "$out/template-$side"
  start "$side" "$out/template-$side"
  "$bench" setup --server-bin "$out/quaderno-server-$side" --data-dir "$out/template-$side" \
    --url "$url" --devices 100 --groups 1 --group bench --out "$out/tokens-$side.json" >&2
  stop
done
fresh() {
  rm -rf "$out/run"
  cp -r "$out/template-$1" "$out/run"
  echo "$out/run"
}

live() {
  local name=$1
  shift
  for r in $(seq 1 "$repeats"); do
    for side in before after; do
      start "$side" "$(fresh "$side")"
      "$bench" typing --url "$url" --tokens "$out/tokens-$side.json" --relay-pid "$pid" \
        --out "$out/$name-$side-$r.json" "$@" >/dev/null || echo "($name $side $r reported problems)" >&2
      stop
    done
  done
}

pull() {
  for r in $(seq 1 "$repeats"); do
    for side in before after; do
      local dir
      dir=$(fresh "$side")
      start "$side" "$dir"
      "$bench" pull prepare --url "$url" --tokens "$out/tokens-$side.json" \
        --docs-out "$out/pull-notes-$side.json"
      stop
      start "$side" "$dir"
      "$bench" pull fetch --url "$url" --tokens "$out/tokens-$side.json" --relay-pid "$pid" \
        --docs "$out/pull-notes-$side.json" --out "$out/pull-$side-$r.json" >/dev/null || true
      stop
    done
  done
}

summarize() {
  {
    echo "### $1"
    echo
    echo "$2; $repeats runs each, median (min–max); left: $rev, right: this checkout."
    echo
    "$bench" compare --left "$out/$1"-before-*.json --right "$out/$1"-after-*.json \
      --left-name before --right-name after
    echo
  } >>"$out/summary.md"
}

echo "== typing, 10 clients" >&2
live typing-10 --clients 10 --docs 10 --per-client 10 --edits 100 --interval-ms 100
summarize typing-10 "typing --clients 10 --docs 10 --per-client 10 --edits 100 --interval-ms 100"
echo "== typing, 100 clients" >&2
live typing-100 --clients 100 --docs 100 --per-client 10 --edits 20 --interval-ms 100
summarize typing-100 "typing --clients 100 --docs 100 --per-client 10 --edits 20 --interval-ms 100"
echo "== pull of 1,000 notes" >&2
pull
summarize pull "pull fetch (1,000 notes of 5 KB and 50 changes, relay restarted after prepare)"
rm -rf "$out/run"
echo "reports in $out; summaries in $out/summary.md" >&2
