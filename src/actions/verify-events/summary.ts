import type { TimingStep } from '../../core/action.js';
import { SummaryBuilder } from '../../core/summary.js';
import type { VerifyEventsResult } from './run.js';

/** The outputs: counts, latency and the verdict, set whatever the verdict; report-path once the report is written. */
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
  };
}

/** The job summary: the verdict, what to do next, the round trip's topics and counts, the latency. */
export function renderSummary(r: VerifyEventsResult, steps: readonly TimingStep[]): SummaryBuilder {
  const v = r.verify;
  const s = new SummaryBuilder().heading(`verify-events: ${v.ok ? 'PASSED' : 'FAILED'}`).paragraph(`**Verdict:** ${v.verdict}`);
  if (v.next) s.paragraph(`**Next:** ${v.next}`);
  s.table(['Probe topic', 'Subscriber group', 'Reply topic', 'Sent', 'Acknowledged'], [[r.probeTopic, r.consumerGroup, r.replyTopic, v.sent, v.acknowledged]]);
  if (v.stats) s.heading('Round-trip latency', 3).table(['p50', 'p95', 'max', 'limit (p95)'], [[`${v.stats.p50} ms`, `${v.stats.p95} ms`, `${v.stats.max} ms`, r.maxP95Ms !== undefined ? `${r.maxP95Ms} ms` : '-']]);
  return s.timings(steps);
}
