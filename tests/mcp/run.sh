#!/usr/bin/env bash
# Baton's MCP server through the official MCP Python SDK (PyPI `mcp`, pinned, in a venv under
# target/): `baton mcp` over stdio and the daemon's `/mcp` over streamable HTTP, each tool with
# valid and invalid input, and agents' own tokens confined to their session and role. A real
# `baton daemon` in a temporary home.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
baton="${CARGO_TARGET_DIR:-$root/target}/debug/baton"
venv="$root/target/mcp-venv"
mcp_version=2.3.0
pytest_version=8.4.2
[ -x "$baton" ] || { echo "build first: cargo build -p baton-cli (make build)"; exit 1; }
if ! "$venv/bin/python" -c "import mcp, pytest, importlib.metadata as m; assert m.version('mcp') == '$mcp_version' and pytest.__version__ == '$pytest_version'" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "mcp==$mcp_version" "pytest==$pytest_version"
fi
BATON_BIN="$baton" "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/mcp "$@"
