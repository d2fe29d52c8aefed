import { parseVerifyInputs, type VerifyInputs } from '../../../src/actions/verify-events/inputs.js';
import { run, type VerifyEventsDeps, type VerifyEventsResult } from '../../../src/actions/verify-events/run.js';
import { outputsOf, renderSummary } from '../../../src/actions/verify-events/summary.js';
import type { VerifyResult } from '../../../src/actions/verify-events/verify.js';
import { ConfigurationError, OperationError } from '../../../src/core/errors.js';
import { Timings } from '../../../src/core/groups.js';
import { Inputs, objectInputs } from '../../../src/core/inputs.js';
import { Secrets } from '../../../src/core/secrets.js';
import { RecordingLogger } from '../../support/recording-logger.js';

/** verify-events' run with fakes for the round trips and the report file: the verdict, the report, the failure. */
const REPORT = '/runner/temp/verify-events-report.json';
const baseInputs = { brokers: '127.0.0.1:19093', 'sasl-mechanism': 'none', tls: 'false', 'app-id': 'todo-worker', 'probe-topic': 'task-events', 'reply-topic': 'task-updates', 'max-p95-ms': '50' };
const inputs = (extra: Record<string, string> = {}): VerifyInputs => parseVerifyInputs(new Inputs(objectInputs({ ...baseInputs, ...extra })), new Secrets(), { RUNNER_TEMP: '/runner/temp' });

const passed: VerifyResult = { ok: true, verdict: '3 of 3 probe(s) made the round trip', sent: 3, acknowledged: 3, stats: { p50: 5, p95: 9, max: 9 }, probes: [{ id: 'p-1', partition: 0, offset: '7', latencyMs: 5 }] };
const lost: VerifyResult = { ok: false, verdict: '2 of 3 probe(s) were not consumed', next: 'look at daprd', sent: 3, acknowledged: 1, stats: { p50: 5, p95: 5, max: 5 }, probes: [] };
const missingTopic = new ConfigurationError({ input: 'reply-topic', problem: 'topic "task-updates" does not exist', fix: 'create it' });
const noTopic: VerifyResult = { ok: false, verdict: missingTopic.message, next: 'create the topics', sent: 0, acknowledged: 0, probes: [], error: missingTopic };
const diskFull = new OperationError(`writing the report to ${REPORT} failed (ENOSPC)`, { hint: 'the disk is full' });

/** Fakes that record the order of what run asked for. */
function fakes(verdict: VerifyResult, opts: { writeFails?: boolean } = {}) {
  const calls: string[] = [];
  const written: unknown[] = [];
  const log = new RecordingLogger();
  const deps: VerifyEventsDeps = {
    log,
    timings: new Timings(),
    verify: async (i) => (calls.push(`verify ${i.probeTopic} -> ${i.replyTopic}`), verdict),
    report: {
      prepare: (path) => void calls.push(`prepare ${path}`),
      write: (path, report) => {
        calls.push(`write ${path}`);
        if (opts.writeFails) throw diskFull;
        written.push(report);
      },
    },
    helm: async () => {
      throw new Error('no rollback is configured: helm must not be resolved');
    },
    stoppingPods: async () => {
      throw new Error('no rollback is configured: no pods to wait for');
    },
  };
  return { calls, written, log, deps };
}

