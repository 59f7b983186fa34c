#!/usr/bin/env bash
# npm test: type check, lint, then every test inside a private D-Bus session with an unlocked
# gnome-keyring, so the real keytar (libsecret) is exercised instead of an in-memory twin.
set -euo pipefail
cd "$(dirname "$0")/.."

npx tsc --noEmit -p tsconfig.json
npx eslint .

keyring_home=$(mktemp -d)
trap 'rm -rf "$keyring_home"' EXIT
export XDG_DATA_HOME="$keyring_home/data" XDG_RUNTIME_DIR="$keyring_home/run" HOME_KEYRING_TEST=1
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
export PRA_IC_REAL_KEYCHAIN=1

dbus-run-session -- sh -c '
  echo pass | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  node scripts/run-tests.mjs "$@"
' sh "$@"
