import { ConfigurationError, errorMessage, OperationError } from '../../core/errors.js';
import type { ActionResult, StepContext } from '../../core/action.js';
import { Timings, withGroup } from '../../core/groups.js';
import type { Logger } from '../../core/log.js';
import { describeConnection } from '../../kafka/connection-inputs.js';
import { kafkaOperationError, LOST_MID_RUN_HINT } from '../../kafka/errors.js';
import { TopicAdmin } from '../../kafka/topic-admin.js';
import { applyAccessStep, planAccessStep } from './access-run.js';
import { applyPlan } from './apply.js';
import { checkWithBroker } from './broker-check.js';
import type { ChangeOutcome } from './model.js';
import { observeCluster } from './observe.js';
import { planTopics } from './plan.js';
import { readinessTargets, waitUntilReady } from './ready.js';
import { reportProblems, writePlanFile } from './problems.js';
import { driftLine, emptyPlan, planLines, planProblems, type TopicsReport } from './summary.js';
import type { TopicsInputs } from './inputs.js';

/**
 * The action's run, without @actions/core: connect, read the cluster, plan, let the broker check the plan,
 * then (apply mode) apply it. Returns the report and, when the step must fail, the error to fail it with; the
 * entry writes every output and the summary from the report either way, whatever failed.
 */
export interface TopicsDeps {
  log: Logger;
  timings?: Timings;
  /** Where the plan file goes (RUNNER_TEMP on a runner). */
  tempDir?: string;
  /** How to reach the brokers: TopicAdmin.connect; tests pass a fake. */
  connect?: (inputs: TopicsInputs, log: Logger) => Promise<TopicAdmin>;
}

/** What run returns: the report (every output and the summary come from it, whatever failed) and the error that fails the step. */
export interface TopicsResult extends ActionResult {
  report: TopicsReport;
  failure?: Error;
}

/** The real dependencies, from the runner's services. */
export function deps(step: StepContext): TopicsDeps {
  return { log: step.log, timings: step.timings, tempDir: step.env.RUNNER_TEMP };
}

function applyFailure(outcomes: readonly ChangeOutcome[]): OperationError | undefined {
  const bad = outcomes.filter((o) => o.status !== 'applied');
  if (!bad.length) return undefined;
  const count = (s: string): number => outcomes.filter((o) => o.status === s).length;
  const details = bad.filter((o) => o.error).slice(0, 5).map((o) => `${o.change.topic}: ${o.error}`);
  // Unknown outcomes mean a request got no answer: the connection, which had worked for everything before, was lost.
  const lost = count('unknown') > 0;
  return new OperationError(
    `applying the plan: ${count('applied')} of ${outcomes.length} change(s) applied, ${count('failed')} failed, ${count('unknown')} unknown, ${count('not-attempted')} not attempted${details.length ? `:\n${details.join('\n')}` : ''}`,
    {
      hint: lost
        ? `${LOST_MID_RUN_HINT}: the next plan starts from what was applied and shows what the unknown changes did. The job summary lists every change with its status`
        : 'the job summary lists every change with its status; fix the cause and re-run: the next plan starts from what was applied',
    },
  );
}

/** Marks the Apply group as failed in the timings when a change did not apply (the outcomes are the report). */
class ApplyIncomplete extends Error {}

