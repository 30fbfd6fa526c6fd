#!/bin/sh
# Creates or upgrades Temporal's two PostgreSQL databases (the store and visibility), run by the
# temporal-schema service from the admin-tools image before the server starts. Safe to run on every
# `docker compose up`: `create` tolerates an existing database and update-schema only applies what is missing.
set -eu

plugin=postgres12
schema_dir=/etc/temporal/schema/postgresql/v12
# The password comes from SQL_PASSWORD in the environment, never from the command line.
connection="--plugin $plugin --ep ${POSTGRES_SEEDS} -p ${DB_PORT} -u ${POSTGRES_USER}"

until nc -z "${POSTGRES_SEEDS}" "${DB_PORT}"; do
  echo "waiting for PostgreSQL at ${POSTGRES_SEEDS}:${DB_PORT}..."
  sleep 2
done

for database in temporal:temporal temporal_visibility:visibility; do
  name="${database%%:*}"
  schema="${database##*:}"
  # shellcheck disable=SC2086 # $connection holds several flags on purpose
  temporal-sql-tool $connection --db "$name" create || true
  # shellcheck disable=SC2086
  temporal-sql-tool $connection --db "$name" setup-schema -v 0.0 || true
  # shellcheck disable=SC2086
  temporal-sql-tool $connection --db "$name" update-schema -d "$schema_dir/$schema/versioned"
done
echo "Temporal schema is up to date."
