import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError, OperationError } from '../../core/errors.js';
import { Timings, withGroup } from '../../core/groups.js';
import type { Logger } from '../../core/log.js';
import { describeConnection } from '../../kafka/connection-inputs.js';
import { kafkaOperationError } from '../../kafka/errors.js';
import { TopicAdmin } from '../../kafka/topic-admin.js';
import { applyPlan } from './apply.js';
import { checkWithBroker } from './broker-check.js';
import { readTopicsFile } from './file.js';
import type { Plan } from './model.js';
import { observeCluster } from './observe.js';
import { planTopics } from './plan.js';
import { readinessTargets, waitUntilReady } from './ready.js';
import { driftLine, errorLine, planJson, planLines, type TopicsReport } from './render.js';
import type { TopicsInputs } from './inputs.js';

/**
 * The action's logic, without @actions/core: read the file, connect, read the cluster, plan, let the
 * broker check the plan, then (apply mode) apply it. Returns the report and, when the step must fail,
 * the error to fail it with; the entry writes outputs and summary from the report either way.
 */
export interface RunDeps {
  log: Logger;
  timings?: Timings;
  /** Where the plan file goes (RUNNER_TEMP on a runner). */
  tempDir?: string;
}

export interface RunResult {
  report: TopicsReport;
  failure?: Error;
}

function planProblems(plan: Plan, file: string): ConfigurationError {
  return new ConfigurationError(plan.errors.map((e) => ({ input: `topic ${e.topic}`, problem: e.problem, fix: e.fix, ...(e.at ? { location: { file, ...e.at } } : {}) })));
}

function writePlanFile(report: TopicsReport, dir: string | undefined): string {
  const path = join(mkdtempSync(join(dir || tmpdir(), 'redpanda-topics-')), 'plan.json');
  writeFileSync(path, `${JSON.stringify(planJson(report), null, 2)}\n`);
  return path;
}

function applyFailure(report: TopicsReport): OperationError | undefined {
  const outcomes = report.outcomes ?? [];
  const bad = outcomes.filter((o) => o.status !== 'applied');
  if (!bad.length) return undefined;
  const count = (s: string): number => outcomes.filter((o) => o.status === s).length;
  const details = bad.filter((o) => o.error).slice(0, 5).map((o) => `${o.change.topic}: ${o.error}`);
  return new OperationError(
    `applying the plan: ${count('applied')} of ${outcomes.length} change(s) applied, ${count('failed')} failed, ${count('unknown')} unknown, ${count('not-attempted')} not attempted${details.length ? `:\n${details.join('\n')}` : ''}`,
    { hint: 'the job summary lists every change with its status; fix the cause and re-run: the next plan starts from what was applied' },
  );
}

export async function runTopics(inputs: TopicsInputs, deps: RunDeps): Promise<RunResult> {
  const { log } = deps;
  const timings = deps.timings ?? new Timings();
  const conn = inputs.connection;
  for (const w of conn.warnings) log.warning(w);

  const file = await withGroup(log, `Read ${inputs.fileShown}`, async () => readTopicsFile(inputs.file, inputs.fileShown), timings);
  const absent = file.topics.filter((t) => t.state === 'absent').length;
  log.info(`${file.topics.length} topic(s) declared (${absent} marked absent); policy: ${file.policy.managedPrefixes.length ? `managed prefixes ${file.policy.managedPrefixes.join(', ')}` : 'every non-internal topic in scope'}`);

  const admin = await withGroup(log, 'Connect to Kafka', () => TopicAdmin.connect(conn, log), timings);
  try {
    const cluster = await withGroup(log, 'Read the cluster', () => observeCluster(admin, file, log), timings).catch((err: unknown) => {
      throw kafkaOperationError('reading the cluster state', err, conn);
    });
    const plan = await withGroup(
      log,
      'Plan',
      async () => {
        const p = planTopics(file, cluster, { allowDelete: inputs.allowDelete });
        if (!p.errors.length) p.errors.push(...(await checkWithBroker(admin, p, file, log)));
        planLines(p).forEach((l) => log.info(l));
        p.drift.forEach((d) => log.warning(`drift (not touched): ${driftLine(d)}`));
        p.errors.forEach((e) => log.error(errorLine(e, file.path)));
        return p;
      },
      timings,
    ).catch((err: unknown) => {
      throw kafkaOperationError('planning', err, conn);
    });

    const report: TopicsReport = { mode: inputs.mode, file: file.path, brokers: describeConnection(conn), declared: file.topics.length, plan };
    let failure: Error | undefined;
    if (plan.errors.length) failure = planProblems(plan, file.path);
    else if (inputs.failOnDrift && plan.drift.length) {
      report.driftFailure = true;
      failure = new OperationError(`${plan.drift.length} drift item(s) and fail-on-drift is true; nothing was changed:\n${plan.drift.slice(0, 10).map(driftLine).join('\n')}`, {
        hint: 'declare these topics or overrides in the file, remove them from the cluster, or set fail-on-drift: false',
      });
    } else if (inputs.mode === 'apply' && plan.changes.length) {
      const outcomes = await withGroup(log, `Apply ${plan.changes.length} change(s)`, () => applyPlan(admin, plan.changes, log), timings);
      report.outcomes = outcomes;
      failure = applyFailure(report);
      const targets = readinessTargets(outcomes);
      if (targets.size) {
        const pending = await withGroup(log, 'Wait until the brokers serve the topics', () => waitUntilReady(admin, targets, conn.timeoutMs, log), timings).catch((err: unknown) => {
          throw kafkaOperationError('waiting for the new topics', err, conn);
        });
        if (pending.length) {
          report.notReady = pending;
          failure ??= new OperationError(`${pending.length} created or grown topic(s) are not served by the brokers after ${conn.timeoutMs / 1000} s: ${pending.slice(0, 10).join(', ')}`, {
            hint: 'the changes were applied; re-run to wait again (it plans no changes), or check the brokers\' health and logs',
          });
        }
      }
    } else if (inputs.mode === 'apply') {
      log.info('No changes: the cluster already matches the file; nothing was changed.');
    }
    report.planFile = writePlanFile(report, deps.tempDir);
    return { report, failure };
  } finally {
    await admin.close();
  }
}
