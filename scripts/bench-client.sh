#!/usr/bin/env bash
# Client sync benchmark (issue 4), release build, everything on 127.0.0.1:
#   1. a new member pulls a group of NOTES notes (about 5 KB of text and 50 changes each) with
#      `quaderno sync`, timed as a whole command;
#   2. `quaderno sync` of that group again when nothing changed: time and messages;
#   3. propagation of one edit between two live clients through the relay (examples/propagation),
#      members who go live at once (their live sync first pulls the whole group);
#   4. the same with members who synced once before going live, so that they start idle.
# Prints a summary and writes JSON to bench-results/client-*.json.
#
# Usage: scripts/bench-client.sh [NOTES]      (default 1000; needs hyperfine: apt-get install hyperfine)
set -euo pipefail

notes=${1:-1000}
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/bench-results"
work=$(mktemp -d)
mkdir -p "$out"
cleanup() {
  [ -n "${relay_pid:-}" ] && kill "$relay_pid" 2>/dev/null && wait "$relay_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

cd "$root"
cargo build --release --bins -p quaderno-cli -p quaderno-server >&2
cargo build --release -p quaderno-client --examples >&2
bin="$root/target/release"
server="$bin/quaderno-server"
quaderno="$bin/quaderno"

"$server" --data-dir "$work/relay" group create bench >/dev/null
"$server" --data-dir "$work/relay" serve --listen 127.0.0.1:0 >"$work/relay.url" 2>"$work/relay.log" &
relay_pid=$!
for _ in $(seq 100); do [ -s "$work/relay.url" ] && break; sleep 0.1; done
url=$(awk '{print $NF}' "$work/relay.url")

# Joins a fresh data folder to the group.
member() {
  local dir=$1 name=$2 code
  "$quaderno" --data-dir "$dir" init --name "$name" --city Palermo >/dev/null
  code=$("$server" --data-dir "$work/relay" --json invite create --group bench --role editor --uses 1 |
    sed -n 's/.*"code": *"\([^"]*\)".*/\1/p')
  "$quaderno" --data-dir "$dir" join "$url" "$code" >/dev/null
}

echo "seeding $notes notes on the relay" >&2
member "$work/seeder" Seeder
"$bin/examples/seed_group" "$work/seeder" bench --notes "$notes" --kb 5 --changes 50 >&2
"$quaderno" --data-dir "$work/seeder" sync >/dev/null

echo "1. a new member pulls the group" >&2
# Each run starts from an empty data folder that joined with a fresh invite.
cat >"$work/fresh.sh" <<EOF
#!/usr/bin/env bash
set -e
rm -rf "$work/newcomer"
$(declare -f member)
work="$work"; server="$server"; quaderno="$quaderno"; url="$url"
member "$work/newcomer" Nuova
EOF
chmod +x "$work/fresh.sh"
hyperfine --warmup 1 --runs 5 --prepare "$work/fresh.sh" \
  --export-json "$out/client-pull.json" "$quaderno --data-dir $work/newcomer sync" >&2
"$quaderno" --data-dir "$work/newcomer" --json list | grep -o '"id"' | wc -l | xargs echo "notes pulled:" >&2

echo "2. sync again, nothing changed" >&2
hyperfine --warmup 3 --runs 30 --export-json "$out/client-nochange.json" \
  "$quaderno --data-dir $work/newcomer sync" >&2
"$quaderno" --data-dir "$work/newcomer" --json sync >"$out/client-nochange-report.json"

echo "3. propagation between two live clients" >&2
member "$work/live-a" Anna
member "$work/live-b" Bruno
"$bin/examples/propagation" "$work/live-a" "$work/live-b" bench --edits 300 --every-ms 100 \
  | tee "$out/client-propagation.json"

echo "4. propagation between two live clients that synced before" >&2
member "$work/idle-a" Carla
member "$work/idle-b" Dario
"$quaderno" --data-dir "$work/idle-a" sync >/dev/null
"$quaderno" --data-dir "$work/idle-b" sync >/dev/null
"$bin/examples/propagation" "$work/idle-a" "$work/idle-b" bench --edits 300 --every-ms 100 \
  | tee "$out/client-propagation-idle.json"

mean() { sed -n 's/.*"mean": *\([0-9.e+-]*\).*/\1/p' "$1" | head -1; }
printf '\nsummary (load before: %s)\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '  pull %s notes:        mean %.2f s\n' "$notes" "$(mean "$out/client-pull.json")"
printf '  sync, nothing changed: mean %.1f ms, report %s\n' "$(echo "$(mean "$out/client-nochange.json") * 1000" | bc -l)" "$(cat "$out/client-nochange-report.json")"
printf '  propagation:           %s\n' "$(cat "$out/client-propagation.json")"
printf '  propagation, idle:     %s\n' "$(cat "$out/client-propagation-idle.json")"
