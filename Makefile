# Entry points; README names `make dev` and `make test`.
SHELL := bash
.DEFAULT_GOAL := help
# public/ too: the wasm embeds the console's files (src/edge/console.rs).
WORKER_SOURCES := Cargo.toml Cargo.lock scripts/build-worker.sh $(shell find src -type f -name '*.rs') \
	$(shell find public -type f)
BUNDLE := build/worker/shim.mjs
PROFILE_BUNDLE := target/profile-build/worker/shim.mjs

.PHONY: help bootstrap build console-vendor dev test console lint fuzz resilience bench profile

help:
	@echo "make dev        the worker under wrangler dev (local KV and Durable Objects, the example rules) and the local Telnyx"
	@echo "make test       run every test: lint, native unit and pipeline tests, end to end, console, and the native tests again in a fresh clone"
	@echo "make console    the operator console's browser test alone (screenshots in target/)"
	@echo "make bootstrap  install the pinned tools (done by dev and test)"
	@echo "make build      the console's uPlot into public/console/vendor/, then the release build of the worker (which embeds the console) into build/"
	@echo "make fuzz       run each cargo-fuzz target (nightly) for FUZZ_SECONDS (600) each"
	@echo "make resilience the full load, loss and fault run against wrangler dev, with figures, and 300 generated runs of the dashboard's counting"
	@echo "make bench      size, cold start, core and end-to-end figures against the JS Workers a user would pick (plain JS, the Telnyx SDK)"
	@echo "make profile    a CPU profile of both halves of a webhook under wrangler dev, by part"

bootstrap:
	@scripts/bootstrap.sh

build: $(BUNDLE)

console-vendor:
	@scripts/console-vendor.sh

# The console's chart library is copied from node_modules before the wasm is compiled,
# which embeds it (order-only: a copy that changes nothing rebuilds nothing, and -j
# cannot start the compile first).
$(BUNDLE): $(WORKER_SOURCES) | console-vendor
	@scripts/build-worker.sh

dev: bootstrap
	@scripts/dev.sh

# The fuzz targets compile tests/support/ too: checked here, as `make fuzz` needs nightly.
lint:
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --target wasm32-unknown-unknown -- -D warnings
	cargo check --manifest-path fuzz/Cargo.toml --bins

test: bootstrap
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory build
	scripts/size-check.sh
	cargo test --all-targets
	scripts/clean-clone-check.sh

console: bootstrap
	cargo test --test console

FUZZ_SECONDS ?= 600
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

# 500 calls x 10 events, one in ten sent as three concurrent copies (about 6,000 webhooks);
# 100 calls x 4 actions under faults.
resilience: bootstrap build
	LOAD_CALLS=500 LOAD_CONCURRENCY=32 FAULT_CALLS=100 FAULT_PERCENT=30 \
		cargo test --test resilience
	STATS_CASES=300 cargo test --test stats figures_are_exact

# Prints one table and writes it to bench/results/ (see bench/README.md).
bench: bootstrap build
	cargo bench --bench core
	cargo bench --bench report

# The release wasm with its function names, in target/profile-build/ (build/ untouched).
$(PROFILE_BUNDLE): $(WORKER_SOURCES)
	@scripts/build-worker.sh profile

# Prints where a webhook's time goes and writes it to bench/results/ (see bench/README.md).
# The test harness that starts wrangler dev looks for build/ as well.
profile: bootstrap build $(PROFILE_BUNDLE)
	cargo bench --bench profile
