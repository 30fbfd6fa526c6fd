#!/usr/bin/env bash
# A production-shaped Temporal server without Docker: the server and temporal-sql-tool built from the Go module
# go.temporal.io/server at the version docker-compose.yml pins, on a private PostgreSQL cluster. The server runs
# with the configuration the temporalio/server image embeds (driven by the same environment variables as the
# compose `temporal` service), the compose's dynamic config file, and the schema set up by the same script.
#
#   build                    build into .tools/temporal-server-<version>/ (minutes, once; skipped when present)
#   start <data-dir>         PostgreSQL + schema + server + `default` namespace; prints the frontend address
#   stop <data-dir>          stop both (the data stays; `start` again resumes it)
#   kill-server <data-dir>   SIGKILL the Temporal server          restart-server <data-dir>    start it again
#   kill-postgres <data-dir> SIGKILL the postmaster and children  restart-postgres <data-dir>  start it again
#
# Settings: TEMPORAL_PRODUCTION_PORT (frontend gRPC port at the first start; default a free one),
# TEMPORAL_PRODUCTION_VERSION (default docker-compose.yml's TEMPORAL_VERSION default),
# TEMPORAL_PRODUCTION_LOG_LEVEL (server log level, default info), TEMPORAL_CLI_PATH (the Temporal CLI),
# TEMPORAL_PRODUCTION_START_TIMEOUT (seconds to wait for the server, default 120).
# Layout of <data-dir>: pg/ (the cluster), pg-socket/, logs/, server.env (ports and settings, reused by every
# restart), temporal-server.pid, postgres.pid. Only the frontend address goes to stdout; progress to stderr.
set -euo pipefail

project_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
compose_file="$project_root/docker-compose.yml"
dynamic_config="$project_root/deploy/temporal/dynamicconfig.yaml"
setup_script="$project_root/deploy/temporal/setup-postgres.sh"
namespace_script="$project_root/deploy/temporal/create-namespace.sh"
db_user=temporal

log() { echo "temporal-production: $*" >&2; }
die() {
  echo "temporal-production: error: $*" >&2
  exit 1
}

# The one pinned version: the `${TEMPORAL_VERSION:-X}` default of docker-compose.yml (server and admin-tools).
compose_version() {
  local versions
  # shellcheck disable=SC2016 # the ${...} is text to match, not to expand
  versions="$(sed -n 's/.*temporalio\/[a-z-]*:\${TEMPORAL_VERSION:-\([^}]*\)}.*/\1/p' "$compose_file" | sort -u)"
  [[ -n "$versions" ]] || die "no \${TEMPORAL_VERSION:-X} default for a temporalio image in $compose_file"
  [[ "$(wc -l <<<"$versions")" -eq 1 ]] || die "docker-compose.yml pins several Temporal versions: $(tr '\n' ' ' <<<"$versions")"
  echo "$versions"
}

version="${TEMPORAL_PRODUCTION_VERSION:-$(compose_version)}"
tools_dir="$project_root/.tools/temporal-server-$version"
server_bin="$tools_dir/temporal-server"
sql_tool="$tools_dir/temporal-sql-tool"
schema_dir="$tools_dir/schema/postgresql/v12"

find_go() {
  if command -v go >/dev/null 2>&1; then
    command -v go
  elif [[ -x /usr/local/go/bin/go ]]; then
    echo /usr/local/go/bin/go
  else
    die "Go is needed to build go.temporal.io/server@v$version (https://go.dev/dl/, or apt-get install golang-go if recent enough)"
  fi
}

is_built() { [[ -x "$server_bin" && -x "$sql_tool" && -d "$schema_dir/temporal/versioned" ]]; }

