#!/usr/bin/env bash
# `npm test`: installs what the checks need when it is missing (the Temporal CLI; Debian's chromium and
# docker-compose; a PostgreSQL-backed Temporal server built from go.temporal.io/server at the compose's version),
# then type-check, lint (ESLint; dependency-cruiser for import circles between folders), format check,
# docker-compose validation, and the mocha suite twice, both at once: every test on the Temporal CLI's dev server,
# and the end-to-end provisioning, monitor and run feed suites, the server-restart tests and the upgrade tests on the
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
shopt -s nullglob
dev_suites=('test/**/*.test.ts' --exclude 'test/production/**' --exclude 'test/upgrades/**')
production_suites=(test/provisioning/*.test.ts test/monitor/*.test.ts test/run-feed/*.test.ts test/production/*.test.ts test/upgrades/*.test.ts)
if [[ "${TEST_TIERS_IN_SEQUENCE:-}" == "1" ]]; then
  echo "== tests on the Temporal dev server"
  npx mocha --forbid-only "${dev_suites[@]}"
  echo "== tests on the PostgreSQL-backed Temporal server"
  TEMPORAL_TEST_SERVER=production npx mocha --forbid-only "${production_suites[@]}"
  exit 0
fi
# The two tiers run at once: each has its own servers and simulator on free ports, and most of a test's time is
# spent waiting on timers and servers, so together they take little longer than the longer one. The PostgreSQL
# tier's output is kept aside and printed after the dev server's, so each reads as one report.
# TEST_TIERS_IN_SEQUENCE=1 runs them one after the other.
production_log="$(mktemp "${TMPDIR:-/tmp}/production-tier.XXXXXX.log")"
echo "== tests on the PostgreSQL-backed Temporal server: started beside the dev server's (output below, when done)"
TEMPORAL_TEST_SERVER=production npx mocha --forbid-only "${production_suites[@]}" >"$production_log" 2>&1 &
production_pid=$!
trap 'kill "$production_pid" 2>/dev/null || true' EXIT
echo "== tests on the Temporal dev server"
dev_status=0
npx mocha --forbid-only "${dev_suites[@]}" || dev_status=$?
production_status=0
wait "$production_pid" || production_status=$?
trap - EXIT
echo "== tests on the PostgreSQL-backed Temporal server (exit $production_status)"
cat "$production_log"
rm -f "$production_log"
echo "== dev server tier exit $dev_status, PostgreSQL tier exit $production_status"
[[ $dev_status -eq 0 && $production_status -eq 0 ]]
