#!/usr/bin/env bash
# Runs the end-to-end tests against the debug build (make build) in a private X server (large
# enough for the 1440x900 screenshots), so they
# work the same on a desktop and on a machine with no display.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p ../../target/e2e
# Bounded: a process that outlives its test must fail the run, not hang it.
exec timeout --kill-after=10 900 xvfb-run -a --server-args="-screen 0 1600x1000x24" dbus-run-session -- \
  node --test --test-concurrency=1 --test-reporter=spec ./*.test.mjs
