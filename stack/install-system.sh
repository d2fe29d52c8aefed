#!/usr/bin/env bash
# System packages the local stack needs, from Debian's archive. Idempotent: installs only what is missing.
# Go (for the Kubernetes and Dapr tools modules), Java 17 and Maven (Kafka) come with the machine image;
# Java and Maven are installed from Debian when absent; Go cannot be, and is reported.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }
pg_server() { ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; }

have openssl || need+=(openssl)
have unzip || need+=(unzip)
have tar || need+=(tar)
have jq || need+=(jq)     # scripts/local.sh and the deploy workflow read the stack's status JSON
have git || need+=(git)   # act reads the clone's commit; scripts/release.ts
have shellcheck || need+=(shellcheck)  # actionlint checks the workflows' run: scripts with it
pg_server || need+=(postgresql)
have java || need+=(openjdk-17-jre-headless)
have mvn || need+=(maven)
# The real node (stack component `node`): containerd 1.6 and runc from Debian (checked on this kernel:
# cgroup v1, overlayfs), the CNI plugins (/usr/lib/cni: bridge, host-local, loopback, portmap), iptables for
# kube-proxy and the bridge's masquerade (inside the node's namespace only), socat for the forwarders on the
# stack's veth, conntrack (kube-proxy clears stale UDP entries with it), iproute2 for the namespaces and veth.
have containerd || need+=(containerd)
have runc || need+=(runc)
[ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
have iptables || need+=(iptables)
have socat || need+=(socat)
have conntrack || need+=(conntrack)
have ip || need+=(iproute2)
# The sample app's image (app/Dockerfile) without a Docker engine: buildah builds it; mmdebstrap makes the
# Debian root file systems of its local Node base images (stack component app-base); qemu-user-static runs
# the arm64 image's node under emulation for its smoke test (explicitly, no binfmt_misc registration).
have buildah || need+=(buildah)
have mmdebstrap || need+=(mmdebstrap)
have qemu-aarch64-static || need+=(qemu-user-static)
have skopeo || need+=(skopeo)   # reads pushed images back (scripts/deploy/image.ts)
# mmdebstrap verifies Debian's archive with Debian's keys (present on Debian; a package on Ubuntu).
[ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || need+=(debian-archive-keyring)
# Headless browser for the sample app's UI test (test/integration/app/browser.test.ts, playwright-core).
[ -x /usr/bin/chromium ] || need+=(chromium)

if ((${#need[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "install-system: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if ! have go; then
  echo "install-system: Go is required to build the Kubernetes control plane for the local stack (go 1.26+); install it and re-run" >&2
  exit 1
fi
echo "install-system: ok (go $(go env GOVERSION), $(java -version 2>&1 | head -1), $(ls -d /usr/lib/postgresql/*/bin | head -1))"
