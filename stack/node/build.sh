#!/usr/bin/env bash
# Builds the binaries of the local stack's Kubernetes node images from the Go module proxy, so that the
# stack needs no container image from the internet (no registry.k8s.io, no Docker Hub):
#   coredns        <- ./cmd/coredns (this module): CoreDNS with only errors, log, health, ready, kubernetes,
#                     cache, reload, loadbalance, metrics (directive `prometheus`), hosts, template, whoami;
#                     no `forward`, so the cluster DNS never sends a query off the machine
#   pause          <- ./cmd/pause: the pod sandbox's pid 1 (blocks, reaps zombies, exits 0 on SIGTERM)
#   stack-testapp  <- ./cmd/testapp: the HTTP server the integration tests run as a real container image
#   connect-proxy  <- ./cmd/connect-proxy: the API server's HTTP CONNECT egress into the node's namespace
#                     (webhooks served by pods, Services, the kubelet)
#   stack-registry <- ./cmd/registry: the local registry (go-containerregistry's pkg/registry, the module's
#                     require, at CRANE_VERSION) with private repositories behind HTTP Basic credentials
#   crane          <- `go install github.com/google/go-containerregistry/cmd/crane@<CRANE_VERSION>` (its own
#                     module graph): the registry client that pushes the images built from these binaries
#
# Usage: stack/node/build.sh <outdir>
#   Idempotent: a binary already present (and executable) in <outdir> is not rebuilt (delete it to rebuild,
#   e.g. after changing go.mod or cmd/). Binaries are built into a temporary directory inside <outdir> and
#   moved into place, so an interrupted build leaves nothing half-made.
#   Env: GO (go binary; default `go` on PATH, else /usr/local/go/bin/go).
#
# Versions: the `github.com/coredns/coredns` require in go.mod (v1.15.0, which needs go >= 1.26.0; hence
# go.mod's go line). `coredns -version` prints "CoreDNS-1.15.0" and, where CoreDNS's own builds print the
# git commit, the module version (the module proxy does not record the commit).
# To move: change the require, `go mod tidy`, and compare cmd/coredns's directive list with the new
# version's core/dnsserver/zdirectives.go.
# The `github.com/google/go-containerregistry` require (stack-registry) equals CRANE_VERSION (checked below),
# so the registry server and the crane client are one release; move both together, then `go mod tidy`.
#
# Measured on the project VM (2 cores, 24 GB, go1.26.8) while the stack/kube build compiled alongside (load
# average 4.6-7, so this build got about one core), November 2026. Modules already in GOMODCACHE (this
# module's graph is 262 MB; downloading it into an empty GOMODCACHE took 3.8 s):
#   this script, empty GOCACHE (~700 MB afterwards)   165 s wall (coredns 155 s, then pause 0.2 s,
#                                                     stack-testapp 0.5 s, crane 9.4 s: the standard library
#                                                     was compiled by then)
#   each part alone, empty GOCACHE:  coredns 165 s (139 s user + 21 s sys), pause 12 s, stack-testapp 28 s,
#                                    crane 37 s (including downloading a few of its modules)
#   warm GOCACHE, new <outdir>        4.3 s;   nothing to do  0.0 s
# Sizes (static, -s -w, -trimpath; byte-identical when rebuilt with a separate GOCACHE): coredns 55,865,506 B
# (53 MiB), crane 11,874,466 B, stack-registry 6,582,434 B (0.5 s to build on a warm GOCACHE), stack-testapp
# 6,492,322 B, pause 1,618,082 B.
set -euo pipefail

CRANE_VERSION=v0.22.1

if [[ $# -ne 1 ]]; then
  echo "usage: $0 <outdir>" >&2
  exit 2
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../go-build.sh
source "$here/../go-build.sh"
out="$(absdir "$1")"

# go mod tidy writes a module's only direct require as a single line (`require <module> <version>`), which
# modver (made for require blocks) does not read; with two direct requires it writes a block.
COREDNS_VERSION="$(awk '$1 == "require" && $2 == "github.com/coredns/coredns" && $3 ~ /^v/ { print $3; exit }' "$here/go.mod")"
[[ -n "$COREDNS_VERSION" ]] || COREDNS_VERSION="$(modver "$here/go.mod" github.com/coredns/coredns)"
if [[ -z "$COREDNS_VERSION" ]]; then
  echo "build.sh: cannot read the github.com/coredns/coredns version from $here/go.mod" >&2
  exit 1
fi

GGCR_VERSION="$(modver "$here/go.mod" github.com/google/go-containerregistry)"
if [[ "$GGCR_VERSION" != "$CRANE_VERSION" ]]; then
  echo "build.sh: go.mod requires github.com/google/go-containerregistry '$GGCR_VERSION', crane is $CRANE_VERSION; make them equal" >&2
  exit 1
fi

missing=()
for b in coredns pause stack-testapp connect-proxy stack-registry crane; do
  [[ -x "$out/$b" ]] || missing+=("$b")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "build.sh: all binaries present in $out"
  exit 0
fi

t_all="$(now)"
echo "build.sh: building ${missing[*]} into $out ($("$GO" version))"

tmp="$(mktemp -d "$out/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# --- coredns, pause, stack-testapp, connect-proxy, stack-registry: this module, one `go build` each (own
# output name, own ldflags; they share little but the standard library, so one build for all would save
# nothing) ---
for b in "${missing[@]}"; do
  ldflags="-s -w"
  case "$b" in
    coredns)
      pkg=./cmd/coredns
      ldflags+=" -X github.com/coredns/coredns/coremain.GitCommit=$COREDNS_VERSION"
      ;;
    pause) pkg=./cmd/pause ;;
    stack-testapp) pkg=./cmd/testapp ;;
    connect-proxy) pkg=./cmd/connect-proxy ;;
    stack-registry) pkg=./cmd/registry ;;
    *) continue ;;
  esac
  t="$(now)"
  (cd "$here" && "$GO" build -ldflags "$ldflags" -o "$tmp/$b" "$pkg")
  echo "build.sh: built $b in $(elapsed "$t")"
done

if [[ " ${missing[*]} " == *" coredns "* ]]; then
  # Not `| head -n1`: head exits after one line, coredns may get SIGPIPE, and pipefail fails the build.
  got="$("$tmp/coredns" -version)"
  got="${got%%$'\n'*}"
  if [[ "$got" != "CoreDNS-${COREDNS_VERSION#v}" ]]; then
    echo "build.sh: the new coredns says '$got', expected 'CoreDNS-${COREDNS_VERSION#v}'" >&2
    exit 1
  fi
fi

# --- crane: its own module graph (go-containerregistry's requires stay out of this module) ---
if [[ " ${missing[*]} " == *" crane "* ]]; then
  t="$(now)"
  (cd "$tmp" && GOBIN="$tmp" "$GO" install -ldflags "-s -w" "github.com/google/go-containerregistry/cmd/crane@$CRANE_VERSION")
  echo "build.sh: built crane $CRANE_VERSION in $(elapsed "$t")"
fi

for b in "${missing[@]}"; do
  mv -f "$tmp/$b" "$out/$b"
done
echo "build.sh: done in $(elapsed "$t_all")"
ls -l "${missing[@]/#/$out/}"
