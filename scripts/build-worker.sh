#!/usr/bin/env bash
# The Worker (wasm + JS shim), with the pinned tools. With no argument, the release build
# in build/: wrangler.toml's [build] runs this through `make build`; nothing needs to be
# set by hand. With `profile`, the same build with the function names kept, in
# target/profile-build/ (laid out as build/ is), so that a CPU profile (`make profile`)
# names Rust functions and the JS glue instead of `wasm-function[1234]` and minified
# names; build/ is left as it was.
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
ensure_rust_tools
[ -x "$WASM_OPT_BIN" ] && [ -x "$ESBUILD_BIN" ] ||
    die "npm tools missing: run \`make bootstrap\` (or \`npm ci\`) first"
export WASM_BINDGEN_BIN WASM_OPT_BIN ESBUILD_BIN
# binaryen's wasm-opt is a Node program; the pinned Node 22 runs it.
export PATH="$ROOT/node_modules/.bin:$PATH"
cd "$ROOT"
case "${1:-release}" in
release)
    "$WORKER_BUILD_BIN" --release
    # worker-build's own wasm-opt pass leaves the name section (about 170 KB) in
    # place; one more pass drops it and optimises again.
    "$WASM_OPT_BIN" -O3 --strip-debug --strip-producers \
        build/index_bg.wasm -o build/index_bg.wasm
    ;;
profile)
    OUT=target/profile-build
    # The same cargo build and worker-build pass as the release (the cargo output is
    # shared, so after `make build` nothing recompiles); NO_MINIFY keeps the JS glue's
    # function names.
    NO_MINIFY=1 "$WORKER_BUILD_BIN" --release --out-dir "$OUT"
    # The release's last pass, keeping the name section (`--debuginfo`) where the
    # release strips it: the same optimisation, so the profile is of the code that ships.
    "$WASM_OPT_BIN" -O3 --debuginfo --strip-producers \
        "$OUT/index_bg.wasm" -o "$OUT/index_bg.wasm"
    ;;
*) die "build-worker.sh: unknown flavour '$1' (release or profile)" ;;
esac
