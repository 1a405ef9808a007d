# The two commands of the README: `make run` (the desktop app) and `make test` (every test).
# Both install what they need first on a Debian machine (apt packages, npm packages,
# tauri-driver), so a fresh clone needs nothing else.

SHELL := /bin/bash
.DEFAULT_GOAL := help

APT_PACKAGES := libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev \
	libsoup-3.0-dev libssl-dev pkg-config build-essential git xvfb xauth webkit2gtk-driver dbus \
	imagemagick fonts-dejavu-core python3 python3-venv tmux perl trayer dunst
TAURI_DRIVER_VERSION := 2.1.0
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help setup setup-apt setup-npm setup-driver ui run run-xvfb build test test-rust test-ui test-api test-e2e bindings bench

help:
	@echo "make run    build and start the Baton desktop app (needs a display; see make run-xvfb)"
	@echo "make test   run every test: Rust (nextest), UI (vitest), API (schemathesis), end-to-end (WebDriver under Xvfb)"
	@echo "make bench  run the benchmarks and print their results (see docs/perf.md)"

setup: setup-apt setup-npm setup-driver

setup-apt:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages: $$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

setup-npm:
	@cd ui && { [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund; }
	@cd tests/e2e && { [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund; }
	@# The real agent CLIs, pinned, for the tests (about 740 MB; see tests/agent-clis/README.md).
	@cd tests/agent-clis && { [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund; }

setup-driver:
	@command -v tauri-driver >/dev/null 2>&1 || cargo install tauri-driver --locked --version $(TAURI_DRIVER_VERSION)

ui: setup-npm
	cd ui && npm run build

# One debug build serves the app, the CLI and the tests (the desktop binary serves ui/dist).
build: setup-apt ui
	cargo build --workspace --bins

run: setup ui
	cargo build --release -p baton-cli -p baton-desktop
	@if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ]; then \
		echo "No display here. Run the app under a virtual one with \`make run-xvfb\`"; \
		echo "(xvfb-run -a target/release/baton-desktop), or from a desktop session."; \
		exit 1; \
	fi
	target/release/baton-desktop

run-xvfb: setup ui
	cargo build --release -p baton-cli -p baton-desktop
	xvfb-run -a --server-args="-screen 0 1280x800x24" dbus-run-session -- target/release/baton-desktop

test: setup build test-ui test-rust test-api test-e2e

test-ui: setup-npm
	cd ui && npm run check && npm test

test-rust:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --quiet -- -D warnings
	cargo nextest run --workspace --no-fail-fast

# The HTTP API against its OpenAPI document, with generated requests to a real daemon.
test-api: build
	tests/api/run.sh

test-e2e: build setup-driver
	tests/e2e/run.sh

# Rewrite what is generated from the Rust declarations (tests fail when it is stale):
# ui/src/bindings (types), ui/src/lib/api.ts (the TypeScript client), docs/openapi.json.
bindings:
	BATON_UPDATE_BINDINGS=1 cargo test -p baton-core --test core bindings
	BATON_UPDATE_BINDINGS=1 cargo test -p baton-daemon --test daemon generated

bench: setup ui
	cargo build --release -p baton-cli -p baton-desktop
	cargo bench -p baton-cli --bench daemon_start
	cargo bench -p baton-cli --bench agent_load
	cargo bench -p baton-core --bench parse_throughput
	cargo bench -p baton-core --bench wizard_start
	TMPDIR=/dev/shm cargo bench -p baton-core --bench worktree_ops
	tests/perf/idle-memory.sh
