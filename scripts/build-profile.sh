#!/usr/bin/env bash
# The profiling flavour of the Worker for `make profile`: the release build's steps
# (scripts/build-worker.sh) with the function names kept, so that a CPU profile names
# Rust functions and the JS glue instead of `wasm-function[1234]` and minified names.
# Written to target/profile-build/, laid out as build/ is; build/ is left as it was.
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
ensure_rust_tools
[ -x "$WASM_OPT_BIN" ] && [ -x "$ESBUILD_BIN" ] ||
    die "npm tools missing: run \`make bootstrap\` (or \`npm ci\`) first"
export WASM_BINDGEN_BIN WASM_OPT_BIN ESBUILD_BIN
export PATH="$ROOT/node_modules/.bin:$PATH"
cd "$ROOT"
OUT=target/profile-build
# The same cargo build and worker-build wasm-opt pass as the release (the cargo output
# is shared, so after `make build` nothing recompiles); NO_MINIFY keeps the JS glue's
# function names.
NO_MINIFY=1 "$WORKER_BUILD_BIN" --release --out-dir "$OUT"
# The release's last pass, keeping the name section (`--debuginfo`) where the release
# strips it: the same optimisation, so the profile is of the code that ships.
"$WASM_OPT_BIN" -O3 --debuginfo --strip-producers \
    "$OUT/index_bg.wasm" -o "$OUT/index_bg.wasm"
