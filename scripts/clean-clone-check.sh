#!/usr/bin/env bash
# The end of `make test`: clones the committed project into an empty folder with nothing
# beside it and runs the native tests there, so a file the build or tests read from
# outside the repository (or one left untracked) fails here rather than on a user's clone.
# The clone builds into this checkout's target folder, where every dependency is already
# compiled, so only the crate itself is rebuilt. The wrangler dev suites are left to the
# main run: they exercise the same sources against tools installed per machine.
#
# Sharing the folder has one trap: the clone's test binaries land under the same names as
# this checkout's, and cargo judges them by mtime, so the next `cargo test` here would run
# the clone's binaries (built from the deleted clone's paths) without rebuilding. So the
# crate's own debug artifacts go on exit, whatever happened; the next run rebuilds the
# crate alone.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

# A fixed place, emptied first: the same path each run lets cargo reuse the clone's own
# compiled tests instead of adding a copy under target/ every time.
PARENT="${TMPDIR:-/tmp}/telnyx-edge-clean-clone-$(id -u)"
CLONE="$PARENT/telnyx-edge"
rm -rf "$PARENT"
mkdir -p "$PARENT"
forget_the_clones_build() {
  cargo clean --quiet --profile dev -p telnyx-edge
  rm -rf "$PARENT"
}
trap forget_the_clones_build EXIT

commit=$(git rev-parse --short HEAD)
if [ -n "$(git status --porcelain --untracked-files=normal)" ]; then
  echo "clean-clone-check: note: uncommitted changes are not part of this check (it tests commit $commit)"
fi
echo "clean-clone-check: cloning commit $commit into $CLONE (nothing beside it)"
git clone --quiet --no-hardlinks "$ROOT" "$CLONE"
[ -z "$(ls -A "$PARENT" | grep -vx telnyx-edge)" ] || { echo "clean-clone-check: $PARENT is not empty" >&2; exit 1; }

# Every test target except the ones that run under wrangler dev (harness = false).
wrangler_suites=$(awk '
  /^\[\[test\]\]/ { in_test = 1; next }
  /^\[/ { in_test = 0 }
  in_test && /^name = / { gsub(/name = |"/, ""); name = $0 }
  in_test && /^harness = false/ { print name }
' "$CLONE/Cargo.toml")
targets=(--lib --examples)
for file in "$CLONE"/tests/*.rs; do
  name=$(basename "$file" .rs)
  grep -qx "$name" <<<"$wrangler_suites" || targets+=(--test "$name")
done

echo "clean-clone-check: cargo test ${targets[*]}"
start=$(date +%s)
(cd "$CLONE" && CARGO_TARGET_DIR="$ROOT/target" cargo test --quiet "${targets[@]}")
echo "clean-clone-check: the native tests pass in a clone with nothing beside it ($(( $(date +%s) - start )) s)"
