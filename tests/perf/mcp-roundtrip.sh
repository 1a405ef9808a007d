#!/usr/bin/env bash
# MCP tool call round trip over stdio and HTTP (see mcp-roundtrip.py): `mcp-roundtrip.sh [N]`,
# N calls per tool (default 500). BATON_BIN picks the binary (default: the release build).
set -euo pipefail
cd "$(dirname "$0")/../.."
baton="${BATON_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/release/baton}"
[ -x "$baton" ] || { echo "build first: cargo build --release -p baton-cli"; exit 1; }
source tests/mcp/venv.sh
BATON_BIN="$baton" "$venv/bin/python" tests/perf/mcp-roundtrip.py "$@"