cmd_build() {
  if is_built; then
    log "Temporal server $version already built in ${tools_dir#"$project_root/"}"
    return 0
  fi
  # shellcheck source=scripts/tool-cache.sh
  source "$project_root/scripts/tool-cache.sh"
  if tool_cache_restore "temporal-server-$version" "$tools_dir" && is_built; then
    log "Temporal server $version copied into ${tools_dir#"$project_root/"} from $tool_cache_root"
    return 0
  fi
  local go module="go.temporal.io/server" module_dir work started=$SECONDS
  go="$(find_go)"
  log "building Temporal server $version and temporal-sql-tool from $module with $("$go" env GOVERSION) (several minutes, once)"
  work="$(mktemp -d "${TMPDIR:-/tmp}/temporal-server-build.XXXXXX")"
  # shellcheck disable=SC2064 # expand $work now
  trap "rm -rf '$work'" EXIT

  log "downloading $module@v$version"
  module_dir="$("$go" mod download -json "$module@v$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')"
  [[ -d "$module_dir" ]] || die "go mod download $module@v$version did not give a module directory"

  # As the release Makefile builds them: no cgo, without the optional gRPC modules.
  local -a packages=("$module/cmd/server" "$module/cmd/tools/sql")
  export CGO_ENABLED=0 GOFLAGS="-trimpath -buildvcs=false"
  log "compiling ${packages[*]} (progress: go's own output below)"
  if grep -Eq '^[[:space:]]*(replace|exclude)([[:space:]]|\()' "$module_dir/go.mod"; then
    # `go install pkg@version` refuses modules whose go.mod has replace/exclude directives: build them from a
    # throwaway module that requires the server module instead.
    log "$module@v$version has replace/exclude directives: building from a throwaway module"
    mkdir -p "$work/module"
    (
      cd "$work/module"
      "$go" mod init temporal-production-build >&2
      "$go" get "${packages[@]/%/@v$version}" >&2
      "$go" build -v -tags disable_grpc_modules -o "$work/bin/server" "$module/cmd/server" >&2
      "$go" build -v -tags disable_grpc_modules -o "$work/bin/sql" "$module/cmd/tools/sql" >&2
    )
  else
    GOBIN="$work/bin" "$go" install -v -tags disable_grpc_modules "${packages[@]/%/@v$version}" >&2
  fi

  local staging="$tools_dir.partial"
  rm -rf "$staging"
  mkdir -p "$staging/schema"
  mv "$work/bin/server" "$staging/temporal-server"
  mv "$work/bin/sql" "$staging/temporal-sql-tool"
  # The schema files as the admin-tools image ships them under /etc/temporal/schema.
  cp -R "$module_dir/schema/postgresql" "$staging/schema/"
  chmod -R u+w "$staging"
  echo "$version" >"$staging/VERSION"
  rm -rf "$tools_dir"
  mv "$staging" "$tools_dir"
  tool_cache_save "temporal-server-$version" "$tools_dir"
  log "built ${tools_dir#"$project_root/"}/temporal-server and temporal-sql-tool in $((SECONDS - started))s"
}

# ---------------------------------------------------------------------------------------------------- PostgreSQL

find_pg_bin() {
  local candidate
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"
    return 0
  fi
  # Debian keeps the server binaries off PATH, one folder per major version: take the newest.
  candidate="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null | sort -V | tail -n 1)"
  if [[ -n "$candidate" && -x "$candidate/pg_ctl" && -x "$candidate/initdb" ]]; then
    echo "$candidate"
    return 0
  fi
  return 1
}

ensure_postgres_installed() {
  find_pg_bin >/dev/null && return 0
  command -v apt-get >/dev/null 2>&1 ||
    die "PostgreSQL's initdb and pg_ctl are missing and there is no apt-get: install PostgreSQL (12 or later)"
  local -a sudo=()
  if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "PostgreSQL is missing: run 'apt-get install postgresql' as root"
    sudo=(sudo)
  fi
  log "installing Debian's postgresql (its initdb and pg_ctl are missing)"
  "${sudo[@]}" apt-get update -qq >&2 || log "apt-get update failed; trying the install anyway"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  find_pg_bin >/dev/null || die "postgresql is installed but initdb/pg_ctl are not under /usr/lib/postgresql/*/bin"
}

