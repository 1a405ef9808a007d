#!/bin/bash
# CPU and memory of Baton's side of 50 `command` agents printing 1,000 lines/s in total (20 each):
# the daemon and the agents' shims, measured over a 10 s window once all run. Compare with the
# daemon running the agents itself (BATON_SHIM=off):
#   tests/perf/shim_cpu.sh [BATON_BIN] ; BATON_SHIM=off tests/perf/shim_cpu.sh [BATON_BIN]
set -euo pipefail
bin=${1:-target/debug/baton}
agents=50
window=10
tmp=$(mktemp -d)
export BATON_HOME=$tmp/home
git init -q -b main "$tmp/repo" && git -C "$tmp/repo" -c user.name=t -c user.email=t@e commit -q --allow-empty -m init
"$bin" session new --repo "$tmp/repo" --name m >/dev/null
for i in $(seq 1 "$agents"); do
  "$bin" agent spawn --session m --cli command --name "p$i" -- bash -c 'for i in $(seq 1 100000); do echo "line $i of a chatty agent"; sleep 0.05; done' >/dev/null
done
sleep 3
daemon=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' "$BATON_HOME/daemon.json")
pids=$daemon
for f in "$BATON_HOME"/agents/*/shim.pid; do [ -e "$f" ] && pids="$pids $(cat "$f")"; done
ticks() { local t=0; for p in $pids; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo $t; }
lines() { cat "$BATON_HOME"/logs/*.jsonl | wc -l; }
t0=$(ticks); l0=$(lines)
sleep "$window"
t1=$(ticks); l1=$(lines)
hz=$(getconf CLK_TCK)
shims=$(($(echo $pids | wc -w) - 1))
# Proportional set size: a page shared by the shims (the program's code) counts once in all.
pss() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup"; }
rss_daemon=$(pss "$daemon")
rss_shims=0
for p in $pids; do [ "$p" = "$daemon" ] || rss_shims=$((rss_shims + $(pss "$p"))); done
awk -v d=$((t1 - t0)) -v hz="$hz" -v w="$window" -v l=$((l1 - l0)) -v s="$shims" -v rd="$rss_daemon" -v rs="$rss_shims" 'BEGIN {
  printf "shim=%s lines/s=%.0f cpu(daemon+shims)=%.1f%% of a core shims=%d memory (PSS) daemon=%d MB shims=%d MB (%.1f MB each)\n",
    ENVIRON["BATON_SHIM"] == "" ? "on" : ENVIRON["BATON_SHIM"], l / w, 100 * d / hz / w, s, rd / 1024, rs / 1024, s ? rs / 1024 / s : 0 }'
"$bin" daemon stop --force >/dev/null 2>&1 || true
rm -rf "$tmp"
