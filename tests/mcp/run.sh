#!/usr/bin/env bash
# Baton's MCP server through the official MCP Python SDK (PyPI `mcp`, pinned, in a venv under
# target/): `baton mcp` over stdio and the daemon's `/mcp` over streamable HTTP, each tool with
# valid and invalid input, and agents' own tokens confined to their session and role. A real
# `baton daemon` in a temporary home.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
baton="${CARGO_TARGET_DIR:-$root/target}/debug/baton"
[ -x "$baton" ] || { echo "build first: cargo build -p baton-cli (make build)"; exit 1; }
source tests/mcp/venv.sh
BATON_BIN="$baton" "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/mcp "$@"