export async function run(inputs: TopicsInputs, deps: TopicsDeps): Promise<TopicsResult> {
  const { log } = deps;
  const timings = deps.timings ?? new Timings();
  const conn = inputs.connection;
  const file = inputs.topics;
  for (const w of conn.warnings) log.warning(w);
  const absent = file.topics.filter((t) => t.state === 'absent').length;
  log.info(`${file.topics.length} topic(s) declared in ${file.path} (${absent} marked absent); policy: ${file.policy.managedPrefixes.length ? `managed prefixes ${file.policy.managedPrefixes.join(', ')}` : 'every non-internal topic in scope'}`);

  const report: TopicsReport = { mode: inputs.mode, file: file.path, brokers: describeConnection(conn), declared: file.topics.length, plan: emptyPlan() };
  const finish = (failure?: Error): TopicsResult => {
    if (failure && !(failure instanceof ConfigurationError) && !report.failure) report.failure = { message: errorMessage(failure), hint: failure instanceof OperationError ? failure.hint : undefined };
    report.planFile = writePlanFile(report, deps.tempDir);
    return { report, failure };
  };

  let admin: TopicAdmin;
  try {
    admin = await withGroup(log, 'Connect to Kafka', () => (deps.connect ?? ((i, l) => TopicAdmin.connect(i.connection, l)))(inputs, log), timings);
  } catch (err) {
    return finish(kafkaOperationError('connecting to Kafka', err, conn));
  }
  // From here on a connection has worked: a closed or silent one is a broker lost mid-run, not wrong settings.
  const lostMidRun = { connectedBefore: true };
  try {
    let cluster;
    try {
      cluster = await withGroup(log, 'Read the cluster', () => observeCluster(admin, file, log), timings);
    } catch (err) {
      return finish(kafkaOperationError('reading the cluster state', err, conn, lostMidRun));
    }
    try {
      report.plan = await withGroup(
        log,
        'Plan',
        async () => {
          const p = planTopics(file, cluster, { allowDelete: inputs.allowDelete });
          if (!p.errors.length) p.errors.push(...(await checkWithBroker(admin, p, file, log)));
          planLines(p).forEach((l) => log.info(l));
          p.drift.forEach((d) => log.warning(`drift (not touched): ${driftLine(d)}`));
          if (file.access) await planAccessStep(p, admin, file.access, { allowDelete: inputs.allowDelete, conn }, log);
          return p;
        },
        timings,
      );
    } catch (err) {
      return finish(kafkaOperationError('planning (validate-only requests to the broker)', err, conn, lostMidRun));
    }
    const plan = report.plan;

    if (plan.errors.length) return finish(reportProblems(planProblems(report), `the plan of ${file.path}`, log));
    if (inputs.failOnDrift && plan.drift.length) {
      report.driftFailure = true;
      return finish(
        new OperationError(`${plan.drift.length} drift item(s) and fail-on-drift is true; nothing was changed:\n${plan.drift.slice(0, 10).map(driftLine).join('\n')}`, {
          hint: 'declare these topics or overrides in the file, remove them from the cluster, or set fail-on-drift: false',
        }),
      );
    }
    if (inputs.mode !== 'apply') return finish();
    if (!plan.changes.length) {
      if (plan.access?.changes.length) {
        report.outcomes = [];
        return finish(await applyAccessStep(plan, admin, file.access, log, timings));
      }
      log.info('No changes: the cluster already matches the file; nothing was changed.');
      return finish();
    }

    let outcomes: ChangeOutcome[] = [];
    await withGroup(
      log,
      `Apply ${plan.changes.length} change(s)`,
      async () => {
        outcomes = await applyPlan(admin, plan.changes, log);
        if (outcomes.some((o) => o.status !== 'applied')) throw new ApplyIncomplete();
      },
      timings,
    ).catch((err: unknown) => {
      if (!(err instanceof ApplyIncomplete)) throw err;
    });
    report.outcomes = outcomes;
    // Users and ACLs after the topics, and only when every topic change applied.
    const failure = applyFailure(outcomes) ?? (await applyAccessStep(plan, admin, file.access, log, timings));
    const targets = readinessTargets(outcomes);
    if (!targets.size) return finish(failure);
    if (outcomes.some((o) => o.status === 'unknown')) {
      // A request went unanswered: the connection is gone, and waiting on it would only fail again.
      report.readiness = `not checked for the ${targets.size} created or grown topic(s): the connection was lost during the apply`;
      return finish(failure);
    }
    try {
      const pending = await withGroup(log, 'Wait until the brokers serve the topics', () => waitUntilReady(admin, targets, conn.timeoutMs, log), timings);
      if (pending.length) {
        report.notReady = pending;
        return finish(
          failure ??
            new OperationError(`${pending.length} created or grown topic(s) are not served by the brokers after ${conn.timeoutMs / 1000} s: ${pending.slice(0, 10).join(', ')}`, {
              hint: "the changes were applied; re-run to wait again (it plans no changes), or check the brokers' health and logs",
            }),
        );
      }
      return finish(failure);
    } catch (err) {
      // The changes were applied (the report says which); only the wait failed: keep the apply's report and say so.
      const waitError = kafkaOperationError('waiting for the brokers to serve the created topics', err, conn, lostMidRun);
      report.readiness = `not confirmed: ${waitError.message}`;
      log.error(`${waitError.message} (the ${outcomes.filter((o) => o.status === 'applied').length} applied change(s) stay applied)`);
      return finish(
        failure ??
          new OperationError(`the ${outcomes.length} change(s) were applied, but ${waitError.message}`, {
            cause: err,
            hint: `${waitError.hint ?? LOST_MID_RUN_HINT}; a re-run plans no changes and waits again`,
          }),
      );
    }
  } finally {
    await admin.close();
  }
}
