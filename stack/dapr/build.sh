#!/usr/bin/env bash
# Builds the local stack's Dapr binaries from the Go module proxy (no GitHub releases, no container images):
#   daprd      <- ./cmd/daprd (this module): Dapr's runtime with only the components the project uses
#   scheduler  <- github.com/dapr/dapr/cmd/scheduler (the Jobs API's backend, embedded etcd)
#   operator, sentry, injector, placement <- github.com/dapr/dapr/cmd/<name>: the rest of the control plane,
#                 which the stack packs into images for Dapr's own Helm chart on its real node
#
# Usage: stack/dapr/build.sh <outdir> [go.mod | go.prev.mod]
#   go.prev.mod builds the previous Dapr minor (the upgrade test's starting point) from the same commands:
#   `go build -modfile=go.prev.mod -tags dapr_prev` (cmd/daprd/fields_prev.go leaves out runtime options that
#   minor does not have yet).
#   Idempotent: when <outdir> holds both binaries and `daprd --version` prints this module's Dapr version,
#   nothing is rebuilt. Binaries are built into a temporary directory and moved into place, so an
#   interrupted build leaves nothing half-made. Env: GO (go binary; default `go` on PATH, else /usr/local/go/bin/go).
#
# Version: the `github.com/dapr/dapr` require in go.mod is the one source of truth (src/versions.ts repeats
# it for the actions; test/unit/versions.test.ts checks they agree). Dapr v1.18.2 is the newest whose whole
# module graph the proxy serves: v1.18.3 needs github.com/dapr/durabletask-go v0.12.4, which it refuses (403).
# To move: change the require, copy the new version's replace directives, `go mod tidy`, update src/versions.ts.
#
# Measured on the project VM (2 cores, 24 GB, go1.26.8), Dapr v1.18.2, November 2026. The VM was shared with other
# builds and test runs (load average 4-7), so an idle machine should be faster than the wall times below:
#   module download, empty GOMODCACHE (`go mod download`, 806 MB)     13.8 s
#   compile both binaries, empty GOCACHE (one `go build`, 1.7 GB cache) 364-420 s wall; 5.4 min CPU (user+sys)
#   compile, GOCACHE already holding the k8s/etcd packages of stack/kube  282 s
#   nothing to do (every binary present at this version)                 0.2 s
#   operator + sentry + injector + placement added to a warm build (daprd, scheduler done): 21 s;
#   sizes 51.5, 54.7, 53.8, 44.6 MB
#   the previous minor (go.prev.mod, v1.17.0), all six binaries, GOCACHE warm from the v1.18.2 build:
#   147 s wall, 3.8 min CPU (module download for v1.17.0 adds ~10 s on an empty GOMODCACHE)
#   sizes (-s -w, trimpath): daprd 84,787,362 B (81 MiB), scheduler 57,610,402 B (55 MiB); byte-identical
#   across two builds with separate caches.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 <outdir> [go.mod | go.prev.mod]" >&2
  exit 2
fi
modfile="${2:-go.mod}"
case "$modfile" in
  go.mod) goflags=() ;;
  go.prev.mod) goflags=(-modfile=go.prev.mod -tags dapr_prev) ;;
  *) echo "build.sh: unknown module file '$modfile' (go.mod or go.prev.mod)" >&2; exit 2 ;;
esac

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../go-build.sh
source "$here/../go-build.sh"
out="$(absdir "$1")"

DAPR_TAG="$(modver "$here/$modfile" github.com/dapr/dapr)"
if [[ -z "$DAPR_TAG" ]]; then
  echo "build.sh: cannot read the github.com/dapr/dapr version from $here/$modfile" >&2
  exit 1
fi
DAPR_VERSION="${DAPR_TAG#v}" # Dapr's own builds print the version without the leading v

CONTROL_PLANE=(scheduler operator sentry injector placement)
complete=1
for b in "${CONTROL_PLANE[@]}"; do [[ -x "$out/$b" ]] || complete=0; done
if [[ $complete == 1 && -x "$out/daprd" ]] && [[ "$("$out/daprd" --version 2>/dev/null || true)" == "$DAPR_VERSION" ]]; then
  echo "build.sh: daprd and ${CONTROL_PLANE[*]} $DAPR_VERSION present in $out"
  exit 0
fi

t_all="$(now)"
echo "build.sh: building daprd and ${CONTROL_PLANE[*]} $DAPR_VERSION into $out ($("$GO" version))"

t="$(now)"
(cd "$here" && "$GO" mod download ${goflags[0]:+"${goflags[0]}"})
# The commit comes from the module proxy's record of the tag, so `daprd --build-info` names the real commit.
commit="$(cd "$here" && "$GO" mod download ${goflags[0]:+"${goflags[0]}"} -json "github.com/dapr/dapr@$DAPR_TAG" |
  sed -n 's/.*"Hash": *"\([0-9a-f]*\)".*/\1/p' | head -n1)"
echo "build.sh: modules ready in $(elapsed "$t") (dapr commit ${commit:-unknown})"

tmp="$(mktemp -d "$out/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

bi=github.com/dapr/dapr/pkg/buildinfo
ldflags="-s -w -X $bi.version=$DAPR_VERSION -X $bi.gitversion=$DAPR_TAG -X $bi.gitcommit=$commit"
t="$(now)"
# One `go build` for all: the packages they share (most of Dapr, gRPC, client-go) compile once.
(cd "$here" && "$GO" build ${goflags[@]+"${goflags[@]}"} -ldflags "$ldflags" -o "$tmp/" ./cmd/daprd "${CONTROL_PLANE[@]/#/github.com/dapr/dapr/cmd/}")
echo "build.sh: compiled in $(elapsed "$t")"

got="$("$tmp/daprd" --version)"
if [[ "$got" != "$DAPR_VERSION" ]]; then
  echo "build.sh: the new daprd says version '$got', expected '$DAPR_VERSION'" >&2
  exit 1
fi
for b in "${CONTROL_PLANE[@]}"; do mv -f "$tmp/$b" "$out/$b"; done
mv -f "$tmp/daprd" "$out/daprd" # last: its version is what marks the build complete
echo "build.sh: done in $(elapsed "$t_all")"
ls -l "$out/daprd" "${CONTROL_PLANE[@]/#/$out/}"
