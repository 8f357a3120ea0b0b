#!/bin/sh
# Runs CMD inside a private D-Bus session with an unlocked gnome-keyring Secret Service, so the
# OS-keychain code path can be tested on a headless box. The keyring lives in a temp dir that is
# deleted afterwards; nothing touches the real ~/.local/share/keyrings.
# Usage: scripts/with-keyring.sh CMD [ARGS...]
# Needs the Debian packages: gnome-keyring dbus   (libsecret-tools is handy for debugging).
set -eu

if [ "$#" -eq 0 ]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi
for tool in dbus-run-session gnome-keyring-daemon; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "with-keyring: '$tool' not found; install it: apt-get install -y --no-install-recommends gnome-keyring dbus" >&2
    exit 127
  fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lr-keyring-XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/data" "$tmp/cache" "$tmp/run"
chmod 700 "$tmp/run"
# gnome-keyring keeps its keyrings in XDG_DATA_HOME and its control socket in XDG_RUNTIME_DIR.
export XDG_DATA_HOME="$tmp/data" XDG_CACHE_HOME="$tmp/cache" XDG_RUNTIME_DIR="$tmp/run"

# An empty password makes gnome-keyring ask a (missing) GUI prompter, so the throwaway login
# keyring gets a dummy one. The daemon exits by itself when the session bus goes away.
# dbus-daemon warns that it cannot raise its fd limit when unprivileged; that line is noise.
set +e
dbus-run-session -- sh -c '
  printf "%s" localrouter-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null || exit 125
  exec "$@"
' with-keyring "$@"
rc=$?
set -e
exit "$rc"
