#!/usr/bin/env bash
# The Debian package, installed on this machine and run from the installed paths:
#   tests/package/run.sh path/to/Baton_VERSION_ARCH.deb      (make test-package builds it first)
# Checks what it installs (the app and the `baton` CLI in /usr/bin, the desktop entry, the
# icons), runs `baton --version`, then starts /usr/bin/baton-desktop in a private X server with a
# fresh HOME (so over a fresh default Baton home) and checks that its window is shown, that its
# page started the daemon through the bundled sidecar (/usr/bin/baton), and that the
# `startAtLogin` setting wrote the login entry; then starts it as that entry does (--tray) with no
# tray host, where it must show its window all the same. The package is removed at the end, so that no stale
# /usr/bin/baton stays on PATH in front of the next build (a package that was installed before
# is replaced by this one, then removed too: it says so).
#
# Needs root for apt (run as root, or with SUDO=sudo in the environment).
set -euo pipefail

if [[ "${1:-}" == --inside ]]; then
  # Inside the private X server and D-Bus session: start the installed app with the arguments
  # after the screenshot's path, wait until its window is shown and its daemon runs, look.
  shot=$2
  shift 2
  /usr/bin/baton-desktop "$@" &
  app=$!
  home="$HOME/.local/share/baton"
  shown() {
    local id
    for id in $(xwininfo -root -tree | sed -n 's/^ *\(0x[0-9a-f]*\) "Baton.*/\1/p'); do
      xwininfo -id "$id" | grep -q 'Map State: IsViewable' && return 0
    done
    return 1
  }
  for _ in $(seq 600); do
    [[ -s "$home/daemon.json" ]] && shown && break
    kill -0 "$app" 2>/dev/null || { echo "FAIL: the installed app exited early" >&2; exit 1; }
    sleep 0.1
  done
  sleep 1 # the page paints after it connects
  import -window root "$shot" || echo "note: no screenshot ($shot)"
  window=$(shown && xwininfo -root -tree | grep -o '"Baton[^"]*"' | head -1 || true)
  kill "$app"
  wait "$app" || true
  [[ -n "$window" ]] || { echo "FAIL: the Baton window was not shown (baton-desktop $*)" >&2; exit 1; }
  echo "ok: the installed app showed its window, $window (baton-desktop $*)"
  exit 0
fi

deb=$(realpath "${1:?usage: tests/package/run.sh PACKAGE.deb}")
SUDO=${SUDO-}
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

tmp=$(mktemp -d)
was_installed=$(dpkg-query -W -f='${Status}' baton 2>/dev/null | grep -c 'ok installed' || true)
cleanup() {
  # The daemon the app started, by its pid; then the package and the temporary home.
  if [[ -f "$tmp/.local/share/baton/daemon.json" ]]; then
    HOME=$tmp /usr/bin/baton daemon stop --force >/dev/null 2>&1 || true
  fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq baton >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
[[ "$was_installed" == 1 ]] && echo "note: the installed baton package is replaced by $deb and removed at the end"

$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" >/dev/null
echo "ok: installed $(basename "$deb")"

for f in /usr/bin/baton /usr/bin/baton-desktop /usr/share/applications/Baton.desktop \
  /usr/share/icons/hicolor/128x128/apps/baton-desktop.png; do
  [[ -e "$f" ]] || fail "the package did not install $f"
done
grep -qx 'Exec=baton-desktop' /usr/share/applications/Baton.desktop || fail "the desktop entry does not start baton-desktop"
for dep in libwebkit2gtk-4.1-0 libayatana-appindicator3-1 git; do
  dpkg-query -W -f='${Depends}' baton | grep -q "$dep" || fail "the package does not depend on $dep"
done
echo "ok: /usr/bin/baton, /usr/bin/baton-desktop, the desktop entry and the icons are installed"

# The CLI on PATH, from the package. PATH holds only system folders, so nothing of the build
# tree (or ~/.cargo/bin) can answer in its place; HOME is fresh, so no daemon of the user's either.
export HOME=$tmp PATH=/usr/bin:/bin
unset BATON_HOME BATON_BIN
version=$(baton --version)
[[ "$(command -v baton)" == /usr/bin/baton ]] || fail "baton is not found on PATH at /usr/bin/baton"
[[ "$version" == "baton "* ]] || fail "baton --version printed: $version"
echo "ok: baton --version: $version"

# The app over its default home ($HOME/.local/share/baton), with start at login set.
mkdir -p "$HOME/.local/share/baton"
echo '{ "startAtLogin": true }' >"$HOME/.local/share/baton/settings.json"
shots=$(dirname "$deb")/../../../package
mkdir -p "$shots"
shot=$(realpath "$shots")/installed-app.png
timeout --kill-after=10 120 xvfb-run -a --server-args="-screen 0 1280x800x24" dbus-run-session -- \
  "$0" --inside "$shot"

daemon_file="$HOME/.local/share/baton/daemon.json"
[[ -s "$daemon_file" ]] || fail "the app did not start its daemon"
pid=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' "$daemon_file")
exe=$(readlink "/proc/$pid/exe" || true)
[[ "$exe" == /usr/bin/baton ]] || fail "the daemon (pid $pid) runs $exe, not the sidecar /usr/bin/baton"
baton daemon status --json | grep -q "\"pid\": *$pid" || fail "baton daemon status does not find the app's daemon"
echo "ok: the app's page started the daemon through its sidecar: pid $pid runs $exe"

entry="$HOME/.config/autostart/Baton.desktop"
[[ -f "$entry" ]] || fail "startAtLogin is set but the app wrote no $entry"
grep -qx 'Exec=/usr/bin/baton-desktop --tray' "$entry" || fail "the login entry does not start the installed app in the tray: $(grep Exec "$entry")"
echo "ok: the login entry starts /usr/bin/baton-desktop --tray"

# Started as the login entry starts it, with no tray host to show its icon (this session bus has
# no StatusNotifierWatcher), the app shows its window rather than hide in an invisible tray; it
# finds the daemon already running.
timeout --kill-after=10 120 xvfb-run -a --server-args="-screen 0 1280x800x24" dbus-run-session -- \
  "$0" --inside "$(realpath "$shots")/installed-app-tray.png" --tray
[[ "$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' "$daemon_file")" == "$pid" ]] || fail "the second start did not use the running daemon"
echo "screenshot: $shot"
