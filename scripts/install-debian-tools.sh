#!/usr/bin/env bash
# Installs the Debian packages the checks need, skipping those already present:
#   docker-compose  validates docker-compose.yml (no Docker engine needed; installed without its recommends,
#                   which are a Docker engine)
#   chromium        runs the Web UI browser check (with its recommends: fonts, so screenshots show text)
# Needs root or sudo, and does nothing when everything is already installed.
set -euo pipefail

missing=()
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
((${#missing[@]} > 0)) || exit 0

as_root=()
if [[ "$(id -u)" -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-debian-tools: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  as_root=(sudo)
fi
install=("${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq)

echo "== installing Debian packages: ${missing[*]}" >&2
"${as_root[@]}" apt-get update -qq
for package in "${missing[@]}"; do
  if [[ "$package" == docker-compose ]]; then
    "${install[@]}" --no-install-recommends docker-compose >/dev/null
  else
    "${install[@]}" "$package" >/dev/null
  fi
done
