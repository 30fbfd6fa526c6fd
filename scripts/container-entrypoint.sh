#!/bin/sh
# Entrypoint of the worker image. Secrets are mounted as files (Docker secrets) so they never appear in the
# container's configuration; for each NAME_FILE set here, NAME is exported from that file's content, then the
# command runs in place of this shell (so it receives SIGTERM directly).
set -eu

for name in AEP_CLIENT_SECRET TEMPORAL_API_KEY; do
  eval "file=\${${name}_FILE:-}"
  eval "current=\${${name}:-}"
  if [ -n "$file" ] && [ -z "$current" ]; then
    if [ ! -r "$file" ]; then
      echo "${name}_FILE points at $file, which cannot be read" >&2
      exit 78
    fi
    value="$(cat "$file")"
    export "$name=$value"
  fi
  unset "${name}_FILE"
done

exec "$@"
