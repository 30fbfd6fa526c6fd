#!/usr/bin/env bash
# `npm test`: type-check, lint, format check, then the mocha suite (which starts its own Temporal dev server
# and simulator). Installs the Temporal CLI first when it is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
TEMPORAL_CLI_PATH="$(bash scripts/install-temporal.sh)"
export TEMPORAL_CLI_PATH
echo "== typecheck"; npx tsc --noEmit -p .
echo "== lint"; npx eslint .
echo "== format"; npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }
echo "== tests"; if [[ $# -gt 0 ]]; then npx mocha "$@"; else npx mocha 'test/**/*.test.ts'; fi
