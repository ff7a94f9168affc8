#!/usr/bin/env bash
# `make dev`: the local Telnyx (the telnyx-sim example) on DEV_TELNYX_PORT, and the
# worker under `wrangler dev` on DEV_PORT with the shipped example rules, each pointed at
# the other (the worker's Telnyx API base and key are set to the simulator's, whatever
# .dev.vars says). TELNYX_CONNECTION_ID is the simulator's connection (`telnyx-sim`, the
# connection_id of its inbound calls), for a Dial (`POST /calls`) that names none; the
# example rule's dial and `POST /calls/{id}/supervise` take the call's own connection and
# need none. Ctrl-C stops both.
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
cd "$ROOT"
DEV_PORT=${DEV_PORT:-8787}
DEV_TELNYX_PORT=${DEV_TELNYX_PORT:-8788}

say "building the local Telnyx (cargo build --example telnyx-sim)"
cargo build --quiet --example telnyx-sim
target/debug/examples/telnyx-sim --port "$DEV_TELNYX_PORT" \
    --webhook-url "http://127.0.0.1:$DEV_PORT/webhooks/telnyx" &
sim=$!
config=.dev-wrangler.toml
trap 'kill "$sim" 2>/dev/null || true; rm -f "$config"' EXIT INT TERM

# wrangler.toml with the example rules appended, beside it so its paths mean the same.
# An AUTOMATIONS in .dev.vars replaces these rules.
{ cat wrangler.toml; echo; cat examples/automations/*.toml; } > "$config"
say "worker on http://127.0.0.1:$DEV_PORT (console: /console), Telnyx at http://127.0.0.1:$DEV_TELNYX_PORT/v2"
PATH="$ROOT/node_modules/.bin:$PATH" wrangler dev --config "$config" --ip 127.0.0.1 \
    --port "$DEV_PORT" --var "TELNYX_API_BASE:http://127.0.0.1:$DEV_TELNYX_PORT/v2" \
    --var "TELNYX_API_KEY:dev-simulator-key" --var "TELNYX_CONNECTION_ID:telnyx-sim"
