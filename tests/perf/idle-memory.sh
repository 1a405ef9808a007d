#!/usr/bin/env bash
# Idle resident memory of the whole desktop app: the app process, its WebKit processes and the
# daemon, measured after the window has settled. Prints RSS (counts shared pages once per
# process) and PSS (shares them out: the fair total).
#
#   cargo build --release -p baton-cli -p baton-desktop && tests/perf/idle-memory.sh [SECONDS_TO_SETTLE]
#
# With `minimal` as second argument it measures, the same way, the smallest Tauri 2 app
# (tests/perf/minimal-tauri: one window, one static page), the yardstick for Baton's own part:
#
#   (cd tests/perf/minimal-tauri && CARGO_TARGET_DIR=$PWD/../../../target cargo build --release)
#   tests/perf/idle-memory.sh 15 minimal
set -euo pipefail
cd "$(dirname "$0")/../.."
settle=${1:-15}
which=${2:-baton}
target=${CARGO_TARGET_DIR:-target}
case "$which" in
  baton) app="$target/release/baton-desktop" ;;
  minimal) app="$target/release/minimal-tauri" ;;
  *) echo "usage: $0 [SECONDS] [baton|minimal]" >&2; exit 2 ;;
esac
[ -x "$app" ] || { echo "build it first (see the head of $0): $app is missing" >&2; exit 1; }

tmp=$(mktemp -d)
daemon_pid=
if [ "$which" = baton ]; then
  export BATON_HOME="$tmp/home" BATON_BIN="$PWD/$target/release/baton"
  git init -q "$tmp/repo"
  "$BATON_BIN" session new --repo "$tmp/repo" --name idle >/dev/null
fi

xvfb-run -a --server-args="-screen 0 1280x800x24" dbus-run-session -- "$app" >"$tmp/app.log" 2>&1 &
runner=$!
sleep "$settle"

app_pid=$(pgrep -n -f "^$app" || true)
[ -n "$app_pid" ] || { echo "the app did not start:" >&2; cat "$tmp/app.log" >&2; exit 1; }
if [ "$which" = baton ]; then
  daemon_pid=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' "$BATON_HOME/daemon.json")
fi
tree() { echo "$1"; for c in $(pgrep -P "$1" || true); do tree "$c"; done; }
pids=$( { tree "$app_pid"; [ -z "$daemon_pid" ] || echo "$daemon_pid"; } | sort -u)

total_rss=0; total_pss=0; total_anon=0
printf '%-8s %-28s %10s %10s %10s\n' PID PROCESS RSS_KiB PSS_KiB ANON_KiB
for pid in $pids; do
  [ -r "/proc/$pid/smaps_rollup" ] || continue
  rss=$(awk '/^Rss:/ {print $2}' "/proc/$pid/smaps_rollup")
  pss=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup")
  anon=$(awk '/^Anonymous:/ {print $2}' "/proc/$pid/smaps_rollup")
  printf '%-8s %-28s %10s %10s %10s\n' "$pid" "$(cut -c1-28 "/proc/$pid/comm")" "$rss" "$pss" "$anon"
  total_rss=$((total_rss + rss)); total_pss=$((total_pss + pss)); total_anon=$((total_anon + anon))
done
printf 'total: RSS %d MiB, PSS %d MiB, anonymous %d MiB\n' $((total_rss / 1024)) $((total_pss / 1024)) $((total_anon / 1024))

kill -TERM "$app_pid" 2>/dev/null || true
wait "$runner" 2>/dev/null || true
[ "$which" != baton ] || "$BATON_BIN" daemon stop >/dev/null
rm -rf "$tmp"
