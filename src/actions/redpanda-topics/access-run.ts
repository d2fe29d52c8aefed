import { errorMessage, OperationError } from '../../core/errors.js';
import { withGroup, type Timings } from '../../core/groups.js';
import type { Logger } from '../../core/log.js';
import { aclKey, type AclBinding, type ScramMechanismName } from '../../kafka/acl.js';
import type { AclAdmin } from '../../kafka/acl-admin.js';
import type { KafkaConnection } from '../../kafka/connection-inputs.js';
import { kafkaOperationError, LOST_MID_RUN_HINT } from '../../kafka/errors.js';
import type { ItemResult } from '../../kafka/topic-admin.js';
import type { AccessChange, AccessOutcome, AccessPlan, DeclaredAccess, ObservedAccess } from './access-model.js';
import { planAccess } from './access-plan.js';
import { accessChangeLine, accessDriftLine, accessPlanLines } from './access-render.js';
import type { Plan } from './model.js';

/**
 * Access in the action's run: read the cluster's ACLs and the declared users (two requests at most), plan, and
 * apply in four batched steps (users created or re-set, ACLs created, ACLs deleted, users deleted), stopping at
 * the first step that fails. run.ts calls planAccessStep and applyAccessStep; a file without users or ACLs
 * sends none of these requests.
 */
/** What the run hooks need of the topic admin: its access client, asked for only when the file declares access. */
export interface HasAccess {
  access(): AclAdmin;
}

export async function observeAccess(admin: AclAdmin, access: DeclaredAccess): Promise<ObservedAccess> {
  const acls = access.acls.length ? await admin.describeAcls() : undefined;
  const users = await admin.describeScramUsers([...new Set(access.users.map((u) => u.name))]);
  return { ...(acls ? { acls } : {}), users };
}

/** Reads what the file's access needs, plans it into `plan` (its errors join the plan's), and logs the lines. */
export async function planAccessStep(plan: Plan, admin: HasAccess, access: DeclaredAccess, options: { allowDelete: boolean; conn: KafkaConnection }, log: Logger): Promise<void> {
  let observed: ObservedAccess;
  try {
    observed = await observeAccess(admin.access(), access);
  } catch (err) {
    throw kafkaOperationError('reading the ACLs and SCRAM users', err, options.conn, { connectedBefore: true });
  }
  log.info(`Access: ${access.users.length} user(s) and ${access.acls.length} ACL binding(s) declared; the cluster has ${observed.acls?.length ?? 'unread'} ACL binding(s), ${observed.users.size} of the declared users exist`);
  const { plan: accessPlan, errors } = planAccess(access, observed, { allowDelete: options.allowDelete });
  plan.access = accessPlan;
  plan.errors.push(...errors);
  accessPlanLines(accessPlan).forEach((l) => log.info(l));
  accessPlan.drift.forEach((d) => log.warning(`drift (not touched): ${accessDriftLine(d)}`));
}

interface Step {
  name: string;
  changes: AccessChange[];
  send: () => Promise<ItemResult[]>;
  nameOf: (c: AccessChange) => string;
}

const userOf = (c: AccessChange): string => ('user' in c ? c.user : '');
const aclOf = (c: AccessChange): AclBinding => ('acl' in c ? c.acl : (undefined as never));
const mechanismOf = (c: AccessChange): ScramMechanismName => ('mechanism' in c ? c.mechanism : (undefined as never));

function stepsOf(admin: AclAdmin, access: DeclaredAccess, changes: readonly AccessChange[]): Step[] {
  const of = (...kinds: Array<AccessChange['kind']>): AccessChange[] => changes.filter((c) => kinds.includes(c.kind));
  const password = (name: string): (() => string) => (): string => {
    const secret = access.users.find((u) => u.name === name)?.password;
    if (!secret) throw new Error(`bug: no password was read for user ${name}`);
    return secret.reveal();
  };
  const upserts = of('create-user', 'rotate-password');
  const creates = of('create-acl');
  const deletes = of('delete-acl');
  const removals = of('delete-user');
  const steps: Step[] = [
    { name: 'set user credentials', changes: upserts, nameOf: userOf, send: () => admin.upsertScram(upserts.map((c) => ({ name: userOf(c), mechanism: mechanismOf(c), password: password(userOf(c)) }))) },
    { name: 'create ACLs', changes: creates, nameOf: (c) => aclKey(aclOf(c)), send: () => admin.createAcls(creates.map(aclOf)) },
    { name: 'delete ACLs', changes: deletes, nameOf: (c) => aclKey(aclOf(c)), send: () => admin.deleteAcls(deletes.map(aclOf)) },
    { name: 'delete user credentials', changes: removals, nameOf: userOf, send: () => admin.deleteScram(removals.map((c) => ({ name: userOf(c), mechanism: mechanismOf(c) }))) },
  ];
  return steps.filter((s) => s.changes.length > 0);
}

