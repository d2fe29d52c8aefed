import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { latest, liveRevision, type Revision } from '../../helm/release.js';
import type { RollbackSettings } from './inputs.js';
import type { VerifyResult } from './verify.js';

/**
 * rollback-on-failure: whether a failed round trip rolls the release back (pure, table-tested), and the rollback
 * itself through the project's Helm runner (src/helm): checked against the history first, `helm rollback --wait`,
 * then the history again to say which revision runs. A rollback that fails leaves the release as Helm left it.
 */

/** What the rollback needs of Helm (src/helm/helm.ts Helm; a fake in tests). */
export interface RollbackHelm {
  history(release: string, namespace: string): Promise<Revision[]>;
  rollback(release: string, namespace: string, revision: number, timeoutMs: number): Promise<void>;
}

export type RollbackDecision = { roll: true; revision: number } | { roll: false; reason?: string };

/**
 * Roll back only when the round trip itself failed (probes lost, too slow, the subscriber never ready): a run that
 * could not verify at all (Kafka unreachable, a topic missing: `error` set) says nothing against the release.
 */
export function decideRollback(first: VerifyResult, settings: RollbackSettings | undefined): RollbackDecision {
  if (first.ok || !settings) return { roll: false };
  if (first.error) return { roll: false, reason: `release ${settings.release} was not rolled back: the verification could not run, which says nothing against the release` };
  if (settings.revision === undefined) return { roll: false, reason: `release ${settings.release} was not rolled back: rollback-to-revision is empty (a first install has no revision before it)` };
  return { roll: true, revision: settings.revision };
}

export interface RollbackOutcome {
  release: string;
  namespace: string;
  /** The revision asked for (rollback-to-revision). */
  revision: number;
  /** done: rolled back and waited for; failed: helm (or the check before it) failed; skipped: nothing to do. */
  status: 'done' | 'failed' | 'skipped';
  /** The revision the rollback made (Helm records a rollback as a new revision). */
  madeRevision?: number;
  /** Why it failed or was skipped: helm's message, or the check's. */
  message?: string;
  /** After a failure: the release as Helm left it, in words. */
  left?: string;
}

const describeRelease = (history: Revision[]): string => {
  const live = liveRevision(history);
  const last = latest(history);
  if (!last) return 'the release has no revisions';
  const liveText = live ? `revision ${live.revision} is deployed` : 'no revision is deployed';
  return last.revision === live?.revision ? liveText : `${liveText}; the newest, revision ${last.revision}, is ${last.status}`;
};

/** Rolls `settings.release` back to `revision` and waits for it; never throws (a failure is the outcome). */
export async function rollBack(settings: RollbackSettings, revision: number, helm: () => Promise<RollbackHelm>, log: Logger): Promise<RollbackOutcome> {
  const { release, namespace } = settings;
  const base = { release, namespace, revision };
  let h: RollbackHelm;
  let before: Revision[];
  try {
    h = await helm();
    before = await h.history(release, namespace);
  } catch (err) {
    return { ...base, status: 'failed', message: errorMessage(err), left: 'unchanged: the rollback did not start' };
  }
  if (!before.length) return { ...base, status: 'failed', message: `release ${release} does not exist in namespace ${namespace}`, left: 'unchanged: the rollback did not start' };
  if (!before.some((r) => r.revision === revision)) {
    const kept = `${before[0]!.revision}..${before.at(-1)!.revision}`;
    return { ...base, status: 'failed', message: `revision ${revision} is not in the history of release ${release} (its history shows revisions ${kept})`, left: `unchanged: ${describeRelease(before)}` };
  }
  if (liveRevision(before)?.revision === revision) return { ...base, status: 'skipped', message: `revision ${revision} is the one deployed already: the failing round trip is not the deploy's doing` };
  log.info(`rollback-on-failure: rolling release ${release} (${namespace}) back to revision ${revision}`);
  let failure: string | undefined;
  try {
    await h.rollback(release, namespace, revision, settings.timeoutMs);
  } catch (err) {
    failure = errorMessage(err);
  }
  const after = await h.history(release, namespace).catch((err: unknown) => (log.warning(`helm history after the rollback failed: ${errorMessage(err)}`), undefined));
  if (failure !== undefined) return { ...base, status: 'failed', message: failure, left: after ? describeRelease(after) : 'unknown: the history could not be read' };
  const made = after ? liveRevision(after) : undefined;
  log.info(`rollback-on-failure: release ${release} rolled back to revision ${revision}${made ? ` (now revision ${made.revision})` : ''}`);
  return { ...base, status: 'done', ...(made ? { madeRevision: made.revision } : {}) };
}

/**
 * After the rollback: until the pods it replaced are gone. helm's wait ends when the restored pods are Ready; a
 * replaced worker still shutting down stays in the consumer group and may take (and drop) the second run's probes.
 * `stopping` lists the release's pods being deleted; a deadline passed is a warning (the second run may see a
 * rebalance), and a list that fails is one too: the second verdict still says what it sees.
 */
export async function waitForReplacedPods(stopping: () => Promise<string[]>, log: Logger, options: { timeoutMs?: number; sleep?: (ms: number) => Promise<void>; now?: () => number } = {}): Promise<boolean> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = now() + (options.timeoutMs ?? 120_000);
  let left: string[];
  for (;;) {
    try {
      left = await stopping();
    } catch (err) {
      log.warning(`rollback-on-failure: could not list the replaced pods (${errorMessage(err)}); verifying again without waiting for them`);
      return false;
    }
    if (!left.length) return true;
    if (now() >= deadline) {
      log.warning(`rollback-on-failure: replaced pods still stopping: ${left.join(', ')}; the second verification may see the consumer group rebalance`);
      return false;
    }
    await sleep(1000);
  }
}
