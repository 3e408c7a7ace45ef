#!/usr/bin/env bash
# Installs the .deb packages scripts/release.sh built (target/dist) on this machine, uses them
# as a coordinator and a participant would, and removes them again. Needs root, Node.js with
# tests/js installed, and Chromium. Every wait has a deadline.
#
# - the relay is started from its installed unit's own command line (ExecStart), as the user
#   `quaderno` the package made, with /etc/quaderno/server.toml (only the port comes from
#   QUADERNO_SERVER_LISTEN, as a coordinator may set it with `systemctl edit`);
# - the first operator and an invite are made with admin commands that find the data folder
#   in that file;
# - a participant joins, writes a note, syncs, and opens the page through `quaderno open`,
#   which is given to Chromium;
# - removing the packages leaves the relay's data in place.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dist=${1:-target/dist}

if [ "$(id -u)" != 0 ]; then
  echo "smoke-packages.sh installs packages: run it as root" >&2
  exit 2
fi

work=$(mktemp -d)
chmod 755 "$work"
relay_pid=
participant_dir="$work/anna"

say() { echo "smoke: $*"; }
fail() { echo "smoke: FAILED: $*" >&2; [ -f "$work/relay.log" ] && tail -20 "$work/relay.log" >&2; exit 1; }

cleanup() {
  set +e
  [ -x /usr/bin/quaderno ] && HOME="$work" QUADERNO_DIR="$participant_dir" quaderno service uninstall >/dev/null 2>&1
  [ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null && wait "$relay_pid" 2>/dev/null
  dpkg --purge quaderno quaderno-server >/dev/null 2>&1
  rm -rf /var/lib/quaderno
  getent passwd quaderno >/dev/null && userdel quaderno
  rm -rf "$work"
}
trap cleanup EXIT

until_ok() { # seconds, command...: runs the command until it succeeds, for at most that long
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

say "installing $(ls "$dist"/*.deb | xargs -n1 basename | tr '\n' ' ')"
dpkg -i "$dist"/quaderno_*.deb "$dist"/quaderno-server_*.deb

say "what the packages installed"
for f in /usr/bin/quaderno /usr/bin/quaderno-server; do [ -x "$f" ] || fail "$f is missing"; done
for f in /etc/quaderno/server.toml /usr/lib/systemd/system/quaderno-server.service \
  /usr/share/applications/quaderno.desktop /usr/share/icons/hicolor/scalable/apps/quaderno.svg; do
  [ -f "$f" ] || fail "$f is missing"
done
grep -qx 'Exec=quaderno open' /usr/share/applications/quaderno.desktop || fail "the desktop entry does not run quaderno open"
getent passwd quaderno >/dev/null || fail "no user quaderno"
[ "$(stat -c %U:%a /var/lib/quaderno)" = quaderno:700 ] || fail "/var/lib/quaderno is $(stat -c %U:%a /var/lib/quaderno)"
size() { stat -c %s "$1"; }
say "quaderno $(size /usr/bin/quaderno) bytes, quaderno-server $(size /usr/bin/quaderno-server) bytes"
[ "$(size /usr/bin/quaderno)" -le $((25 * 1024 * 1024)) ] || fail "quaderno is over 25 MiB"
[ "$(size /usr/bin/quaderno-server)" -le $((15 * 1024 * 1024)) ] || fail "quaderno-server is over 15 MiB"
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify /usr/lib/systemd/system/quaderno-server.service || fail "systemd-analyze verify"
  say "systemd-analyze verify: ok"
fi

say "the relay, from the unit's command line"
# Where systemd runs, the package has started the service already: stopped here, so that the
# relay below (the same command line, on a port of this test's) holds the data folder.
if [ -d /run/systemd/system ]; then
  systemctl stop quaderno-server || true
fi
exec_start=$(sed -n 's/^ExecStart=//p' /usr/lib/systemd/system/quaderno-server.service)
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
relay="http://127.0.0.1:$port"
# shellcheck disable=SC2086 # the unit's command line, split as systemd splits it
runuser -u quaderno -- env QUADERNO_SERVER_LISTEN="127.0.0.1:$port" \
  QUADERNO_SERVER_PUBLIC_URL="$relay" $exec_start >"$work/relay.log" 2>&1 &
relay_pid=$!
healthy() { node -e "fetch('$relay/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"; }
until_ok 20 healthy || fail "the relay did not answer /healthz within 20 s"
[ -f /var/lib/quaderno/relay.sqlite3 ] || fail "the relay's database is not in /var/lib/quaderno"

say "admin commands, as the relay's user, with the data folder from server.toml"
if quaderno-server group list >/dev/null 2>"$work/root.err"; then
  fail "an admin command as root on the relay's data was not refused"
fi
grep -q "sudo -u quaderno" "$work/root.err" || fail "the refusal does not say how: $(cat "$work/root.err")"
admin() { runuser -u quaderno -- quaderno-server "$@"; }
admin group create bologna --title "Housing First Bologna" >/dev/null
admin operator add --name "Coordinamento regionale" >/dev/null
code=$(admin --json invite create --group bologna --role editor | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).code))')

say "a participant joins, writes, syncs"
export HOME="$work" QUADERNO_DIR="$participant_dir"
quaderno init --name "Anna Rossi" --city Bologna >/dev/null
quaderno join "$relay" "$code" >/dev/null
quaderno new --group bologna --title "Verbale di prova del pacchetto" --body "Presenti: tutti." >/dev/null
quaderno sync >/dev/null

say "the page through quaderno open"
cat >"$work/browser.sh" <<BROWSER
#!/bin/sh
echo "\$1" > "$work/opened"
BROWSER
chmod 755 "$work/browser.sh"
BROWSER="$work/browser.sh" QUADERNO_UI_PORT="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')" \
  quaderno open >"$work/open.out"
until_ok 10 test -s "$work/opened" || fail "quaderno open did not open the browser"
screenshot="$root/target/ui-screenshots/installed-page.png"
mkdir -p "$(dirname "$screenshot")"
node "$root/tests/js/open_page.mjs" "$(cat "$work/opened")" "Verbale di prova del pacchetto" "$screenshot" \
  || fail "the page opened by quaderno open does not show the note (screenshot: $screenshot)"
quaderno service uninstall >/dev/null

say "removing the packages keeps the relay's data"
kill "$relay_pid"; wait "$relay_pid" 2>/dev/null || true; relay_pid=
dpkg -r quaderno quaderno-server >/dev/null
[ ! -e /usr/bin/quaderno-server ] || fail "quaderno-server is still installed"
[ -f /var/lib/quaderno/relay.sqlite3 ] || fail "removing the package deleted the relay's data"
say "ok"
