import type { ActionEnv } from '../../core/action.js';
import { OperationError } from '../../core/errors.js';
import { SummaryBuilder } from '../../core/summary.js';
import { parseVerifyInputs, type VerifyInputs } from './inputs.js';
import { prepareReport, writeReport } from './report.js';
import type { VerifyDeps, VerifyResult } from './verify.js';

/** The round trips themselves (Kafka): loaded only once the inputs are valid; a test passes its own. */
export type RunVerify = (inputs: VerifyInputs, deps: VerifyDeps) => Promise<VerifyResult>;
const loadAndVerify: RunVerify = async (inputs, deps) => (await import('./verify.js')).verifyEvents(inputs, deps);

function summary(i: VerifyInputs, r: VerifyResult, env: ActionEnv): SummaryBuilder {
  const s = new SummaryBuilder().heading(`verify-events: ${r.ok ? 'PASSED' : 'FAILED'}`).paragraph(`**Verdict:** ${r.verdict}`);
  if (r.next) s.paragraph(`**Next:** ${r.next}`);
  s.table(['Probe topic', 'Subscriber group', 'Reply topic', 'Sent', 'Acknowledged'], [[i.probeTopic, i.consumerGroup, i.replyTopic, r.sent, r.acknowledged]]);
  if (r.stats) s.heading('Round-trip latency', 3).table(['p50', 'p95', 'max', 'limit (p95)'], [[`${r.stats.p50} ms`, `${r.stats.p95} ms`, `${r.stats.max} ms`, i.maxP95Ms !== undefined ? `${i.maxP95Ms} ms` : '-']]);
  return s.timings(env.timings.steps);
}

export async function verify(env: ActionEnv, runVerify: RunVerify = loadAndVerify): Promise<void> {
  const inputs = parseVerifyInputs(env.inputs, env.secrets, env.env);
  for (const w of inputs.connection.warnings) env.log.warning(w);
  // Before the first probe: a report the runner cannot write fails now, with nothing sent.
  prepareReport(inputs.reportPath);
  const result = await runVerify(inputs, { log: env.log, timings: env.timings });

  // The outputs and the summary first: whatever happens to the report file, the step's results are not lost.
  env.setOutputs({
    sent: result.sent,
    acknowledged: result.acknowledged,
    'p50-ms': result.stats?.p50,
    'p95-ms': result.stats?.p95,
    'max-ms': result.stats?.max,
    verdict: result.verdict,
  });
  env.writeSummary(summary(inputs, result, env));
  const report = { ok: result.ok, verdict: result.verdict, next: result.next, probeTopic: inputs.probeTopic, replyTopic: inputs.replyTopic, consumerGroup: inputs.consumerGroup, sent: result.sent, acknowledged: result.acknowledged, latency: result.stats, probes: result.probes };
  let reportError: OperationError | undefined;
  try {
    writeReport(inputs.reportPath, report);
    env.setOutputs({ 'report-path': inputs.reportPath });
  } catch (err) {
    reportError = err as OperationError;
  }
  if (!result.ok) {
    if (reportError) env.log.error(`${reportError.message}. Next: ${reportError.hint}`);
    throw result.error ?? new OperationError(`verify-events: ${result.verdict}`, { hint: result.next });
  }
  if (reportError) throw reportError;
  env.log.info(`verify-events: ${result.verdict}`);
}
