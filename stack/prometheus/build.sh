#!/usr/bin/env bash
# Builds Prometheus's two commands from the Go module proxy (no GitHub releases):
#   prometheus  <- `go install github.com/prometheus/prometheus/cmd/prometheus@<version>`
#   promtool    <- `go install github.com/prometheus/prometheus/cmd/promtool@<version>`
#
# Usage: stack/prometheus/build.sh <version> <outdir>
#   <version> is the module's tag, e.g. v0.316.0 (Prometheus 3.16.0: the module's v0.3XX.Y is release 3.XX.Y).
#   The version is pinned in stack/src/components/prometheus.ts, which calls this script and reports the
#   binaries' paths. Idempotent: binaries already present in <outdir> are not rebuilt. Built into a temporary
#   directory and moved into place, so an interrupted build leaves nothing half-made.
#   Env: GO (go binary; default `go` on PATH, else /usr/local/go/bin/go).
#
# Build tags:
#   - no `builtinassets`: the React UI (web/ui/mantine-ui) is built with npm and Vite in Prometheus's own
#     release process and is not in the Go module; without the tag the binary looks for it on disk and the UI's
#     pages answer 500, while the HTTP API (/api/v1/*), /metrics, /federate and /-/ready|healthy|reload work.
#     The stack uses the API only (tests, `npm run stack -- status`, the README's curl examples).
#   - `remove_all_sd enable_kubernetes_sd`: Prometheus's own switches (plugins/plugin_*.go): only the
#     Kubernetes service discovery (plus file and HTTP, always in) is compiled in, not the clients of AWS,
#     Azure, GCE, OCI, Consul and the rest. promtool gets the same tags, so it checks what prometheus runs.
# The module has no replace directives; its go.mod asks for go >= 1.26.7 (go1.26.8 here).
#
# Measured on the project VM (2 cores, go1.26.8, December 2026) while other builds and a benchmark ran (load
# average 5-8), with the machine's usual module and build caches (the standard library, client-go and
# golang.org/x already compiled by the stack's other Go builds): 279 s wall (218 s user + 33 s sys), about 100
# modules downloaded. Binaries (-s -w, -trimpath, CGO_ENABLED=0): prometheus 76 MB, promtool 54 MB.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 <version> <outdir>" >&2
  exit 2
fi
version="$1"
[[ "$version" == v* ]] || version="v$version"
if [[ ! "$version" =~ ^v0\.([0-9]+)\.([0-9]+)$ ]]; then
  echo "build.sh: '$1' is not a github.com/prometheus/prometheus module version (v0.<3MM>.<patch>, e.g. v0.316.0)" >&2
  exit 2
fi
# v0.316.0 -> 3.16.0: what `prometheus --version` prints, as Prometheus's own builds do.
minor="${BASH_REMATCH[1]}"
release="${minor:0:1}.$((10#${minor:1})).${BASH_REMATCH[2]}"

# shellcheck source=../go-build.sh
source "$(dirname "${BASH_SOURCE[0]}")/../go-build.sh"
out="$(absdir "$2")"
if [[ -x "$out/prometheus" && -x "$out/promtool" ]]; then
  echo "build.sh: prometheus and promtool present in $out"
  exit 0
fi

t0="$(now)"
echo "build.sh: building prometheus and promtool $version (Prometheus $release) into $out ($("$GO" version))"
tmp="$(mktemp -d "$out/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
v=github.com/prometheus/common/version
ldflags="-s -w -X $v.Version=$release -X $v.Revision=$version -X $v.Branch=module-proxy -X $v.BuildUser=oke-dapr-stack"
(cd "$tmp" && GOBIN="$tmp" "$GO" install -tags "remove_all_sd enable_kubernetes_sd" -ldflags "$ldflags" \
  "github.com/prometheus/prometheus/cmd/prometheus@$version" "github.com/prometheus/prometheus/cmd/promtool@$version")

got="$("$tmp/promtool" --version 2>&1)"
got="${got%%$'\n'*}"
if [[ "$got" != *"version $release "* ]]; then
  echo "build.sh: the new promtool says '$got', expected version $release" >&2
  exit 1
fi
mv -f "$tmp/prometheus" "$tmp/promtool" "$out/"
echo "build.sh: built prometheus and promtool $release in $(elapsed "$t0")"
