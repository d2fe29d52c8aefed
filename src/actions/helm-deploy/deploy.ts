import { ConfigurationError, errorMessage, OperationError } from '../../core/errors.js';
import { withGroup, type Timings } from '../../core/groups.js';
import type { Logger } from '../../core/log.js';
import { applyConflict, applyConflictHint, dryRunHint, FIRST_INSTALL_REMOVED, helmFailure, type Helm } from '../../helm/helm.js';
import { isPending, latest, liveRevision, type Revision } from '../../helm/release.js';
import type { Diagnostics } from '../../kube/diagnostics.js';
import { PodRecorder } from '../../kube/recorder.js';
import { revisionsFromStorage } from '../../helm/storage.js';
import { diagnosticsText } from '../../kube/render-diagnostics.js';
import { namespaceExists, type KubeRest } from '../../kube/rest.js';
import type { UpgradeOptions } from '../../helm/args.js';
import { countsLine } from '../../helm/diff-render.js';
// The diff and the diagnostics load the full Kubernetes client: imported only when they run (not on a plain deploy's way to helm).
import type { DiffDeps, DiffReport, DiffSettings } from './diff.js';

export interface DeployRequest {
  upgrade: UpgradeOptions;
  recoverPending: boolean;
  /** plan: the diff only, nothing changes (default apply). */
  mode?: 'apply' | 'plan';
  /** Compute the diff before the upgrade (needs DeployDeps.diff). */
  diff?: DiffSettings;
}

export interface DeployResult {
  ok: boolean;
  /** The revision that is live now (undefined: nothing is live, e.g. a failed first install). */
  live?: Revision;
  /** The newest revision in the history, whatever its status. */
  latest?: Revision;
  /** The revision that was live before the deploy (undefined: a first install); what a later rollback goes back to. */
  previous?: Revision;
  rolledBack: boolean;
  /** What the pending-release recovery did, when it ran. */
  recovered?: string;
  /** Why helm failed (its last error lines), and the diagnostics collected then. */
  failure?: string;
  diagnostics?: Diagnostics;
  /** One sentence on which revision runs now, for the log and summary. */
  outcome: string;
  /** What to do next, when the failure calls for something other than reading the diagnostics. */
  hint?: string;
  /** mode: plan - only the diff was computed. */
  planned?: boolean;
  /** What the upgrade changes (or would change), when the diff was asked for and could be computed. */
  diff?: DiffReport;
  /** Why the diff could not be computed (apply mode: a warning, the deploy went on). */
  diffError?: string;
}

export interface DeployDeps {
  helm: Helm;
  /** The cluster: light reads before and around helm; the full client (`kubeConfig()`) for diagnostics and the diff only. */
  kube: KubeRest;
  log: Logger;
  timings: Timings;
  now?: () => Date;
  /** What the diff needs from the step (required when the request asks for a diff). */
  diff?: DiffDeps;
}

/** Checks that need the cluster, before any change: the namespace, and a release stuck in pending-*. */
async function preflight(req: DeployRequest, deps: DeployDeps): Promise<{ history: Revision[]; recovered?: string }> {
  const { release, namespace, createNamespace } = req.upgrade;
  const [exists, history] = await Promise.all([
    createNamespace || namespaceExists(deps.kube, namespace),
    revisionsFromStorage(deps.kube, release, namespace, deps.helm.storageDriver).catch(() => undefined).then((r) => r ?? deps.helm.history(release, namespace)),
  ]);
  if (!exists) {
    throw new ConfigurationError({ input: 'namespace', problem: `namespace "${namespace}" does not exist in the cluster`, fix: 'create it first, or set create-namespace: true' });
  }
  const last = latest(history);
  if (!last || !isPending(last.status)) return { history };
  const live = liveRevision(history);
  const target = live ? `roll back to revision ${live.revision}` : 'uninstall the never-deployed release';
  if (!req.recoverPending) {
    throw new OperationError(`release ${release} in ${namespace} is ${last.status} at revision ${last.revision} (since ${last.updated}): another Helm operation is running, or an earlier run was cancelled`, {
      hint: `if no other deploy is running, set recover-pending: true to ${target} first (helm/helm#7476)`,
    });
  }
  if (req.upgrade.dryRun || req.mode === 'plan') return { history, recovered: `would ${target} (${req.mode === 'plan' ? 'plan' : 'dry run'}: nothing changed)` };
  deps.log.warning(`recover-pending: release ${release} is ${last.status} at revision ${last.revision}; ${target} before deploying`);
  if (live) await deps.helm.rollback(release, namespace, live.revision, req.upgrade.timeoutMs);
  else await deps.helm.uninstall(release, namespace, req.upgrade.timeoutMs);
  const recovered = live ? `release was ${last.status} at revision ${last.revision}; rolled back to revision ${live.revision}` : `release was ${last.status} with no deployed revision; uninstalled it`;
  deps.log.info(`recover-pending: ${recovered}`);
  return { history: await deps.helm.history(release, namespace), recovered };
}

