#!/usr/bin/env bash
# Relay benchmarks (issue 6, and the memory figure of issue 3): quaderno-server against the
# JavaScript reference server (tests/js/server.mjs), driven by quaderno-bench, release builds.
#
# Usage: scripts/bench-relay.sh [SCENARIO...]
#   SCENARIO: typing unloaded meeting pull idle groups sweep   (default: all of them)
# Environment:
#   REPEATS=3        runs of each figure (reports keep every run; summaries show the median)
#   OUT=DIR          where reports go (default bench-results/YYYYmmdd-HHMMSS)
#   MEETING_5K="T L" and MEETING_50K="T L"   typists and watchers of scenario 5
#   SWEEP="10,25,50,100,150,200,300,400"      client counts of the sweep
#   IDLE_CONNECTIONS=1000
#
# Each run starts a fresh relay (a copy of a prepared data directory for quaderno-server, an
# empty one for the reference) so memory figures belong to that run alone. Before each run the
# machine's load is appended to OUT/load.log; every JSON report also records it.
# The summaries (Markdown, medians with ranges and ratios) are in OUT/summary.md.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
repeats=${REPEATS:-3}
stamp=$(date +%Y%m%d-%H%M%S)
out=${OUT:-$root/bench-results/$stamp}
mkdir -p "$out"
out=$(cd "$out" && pwd)
scenarios=("$@")
[ ${#scenarios[@]} -eq 0 ] && scenarios=(typing unloaded meeting pull idle groups sweep)
read -r meet5_t meet5_l <<<"${MEETING_5K:-4 12}"
read -r meet50_t meet50_l <<<"${MEETING_50K:-2 6}"
sweep=${SWEEP:-10,25,50,100,150,200,300,400}
idle_connections=${IDLE_CONNECTIONS:-1000}

ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

echo "building release binaries" >&2
cargo build --release -p quaderno-server -p quaderno-bench --manifest-path "$root/Cargo.toml" >&2
target_dir=${CARGO_TARGET_DIR:-$root/target}
server="$target_dir/release/quaderno-server"
bench="$target_dir/release/quaderno-bench"
[ -d "$root/tests/js/node_modules/@automerge/automerge-repo" ] || npm ci --prefix "$root/tests/js" >&2

# Flags of every quaderno-server run: no per-connection message limit in the way of a load run.
relay_flags=(--max-messages-per-sec 1000000)

pid="" url=""
# start_quaderno DATA_DIR [FLAGS...]: sets pid and url (http://127.0.0.1:PORT).
start_quaderno() {
  local dir=$1
  shift
  : >"$out/relay.stdout"
  RUST_LOG=warn "$server" --data-dir "$dir" serve --listen 127.0.0.1:0 "${relay_flags[@]}" "$@" \
    >"$out/relay.stdout" 2>>"$out/relay.log" &
  pid=$!
  url=$(first_line "$out/relay.stdout" | awk '{print $NF}')
}

# start_reference DATA_DIR: sets pid and url (ws://127.0.0.1:PORT).
start_reference() {
  : >"$out/reference.stdout"
  node "$root/tests/js/server.mjs" 0 "$1" >"$out/reference.stdout" 2>>"$out/reference.log" &
  pid=$!
  url=$(first_line "$out/reference.stdout")
}

first_line() {
  for _ in $(seq 1 200); do
    if [ -s "$1" ]; then
      head -1 "$1"
      return
    fi
    sleep 0.05
  done
  echo "the server did not print its address; see $out/*.log" >&2
  exit 1
}

stop() {
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=""
  fi
}
trap stop EXIT

note_load() {
  { echo "== $1 $(date -Is)"; uptime; top -bn1 | sed -n 7,12p; } >>"$out/load.log"
  local one
  one=$(cut -d' ' -f1 /proc/loadavg)
  if awk -v l="$one" 'BEGIN { exit !(l > 0.5) }'; then
    echo "warning: load average $one before $1: figures taken now are disturbed" >&2
  fi
}

# A prepared quaderno-server data directory with DEVICES devices in group `bench` (and, for
# the groups scenario, one device in 1,000 groups), copied for every run.
prepare_relay_dir() {
  local name=$1 devices=$2 groups=$3 group=$4
  local dir="$out/template-$name"
  [ -f "$out/tokens-$name.json" ] && return
  rm -rf "$dir"
  mkdir -p "$dir"
  start_quaderno "$dir"
  "$bench" setup --server-bin "$server" --data-dir "$dir" --url "$url" \
    --devices "$devices" --groups "$groups" --group "$group" --out "$out/tokens-$name.json"
  stop
}

fresh_copy() {
  local dir="$out/run-relay"
  rm -rf "$dir"
  cp -r "$out/template-$1" "$dir"
  echo "$dir"
}

fresh_reference_dir() {
  local dir="$out/run-reference"
  rm -rf "$dir"
  mkdir -p "$dir"
  echo "$dir"
}

# run_live NAME SCENARIO ARGS...: REPEATS runs against each relay, alternating.
run_live() {
  local name=$1 scenario=$2
  shift 2
  for r in $(seq 1 "$repeats"); do
    start_quaderno "$(fresh_copy bench)"
    note_load "$name quaderno $r"
    "$bench" "$scenario" --url "$url" --tokens "$out/tokens-bench.json" --relay-pid "$pid" \
      --out "$out/$name-quaderno-$r.json" "$@" >/dev/null || echo "($name quaderno $r reported problems)" >&2
    stop
    start_reference "$(fresh_reference_dir)"
    note_load "$name reference $r"
    "$bench" "$scenario" --url "$url" --relay-pid "$pid" \
      --out "$out/$name-reference-$r.json" "$@" >/dev/null || echo "($name reference $r reported problems)" >&2
    stop
  done
  summarize "$name" "$scenario $*"
}

summarize() {
  {
    echo "### $1"
    echo
    echo "\`quaderno-bench $2\`, $repeats runs each; median (min–max)."
    echo
    "$bench" compare --left "$out/$1"-quaderno-*.json --right "$out/$1"-reference-*.json
    echo
  } >>"$out/summary.md"
}

typing() {
  run_live typing-10 typing --clients 10 --docs 10 --per-client 10 --edits 100 --interval-ms 100
  run_live typing-100 typing --clients 100 --docs 100 --per-client 10 --edits 20 --interval-ms 100
}

unloaded() {
  run_live unloaded typing --clients 10 --docs 10 --per-client 10 --edits 40 --interval-ms 500
}

meeting() {
  run_live "meeting-5k" meeting --typists "$meet5_t" --watchers "$meet5_l" --body-bytes 5000 --edits 100
  run_live "meeting-50k" meeting --typists "$meet50_t" --watchers "$meet50_l" --body-bytes 50000 --edits 100
}

pull() {
  for r in $(seq 1 "$repeats"); do
    local dir
    dir=$(fresh_copy bench)
    start_quaderno "$dir"
    "$bench" pull prepare --url "$url" --tokens "$out/tokens-bench.json" --docs-out "$out/pull-notes.json"
    stop
    start_quaderno "$dir"
    note_load "pull quaderno $r"
    "$bench" pull fetch --url "$url" --tokens "$out/tokens-bench.json" --relay-pid "$pid" \
      --docs "$out/pull-notes.json" --out "$out/pull-quaderno-$r.json" >/dev/null || true
    stop
    dir=$(fresh_reference_dir)
    start_reference "$dir"
    "$bench" pull prepare --url "$url" --docs-out "$out/pull-notes-reference.json"
    stop
    start_reference "$dir"
    note_load "pull reference $r"
    "$bench" pull fetch --url "$url" --relay-pid "$pid" --docs "$out/pull-notes-reference.json" \
      --out "$out/pull-reference-$r.json" >/dev/null || true
    stop
  done
  summarize pull "pull fetch (1,000 notes of 5 KB and 50 changes, relay restarted after prepare)"
}

idle() {
  for r in $(seq 1 "$repeats"); do
    start_quaderno "$(fresh_copy bench)"
    note_load "idle quaderno $r"
    "$bench" idle --url "$url" --tokens "$out/tokens-bench.json" --relay-pid "$pid" \
      --connections "$idle_connections" --out "$out/idle-quaderno-$r.json" >/dev/null || true
    stop
    start_reference "$(fresh_reference_dir)"
    note_load "idle reference $r"
    "$bench" idle --url "$url" --relay-pid "$pid" --connections "$idle_connections" \
      --out "$out/idle-reference-$r.json" >/dev/null || true
    stop
  done
  summarize idle "idle --connections $idle_connections"
}

groups() {
  for r in $(seq 1 "$repeats"); do
    start_quaderno "$(fresh_copy groups)" --group-idle-secs 10
    note_load "groups quaderno $r"
    "$bench" groups --url "$url" --tokens "$out/tokens-groups.json" --relay-pid "$pid" \
      --groups 1000 --idle-secs 60 --out "$out/groups-quaderno-$r.json" >/dev/null || true
    stop
    start_reference "$(fresh_reference_dir)"
    note_load "groups reference $r"
    "$bench" groups --url "$url" --relay-pid "$pid" --groups 1000 --idle-secs 60 \
      --out "$out/groups-reference-$r.json" >/dev/null || true
    stop
  done
  summarize groups "groups --groups 1000 --idle-secs 60 (quaderno-server --group-idle-secs 10)"
}

sweep() {
  start_quaderno "$(fresh_copy bench)"
  note_load "sweep quaderno"
  "$bench" sweep --url "$url" --tokens "$out/tokens-bench.json" --relay-pid "$pid" \
    --clients "$sweep" --repeats "$repeats" --csv "$out/sweep-quaderno.csv" \
    --svg "$out/sweep-quaderno.svg" >"$out/sweep-quaderno.json"
  stop
}

needs_bench=0 needs_groups=0
for s in "${scenarios[@]}"; do
  case $s in
    typing | unloaded | meeting | pull | idle | sweep) needs_bench=1 ;;
    groups) needs_groups=1 ;;
    *) echo "unknown scenario $s (typing unloaded meeting pull idle groups sweep)" >&2; exit 2 ;;
  esac
done
max_sweep=$(tr ',' '\n' <<<"$sweep" | sort -n | tail -1)
devices=$(( idle_connections > max_sweep ? idle_connections : max_sweep ))
[ "$needs_bench" = 1 ] && prepare_relay_dir bench "$devices" 1 bench
[ "$needs_groups" = 1 ] && prepare_relay_dir groups 1 1000 g

for s in "${scenarios[@]}"; do
  echo "== $s" >&2
  "$s"
done
rm -rf "$out/run-relay" "$out/run-reference"
echo "reports in $out; summaries in $out/summary.md" >&2
