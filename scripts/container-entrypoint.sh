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

# Key files the program reads itself: fail here, naming this user, when they are mounted but unreadable (file
# secrets keep their host owner and mode, and the keyring's is 0600).
for name in DATAFLOW_SECRETS_KEYRING_FILE DATAFLOW_SECRETS_PUBLIC_KEY_FILE DATAFLOW_SECRETS_KEY_FILE; do
  eval "file=\${${name}:-}"
  if [ -n "$file" ] && [ ! -r "$file" ]; then
    echo "${name} points at $file, which this container's user (uid $(id -u)) cannot read: on the host, chown $(id -u) the file it is mounted from (README \"Production with docker-compose\")" >&2
    exit 78
  fi
done

exec "$@"