/** What is known of the run besides the history after it, so that the outcome says only what happened. */
export interface OutcomeContext {
  /** The newest revision number before helm ran (0: no release). */
  previousLatest: number;
  /** What helm printed on stderr. */
  helmSaid: string;
}

/**
 * Which revision runs now, after helm returned. Pure. With a context it tells a helm that failed before making
 * a revision (bad values, a chart that does not render) from one whose release failed, and names a pending-*
 * lock that a killed helm left.
 */
export function describeOutcome(ok: boolean, before: Revision | undefined, after: Revision[], rollbackOnFailure: boolean, context?: OutcomeContext): { outcome: string; rolledBack: boolean; pending?: Revision; changed: boolean } {
  const live = liveRevision(after);
  const last = latest(after);
  if (ok) return { outcome: `revision ${live?.revision ?? last?.revision ?? '?'} is live`, rolledBack: false, changed: true };
  if (last && isPending(last.status)) {
    const now = live ? `revision ${live.revision} is still live` : 'nothing is live';
    return { outcome: `the release is left ${last.status} at revision ${last.revision} (helm stopped mid-operation and left its lock); ${now}`, rolledBack: false, pending: last, changed: true };
  }
  if (context && (last?.revision ?? 0) === context.previousLatest && !FIRST_INSTALL_REMOVED.test(context.helmSaid)) {
    const outcome = before
      ? `revision ${before.revision} is still live: helm failed before making a new revision`
      : last
        ? `nothing is live: helm failed before making a new revision (the newest, ${last.revision}, is ${last.status})`
        : 'nothing was installed: helm failed before creating the release';
    return { outcome, rolledBack: false, changed: false };
  }
  const failed = [...after].reverse().find((r) => r.status === 'failed');
  const failedText = failed ? `; revision ${failed.revision} failed` : '';
  if (!live) {
    if (!before) return { outcome: rollbackOnFailure && !last ? 'nothing is live: the failed first install was removed' : `nothing is live: the first install is ${last?.status ?? 'gone'}`, rolledBack: false, changed: true };
    return { outcome: `nothing is live: revision ${before.revision} is no longer deployed${failedText}`, rolledBack: false, changed: true };
  }
  if (before && live.revision === before.revision) return { outcome: `revision ${live.revision} is still live${failedText}`, rolledBack: false, changed: true };
  const rolledBack = /rollback/i.test(live.description);
  return { outcome: rolledBack ? `rolled back: revision ${live.revision} (${live.description}) is live${failedText}` : `revision ${live.revision} is live${failedText}`, rolledBack, changed: true };
}

