import type { ActionResult, StepContext } from '../../core/action.js';
import { OperationError } from '../../core/errors.js';
import { withGroup, type Timings } from '../../core/groups.js';
import type { Logger } from '../../core/log.js';
import type { KubeRest } from '../../kube/rest.js';
import type { RollbackSettings, VerifyInputs } from './inputs.js';
import { prepareReport, reportOf, writeReport } from './report.js';
import { decideRollback, rollBack, waitForReplacedPods, type RollbackHelm, type RollbackOutcome } from './rollback.js';
import type { VerifyDeps, VerifyResult } from './verify.js';

/**
 * verify-events' run: the report file made writable before the first probe, the round trips, then the report.
 * The verdict comes back as the result, a failed one too; the entry writes the outputs and the summary from it.
 */
export interface VerifyEventsDeps {
  log: Logger;
  timings: Timings;
  /** The round trips (verify.ts: loads the Kafka client). */
  verify: (inputs: VerifyInputs, deps: VerifyDeps) => Promise<VerifyResult>;
  /** The JSON report's file: made (empty) before the first probe, written at the end (report.ts). */
  report: { prepare(path: string): void; write(path: string, report: unknown): void };
  /** Helm for rollback-on-failure (src/helm): resolved only when a rollback runs. */
  helm: (settings: RollbackSettings) => Promise<RollbackHelm>;
  /** The release's pods being deleted (app.kubernetes.io/instance=<release>), waited for before the second run. */
  stoppingPods: (settings: RollbackSettings) => Promise<string[]>;
}

export interface VerifyEventsResult extends ActionResult {
  probeTopic: string;
  replyTopic: string;
  consumerGroup: string;
  maxP95Ms?: number;
  /** The first verdict: the deploy's release. */
  verify: VerifyResult;
  release?: { name: string; namespace: string };
  /** rollback-on-failure is on. */
  rollbackOnFailure?: boolean;
  /** Why a failed round trip was not rolled back. */
  notRolledBack?: string;
  /** The rollback, when one was tried. */
  rollback?: RollbackOutcome;
  /** The verdict after a rollback that succeeded. */
  second?: VerifyResult;
  /** Set once the report is written. */
  reportPath?: string;
}

export async function run(inputs: VerifyInputs, deps: VerifyEventsDeps): Promise<VerifyEventsResult> {
  const { log } = deps;
  for (const w of inputs.connection.warnings) log.warning(w);
  // Before the first probe: a report the runner cannot write fails now (a ConfigurationError), with nothing sent.
  deps.report.prepare(inputs.reportPath);
  if (inputs.rollback && inputs.rollback.revision === undefined) log.warning(`rollback-on-failure: rollback-to-revision is empty (a first install has no revision before it): a failed round trip cannot roll release ${inputs.rollback.release} back`);
  const verify = await deps.verify(inputs, { log, timings: deps.timings });
  const result: VerifyEventsResult = { probeTopic: inputs.probeTopic, replyTopic: inputs.replyTopic, consumerGroup: inputs.consumerGroup, maxP95Ms: inputs.maxP95Ms, verify, release: inputs.release, rollbackOnFailure: inputs.rollback !== undefined };
  const decision = decideRollback(verify, inputs.rollback);
  if (!decision.roll && decision.reason) {
    result.notRolledBack = decision.reason;
    log.warning(decision.reason);
  }
  if (decision.roll) {
    const settings = inputs.rollback!;
    log.warning(`verify-events: ${verify.verdict}; rollback-on-failure rolls the release back`);
    const rollback = await withGroup(log, `Rollback: ${settings.release} to revision ${decision.revision}`, () => rollBack(settings, decision.revision, () => deps.helm(settings), log), deps.timings);
    result.rollback = rollback;
    if (rollback.status === 'done') {
      await waitForReplacedPods(() => deps.stoppingPods(settings), log);
      log.info('verify-events: verifying again after the rollback');
      result.second = await deps.verify(inputs, { log, timings: deps.timings });
      log.info(`verify-events after the rollback: ${result.second.verdict}`);
    } else if (rollback.status === 'skipped') {
      log.warning(`rollback-on-failure: ${rollback.message}`);
    }
  }
  let reportError: OperationError | undefined;
  try {
    const report = reportOf(inputs, verify);
    deps.report.write(inputs.reportPath, result.rollback ? { ...report, rollback: { ...result.rollback }, ...(result.second ? { afterRollback: reportOf(inputs, result.second) } : {}) } : report);
    result.reportPath = inputs.reportPath;
  } catch (err) {
    reportError = err instanceof OperationError ? err : new OperationError(`writing the report to ${inputs.reportPath} failed`, { cause: err });
  }
  if (!verify.ok) {
    // The verdict is what failed; the report's own failure is said in the log.
    if (reportError) log.error(`${reportError.message}. Next: ${reportError.hint}`);
    result.failure = verify.error ?? failureOf(verify, result.rollback, result.second) ?? new OperationError(`verify-events: ${verify.verdict}`, { hint: verify.next });
  } else if (reportError) {
    result.failure = reportError;
  } else {
    log.info(`verify-events: ${verify.verdict}`);
  }
  return result;
}

