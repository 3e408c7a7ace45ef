#!/usr/bin/env bash
# Builds Quaderno's release from this checkout, with no network but the crate registry:
#   target/dist/quaderno_VERSION_ARCH.deb         the participant's program, desktop icon
#   target/dist/quaderno-server_VERSION_ARCH.deb  the relay, its hardened systemd service
#   target/dist/quaderno-VERSION-linux-ARCH.tar.gz both programs, LICENSE, INSTALL.txt,
#                                                  the relay's settings file and unit
# The binaries are the release profile's (stripped, thin LTO; sizes in BENCHMARKS.md).
# cargo-deb is installed first if missing (`cargo install --locked`, from the registry).
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_DEB_VERSION=3.8.0
out=target/dist

if ! cargo deb --version >/dev/null 2>&1; then
  echo "installing cargo-deb $CARGO_DEB_VERSION (builds the .deb packages)" >&2
  cargo install --locked "cargo-deb@$CARGO_DEB_VERSION"
fi

cargo build --release --locked -p quaderno-cli -p quaderno-server --bins
target_dir=${CARGO_TARGET_DIR:-target}
# The workspace's version, which every crate takes.
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)
arch=$(uname -m)

rm -rf "$out"
mkdir -p "$out"
cargo deb --no-build -p quaderno-server --output "$out" >&2
cargo deb --no-build -p quaderno-cli --output "$out" >&2

name="quaderno-$version-linux-$arch"
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
mkdir "$staging/$name"
install -m 755 "$target_dir/release/quaderno" "$target_dir/release/quaderno-server" "$staging/$name/"
install -m 644 LICENSE packaging/INSTALL.txt packaging/server.toml \
  packaging/systemd/quaderno-server.service "$staging/$name/"
tar --owner=0 --group=0 --sort=name -C "$staging" -czf "$out/$name.tar.gz" "$name"

ls -l "$out"