/** helm upgrade --install, and when it fails: diagnostics from the cluster, then what is live now. */
export async function deploy(req: DeployRequest, deps: DeployDeps): Promise<DeployResult> {
  const { log, timings } = deps;
  const now = deps.now ?? (() => new Date());
  const { release, namespace } = req.upgrade;
  const pre = await withGroup(log, 'Preflight', () => preflight(req, deps), timings);
  const diffed = await diffStep(req, deps);
  const before = liveRevision(pre.history);
  if (req.mode === 'plan') {
    return { previous: before, ok: true, live: before, latest: latest(pre.history), rolledBack: false, recovered: pre.recovered, planned: true, ...diffed, outcome: `plan: nothing changed${diffed.diff ? `; the upgrade would change ${diffed.diff.changes} resource(s) (${countsLine(diffed.diff.counts)})` : ''}${before ? `; revision ${before.revision} stays live` : ''}` };
  }

  const started = now();
  // The pod recorder's watch opens as helm starts, and helm does not wait for it: helm needs some 70 ms (its start,
  // the chart, its first API calls) before it writes anything, and a watch that opens later still begins with every
  // pod that exists (ADDED events). A dry run creates no pods.
  const recorder = new PodRecorder(deps.kube, namespace, log);
  if (!req.upgrade.dryRun) void recorder.start();
  const { result, release: made } = await withGroup(log, `helm upgrade --install ${release} (Helm ${deps.helm.major})`, () => deps.helm.upgrade(req.upgrade), timings).finally(() => recorder.stop());

  if (req.upgrade.dryRun) {
    if (result.exitCode !== 0) throw new OperationError(`helm dry run of ${release} failed:\n${result.stderr.trim()}`, { hint: dryRunHint(result.stderr, req.upgrade.forceConflicts ? undefined : 'force-conflicts: true') });
    return { previous: before, ok: true, live: before, latest: latest(pre.history), rolledBack: false, recovered: pre.recovered, ...diffed, outcome: `dry run: nothing changed${before ? `; revision ${before.revision} stays live` : ''}` };
  }
  if (result.exitCode === 0) {
    if (made) return { previous: before, ok: true, live: made.status === 'deployed' ? made : undefined, latest: made, rolledBack: false, recovered: pre.recovered, ...diffed, outcome: `revision ${made.revision} is live` };
    const history = await deps.helm.history(release, namespace);
    return { previous: before, ok: true, live: liveRevision(history), latest: latest(history), recovered: pre.recovered, ...diffed, ...describeOutcome(true, before, history, req.upgrade.rollbackOnFailure) };
  }

  const failure = helmFailure(result);
  const history = await deps.helm.history(release, namespace).catch(() => undefined);
  const context = { previousLatest: latest(pre.history)?.revision ?? 0, helmSaid: result.stderr };
  const { outcome, rolledBack, pending, changed } = history ? describeOutcome(false, before, history, req.upgrade.rollbackOnFailure, context) : { outcome: 'unknown: the release history could not be read after the failure', rolledBack: false, pending: undefined, changed: true };
  // A helm that failed before touching the cluster (values or templates it refused) has nothing to diagnose there.
  const diagnostics = !changed
    ? undefined
    : await withGroup(
        log,
        'Diagnostics',
        async () => {
          const [{ collectDiagnostics }, kc] = await Promise.all([import('../../kube/diagnostics.js'), deps.kube.kubeConfig()]);
          const d = await collectDiagnostics(kc, namespace, { since: started, recorded: recorder.snapshot(), recordedLogs: await recorder.failedLogs() });
          log.info(diagnosticsText(d));
          return d;
        },
        timings,
      );
  log.info(`Outcome: ${outcome}`);
  const conflict = applyConflict(result.stderr);
  const pendingHint = pending
    ? `the next deploy of ${release} is refused until the ${pending.status} lock is cleared: once no other deploy runs, run again with recover-pending: true (it ${liveRevision(history ?? []) ? `rolls back to revision ${liveRevision(history ?? [])!.revision}` : 'uninstalls the never-deployed release'} first)`
    : undefined;
  const hints = [
    conflict ? applyConflictHint(conflict, req.upgrade.forceConflicts ? undefined : 'force-conflicts: true') : undefined,
    pendingHint,
    !conflict && !pending && !changed ? 'helm refused the chart or its values before changing anything: read its error above' : undefined,
  ].filter((h): h is string => h !== undefined);
  const hint = hints.length ? hints.join('; ') : undefined;
  return { previous: before, ok: false, live: liveRevision(history ?? []), latest: latest(history ?? []), rolledBack, recovered: pre.recovered, ...diffed, failure, diagnostics, outcome, ...(hint ? { hint } : {}) };
}

/**
 * The diff before the upgrade, when asked for. In plan mode it is the whole point, so a failure fails the step;
 * before an apply it is a report, so a failure is a warning and the deploy goes on.
 */
export async function diffStep(req: DeployRequest, deps: DeployDeps): Promise<Pick<DeployResult, 'diff' | 'diffError'>> {
  if (!req.diff && req.mode !== 'plan') return {};
  if (!req.diff || !deps.diff) {
    if (req.mode === 'plan') throw new Error('bug: mode plan without a diff request or DeployDeps.diff');
    return {}; // a caller that wires no diff (tests of the deploy alone)
  }
  const settings = req.diff;
  const d = deps.diff;
  try {
    return { diff: await withGroup(deps.log, 'Diff', async () => {
      const [{ planDiff }, kc] = await Promise.all([import('./diff.js'), deps.kube.kubeConfig()]);
      return planDiff(req.upgrade, settings, deps.helm, kc, d, deps.log);
    }, deps.timings) };
  } catch (err) {
    if (req.mode === 'plan') throw err;
    deps.log.warning(`diff: could not compute what the upgrade changes (${errorMessage(err)}); deploying without it`);
    return { diffError: errorMessage(err) };
  }
}
