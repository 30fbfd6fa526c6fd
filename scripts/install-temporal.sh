#!/usr/bin/env bash
# Finds the Temporal CLI, installing a project-local copy when there is none.
# Order: `temporal` on PATH, then .tools/bin/temporal, then build the pinned v1.5.1 from its Go module.
# Prints the absolute path of the binary on stdout; everything else goes to stderr.
set -euo pipefail

TEMPORAL_CLI_VERSION="v1.5.1"   # later tags carry a go.mod `replace` and cannot be `go install`ed
project_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
local_bin="$project_root/.tools/bin"

if [[ -n "${TEMPORAL_CLI_PATH:-}" && -x "${TEMPORAL_CLI_PATH}" ]]; then
  echo "$TEMPORAL_CLI_PATH"; exit 0
fi
if command -v temporal >/dev/null 2>&1; then
  command -v temporal; exit 0
fi
if [[ -x "$local_bin/temporal" ]]; then
  echo "$local_bin/temporal"; exit 0
fi

go_is_new_enough() {
  command -v go >/dev/null 2>&1 || return 1
  local version
  version="$(go env GOVERSION 2>/dev/null | sed 's/^go//')"
  local major="${version%%.*}" rest="${version#*.}"
  local minor="${rest%%.*}"
  [[ "$major" -gt 1 || ( "$major" -eq 1 && "$minor" -ge 25 ) ]]
}

# shellcheck source=scripts/tool-cache.sh
source "$project_root/scripts/tool-cache.sh"
cache_key="temporal-cli-$TEMPORAL_CLI_VERSION"
if tool_cache_restore "$cache_key" "$project_root/.tools/$cache_key"; then
  mkdir -p "$local_bin"
  mv "$project_root/.tools/$cache_key/temporal" "$local_bin/temporal"
  rm -rf "${project_root:?}/.tools/$cache_key"
  echo "Temporal CLI $TEMPORAL_CLI_VERSION copied into .tools/bin from $tool_cache_root" >&2
  echo "$local_bin/temporal"; exit 0
fi

if go_is_new_enough; then
  echo "Temporal CLI not found: building $TEMPORAL_CLI_VERSION from its Go module into .tools/bin (a few minutes, once)..." >&2
  mkdir -p "$local_bin"
  GOBIN="$local_bin" GOFLAGS="-trimpath" go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION" >&2
  mkdir -p "$project_root/.tools/$cache_key"
  cp "$local_bin/temporal" "$project_root/.tools/$cache_key/temporal"
  tool_cache_save "$cache_key" "$project_root/.tools/$cache_key"
  rm -rf "${project_root:?}/.tools/$cache_key"
  echo "$local_bin/temporal"; exit 0
fi

cat >&2 <<'MSG'
The Temporal CLI is needed (for the local dev server) and could not be found or built.
Install it one of these ways, then run the command again:
  - Homebrew:        brew install temporal
  - Release archive: download temporal_cli for your OS from the Temporal CLI releases page, put `temporal` on PATH
  - Go >= 1.25:      go install github.com/temporalio/cli/cmd/temporal@v1.5.1
  - Or run Temporal with docker compose (see README, "Running in production").
You can also point TEMPORAL_CLI_PATH at an existing binary.
MSG
exit 1
