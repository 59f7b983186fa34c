#!/usr/bin/env bash
# npm test: type check, lint, then every test inside a private D-Bus session with an unlocked
# gnome-keyring, so the real keytar (libsecret) is exercised instead of an in-memory twin.
# Arguments narrow the run to test files whose path contains one of them.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc --noEmit -p tsconfig.json
npx tsc --noEmit -p renderer/tsconfig.json
npx eslint .
PRA_IC_REAL_KEYCHAIN=1 exec scripts/with-keyring.sh node scripts/run-tests.mjs "$@"
