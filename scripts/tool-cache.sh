#!/usr/bin/env bash
# Sourced by the install scripts: a per-user cache of the tools this project builds from Go modules (the Temporal
# CLI, the PostgreSQL-backed Temporal server), so a fresh clone on the same machine copies them in seconds instead of
# linking them again for minutes. Keyed by tool and pinned version; TOOL_CACHE_DIR moves it, TOOL_CACHE_DIR=off
# turns it off. A copy is made whole in a staging folder and then renamed, so an interrupted copy is never used.

tool_cache_root="${TOOL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/onetrust-aep-dataflows}"

# tool_cache_restore <key> <destination folder>: copies the cached folder there; fails when it is not cached.
tool_cache_restore() {
  local key="$1" destination="$2"
  [[ "$tool_cache_root" != "off" && -f "$tool_cache_root/$key/.complete" ]] || return 1
  rm -rf "$destination.partial"
  mkdir -p "$(dirname "$destination")"
  cp -R "$tool_cache_root/$key" "$destination.partial" || return 1
  rm -f "$destination.partial/.complete"
  rm -rf "$destination"
  mv "$destination.partial" "$destination"
}

# tool_cache_save <key> <source folder>: keeps a copy for the next clone; a failure only loses the speed-up.
tool_cache_save() {
  local key="$1" source="$2" staging
  [[ "$tool_cache_root" != "off" ]] || return 0
  mkdir -p "$tool_cache_root" 2>/dev/null || return 0
  staging="$tool_cache_root/$key.partial.$$"
  rm -rf "$staging"
  if cp -R "$source" "$staging" 2>/dev/null && touch "$staging/.complete"; then
    rm -rf "${tool_cache_root:?}/$key"
    mv "$staging" "$tool_cache_root/$key" 2>/dev/null || rm -rf "$staging"
  else
    rm -rf "$staging"
  fi
  return 0
}
