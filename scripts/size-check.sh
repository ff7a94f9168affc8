#!/usr/bin/env bash
# The bundle-size check of `make test`: a guard against runaway growth, not a goal.
# Fails when the gzipped wasm + JS passes 1 MiB (Cloudflare allows far more; cold
# start is what `make bench` measures).
set -euo pipefail
cd "$(dirname "$0")/.."
CEILING_KIB=${BUNDLE_CEILING_KIB:-1024}
wasm=build/index_bg.wasm
js=build/index.js
for file in "$wasm" "$js"; do
  [ -f "$file" ] || { echo "size-check: $file missing; run \`make build\`" >&2; exit 1; }
done
bytes=$(( $(gzip -9 -c "$wasm" | wc -c) + $(gzip -9 -c "$js" | wc -c) ))
kib=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1024 }')
if [ "$bytes" -gt $(( CEILING_KIB * 1024 )) ]; then
  echo "size-check: the gzipped bundle is $kib KiB, over the $CEILING_KIB KiB ceiling" >&2
  exit 1
fi
echo "size-check: gzipped bundle $kib KiB (ceiling $CEILING_KIB KiB)"
