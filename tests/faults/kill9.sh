#!/bin/bash
# Lines lost and agents killed by one `kill -9` of the daemon, with N `command` agents printing
# numbered lines. Run it as is (agents under shims) and with BATON_SHIM=off (the daemon runs
# them itself, as before shims):
#   tests/faults/kill9.sh [BATON_BIN] [N] ; BATON_SHIM=off tests/faults/kill9.sh ...
set -euo pipefail
bin=${1:-target/debug/baton}
n=${2:-10}
lines=2000
tmp=$(mktemp -d)
export BATON_HOME=$tmp/home
git init -q -b main "$tmp/repo" && git -C "$tmp/repo" -c user.name=t -c user.email=t@e commit -q --allow-empty -m init
"$bin" session new --repo "$tmp/repo" --name m >/dev/null
for i in $(seq 1 "$n"); do
  # Each agent also counts what it printed, in a file of its own: the truth to compare with.
  "$bin" agent spawn --session m --cli command --name "p$i" -- bash -c "for i in \$(seq 1 $lines); do echo n-\$i; echo \$i >> $tmp/count-$i; sleep 0.002; done" >/dev/null
done
sleep 1
pid=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' "$BATON_HOME/daemon.json")
kill -9 "$pid"
while [ -e "/proc/$pid" ] && ! grep -q ') Z' "/proc/$pid/stat" 2>/dev/null; do sleep 0.01; done
"$bin" daemon >/dev/null 2>&1 || true  # a client may have started it already
lost=0; killed=0
for i in $(seq 1 "$n"); do
  "$bin" wait "p$i" --timeout 60 >/dev/null 2>&1 || true
  state=$("$bin" status "p$i" --json | sed -n 's/.*"state": *"\([a-z_]*\)".*/\1/p' | head -1)
  got=$("$bin" logs "p$i" | grep -c '^n-' || true)
  printed=$(tail -n 1 "$tmp/count-$i" 2>/dev/null || echo 0)
  [ "$state" = exited ] || killed=$((killed + 1))
  lost=$((lost + printed - got))
done
echo "shim=${BATON_SHIM:-on} agents=$n lines_lost=$lost agents_killed=$killed"
"$bin" daemon stop --force >/dev/null 2>&1 || true
rm -rf "$tmp"
