# shellcheck shell=bash
# Sourced by the stack's build scripts (stack/kube, stack/dapr, stack/act): the parts every Go build of
# the stack shares. Static binaries without local paths; -buildvcs=false since these are not VCS builds.
if [[ -z "${GO:-}" ]]; then
  if command -v go >/dev/null 2>&1; then GO=go; else GO=/usr/local/go/bin/go; fi
fi
export CGO_ENABLED=0
export GOFLAGS="-trimpath -buildvcs=false"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }
# modver <go.mod> <module>: the version a go.mod requires.
modver() { awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit }' "$1"; }
# absdir <dir>: creates dir and prints its absolute path.
absdir() { mkdir -p "$1" && (cd "$1" && pwd); }
