#!/usr/bin/env bash
# Refreshes the third-party files the Quaderno page embeds (assets/vendor), from the npm
# packages pinned in package.json and package-lock.json. The files are committed: nobody needs
# to run this to build or use Quaderno, only to upgrade them.
#
#   crates/quaderno-cli/ui/build.sh
set -euo pipefail
cd "$(dirname "$0")"

npm ci --no-audit --no-fund

automerge=node_modules/@automerge/automerge
out=assets/vendor/automerge
rm -rf "$out"
mkdir -p "$out/entrypoints" "$out/generated" "$out/wasm_bindgen_output/web"
# The "slim" ES modules: the library without the WebAssembly inlined, which the page fetches
# itself (compiled while it streams in, not decoded from base64).
cp "$automerge"/dist/mjs/*.js "$out/"
cp "$automerge"/dist/mjs/generated/*.js "$out/generated/"
cp "$automerge"/dist/mjs/entrypoints/slim.js "$out/entrypoints/"
cp "$automerge"/dist/mjs/wasm_bindgen_output/web/automerge_wasm.js "$out/wasm_bindgen_output/web/"
cp "$automerge"/dist/automerge.wasm "$out/automerge.wasm"
cp "$automerge"/LICENSE "$out/LICENSE"

inter=node_modules/@fontsource-variable/inter
out=assets/vendor/inter
rm -rf "$out"
mkdir -p "$out"
for file in latin-wght-normal latin-wght-italic latin-ext-wght-normal latin-ext-wght-italic; do
  cp "$inter/files/inter-$file.woff2" "$out/"
done
cp "$inter"/LICENSE "$out/LICENSE"

echo "vendored @automerge/automerge $(node -p 'require("./'"$automerge"'/package.json").version')" \
  "and Inter $(node -p 'require("./'"$inter"'/package.json").version') into assets/vendor"
