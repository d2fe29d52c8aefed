#!/usr/bin/env bash
# The deploy pipeline's last step (if: always()): one table of every step's outcome and what its outputs
# say, the verdict of verify-events and the app's URL; to the job summary and to the log.
#
# Env (set by the workflow step from steps.<id>.outcome and steps.<id>.outputs.*):
#   ROWS                lines "label|outcome|details", one per pipeline step
#   TARGET              oke or local
#   VERIFY_OUTCOME      verify-events' outcome (success = verified); VERIFY_SENT, VERIFY_ACKNOWLEDGED, VERIFY_P95_MS
#   VERIFY_VERDICT      verify-events' own sentence: what was proven, or why it failed (optional)
#   VERIFY_REPORT       path of verify-events' JSON report (optional)
#   APP_URL             the app's URL (optional)
#   RUN_URL             the run's page (on GitHub; empty under act)
#   LOCAL_DEPLOY_REPORT when set (scripts/local.sh sets it): also write the verdict as JSON to this file and
#                       copy the verify-events report next to it (RUNNER_TEMP does not outlive an act job)
set -euo pipefail

icon() {
  case "$1" in
    success) echo "✅" ;;
    failure) echo "❌" ;;
    skipped) echo "⏭️" ;;
    cancelled) echo "🚫" ;;
    *) echo "·" ;;
  esac
}

verified=false
[[ "${VERIFY_OUTCOME:-}" == success ]] && verified=true
if $verified; then
  verdict="verified: ${VERIFY_VERDICT:-${VERIFY_ACKNOWLEDGED:-?}/${VERIFY_SENT:-?} probes made the round trip (p95 ${VERIFY_P95_MS:-?} ms)}"
else
  verdict="NOT verified (verify-events: ${VERIFY_OUTCOME:-not run})${VERIFY_VERDICT:+: $VERIFY_VERDICT}"
fi

summary="${GITHUB_STEP_SUMMARY:-/dev/null}"
{
  echo "## Deploy to ${TARGET:-?}: ${verdict}"
  echo
  [[ -n "${APP_URL:-}" ]] && echo "App: ${APP_URL}" && echo
  echo "| Step | Outcome | Result |"
  echo "| --- | --- | --- |"
  while IFS='|' read -r label outcome details; do
    [[ -n "$label" ]] || continue
    [[ -n "$outcome" ]] || outcome="not run"
    if [[ "$outcome" == skipped || "$outcome" == "not run" ]]; then details=""; fi
    echo "| ${label} | $(icon "$outcome") ${outcome} | ${details} |"
  done <<< "${ROWS:-}"
  echo
  if [[ -n "${RUN_URL:-}" ]]; then
    echo "Each action's own section is in [this run's summary](${RUN_URL}); the topics plan and the verify-events report are in its [artifacts](${RUN_URL}#artifacts)."
  fi
} | tee -a "$summary"

if [[ -n "${LOCAL_DEPLOY_REPORT:-}" ]]; then
  mkdir -p "$(dirname "$LOCAL_DEPLOY_REPORT")"
  report_copy=""
  if [[ -n "${VERIFY_REPORT:-}" && -f "$VERIFY_REPORT" ]]; then
    report_copy="$(dirname "$LOCAL_DEPLOY_REPORT")/verify-events-report.json"
    cp "$VERIFY_REPORT" "$report_copy"
  fi
  steps_json="$(while IFS='|' read -r label outcome _; do if [[ -n "$label" ]]; then printf '%s\t%s\n' "$label" "${outcome:-not run}"; fi; done <<< "${ROWS:-}" |
    jq -R -s 'split("\n") | map(select(length > 0) | split("\t") | {(.[0]): .[1]}) | add // {}')"
  jq -n --argjson verified "$verified" --arg verdict "$verdict" --arg url "${APP_URL:-}" --arg report "$report_copy" \
    --arg sent "${VERIFY_SENT:-}" --arg acknowledged "${VERIFY_ACKNOWLEDGED:-}" --arg p95 "${VERIFY_P95_MS:-}" --argjson steps "$steps_json" \
    '{verified: $verified, verdict: $verdict, appUrl: $url, sent: $sent, acknowledged: $acknowledged, p95Ms: $p95, verifyReport: $report, steps: $steps}' \
    > "$LOCAL_DEPLOY_REPORT"
fi
