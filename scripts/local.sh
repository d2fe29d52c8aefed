#!/usr/bin/env bash
# npm run local: the main job on this machine. Installs what is missing (system packages, npm packages with
# Node 24, the local stack's servers and the workflow tools, all cached), brings the local stack up, then runs
# the deploy workflow (.github/workflows/deploy.yml, job `local`, target=local) through act in host mode: the
# app image built from app/Dockerfile (buildah) and pushed to the stack's registry, Dapr's chart, the topics,
# the chart deployed by digest onto the stack's real node, verify-events through the app's pods. Ends with
# verify-events' verdict, the UI's URL (the node's NodePort, reachable from this machine) and the stack's
# Prometheus URL, which then scrapes the app by the chart's ServiceMonitor (scripts/monitoring.ts local). Exit
# code: act's (0 = deployed and verified), or 1 when the chart's monitoring cannot be installed in Prometheus.
#
# How act runs the job here (act v0.2.89, built from the Go module proxy; see stack/act/build.sh):
# - Host mode (-P ubuntu-latest=-self-hosted): steps run on this machine, no Docker. `-P` is always given,
#   else act asks which image to use; nothing reads stdin (</dev/null).
# - Node: act runs JavaScript actions with the `node` it finds on the PATH it was started with (it asks
#   `node -e 'console.log(process.execPath)'` once per job, before the first step; GITHUB_PATH changes made
#   by steps do not affect it). The actions need Node 24: node_modules/.bin (the npm package node@24) goes
#   first on act's PATH, whatever `node` the system has.
# - Workspace: in host mode act gives each job a fresh empty workspace under ~/.cache/act; the job's first
#   step links the clone's entries into it (LOCAL_CLONE), so `uses: ./actions/<name>`, the bundles,
#   node_modules and the stack's state are this clone's. actions/checkout is skipped under act.
# - Inputs, env, secrets and vars come from files under .stack/act/ (--eventpath, --env-file, --secret-file,
#   --var-file, --input-file), never from a prompt or the developer's own .env/.secrets files.
# - No network beyond the registries: --action-offline-mode (the job uses no remote action under act),
#   --no-cache-server, ACT_DISABLE_VERSION_CHECK=1 (no notice fetch).
#
# Env: ACT_ARGS (extra act arguments, e.g. "-v"). Output: .stack/deploy/local/{act.log,report.json}.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

bash stack/install-system.sh
if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
export PATH="$root/node_modules/.bin:$PATH"

npm run --silent stack -- up
act="$(npm run --silent stack -- status act --json | jq -er .components.act.endpoints.act)"

out="$root/.stack/deploy/local"
conf="$root/.stack/act"
mkdir -p "$out" "$conf"
rm -f "$out/report.json"
printf '{"inputs": {"target": "local"}, "ref": "refs/heads/main"}\n' > "$conf/dispatch-local.json"
printf 'target=local\n' > "$conf/local.input"
printf 'LOCAL_CLONE=%s\nLOCAL_DEPLOY_REPORT=%s\n' "$root" "$out/report.json" > "$conf/local.env"
: > "$conf/empty.secrets"
: > "$conf/empty.vars"

echo
echo "local: running .github/workflows/deploy.yml (job local) with act $("$act" --version | awk '{print $3}') in host mode; log: $out/act.log"
t0=$(date +%s)
set +e
# shellcheck disable=SC2086 # ACT_ARGS is a list of words on purpose
ACT_DISABLE_VERSION_CHECK=1 "$act" workflow_dispatch \
  --workflows .github/workflows/deploy.yml --job local \
  -P ubuntu-latest=-self-hosted \
  --eventpath "$conf/dispatch-local.json" --input-file "$conf/local.input" \
  --env-file "$conf/local.env" --secret-file "$conf/empty.secrets" --var-file "$conf/empty.vars" \
  --action-offline-mode --no-cache-server ${ACT_ARGS:-} < /dev/null 2>&1 | tee "$out/act.log"
code=${PIPESTATUS[0]}
set -e
echo
echo "local: act exited $code after $(( $(date +%s) - t0 )) s"
if [ -f "$out/report.json" ]; then
  echo "verify-events: $(jq -r .verdict "$out/report.json")"
  url="$(jq -r '.appUrl // empty' "$out/report.json")"
  echo "app: ${url:-(not deployed)}"
  [ -n "$url" ] && echo "     sign in with any name (dev tokens); the pods: kubectl -n todo get pods (KUBECONFIG=\$(npm run --silent stack -- status --json | jq -r .components.kube.endpoints.kubeconfig))"
  if [ -n "$url" ]; then
    # The stack's Prometheus scrapes the release by the chart's rendered ServiceMonitor and evaluates its
    # PrometheusRule (scripts/monitoring.ts; a refused config fails the run).
    if ! node_modules/.bin/tsx scripts/monitoring.ts local --release todo --namespace todo; then
      echo "prometheus: the chart's monitoring could not be installed in the stack's Prometheus (see above)"
      [ "$code" -eq 0 ] && code=1
    fi
  fi
else
  echo "verify-events: no verdict (the job stopped before its summary; see $out/act.log)"
fi
echo "Next: npm test (lint, types, unit and integration tests against this stack); npm run stack -- down to stop the stack."
exit "$code"
