import type { TimingStep } from '../../core/action.js';
import { SummaryBuilder } from '../../core/summary.js';
import type { VerifyEventsResult } from './run.js';

/** The outputs: counts, latency and the (first) verdict, set whatever the verdict; report-path once the report is written; the rollback's when rollback-on-failure is on. */
export function outputsOf(r: VerifyEventsResult) {
  const v = r.verify;
  return {
    sent: v.sent,
    acknowledged: v.acknowledged,
    'p50-ms': v.stats?.p50,
    'p95-ms': v.stats?.p95,
    'max-ms': v.stats?.max,
    verdict: v.verdict,
    'report-path': r.reportPath,
    'rolled-back': r.rollbackOnFailure ? r.rollback?.status === 'done' : undefined,
    'rollback-revision': r.rollback?.status === 'done' ? r.rollback.revision : undefined,
    'second-verdict': r.second?.verdict,
  };
}

/** The job summary: the verdict, what to do next, the round trip's topics and counts, the latency; the rollback and the verdict after it. */
export function renderSummary(r: VerifyEventsResult, steps: readonly TimingStep[]): SummaryBuilder {
  const v = r.verify;
  const s = new SummaryBuilder().heading(`verify-events: ${v.ok ? 'PASSED' : 'FAILED'}`).paragraph(`**Verdict:** ${v.verdict}`);
  if (v.next) s.paragraph(`**Next:** ${v.next}`);
  s.table(['Probe topic', 'Subscriber group', 'Reply topic', 'Sent', 'Acknowledged'], [[r.probeTopic, r.consumerGroup, r.replyTopic, v.sent, v.acknowledged]]);
  if (v.stats) s.heading('Round-trip latency', 3).table(['p50', 'p95', 'max', 'limit (p95)'], [[`${v.stats.p50} ms`, `${v.stats.p95} ms`, `${v.stats.max} ms`, r.maxP95Ms !== undefined ? `${r.maxP95Ms} ms` : '-']]);
  if (r.notRolledBack) s.paragraph(`**Rollback:** ${r.notRolledBack}`);
  const rb = r.rollback;
  if (rb) {
    const state = rb.status === 'done' ? `rolled back to revision ${rb.revision}${rb.madeRevision ? ` (recorded as revision ${rb.madeRevision})` : ''}` : rb.status === 'skipped' ? `not rolled back: ${rb.message}` : `FAILED: ${rb.message}`;
    s.heading('Rollback', 3).table(['Release', 'Namespace', 'To revision', 'Result'], [[rb.release, rb.namespace, rb.revision, state]]);
    if (rb.status === 'failed') s.paragraph(`**The release is left as Helm left it:** ${rb.left}`);
  }
  const w = r.second;
  if (w) {
    s.heading(`After the rollback: ${w.ok ? 'PASSED' : 'FAILED'}`, 3).paragraph(`**Verdict:** ${w.verdict}`);
    if (w.next) s.paragraph(`**Next:** ${w.next}`);
    s.table(['Sent', 'Acknowledged', 'p50', 'p95', 'max'], [[w.sent, w.acknowledged, ...(w.stats ? [`${w.stats.p50} ms`, `${w.stats.p95} ms`, `${w.stats.max} ms`] : ['-', '-', '-'])]]);
  }
  return s.timings(steps);
}
