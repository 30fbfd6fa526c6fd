#!/usr/bin/env bash
# `npm test`: installs what the checks need when it is missing (the Temporal CLI; Debian's chromium and
# docker-compose), then type-check, lint, format check, docker-compose validation, and the mocha suite
# (which starts its own Temporal dev server and simulator).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
TEMPORAL_CLI_PATH="$(bash scripts/install-temporal.sh)"
export TEMPORAL_CLI_PATH
bash scripts/install-debian-tools.sh
echo "== typecheck"; npx tsc --noEmit -p .
echo "== lint"; npx eslint .
echo "== format"; npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }
echo "== docker-compose"; bash scripts/validate-compose.sh
echo "== tests"; if [[ $# -gt 0 ]]; then npx mocha "$@"; else npx mocha 'test/**/*.test.ts'; fi
