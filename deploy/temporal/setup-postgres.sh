#!/bin/sh
# Creates or upgrades Temporal's two PostgreSQL databases (the store and visibility). Run by the temporal-schema
# service from the admin-tools image before the server starts, and by scripts/temporal-production.sh (the
# PostgreSQL-backed server the tests use, built from the Go module) with the tool and schema folder of that build.
# Safe to run on every `docker compose up`: `create` tolerates an existing database and update-schema only
# applies what is missing.
#
# Settings: POSTGRES_SEEDS (host), DB_PORT, POSTGRES_USER, SQL_PASSWORD (read by the tool itself, never put on
# the command line); TEMPORAL_SQL_TOOL (default temporal-sql-tool on PATH) and TEMPORAL_SCHEMA_DIR (default the
# admin-tools image's /etc/temporal/schema/postgresql/v12).
set -eu

plugin=postgres12
sql_tool="${TEMPORAL_SQL_TOOL:-temporal-sql-tool}"
schema_dir="${TEMPORAL_SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}"
connection="--plugin $plugin --ep ${POSTGRES_SEEDS} -p ${DB_PORT} -u ${POSTGRES_USER}"

# The admin-tools image has nc; elsewhere the caller waits for PostgreSQL itself.
if command -v nc >/dev/null 2>&1; then
  until nc -z "${POSTGRES_SEEDS}" "${DB_PORT}"; do
    echo "waiting for PostgreSQL at ${POSTGRES_SEEDS}:${DB_PORT}..."
    sleep 2
  done
fi

for database in temporal:temporal temporal_visibility:visibility; do
  name="${database%%:*}"
  schema="${database##*:}"
  # shellcheck disable=SC2086 # $connection holds several flags on purpose
  "$sql_tool" $connection --db "$name" create || true
  # shellcheck disable=SC2086
  "$sql_tool" $connection --db "$name" setup-schema -v 0.0 || true
  # shellcheck disable=SC2086
  "$sql_tool" $connection --db "$name" update-schema -d "$schema_dir/$schema/versioned"
done
echo "Temporal schema is up to date."
