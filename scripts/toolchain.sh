# Pinned build tools and where they live. Sourced by bootstrap.sh, build-worker.sh and
# console-vendor.sh.
# Rust tools are cached per version outside the checkout, so a fresh clone on the same
# machine reuses them; npm tools are pinned by package-lock.json.

WORKER_BUILD_VERSION=0.8.7

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS_DIR=${TELNYX_EDGE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/telnyx-edge/tools}

# wasm-bindgen's CLI must match the library version that Cargo.lock pins exactly.
wasm_bindgen_version() {
    awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' \
        "$ROOT/Cargo.lock"
}

WASM_BINDGEN_VERSION=$(wasm_bindgen_version)
WASM_BINDGEN_BIN="$TOOLS_DIR/wasm-bindgen-cli-$WASM_BINDGEN_VERSION/bin/wasm-bindgen"
WORKER_BUILD_BIN="$TOOLS_DIR/worker-build-$WORKER_BUILD_VERSION/bin/worker-build"
WASM_OPT_BIN="$ROOT/node_modules/.bin/wasm-opt"
ESBUILD_BIN="$ROOT/node_modules/.bin/esbuild"

say() { printf 'bootstrap: %s\n' "$*" >&2; }
die() { printf 'bootstrap: error: %s\n' "$*" >&2; exit 1; }

ensure_wasm_target() {
    command -v rustup >/dev/null || die "rustup is required (the Rust toolchain installer)"
    if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
        say "adding the wasm32-unknown-unknown target"
        rustup target add wasm32-unknown-unknown
    fi
}

# cargo_tool CRATE VERSION BIN: installs CRATE at exactly VERSION unless BIN reports it.
cargo_tool() {
    local crate=$1 version=$2 bin=$3 minutes=$4
    if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q "$version"; then
        return
    fi
    [ -n "$version" ] || die "no version found for $crate"
    say "installing $crate $version into $TOOLS_DIR (takes about $minutes minutes on 2 cores, once)"
    local root
    root=$(dirname "$(dirname "$bin")")
    # --locked reproduces the tool's own lockfile; when the registry no longer serves
    # a version it pins, fall back to the newest compatible versions.
    cargo install --locked --version "=$version" --root "$root" "$crate" ||
        { say "retrying $crate without --locked"; \
          cargo install --version "=$version" --root "$root" "$crate"; } ||
        die "could not install $crate $version"
    "$bin" --version >/dev/null || die "$bin does not run after installing"
}

ensure_rust_tools() {
    command -v cargo >/dev/null || die "cargo is required"
    mkdir -p "$TOOLS_DIR"
    ensure_wasm_target
    cargo_tool wasm-bindgen-cli "$WASM_BINDGEN_VERSION" "$WASM_BINDGEN_BIN" 6
    cargo_tool worker-build "$WORKER_BUILD_VERSION" "$WORKER_BUILD_BIN" 8
}

ensure_node_tools() {
    command -v npm >/dev/null || die "npm is required (Node.js 18 or newer runs the installer)"
    local stamp="$ROOT/node_modules/.telnyx-edge-lock"
    if [ -f "$stamp" ] && cmp -s "$stamp" "$ROOT/package-lock.json"; then
        return
    fi
    say "installing the pinned npm packages (wrangler, Node 22, binaryen, esbuild, playwright-core, uPlot, the Telnyx SDK)"
    # `npm install` honours every version in package-lock.json. `npm ci` would refuse
    # the lock, which can only list the platform packages the registry serves.
    (cd "$ROOT" && npm install --no-audit --no-fund --loglevel=error) || die "npm install failed"
    cp "$ROOT/package-lock.json" "$stamp"
}

# The console's chart library, uPlot, is pinned by package-lock.json like the tools above
# and served from the console's own origin: its files are copied from node_modules into
# public/console/vendor/, which is generated (gitignored), never edited. Each entry: the
# file in node_modules, then the name it is served under (tests/console_modules.rs reads
# these names).
CONSOLE_VENDOR_DIR="$ROOT/public/console/vendor"
CONSOLE_VENDOR=(
    "uplot/dist/uPlot.esm.js uplot.esm.js"
    "uplot/dist/uPlot.min.css uplot.min.css"
)

ensure_console_vendor() {
    local entry from to
    mkdir -p "$CONSOLE_VENDOR_DIR"
    for entry in "${CONSOLE_VENDOR[@]}"; do
        from="$ROOT/node_modules/${entry% *}"
        to="$CONSOLE_VENDOR_DIR/${entry#* }"
        [ -f "$from" ] || die "$from is missing: run \`make bootstrap\` (or \`npm install\`)"
        cmp -s "$from" "$to" || cp "$from" "$to"
    done
}

ensure_dev_vars() {
    if [ ! -f "$ROOT/.dev.vars" ]; then
        say "creating .dev.vars from .dev.vars.example (development-only values)"
        cp "$ROOT/.dev.vars.example" "$ROOT/.dev.vars"
    fi
}

# The console's browser tests drive Debian's Chromium through playwright-core (npm,
# pinned): Playwright's own browser download is not used.
CHROMIUM_BIN=${CHROMIUM_BIN:-/usr/bin/chromium}

ensure_browser() {
    if [ -x "$CHROMIUM_BIN" ]; then
        return
    fi
    command -v apt-get >/dev/null ||
        die "the console tests need Chromium at $CHROMIUM_BIN (set CHROMIUM_BIN to another)"
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null && sudo -n true 2>/dev/null ||
            die "Chromium is missing: run \`sudo apt-get update && sudo apt-get install chromium\`"
        sudo=(sudo -n)
    fi
    say "installing Debian's chromium for the console's browser tests (a minute or two, once)"
    "${sudo[@]}" apt-get update -qq || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
        chromium >/dev/null || die "apt-get install chromium failed"
    [ -x "$CHROMIUM_BIN" ] || die "chromium installed, but $CHROMIUM_BIN is not there"
}

# The project's Python, from PyPI into a virtualenv of its own, every package pinned by
# hash: the Standard Webhooks reference verifier (the forwarding tests' receiver) and
# the official Telnyx SDK (the Dial test).
PYTHON_VENV="$ROOT/target/python-venv"
PYTHON_REQUIREMENTS=("$ROOT/tests/forwarding/requirements.txt" "$ROOT/tests/sdk/requirements.txt")
ensure_python() {
    local python="$PYTHON_VENV/bin/python"
    local stamp="$PYTHON_VENV/requirements.txt"
    if [ -x "$python" ] && cat "${PYTHON_REQUIREMENTS[@]}" | cmp -s - "$stamp"; then
        return
    fi
    command -v python3 >/dev/null || die "python3 is required for the forwarding and SDK tests"
    say "installing the pinned Python packages (standardwebhooks, telnyx) into $PYTHON_VENV"
    rm -rf "$PYTHON_VENV"
    python3 -m venv "$PYTHON_VENV" ||
        die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
    local requirement args=()
    for requirement in "${PYTHON_REQUIREMENTS[@]}"; do
        args+=(-r "$requirement")
    done
    "$python" -m pip install --quiet --disable-pip-version-check --require-hashes \
        --only-binary=:all: "${args[@]}" || die "installing the Python packages failed"
    cat "${PYTHON_REQUIREMENTS[@]}" > "$stamp"
}
