#!/usr/bin/env bash
# `npm test`: installs what the checks need when it is missing (the Temporal CLI; Debian's chromium and
# docker-compose; a PostgreSQL-backed Temporal server built from go.temporal.io/server at the compose's version),
# then type-check, lint (ESLint; dependency-cruiser for import circles between folders), format check,
# docker-compose validation, and the mocha suite twice: every test on the Temporal CLI's dev server, then the
# end-to-end provisioning, monitor and run feed suites, the server-restart tests and the upgrade tests on the
# PostgreSQL-backed server production runs. Arguments go to mocha instead of
# the default file lists (dev server only). Run as `npm test`, so every `node`, `npx mocha`, `npx tsc` here is the
# Node.js pinned in node_modules/.bin (package.json optionalDependencies), not the machine's.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
echo "== node $(node --version) ($(command -v node))"
TEMPORAL_CLI_PATH="$(bash scripts/install-temporal.sh)"
export TEMPORAL_CLI_PATH
bash scripts/install-debian-tools.sh
echo "== production Temporal server"; bash scripts/temporal-production.sh build
echo "== typecheck"; npx tsc --noEmit -p .
echo "== lint"; npx eslint .; npm run --silent lint:cycles
echo "== format"; npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }
echo "== docker-compose"; bash scripts/validate-compose.sh
if [[ $# -gt 0 ]]; then
  echo "== tests"; npx mocha --forbid-only "$@"
  exit 0
fi
echo "== tests on the Temporal dev server"
npx mocha --forbid-only 'test/**/*.test.ts' --exclude 'test/production/**' --exclude 'test/upgrades/**'
echo "== tests on the PostgreSQL-backed Temporal server"
shopt -s nullglob
production_suites=(test/provisioning/*.test.ts test/monitor/*.test.ts test/run-feed/*.test.ts test/production/*.test.ts test/upgrades/*.test.ts)
TEMPORAL_TEST_SERVER=production npx mocha --forbid-only "${production_suites[@]}"
