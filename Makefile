# The two commands of the README: `make run` (the desktop app) and `make test` (every test).
# Both install what they need first on a Debian machine (apt packages, npm packages,
# tauri-driver), so a fresh clone needs nothing else.

SHELL := /bin/bash
.DEFAULT_GOAL := help

APT_PACKAGES := libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev \
	libsoup-3.0-dev libssl-dev pkg-config build-essential git xvfb xauth webkit2gtk-driver dbus \
	imagemagick fonts-dejavu-core python3 python3-venv python3-xlib tmux perl trayer dunst x11-utils bubblewrap
TAURI_DRIVER_VERSION := 2.1.0
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help setup setup-apt setup-npm setup-driver ui run run-xvfb build test test-rust test-ui test-api test-mcp test-e2e test-fuzz fuzz bindings bench \
	package package-debug test-package

help:
	@echo "make run    build and start the Baton desktop app (needs a display; see make run-xvfb)"
	@echo "make test   run every test: Rust (nextest), UI (vitest), API (schemathesis), MCP, end-to-end (WebDriver under Xvfb), fuzzing (briefly)"
	@echo "make bench  run the benchmarks and print their results (see docs/perf.md)"
	@echo "make fuzz   fuzz each parser and loader for ten minutes (make test runs each for ten seconds; see docs/reliability.md)"
	@echo "make package  build the Debian package (.deb) of the app and the baton CLI (see README, Install)"

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

test: setup build test-ui test-rust test-api test-mcp test-e2e test-package test-fuzz

test-ui: setup-npm
	cd ui && npm run check && npm test

test-rust:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --quiet -- -D warnings
	cargo nextest run --workspace --no-fail-fast

# Every fuzz target briefly (the agents' streams, settings, templates, verdicts); `make fuzz`
# runs each for ten minutes. Results and how to read them: docs/reliability.md.
test-fuzz:
	fuzz/run.sh 10

fuzz:
	fuzz/run.sh 600

# The HTTP API against its OpenAPI document, with generated requests to a real daemon.
test-api: build
	tests/api/run.sh

# Baton's MCP server through the official MCP Python SDK: `baton mcp` (stdio) and `/mcp` (HTTP).
test-mcp: build
	tests/mcp/run.sh

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
	cargo bench -p baton-core --bench sandbox_start
	TMPDIR=/dev/shm cargo bench -p baton-core --bench worktree_ops
	tests/perf/idle-memory.sh
	tests/perf/mcp-roundtrip.sh

# The Debian package, built by the Tauri bundler (@tauri-apps/cli, pinned in ui/package.json):
# the app, the `baton` CLI as its sidecar (both in /usr/bin), a desktop entry and the icons.
# The CLI reads its app folder from TAURI_APP_PATH and wants the configuration beside the app's
# Cargo.toml, hence the link in src-tauri (ignored by git); the paths in the configuration are
# relative to the repository's root, so they are given absolute here, with the sidecar (the
# sidecar is named here only: in tauri.conf.json it would have every cargo build copy it over
# the freshly built `baton`). `tauri build` rebuilds only baton-desktop, with that configuration.
TARGET_DIR := $(abspath $(or $(CARGO_TARGET_DIR),target))
VERSION := $(shell sed -n 's/^  "version": "\(.*\)",$$/\1/p' tauri.conf.json)
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
DEB_RELEASE := $(TARGET_DIR)/release/bundle/deb/Baton_$(VERSION)_$(DEB_ARCH).deb
DEB_DEBUG := $(TARGET_DIR)/debug/bundle/deb/Baton_$(VERSION)_$(DEB_ARCH).deb
ICONS := 32x32.png 128x128.png 256x256.png icon.png
comma := ,
define deb_bundle # $(1): the cargo profile, release or debug
	triple=$$(rustc -vV | sed -n 's/^host: //p'); \
	mkdir -p $(TARGET_DIR)/sidecar/$(1) && cp $(TARGET_DIR)/$(1)/baton $(TARGET_DIR)/sidecar/$(1)/baton-$$triple
	ln -sfn ../tauri.conf.json src-tauri/tauri.conf.json
	TAURI_APP_PATH=src-tauri ui/node_modules/.bin/tauri build --ci --bundles deb $(if $(filter debug,$(1)),--debug) \
		--config '{"build": {"frontendDist": "$(CURDIR)/ui/dist"}, "bundle": {"externalBin": ["$(TARGET_DIR)/sidecar/$(1)/baton"], "icon": [$(subst " ","$(comma) ",$(patsubst %,"$(CURDIR)/icons/%",$(ICONS)))]}}'
	@test -f $(if $(filter debug,$(1)),$(DEB_DEBUG),$(DEB_RELEASE))
endef

# For users: the release build. Install it with `sudo apt install ./target/release/bundle/deb/...`.
package: setup ui
	cargo build --release -p baton-cli
	$(call deb_bundle,release)
	@echo "Built $(DEB_RELEASE)"
	@echo "Install it with: sudo apt install $(DEB_RELEASE)"

# For the tests: the same package from the debug build the tests use (a cold release build of
# the app takes too long for CI).
package-debug: build
	$(call deb_bundle,debug)

# Installs the debug package on this machine, runs the installed `baton` and app, removes it.
test-package: package-debug
	SUDO="$(SUDO)" tests/package/run.sh $(DEB_DEBUG)
