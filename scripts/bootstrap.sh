#!/usr/bin/env bash
# Installs every tool the project builds and tests with, pinned; idempotent, and a
# matter of seconds when everything is already there.
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
ensure_node_tools
ensure_console_vendor
ensure_rust_tools
ensure_browser
ensure_python
ensure_dev_vars
say "tools ready: wasm-bindgen $WASM_BINDGEN_VERSION, worker-build $WORKER_BUILD_VERSION, $("$CHROMIUM_BIN" --version 2>/dev/null | head -n 1), wrangler $(PATH="$ROOT/node_modules/.bin:$PATH" wrangler --version 2>/dev/null | tail -n 1), uPlot $(sed -n 's/.*"version": "\(.*\)".*/\1/p' "$ROOT/node_modules/uplot/package.json")"
