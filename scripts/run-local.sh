#!/usr/bin/env bash
# Runs Quaderno on this machine: a relay (quaderno-server) and one participant's Quaderno, open
# in the browser, both with SQLite in ./local, nothing else to install. The first run creates a
# group, an invite and the participant; later runs reuse them. Ctrl-C stops everything.
#
#   scripts/run-local.sh            # relay on 127.0.0.1:7878, the page on 127.0.0.1:7879
#   QUADERNO_PORT=8000 QUADERNO_UI_PORT=8001 scripts/run-local.sh
set -euo pipefail
cd "$(dirname "$0")/.."

port="${QUADERNO_PORT:-7878}"
relay_dir="local/relay"
client_dir="local/client"
group="laboratorio"

echo "Building Quaderno (release; the first build takes a few minutes)..."
cargo build --release --bins --quiet
server="target/release/quaderno-server"
quaderno="target/release/quaderno"

mkdir -p "$relay_dir" "$client_dir"
if ! "$server" --data-dir "$relay_dir" group list | grep -q "^$group\b"; then
  "$server" --data-dir "$relay_dir" group create "$group" --title "Laboratorio di prova" >/dev/null
fi

"$server" --data-dir "$relay_dir" serve --listen "127.0.0.1:$port" >/dev/null 2>>"$relay_dir/relay.log" &
relay_pid=$!
trap 'kill "$relay_pid" 2>/dev/null; wait "$relay_pid" 2>/dev/null' EXIT
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done

if ! "$quaderno" --data-dir "$client_dir" --json status --offline | grep -q "\"$group\""; then
  "$quaderno" --data-dir "$client_dir" init --name "${QUADERNO_NAME:-Anna}" --city "${QUADERNO_CITY:-Palermo}" >/dev/null
  code=$("$server" --data-dir "$relay_dir" --json invite create --group "$group" --role editor \
    | sed -n 's/.*"code": *"\([^"]*\)".*/\1/p')
  "$quaderno" --data-dir "$client_dir" join "http://127.0.0.1:$port" "$code" --device "questo computer"
fi

cat <<EOF

Quaderno is running: relay on http://127.0.0.1:$port (log in $relay_dir/relay.log),
notes in $client_dir. The page opens in your browser; if it does not, open the address below.
Invite someone else: $server --data-dir $relay_dir invite create --group $group --role editor
(they enter the relay's address and the code in their own page, under "Entra in un gruppo").
The command line works beside the page, e.g.: $quaderno --data-dir $client_dir list

EOF
exec "$quaderno" --data-dir "$client_dir" ui --port "${QUADERNO_UI_PORT:-7879}"
