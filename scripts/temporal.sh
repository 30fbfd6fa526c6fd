#!/usr/bin/env bash
# `npm run temporal`: a local Temporal dev server (gRPC 7233, Web UI 8233), state kept in data/temporal.db.
# TEMPORAL_PORT, TEMPORAL_UI_PORT and TEMPORAL_DB_FILE override the defaults; extra arguments go to the CLI.
set -euo pipefail
project_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
temporal_cli="$(bash "$project_root/scripts/install-temporal.sh")"
db_file="${TEMPORAL_DB_FILE:-$project_root/data/temporal.db}"
mkdir -p "$(dirname "$db_file")"
# The flags of src/temporal/dev-server-flags.ts (the tests' and benchmarks' dev servers), which says why: eager
# activities, SQLite in WAL mode synced at checkpoints, one partition per task queue, and activity priorities.
exec "$temporal_cli" server start-dev \
  --ip 127.0.0.1 \
  --port "${TEMPORAL_PORT:-7233}" \
  --ui-port "${TEMPORAL_UI_PORT:-8233}" \
  --db-filename "$db_file" \
  --dynamic-config-value system.enableActivityEagerExecution=true \
  --sqlite-pragma journal_mode=wal \
  --sqlite-pragma synchronous=normal \
  --dynamic-config-value matching.numTaskqueueReadPartitions=1 \
  --dynamic-config-value matching.numTaskqueueWritePartitions=1 \
  --dynamic-config-value matching.useNewMatcher=true \
  "$@"
