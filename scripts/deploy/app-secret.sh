#!/usr/bin/env bash
# The app's Kubernetes Secret (the chart references it and never creates it): create or update it in place.
#
# Usage: scripts/deploy/app-secret.sh <namespace> <secret-name>
#   Env: KAFKA_PASSWORD, POSTGRES_CONNECTION_STRING, JWT_SIGNING_KEY (required; from the repository's secrets
#   or, in the local job, from the stack), KUBECTL (default kubectl; KUBECONFIG as exported by oke-login or
#   the local stack step). The keys are the chart's defaults (chart/values.yaml, `secrets.*Key`).
#
# Output (GITHUB_OUTPUT): revision, the Secret's resourceVersion after the apply (unchanged when the values are):
# the chart's secrets.revision, so that changed secrets roll the pods (the app reads them once at start).
#
# The values never appear on a command line or in the log: each is written to a 0600 file in a 0700
# directory under RUNNER_TEMP (removed on exit), and kubectl reads the files (--from-file), so any bytes,
# newlines included, survive. The Secret is rendered client-side and server-side applied, so a re-run with the
# same values changes nothing.
set -euo pipefail
SCRIPT=app-secret
# shellcheck source=secret-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/secret-lib.sh"

secret_args "$@"
require_env "repository secrets for the oke job; the stack step for the local job" KAFKA_PASSWORD POSTGRES_CONNECTION_STRING JWT_SIGNING_KEY

private_dir
(
  umask 077
  printf '%s' "$KAFKA_PASSWORD" > "$dir/kafka-password"
  printf '%s' "$POSTGRES_CONNECTION_STRING" > "$dir/postgres-connection-string"
  printf '%s' "$JWT_SIGNING_KEY" > "$dir/jwt-signing-key"
)

apply_secret generic "$name" \
  --from-file=kafka-password="$dir/kafka-password" \
  --from-file=postgres-connection-string="$dir/postgres-connection-string" \
  --from-file=jwt-signing-key="$dir/jwt-signing-key"

revision="$("$kubectl" get secret "$name" --namespace "$namespace" -o jsonpath='{.metadata.resourceVersion}')"
echo "revision=$revision" >> "${GITHUB_OUTPUT:-/dev/null}"
