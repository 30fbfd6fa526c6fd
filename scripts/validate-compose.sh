#!/usr/bin/env bash
# Validates docker-compose.yml without a Docker engine (CI has none): the file must parse and interpolate with
# the settings of .env.example, in every profile; a missing required setting must be refused by name; and every
# file the stack mounts or builds from must exist. Uses Debian's `docker-compose` (v1.29), or `docker compose`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
elif docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  echo "validate-compose: neither docker-compose nor 'docker compose' is installed (apt-get install docker-compose)" >&2
  exit 1
fi
echo "== compose: $("${compose[@]}" version 2>/dev/null | head -n 1)"

failures=0
fail() {
  echo "validate-compose: $*" >&2
  failures=$((failures + 1))
}

# 1. The file is valid in the default set-up and with every optional profile.
"${compose[@]}" --env-file .env.example config -q || fail "docker-compose.yml is invalid with .env.example"
"${compose[@]}" --env-file .env.example --profile simulator --profile cli --profile events config -q ||
  fail "docker-compose.yml is invalid with the simulator and cli profiles"
"${compose[@]}" --env-file .env.example -f docker-compose.yml -f deploy/compose/shared-key-migration.yml config -q ||
  fail "deploy/compose/shared-key-migration.yml does not apply to docker-compose.yml"

# 2. The services a deployment needs are there, and the optional ones sit behind their profile.
rendered="$("${compose[@]}" --env-file .env.example --profile simulator --profile cli --profile events config)"
python3 - "$rendered" <<'PY' || fail "services or profiles are not as expected"
import sys, yaml
services = yaml.safe_load(sys.argv[1])["services"]
required = ["postgresql", "temporal-schema", "temporal", "temporal-namespace", "temporal-ui", "worker"]
optional = {"simulator": "simulator", "client": "cli", "events": "events"}
problems = [f"missing service {name}" for name in [*required, *optional] if name not in services]
problems += [f"{name} must not have a profile" for name in required if services.get(name, {}).get("profiles")]
problems += [
    f"{name} must be in profile {profile}"
    for name, profile in optional.items()
    if profile not in services.get(name, {}).get("profiles", [])
]
# The keys: the worker holds the keyring (NODE_ENV=production refuses the shared key alone), the CLI only the
# public key, the events receiver none.
key_variables = {"DATAFLOW_SECRETS_KEYRING_FILE", "DATAFLOW_SECRETS_PUBLIC_KEY_FILE", "DATAFLOW_SECRETS_KEY_FILE"}
expected_keys = {"worker": {"DATAFLOW_SECRETS_KEYRING_FILE"}, "client": {"DATAFLOW_SECRETS_PUBLIC_KEY_FILE"}, "events": set()}
for name, expected in expected_keys.items():
    given = key_variables & set(services.get(name, {}).get("environment", {}))
    if given != expected:
        problems.append(f"{name} must hold exactly the key files {sorted(expected)}, not {sorted(given)}")
for problem in problems:
    print(f"validate-compose: {problem}", file=sys.stderr)
sys.exit(1 if problems else 0)
PY

# 3. A required setting left out is refused, naming it (no silent empty credentials).
empty_env="$(mktemp)"
trap 'rm -f "$empty_env"' EXIT
grep -v '^AEP_CLIENT_ID=' .env.example >"$empty_env"
if output="$("${compose[@]}" --env-file "$empty_env" config -q 2>&1)"; then
  fail "a missing AEP_CLIENT_ID was accepted"
elif ! grep -q 'AEP_CLIENT_ID' <<<"$output"; then
  fail "a missing AEP_CLIENT_ID was refused without naming it: $output"
fi

# 4. Everything the stack builds from or mounts exists, and the scripts it runs are executable.
for file in Dockerfile .dockerignore scripts/container-entrypoint.sh deploy/temporal/dynamicconfig.yaml \
  deploy/temporal/setup-postgres.sh deploy/temporal/create-namespace.sh deploy/compose/shared-key-migration.yml; do
  [[ -f "$file" ]] || fail "missing $file"
done
for script in scripts/container-entrypoint.sh deploy/temporal/setup-postgres.sh deploy/temporal/create-namespace.sh; do
  [[ -x "$script" ]] || fail "$script is not executable"
  sh -n "$script" || fail "$script has a syntax error"
done
while read -r source; do
  [[ -e "$source" ]] || fail "the Dockerfile copies $source, which does not exist"
done < <(awk '$1 == "COPY" { for (i = 2; i < NF; i++) if ($i !~ /^--/) print $i }' Dockerfile)

if ((failures > 0)); then
  echo "validate-compose: $failures problem(s)" >&2
  exit 1
fi
echo "docker-compose.yml is valid (default, simulator, cli and events profiles)"
