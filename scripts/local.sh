#!/usr/bin/env bash
# The main job, locally: brings up the local stack (real Kafka, Kubernetes with kwok, helm, PostgreSQL).
# When the deploy workflow lands (see the issues), this runs deploy.yml with target=local through act.
set -euo pipefail
cd "$(dirname "$0")/.."

bash stack/install-system.sh
if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent stack -- up
echo
echo "The local stack is up. Its endpoints: npm run stack -- status --json"
echo "Kubeconfig: export KUBECONFIG=$(pwd)/.stack/kube/admin.kubeconfig"
echo "Next: npm test (lint, types, unit and integration tests against this stack); npm run stack -- down to stop it."