/** Applies the access plan; every change ends applied, failed, unknown (its request got no answer) or not attempted. */
export async function applyAccess(admin: AclAdmin, access: DeclaredAccess, changes: readonly AccessChange[], log: Logger): Promise<AccessOutcome[]> {
  const outcomes: AccessOutcome[] = [];
  let stopped = false;
  for (const step of stepsOf(admin, access, changes)) {
    if (stopped) {
      outcomes.push(...step.changes.map((change): AccessOutcome => ({ change, status: 'not-attempted' })));
      continue;
    }
    let results: ItemResult[] | undefined;
    let failure: string | undefined;
    try {
      results = await step.send();
    } catch (err) {
      failure = errorMessage(err);
    }
    // Results come in request order, one per change; a user named in two rounds gets one result per round.
    const pending = new Map<string, ItemResult[]>();
    for (const r of results ?? []) pending.set(r.name, [...(pending.get(r.name) ?? []), r]);
    const stepOutcomes = step.changes.map((change): AccessOutcome => {
      if (failure !== undefined) return { change, status: 'unknown', error: failure };
      const r = pending.get(step.nameOf(change))?.shift();
      if (!r) return { change, status: 'unknown', error: 'the broker did not report on this change' };
      return r.error ? { change, status: 'failed', error: r.error } : { change, status: 'applied' };
    });
    outcomes.push(...stepOutcomes);
    const bad = stepOutcomes.filter((o) => o.status !== 'applied');
    log.info(`${step.name}: ${stepOutcomes.length - bad.length} of ${stepOutcomes.length} change(s) applied`);
    for (const b of bad) log.error(`${accessChangeLine(b.change)}: ${b.status}${b.error ? `: ${b.error}` : ''}`);
    if (bad.length) stopped = true;
  }
  const byChange = new Map(outcomes.map((o) => [o.change, o]));
  return changes.map((change) => byChange.get(change) ?? { change, status: 'not-attempted' });
}

function accessFailure(outcomes: readonly AccessOutcome[]): OperationError | undefined {
  const bad = outcomes.filter((o) => o.status !== 'applied');
  if (!bad.length) return undefined;
  const count = (s: string): number => outcomes.filter((o) => o.status === s).length;
  const details = bad.filter((o) => o.error).slice(0, 5).map((o) => `${accessChangeLine(o.change)}: ${o.error}`);
  return new OperationError(
    `applying the access changes: ${count('applied')} of ${outcomes.length} applied, ${count('failed')} failed, ${count('unknown')} unknown, ${count('not-attempted')} not attempted${details.length ? `:\n${details.join('\n')}` : ''}`,
    {
      hint:
        count('unknown') > 0
          ? `${LOST_MID_RUN_HINT}: the next plan shows what the unknown changes did`
          : 'a refused ACL or user change needs ALTER on the cluster resource (and DESCRIBE to read them); fix the cause and re-run: the next plan starts from what was applied',
    },
  );
}

/**
 * run.ts's apply hook: applies the plan's access changes (nothing to do without any) in a log group, records the
 * outcomes on the plan, and returns the error that fails the step when one did not apply.
 */
export async function applyAccessStep(plan: Plan, admin: HasAccess, access: DeclaredAccess | undefined, log: Logger, timings?: Timings): Promise<OperationError | undefined> {
  const accessPlan: AccessPlan | undefined = plan.access;
  if (!access || !accessPlan?.changes.length) return undefined;
  await withGroup(log, `Apply ${accessPlan.changes.length} access change(s)`, async () => {
    accessPlan.outcomes = await applyAccess(admin.access(), access, accessPlan.changes, log);
  }, timings);
  return accessFailure(accessPlan.outcomes ?? []);
}
