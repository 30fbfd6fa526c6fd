#!/usr/bin/env bash
# `npm run temporal`: a local Temporal dev server (gRPC 7233, Web UI 8233), state kept in data/temporal.db.
set -euo pipefail
project_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
temporal_cli="$(bash "$project_root/scripts/install-temporal.sh")"
mkdir -p "$project_root/data"
exec "$temporal_cli" server start-dev \
  --ip 127.0.0.1 \
  --port "${TEMPORAL_PORT:-7233}" \
  --ui-port "${TEMPORAL_UI_PORT:-8233}" \
  --db-filename "$project_root/data/temporal.db" \
  "$@"