describe('verify-events run', () => {
  it.each<{ name: string; verdict: VerifyResult; writeFails?: boolean; failure: RegExp | Error | undefined; reportPath: string | undefined; logged?: RegExp }>([
    { name: 'passed: the report written, no failure', verdict: passed, failure: undefined, reportPath: REPORT, logged: /^verify-events: 3 of 3 probe\(s\) made the round trip$/m },
    { name: 'failed verdict: the report still written; the step fails with the verdict and its next step', verdict: lost, failure: /^verify-events: 2 of 3 probe\(s\) were not consumed$/, reportPath: REPORT },
    { name: 'a topic input naming a missing topic: the step fails with that ConfigurationError', verdict: noTopic, failure: missingTopic, reportPath: REPORT },
    { name: 'passed, but the report cannot be written: fails naming the file, the verdict kept', verdict: passed, writeFails: true, failure: diskFull, reportPath: undefined },
    { name: 'failed verdict and no report: fails with the verdict, the report error in the log', verdict: lost, writeFails: true, failure: /^verify-events: 2 of 3/, reportPath: undefined, logged: /^error: writing the report to .* failed \(ENOSPC\)\. Next: the disk is full$/m },
  ])('$name', async ({ verdict, writeFails, failure, reportPath, logged }) => {
    const f = fakes(verdict, { writeFails });
    const r = await run(inputs(), f.deps);
    expect(f.calls).toEqual([`prepare ${REPORT}`, 'verify task-events -> task-updates', `write ${REPORT}`]);
    expect(r.verify).toBe(verdict);
    expect(r.reportPath).toBe(reportPath);
    if (failure instanceof Error) expect(r.failure).toBe(failure);
    else if (failure) expect((r.failure as Error).message).toMatch(failure);
    else expect(r.failure).toBeUndefined();
    if (!verdict.ok && !verdict.error) expect((r.failure as OperationError).hint).toBe(verdict.next);
    if (!writeFails) expect(f.written).toEqual([{ ok: verdict.ok, verdict: verdict.verdict, next: verdict.next, probeTopic: 'task-events', replyTopic: 'task-updates', consumerGroup: 'todo-worker', sent: verdict.sent, acknowledged: verdict.acknowledged, latency: verdict.stats, probes: verdict.probes }]);
    if (logged) expect(f.log.text()).toMatch(logged);
    // The verdict is logged as the step's last word only when the step passes.
    expect(f.log.lines.some((l) => l.startsWith('verify-events: '))).toBe(failure === undefined);
  });

  it('a report path the runner cannot write stops the run before any probe', async () => {
    const f = fakes(passed);
    f.deps.report.prepare = (path) => {
      throw new ConfigurationError({ input: 'report-path', problem: `${path} cannot be written (EACCES)`, fix: 'name another file' });
    };
    await expect(run(inputs(), f.deps)).rejects.toThrow(/^report-path: .* cannot be written \(EACCES\)/);
    expect(f.calls).toEqual([]);
  });

  it('logs the connection warnings first', async () => {
    const f = fakes(passed);
    await run(inputs({ 'sasl-mechanism': 'plain', username: 'u', password: 'p-123456' }), f.deps);
    expect(f.log.lines[0]).toMatch(/^warning: sasl-mechanism plain with tls: false sends the password in clear text/);
  });
});

describe('verify-events outputs and summary', () => {
  const result = (verify: VerifyResult, extra: Partial<VerifyEventsResult> = {}): VerifyEventsResult => ({ probeTopic: 'task-events', replyTopic: 'task-updates', consumerGroup: 'todo-worker', maxP95Ms: 50, verify, ...extra });

  it.each<[string, VerifyEventsResult, Record<string, unknown>]>([
    ['passed, report written', result(passed, { reportPath: REPORT }), { sent: 3, acknowledged: 3, 'p50-ms': 5, 'p95-ms': 9, 'max-ms': 9, verdict: passed.verdict, 'report-path': REPORT }],
    ['failed before any probe: counts zero, no latency, no report', result(noTopic), { sent: 0, acknowledged: 0, 'p50-ms': undefined, 'p95-ms': undefined, 'max-ms': undefined, verdict: noTopic.verdict, 'report-path': undefined }],
  ])('outputs: %s', (_, r, expected) => expect(outputsOf(r)).toEqual(expected));

  it.each<[string, VerifyEventsResult, string[], string[]]>([
    ['passed', result(passed), ['## verify-events: PASSED', '**Verdict:** 3 of 3 probe(s) made the round trip', '| task-events | todo-worker | task-updates | 3 | 3 |', '| 5 ms | 9 ms | 9 ms | 50 ms |'], ['**Next:**']],
    ['failed', result(lost, { maxP95Ms: undefined }), ['## verify-events: FAILED', '**Next:** look at daprd', '| 5 ms | 5 ms | 5 ms | - |'], []],
    ['failed before any probe', result(noTopic), ['## verify-events: FAILED', '| task-events | todo-worker | task-updates | 0 | 0 |'], ['Round-trip latency']],
  ])('summary: %s', (_, r, contains, absent) => {
    const md = renderSummary(r, [{ name: 'Connect', ms: 1200, ok: true }]).toMarkdown();
    for (const text of [...contains, '| Connect | ok | 1.2 s |']) expect(md).toContain(text);
    for (const text of absent) expect(md).not.toContain(text);
  });
});
