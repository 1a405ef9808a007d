#!/usr/bin/env bash
# Property-based tests of the HTTP API against its own OpenAPI document (docs/openapi.json):
# schemathesis (PyPI, pinned, in a venv under target/) sends generated requests to a real
# `baton daemon` in a temporary home, seeded with a repository and a session, and fails on any
# 5xx, any undocumented status, and any answer that does not match its schema. Bounded for CI:
# SCHEMATHESIS_EXAMPLES (default 30) examples per operation.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
baton="${CARGO_TARGET_DIR:-$root/target}/debug/baton"
venv="$root/target/schemathesis-venv"
version=4.32.5
[ -x "$baton" ] || { echo "build first: cargo build -p baton-cli (make build)"; exit 1; }
if [ ! -x "$venv/bin/schemathesis" ] || ! "$venv/bin/schemathesis" --version | grep -q "$version"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "schemathesis==$version"
fi

tmp=$(mktemp -d)
daemon_pid=""
cleanup() {
  if [ -n "$daemon_pid" ]; then kill -TERM "$daemon_pid" 2>/dev/null || true; wait "$daemon_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

export BATON_HOME="$tmp/home"
mkdir -p "$BATON_HOME"
"$baton" daemon --foreground >"$tmp/daemon.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 100); do [ -s "$BATON_HOME/daemon.json" ] && break; sleep 0.05; done
port=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['port'])" "$BATON_HOME/daemon.json")
token=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['token'])" "$BATON_HOME/daemon.json")

# Something to find: a repository, a session and a task, so generated requests reach past 404.
git init -q -b main "$tmp/repo"
git -C "$tmp/repo" -c user.name=t -c user.email=t@t commit -q --allow-empty -m init
"$baton" session new --repo "$tmp/repo" --name s >/dev/null
"$baton" task add --session s --title "A task" --prompt "do it" --name t >/dev/null

# The daemon must outlive the run: stopping it and the endless event stream are left out.
"$venv/bin/schemathesis" run docs/openapi.json \
  --url "http://127.0.0.1:$port" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --exclude-path /api/daemon/stop --exclude-path /api/events \
  --phases examples,fuzzing \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-30}" \
  --seed 1 \
  --no-color
kill -0 "$daemon_pid" || { echo "the daemon died during the run:"; tail -20 "$tmp/daemon.log"; exit 1; }
