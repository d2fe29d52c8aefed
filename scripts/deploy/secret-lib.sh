# shellcheck shell=bash
# shellcheck disable=SC2034 # namespace, name, kubectl and dir are set for the sourcing script
# Shared by app-secret.sh and pull-secret.sh (sourced, not run): the argument and environment checks, the
# private directory the values are written to, and the server-side apply of a Secret rendered client-side.
# The caller sets `set -euo pipefail` and SCRIPT (its name, for messages).

# secret_args <namespace> <secret-name>: sets namespace, name and kubectl, or exits 2 with the usage.
secret_args() {
  if [[ $# -ne 2 ]]; then
    echo "usage: $SCRIPT <namespace> <secret-name>" >&2
    exit 2
  fi
  namespace="$1" name="$2"
  kubectl="${KUBECTL:-kubectl}"
}

# require_env <where they come from> VAR...: exits 1 naming every VAR that is empty.
require_env() {
  local from="$1" v missing=()
  shift
  for v in "$@"; do
    [[ -n "${!v:-}" ]] || missing+=("$v")
  done
  if ((${#missing[@]})); then
    echo "::error::$SCRIPT: ${missing[*]} not set ($from)" >&2
    exit 1
  fi
}

# private_dir: a 0700 directory under RUNNER_TEMP in $dir, removed on exit; files made in it are 0600 (umask).
private_dir() {
  dir="$(umask 077 && mktemp -d "${RUNNER_TEMP:-/tmp}/$SCRIPT.XXXXXX")"
  trap 'rm -rf "$dir"' EXIT
}

# apply_secret <kubectl create secret args...>: the namespace, then the Secret (labelled as the pipeline's),
# both server-side applied, so an unchanged Secret stays as it is.
apply_secret() {
  "$kubectl" create namespace "$namespace" --dry-run=client -o yaml | "$kubectl" apply --server-side --field-manager=deploy-pipeline -f - > /dev/null
  "$kubectl" create secret "$@" --namespace "$namespace" --dry-run=client -o yaml |
    "$kubectl" label --local -f - app.kubernetes.io/managed-by=deploy-pipeline -o yaml |
    "$kubectl" apply --server-side --field-manager=deploy-pipeline -f -
}
