#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked GNOME Keyring, i.e. a real Secret Service, so the
# keychain tests exercise the real thing (and set AICO_TEST_SECRET_SERVICE=1 so they know). The keyring lives in a
# throwaway directory, never in the user's own. Where dbus or gnome-keyring is missing, runs the command as it is
# (the tests then check the headless path instead).
set -euo pipefail
if command -v dbus-run-session >/dev/null 2>&1 && command -v gnome-keyring-daemon >/dev/null 2>&1; then
  keyring_home=$(mktemp -d)
  trap 'rm -rf "$keyring_home"' EXIT
  dbus-run-session -- bash -c '
    set -euo pipefail
    home=$1; shift
    mkdir -p "$home/data" && chmod 700 "$home"
    eval "$(printf aico-test-keyring | HOME="$home" XDG_DATA_HOME="$home/data" gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)"
    export GNOME_KEYRING_CONTROL AICO_TEST_SECRET_SERVICE=1
    exec "$@"
  ' _ "$keyring_home" "$@"
else
  exec "$@"
fi
