# The official MCP Python SDK (PyPI `mcp`) and pytest, pinned, in a venv under target/ (made or
# brought to the pinned versions when needed). Sourced: sets `venv` to its folder.
venv="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/target/mcp-venv"
mcp_version=2.3.0
pytest_version=8.4.2
if ! "$venv/bin/python" -c "import mcp, pytest, importlib.metadata as m; assert m.version('mcp') == '$mcp_version' and pytest.__version__ == '$pytest_version'" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "mcp==$mcp_version" "pytest==$pytest_version"
fi
