import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ActionEnv } from '../../core/action.js';
import { OperationError } from '../../core/errors.js';
import { SummaryBuilder } from '../../core/summary.js';
import { parseVerifyInputs, type VerifyInputs } from './inputs.js';
import type { VerifyResult } from './verify.js';

function summary(i: VerifyInputs, r: VerifyResult, env: ActionEnv): SummaryBuilder {
  const s = new SummaryBuilder().heading(`verify-events: ${r.ok ? 'PASSED' : 'FAILED'}`).paragraph(`**Verdict:** ${r.verdict}`);
  if (r.next) s.paragraph(`**Next:** ${r.next}`);
  s.table(['Probe topic', 'Subscriber group', 'Reply topic', 'Sent', 'Acknowledged'], [[i.probeTopic, i.consumerGroup, i.replyTopic, r.sent, r.acknowledged]]);
  if (r.stats) s.heading('Round-trip latency', 3).table(['p50', 'p95', 'max', 'limit (p95)'], [[`${r.stats.p50} ms`, `${r.stats.p95} ms`, `${r.stats.max} ms`, i.maxP95Ms !== undefined ? `${i.maxP95Ms} ms` : '-']]);
  return s.timings(env.timings.steps);
}

export async function verify(env: ActionEnv): Promise<void> {
  const inputs = parseVerifyInputs(env.inputs, env.secrets, env.env);
  for (const w of inputs.connection.warnings) env.log.warning(w);
  const { verifyEvents } = await import('./verify.js');
  const result = await verifyEvents(inputs, { log: env.log, timings: env.timings });

  mkdirSync(dirname(inputs.reportPath), { recursive: true });
  const report = { ok: result.ok, verdict: result.verdict, next: result.next, probeTopic: inputs.probeTopic, replyTopic: inputs.replyTopic, consumerGroup: inputs.consumerGroup, sent: result.sent, acknowledged: result.acknowledged, latency: result.stats, probes: result.probes };
  writeFileSync(inputs.reportPath, `${JSON.stringify(report, null, 2)}\n`);
  env.setOutputs({
    sent: result.sent,
    acknowledged: result.acknowledged,
    'p50-ms': result.stats?.p50,
    'p95-ms': result.stats?.p95,
    'max-ms': result.stats?.max,
    'report-path': inputs.reportPath,
    verdict: result.verdict,
  });
  env.writeSummary(summary(inputs, result, env));
  if (!result.ok) throw result.error ?? new OperationError(`verify-events: ${result.verdict}`, { hint: result.next });
  env.log.info(`verify-events: ${result.verdict}`);
}
