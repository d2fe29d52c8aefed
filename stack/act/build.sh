#!/usr/bin/env bash
# Builds the workflow tools from the Go module proxy (no GitHub releases):
#   act         <- `go install github.com/nektos/act@<ACT_VERSION>`           (runs .github/workflows locally)
#   actionlint  <- `go install github.com/rhysd/actionlint/cmd/actionlint@<ACTIONLINT_VERSION>`
#
# Usage: stack/act/build.sh act|actionlint <version> <outdir>
#   The versions are pinned in stack/src/components/act.ts (the stack component that calls this script and
#   reports the binaries' paths); <version> is a tag such as v0.2.89. Idempotent: a binary already present
#   (and executable) in <outdir> is not rebuilt. The binary is built into a temporary directory and moved
#   into place, so an interrupted build leaves nothing half-made.
#   Env: GO (go binary; default `go` on PATH, else /usr/local/go/bin/go).
#
# Neither module has replace directives, so a plain `go install mod@version` works (go1.26.8 here; act
# v0.2.89 asks for go >= 1.25). act v0.2.89 is the only act version the proxy listed on this machine.
#
# Measured on the project VM (2 cores shared with other jobs, go1.26.8), one after the other:
#   empty GOMODCACHE and GOCACHE:      act v0.2.89 90.7 s, then actionlint v1.7.12 15.3 s (sharing act's modules);
#                                      ~550 MB module cache, ~270 MB build cache, peak RSS ~320 MB
#   the machine's usual caches (std and golang.org/x already compiled by the stack's other Go builds):
#                                      act 61.6 s, actionlint 10.5 s
# Binaries (-s -w, -trimpath, CGO_ENABLED=0): act 21 MB, actionlint 6 MB.
set -euo pipefail

if [[ $# -ne 3 ]]; then
  echo "usage: $0 act|actionlint <version> <outdir>" >&2
  exit 2
fi
tool="$1" version="$2"
case "$tool" in
  act) pkg="github.com/nektos/act" ;;
  actionlint) pkg="github.com/rhysd/actionlint/cmd/actionlint" ;;
  *) echo "build.sh: unknown tool '$tool' (act or actionlint)" >&2; exit 2 ;;
esac
[[ "$version" == v* ]] || version="v$version"

mkdir -p "$3"
out="$(cd "$3" && pwd)"
if [[ -x "$out/$tool" ]]; then
  echo "build.sh: $tool present in $out"
  exit 0
fi

# shellcheck source=../go-build.sh
source "$(dirname "${BASH_SOURCE[0]}")/../go-build.sh"
t0="$(now)"
echo "build.sh: building $tool $version into $out ($("$GO" version))"
tmp="$(mktemp -d "$out/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
ldflags="-s -w"
# actionlint prints this with -version (act embeds its VERSION file itself).
[[ "$tool" == actionlint ]] && ldflags+=" -X github.com/rhysd/actionlint.version=$version"
(cd "$tmp" && GOBIN="$tmp" "$GO" install -ldflags "$ldflags" "$pkg@$version")
mv -f "$tmp/$tool" "$out/$tool"
echo "build.sh: built $tool $version in $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }')"
