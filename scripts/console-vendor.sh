#!/usr/bin/env bash
# The console's vendored files (uPlot) from node_modules into public/console/vendor/.
# `make build` runs this, so `wrangler deploy` and `wrangler dev` (whose [build] is
# `make build`) serve the pinned files; bootstrap runs it too. A no-op when they match.
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
ensure_console_vendor