/**
 * The step's failure after a rollback was tried: the first verdict always fails the step (the deploy did not pass),
 * with what the rollback did. Undefined when no rollback ran.
 */
export function failureOf(first: VerifyResult, rollback: RollbackOutcome | undefined, second: VerifyResult | undefined): OperationError | undefined {
  if (!rollback || rollback.status === 'skipped') return undefined;
  const where = `release ${rollback.release} (namespace ${rollback.namespace})`;
  if (rollback.status === 'failed') {
    return new OperationError(`verify-events: ${first.verdict}. Rolling back ${where} to revision ${rollback.revision} failed: ${rollback.message}`, {
      hint: `the release is left as Helm left it (${rollback.left}); see \`helm history ${rollback.release} -n ${rollback.namespace}\` and roll back by hand`,
    });
  }
  const now = `rolled back ${where} to revision ${rollback.revision}${rollback.madeRevision ? ` (recorded as revision ${rollback.madeRevision})` : ''}`;
  if (second?.ok) return new OperationError(`verify-events: ${first.verdict}. ${now}; after the rollback: ${second.verdict}`, { hint: `the deployed revision lost the round trip and revision ${rollback.revision} runs again; ${first.next ?? 'read the verdict above'}` });
  return new OperationError(`verify-events: ${first.verdict}. ${now}; after the rollback the round trip fails too: ${second?.verdict ?? 'not verified'}`, { hint: `the rollback did not bring the round trip back, so the cause is not only the new revision: ${second?.next ?? first.next ?? 'read the verdicts above'}` });
}

/** The real dependencies: the Kafka client loads with verify.ts, once the inputs are valid. */
export function deps(step: StepContext): VerifyEventsDeps {
  let kube: KubeRest | undefined; // one client for the polls of waitForReplacedPods
  return {
    log: step.log,
    timings: step.timings,
    verify: async (inputs, d) => (await import('./verify.js')).verifyEvents(inputs, d),
    report: { prepare: prepareReport, write: writeReport },
    helm: async (settings) => (await import('../../helm/step.js')).helmForStep(step, settings.helm, settings.kubeconfig),
    stoppingPods: async (settings) => {
      const { KubeRest } = await import('../../kube/rest.js');
      kube ??= KubeRest.fromKubeconfig(settings.kubeconfig, { env: step.env, onSecret: (v) => step.secrets.add(v) });
      const selector = encodeURIComponent(`app.kubernetes.io/instance=${settings.release}`);
      const { items = [] } = await kube.get<{ items?: Array<{ metadata?: { name?: string; deletionTimestamp?: string } }> }>(`/api/v1/namespaces/${encodeURIComponent(settings.namespace)}/pods?labelSelector=${selector}`);
      return items.filter((p) => p.metadata?.deletionTimestamp).map((p) => p.metadata?.name ?? '?');
    },
  };
}
