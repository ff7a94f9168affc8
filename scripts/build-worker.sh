#!/usr/bin/env bash
# The release build of the Worker (wasm + JS shim in build/), with the pinned tools.
# wrangler.toml's [build] runs this through `make build`; nothing needs to be set by hand.
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
ensure_rust_tools
[ -x "$WASM_OPT_BIN" ] && [ -x "$ESBUILD_BIN" ] ||
    die "npm tools missing: run \`make bootstrap\` (or \`npm ci\`) first"
export WASM_BINDGEN_BIN WASM_OPT_BIN ESBUILD_BIN
# binaryen's wasm-opt is a Node program; the pinned Node 22 runs it.
export PATH="$ROOT/node_modules/.bin:$PATH"
cd "$ROOT"
"$WORKER_BUILD_BIN" --release
# worker-build's own wasm-opt pass leaves the name section (about 170 KB) in place;
# one more pass drops it and optimises again.
"$WASM_OPT_BIN" -O3 --strip-debug --strip-producers \
    build/index_bg.wasm -o build/index_bg.wasm
