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
SCRIPT=pull-secret
# shellcheck source=secret-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/secret-lib.sh"

secret_args "$@"
require_env "the deploy body's registry inputs: for GHCR the workflow's token or a GHCR_PULL_TOKEN secret; locally the stack's registry user" REGISTRY REGISTRY_USERNAME REGISTRY_PASSWORD
if [[ ! "$REGISTRY" =~ ^[A-Za-z0-9.-]+(:[0-9]{1,5})?$ ]]; then
  echo "::error::pull-secret: REGISTRY \"$REGISTRY\" is not a registry host (host or host:port, e.g. ghcr.io)" >&2
  exit 1
fi

private_dir
(
  umask 077
  auth="$(printf '%s:%s' "$REGISTRY_USERNAME" "$REGISTRY_PASSWORD" | base64 -w0)"
  printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REGISTRY" "$auth" > "$dir/config.json"
)

apply_secret generic "$name" --type=kubernetes.io/dockerconfigjson --from-file=.dockerconfigjson="$dir/config.json"

if [[ "${REGISTRY_PASSWORD_EXPIRES:-false}" == true ]]; then
  echo "::warning title=Image pull secret::$namespace/$name holds this run's GITHUB_TOKEN, which expires when the job ends: pods that pull the image later (a new node, an eviction, a scale-up) fail with ImagePullBackOff. Set the repository secret GHCR_PULL_TOKEN (a token that may read the package) or make the package public."
fi
