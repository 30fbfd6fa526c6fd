#!/bin/sh
# Creates the namespace the worker uses when it does not exist yet (run once the server is healthy).
set -eu
namespace="${TEMPORAL_NAMESPACE:-default}"
retention="${TEMPORAL_NAMESPACE_RETENTION:-720h}"

attempt=0
until temporal operator cluster health --address "${TEMPORAL_ADDRESS}" >/dev/null 2>&1; do
  attempt=$((attempt + 1))
  if [ "$attempt" -ge 60 ]; then echo "Temporal at ${TEMPORAL_ADDRESS} is not healthy; giving up." >&2; exit 1; fi
  sleep 2
done

if temporal operator namespace describe --address "${TEMPORAL_ADDRESS}" --namespace "$namespace" >/dev/null 2>&1; then
  echo "Namespace $namespace exists."
else
  temporal operator namespace create --address "${TEMPORAL_ADDRESS}" --namespace "$namespace" --retention "$retention"
  echo "Namespace $namespace created (retention $retention)."
fi