# PostgreSQL refuses to run as root: as root, its commands run as the `postgres` user.
pg_run() {
  if [[ "$(id -u)" -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

postmaster_pid() {
  local pid_file="$data_dir/pg/postmaster.pid"
  [[ -f "$pid_file" ]] || return 1
  local pid
  pid="$(head -n 1 "$pid_file")"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

wait_for_postgres() {
  local deadline=$((SECONDS + 60))
  until "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U "$db_user" -d postgres; do
    ((SECONDS < deadline)) || die "PostgreSQL on 127.0.0.1:$PG_PORT did not accept connections; see $data_dir/logs/postgresql.log"
    sleep 0.2
  done
}

start_postgres() {
  local pid
  if pid="$(postmaster_pid)"; then
    log "PostgreSQL already running (pid $pid, port $PG_PORT)"
  else
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    # pg_ctl puts the postmaster in a session of its own, so it outlives this script and our caller's signals.
    pg_run "$pg_bin/pg_ctl" -D "$data_dir/pg" -l "$data_dir/logs/postgresql.log" -w -t 60 -s start >&2 ||
      die "PostgreSQL did not start; see $data_dir/logs/postgresql.log"
  fi
  wait_for_postgres
  postmaster_pid >"$data_dir/postgres.pid"
}

init_postgres() {
  [[ -f "$data_dir/pg/PG_VERSION" ]] && return 0
  log "initdb in $data_dir/pg ($("$pg_bin/postgres" --version))"
  mkdir -p "$data_dir/pg" "$data_dir/pg-socket"
  if [[ "$(id -u)" -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' user to run PostgreSQL"
    chown postgres: "$data_dir/pg" "$data_dir/pg-socket" "$data_dir/logs"
    chmod 0711 "$data_dir"
    pg_run test -w "$data_dir/pg" ||
      die "the postgres user cannot reach $data_dir/pg: choose a data dir whose parent folders it may enter"
  fi
  # Trust on loopback only: a throwaway cluster for tests, reachable from this host and nowhere else.
  pg_run "$pg_bin/initdb" -D "$data_dir/pg" -U "$db_user" --auth=trust --encoding=UTF8 --no-locale >"$data_dir/logs/initdb.log" 2>&1 ||
    die "initdb failed; see $data_dir/logs/initdb.log"
  cat >>"$data_dir/pg/postgresql.conf" <<CONF

# temporal-production.sh: a private cluster on loopback, not the system service.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$data_dir/pg-socket'
CONF
}

# Both databases and their schemas, with the script the compose's temporal-schema service runs.
setup_schema() {
  log "creating or upgrading the temporal and temporal_visibility schemas (deploy/temporal/setup-postgres.sh)"
  POSTGRES_SEEDS=127.0.0.1 DB_PORT="$PG_PORT" POSTGRES_USER="$db_user" SQL_PASSWORD='' \
    TEMPORAL_SQL_TOOL="$sql_tool" TEMPORAL_SCHEMA_DIR="$schema_dir" \
    sh "$setup_script" >"$data_dir/logs/setup-postgres.log" 2>&1 ||
    die "schema setup failed; see $data_dir/logs/setup-postgres.log"
}

stop_postgres() {
  local pid
  pid="$(postmaster_pid)" || return 0
  log "stopping PostgreSQL (pid $pid)"
  pg_run "$pg_bin/pg_ctl" -D "$data_dir/pg" -m fast -w -t 60 -s stop >&2 || true
}

# ------------------------------------------------------------------------------------------------------ Server

# Sets $port to a loopback port nothing listens on and that this start has not handed out yet. Below 32768: the
# server records its membership ports in a PostgreSQL smallint column and dies on larger ones.
taken_ports=()
next_free_port() {
  local _
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 12768))
    [[ " ${taken_ports[*]} " == *" $port "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      taken_ports+=("$port")
      return 0
    fi
  done
  die "no free loopback port found"
}

# Ports and settings are chosen at the first start and kept in server.env, so restarts keep the same address.
load_or_create_settings() {
  local settings="$data_dir/server.env"
  if [[ -f "$settings" ]]; then
    # shellcheck disable=SC1090
    source "$settings"
    if [[ -n "${TEMPORAL_PRODUCTION_PORT:-}" && "$TEMPORAL_PRODUCTION_PORT" != "$FRONTEND_GRPC_PORT" ]]; then
      die "$data_dir already serves on port $FRONTEND_GRPC_PORT (TEMPORAL_PRODUCTION_PORT=$TEMPORAL_PRODUCTION_PORT); use a new data dir"
    fi
    return 0
  fi
  local port frontend_port="${TEMPORAL_PRODUCTION_PORT:-}"
  if [[ -n "$frontend_port" ]]; then
    taken_ports+=("$frontend_port")
  else
    next_free_port
    frontend_port="$port"
  fi
  next_free_port
  local postgres_port="$port"
  {
    echo "# Written by scripts/temporal-production.sh at the first start; read by every (re)start."
    echo "TEMPORAL_VERSION=$version"
    echo "PG_PORT=$postgres_port"
    # The temporalio/server image's embedded config template reads these (as the compose `temporal` service).
    echo "DB=postgres12"
    echo "POSTGRES_SEEDS=127.0.0.1"
    echo "POSTGRES_USER=$db_user"
    echo "POSTGRES_PWD="
    echo "DB_PORT=$postgres_port"
    # The template takes the visibility port from VISIBILITY_DB_PORT or POSTGRES_PORT, not DB_PORT.
    echo "VISIBILITY_DB_PORT=$postgres_port"
    echo "BIND_ON_IP=127.0.0.1"
    echo "DYNAMIC_CONFIG_FILE_PATH=$(printf '%q' "$dynamic_config")"
    echo "LOG_LEVEL=${TEMPORAL_PRODUCTION_LOG_LEVEL:-info}"
    echo "FRONTEND_GRPC_PORT=$frontend_port"
    local name
    for name in FRONTEND_HTTP FRONTEND_MEMBERSHIP HISTORY_GRPC HISTORY_MEMBERSHIP MATCHING_GRPC MATCHING_MEMBERSHIP \
      WORKER_GRPC WORKER_MEMBERSHIP; do
      next_free_port
      echo "${name}_PORT=$port"
    done
  } >"$settings.partial"
  mv "$settings.partial" "$settings"
  # shellcheck disable=SC1090
  source "$settings"
}

server_pid() {
  local pid
  [[ -f "$data_dir/temporal-server.pid" ]] || return 1
  pid="$(cat "$data_dir/temporal-server.pid")"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  # A recycled pid is not ours: check it is this server binary.
  [[ "$(readlink "/proc/$pid/exe" 2>/dev/null || echo "$server_bin")" == "$server_bin" ]] || return 1
  echo "$pid"
}

find_cli() {
  if [[ -n "${TEMPORAL_CLI_PATH:-}" && -x "${TEMPORAL_CLI_PATH}" ]]; then
    echo "$TEMPORAL_CLI_PATH"
  else
    bash "$project_root/scripts/install-temporal.sh"
  fi
}

start_server() {
  local pid address="127.0.0.1:$FRONTEND_GRPC_PORT"
  if pid="$(server_pid)"; then
    log "Temporal server already running (pid $pid, $address)"
  else
    if (exec 3<>"/dev/tcp/127.0.0.1/$FRONTEND_GRPC_PORT") 2>/dev/null; then
      die "port $FRONTEND_GRPC_PORT is taken by another process (not this data dir's server)"
    fi
    log "starting Temporal server $version on $address (log ${data_dir}/logs/temporal-server.log)"
    (
      set -a
      # shellcheck disable=SC1090,SC1091
      source "$data_dir/server.env"
      set +a
      cd "$data_dir"
      # A session of its own: it outlives this script and our caller's terminal signals.
      exec setsid "$server_bin" --allow-no-auth start </dev/null >>"$data_dir/logs/temporal-server.log" 2>&1
    ) &
    pid=$!
    echo "$pid" >"$data_dir/temporal-server.pid"
  fi

  local cli deadline=$((SECONDS + ${TEMPORAL_PRODUCTION_START_TIMEOUT:-120}))
  cli="$(find_cli)"
  until "$cli" operator cluster health --address "$address" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      grep -E '"level":"(error|fatal)"|^[A-Za-z]' "$data_dir/logs/temporal-server.log" | tail -n 3 | cut -c 1-500 >&2 || true
      die "the Temporal server exited; see $data_dir/logs/temporal-server.log"
    fi
    ((SECONDS < deadline)) || die "the Temporal server did not answer on $address; see $data_dir/logs/temporal-server.log"
    sleep 0.5
  done

  # The namespace, with the script the compose's temporal-namespace service runs (idempotent).
  PATH="$(dirname "$cli"):$PATH" TEMPORAL_ADDRESS="$address" TEMPORAL_NAMESPACE=default \
    sh "$namespace_script" >&2 || die "could not create the default namespace"
  # A new namespace reaches the frontend's namespace cache a few seconds later: wait until it serves requests.
  until "$cli" workflow list --address "$address" --namespace default --limit 1 >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "the default namespace is not usable on $address"
    sleep 0.5
  done
  echo "$address"
}

stop_server() {
  local pid
  pid="$(server_pid)" || return 0
  log "stopping the Temporal server (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "the Temporal server ignored SIGTERM for 30s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    sleep 0.2
  done
}

wait_gone() {
  local pid="$1" deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null; do
    ((SECONDS < deadline)) || die "process $pid is still alive 30s after SIGKILL"
    sleep 0.1
  done
}

# --------------------------------------------------------------------------------------------------- Commands

use_data_dir() {
  [[ -n "${1:-}" ]] || die "usage: $0 $command <data-dir>"
  mkdir -p "$1"
  data_dir="$(cd "$1" && pwd)"
  mkdir -p "$data_dir/logs"
}

need_started_before() {
  [[ -f "$data_dir/server.env" ]] || die "$data_dir was never started (run: $0 start $data_dir)"
  # shellcheck disable=SC1091
  source "$data_dir/server.env"
  pg_bin="$(find_pg_bin)" || die "PostgreSQL's pg_ctl is missing"
}

command="${1:-}"
shift || true
case "$command" in
  build)
    cmd_build
    ;;
  start)
    use_data_dir "${1:-}"
    started=$SECONDS
    cmd_build
    ensure_postgres_installed
    pg_bin="$(find_pg_bin)"
    load_or_create_settings
    init_postgres
    start_postgres
    setup_schema
    start_server
    log "ready in $((SECONDS - started))s (data in $data_dir)"
    ;;
  stop)
    use_data_dir "${1:-}"
    [[ -f "$data_dir/server.env" ]] || exit 0
    need_started_before
    stop_server
    stop_postgres
    ;;
  kill-server)
    use_data_dir "${1:-}"
    need_started_before
    if pid="$(server_pid)"; then
      log "SIGKILL to the Temporal server (pid $pid)"
      kill -KILL "$pid"
      wait_gone "$pid"
    else
      log "the Temporal server is not running"
    fi
    ;;
  restart-server)
    use_data_dir "${1:-}"
    need_started_before
    stop_server
    start_server
    ;;
  kill-postgres)
    use_data_dir "${1:-}"
    need_started_before
    if pid="$(postmaster_pid)"; then
      # The backends too (each in a session of its own), as a crash of the database host would: orphaned
      # backends would hold the shared memory and keep a restart waiting.
      read -r -a children <<<"$(ps -o pid= --ppid "$pid" | tr '\n' ' ')"
      log "SIGKILL to PostgreSQL (postmaster pid $pid and its ${#children[@]} child processes)"
      kill -KILL "$pid" "${children[@]}" 2>/dev/null || true
      for child in "$pid" "${children[@]}"; do wait_gone "$child"; done
    else
      log "PostgreSQL is not running"
    fi
    ;;
  restart-postgres)
    use_data_dir "${1:-}"
    need_started_before
    stop_postgres
    start_postgres
    ;;
  *)
    sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
