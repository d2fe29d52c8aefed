#!/usr/bin/env bash
# Builds the local stack's Kubernetes binaries from the Go module proxy (no GitHub releases, no dl.k8s.io):
#   etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
#   kubelet, kube-proxy (the stack's real node)                     <- this tools module (go.mod next to this file)
#   kwok                                                           <- `go install sigs.k8s.io/kwok/cmd/kwok@<version>`
#
# Usage: stack/kube/build.sh <outdir>
#   Idempotent: a binary already present (and executable) in <outdir> is not rebuilt. Each binary is
#   built into a temporary directory and moved into place, so an interrupted build leaves nothing half-made.
#   Env: GO (go binary; default: `go` on PATH, else /usr/local/go/bin/go), KWOK_VERSION (default v0.7.0).
#
# Versions: k8s.io/kubernetes and go.etcd.io/etcd/server/v3 come from go.mod (v1.34.4 / v3.6.4: the etcd
# that kubernetes v1.34.4 itself requires). Why this module exists: k8s.io/kubernetes cannot be
# `go install`ed, its go.mod replaces every k8s.io/<staging> module with ./staging/...; go.mod here
# replaces each of them (list taken from k8s.io/kubernetes@v1.34.4's go.mod) by its published v0.34.4.
# To move to another version: edit the two requires and the replace versions, then `go mod tidy`.
#
# Measured on the project VM (2 cores, 24 GB, go1.26.8, other jobs sharing the CPU: the build got ~1.3 cores),
# with a completely cold GOMODCACHE and GOCACHE:
#   etcd + kube-apiserver + kube-controller-manager + kube-scheduler (one go build)  356 s
#   kwok v0.7.0 (go install)                                                           92 s
#   total wall time 449 s (~7.5 min), peak RSS of the go tool ~1.9 GB;
#   afterwards: ~770 MB module cache, ~3.4 GB build cache. Warm caches (new <outdir>): 13 s.
# Binaries (static, CGO_ENABLED=0, -s -w, -trimpath; byte-identical when rebuilt):
#   kube-apiserver 102 MB, kube-controller-manager 93 MB, kube-scheduler 73 MB, etcd 26 MB, kwok 67 MB.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 <outdir>" >&2
  exit 2
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../go-build.sh
source "$here/../go-build.sh"
out="$(absdir "$1")"
KWOK_VERSION="${KWOK_VERSION:-v0.7.0}"

K8S_VERSION="$(modver "$here/go.mod" k8s.io/kubernetes)"
ETCD_VERSION="$(modver "$here/go.mod" go.etcd.io/etcd/server/v3)"
if [[ -z "$K8S_VERSION" || -z "$ETCD_VERSION" ]]; then
  echo "build.sh: cannot read k8s.io/kubernetes / etcd versions from $here/go.mod" >&2
  exit 1
fi

t_all="$(now)"

missing=()
for b in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy etcd kwok; do
  [[ -x "$out/$b" ]] || missing+=("$b")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "build.sh: all binaries present in $out"
  exit 0
fi
echo "build.sh: building ${missing[*]} into $out ($("$GO" version))"

tmp="$(mktemp -d "$out/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# --- kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy, etcd: one `go build` ---
pkgs=()
for b in "${missing[@]}"; do
  case "$b" in
    kube-* | kubelet) pkgs+=("k8s.io/kubernetes/cmd/$b") ;;
    etcd) pkgs+=("go.etcd.io/etcd/server/v3") ;;
  esac
done
if [[ ${#pkgs[@]} -gt 0 ]]; then
  # The build date is the tag's time from the module proxy, so rebuilds are byte-identical.
  build_date="$(cd "$here" && "$GO" mod download -json "k8s.io/kubernetes@$K8S_VERSION" |
    sed -n 's/.*"Time": *"\([^"]*\)".*/\1/p' | head -n1)"
  [[ -n "$build_date" ]] || build_date="1970-01-01T00:00:00Z"
  minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.gitCommit= -X $pkg.buildDate=$build_date"
  done
  t="$(now)"
  (cd "$here" && "$GO" build -ldflags "$ldflags" -o "$tmp/" "${pkgs[@]}")
  # etcd's main package is its module root (go.etcd.io/etcd/server/v3): go names that binary "server".
  for n in server v3; do if [[ -f "$tmp/$n" ]]; then mv "$tmp/$n" "$tmp/etcd"; fi; done
  echo "build.sh: built ${pkgs[*]} in $(elapsed "$t")"
fi

# --- kwok: its own module graph (it requires k8s.io/* v0.33; mixing it into this module would force v0.34) ---
if [[ " ${missing[*]} " == *" kwok "* ]]; then
  t="$(now)"
  (cd "$tmp" && GOBIN="$tmp" "$GO" install -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION")
  echo "build.sh: built kwok $KWOK_VERSION in $(elapsed "$t")"
fi

for b in "${missing[@]}"; do
  mv -f "$tmp/$b" "$out/$b"
done
echo "build.sh: done in $(elapsed "$t_all")"
ls -l "${missing[@]/#/$out/}"
