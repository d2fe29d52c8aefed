#!/usr/bin/env bash
# The image pull secret the chart's pods use (imagePullSecrets in values-oke.yaml and values-local.yaml): a
# kubernetes.io/dockerconfigjson Secret for one registry, created or refreshed in place (server-side apply,
# so a re-run with the same credentials changes nothing).
#
# Usage: scripts/deploy/pull-secret.sh <namespace> <secret-name>
#   Env: REGISTRY (the registry host, e.g. ghcr.io or localhost:16460), REGISTRY_USERNAME, REGISTRY_PASSWORD
#   (required), REGISTRY_PASSWORD_EXPIRES (true when the password is the workflow's GITHUB_TOKEN: warn that it
#   stops working when the job ends), KUBECTL (default kubectl; KUBECONFIG as exported before).
#
# The password never appears on a command line or in the log: the config is written to a 0600 file in a 0700
# directory under RUNNER_TEMP (removed on exit) and kubectl reads the file.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 <namespace> <secret-name>" >&2
  exit 2
fi
namespace="$1" name="$2"
kubectl="${KUBECTL:-kubectl}"

missing=()
for v in REGISTRY REGISTRY_USERNAME REGISTRY_PASSWORD; do
  [[ -n "${!v:-}" ]] || missing+=("$v")
done
if ((${#missing[@]})); then
  echo "::error::pull-secret: ${missing[*]} not set (the deploy body's registry inputs: for GHCR the workflow's token or a GHCR_PULL_TOKEN secret; locally the stack's registry user)" >&2
  exit 1
fi
if [[ ! "$REGISTRY" =~ ^[A-Za-z0-9.-]+(:[0-9]{1,5})?$ ]]; then
  echo "::error::pull-secret: REGISTRY \"$REGISTRY\" is not a registry host (host or host:port, e.g. ghcr.io)" >&2
  exit 1
fi

dir="$(umask 077 && mktemp -d "${RUNNER_TEMP:-/tmp}/pull-secret.XXXXXX")"
trap 'rm -rf "$dir"' EXIT
(
  umask 077
  auth="$(printf '%s:%s' "$REGISTRY_USERNAME" "$REGISTRY_PASSWORD" | base64 -w0)"
  printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REGISTRY" "$auth" > "$dir/config.json"
)

"$kubectl" create namespace "$namespace" --dry-run=client -o yaml | "$kubectl" apply --server-side --field-manager=deploy-pipeline -f - > /dev/null
"$kubectl" create secret generic "$name" --namespace "$namespace" --type=kubernetes.io/dockerconfigjson \
  --from-file=.dockerconfigjson="$dir/config.json" \
  --dry-run=client -o yaml |
  "$kubectl" label --local -f - app.kubernetes.io/managed-by=deploy-pipeline -o yaml |
  "$kubectl" apply --server-side --field-manager=deploy-pipeline -f -

if [[ "${REGISTRY_PASSWORD_EXPIRES:-false}" == true ]]; then
  echo "::warning title=Image pull secret::$namespace/$name holds this run's GITHUB_TOKEN, which expires when the job ends: pods that pull the image later (a new node, an eviction, a scale-up) fail with ImagePullBackOff. Set the repository secret GHCR_PULL_TOKEN (a token that may read the package) or make the package public."
fi
