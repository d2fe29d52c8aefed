import { aclKey, aclLine } from '../../kafka/acl.js';
import { ACCESS_CHANGE_KINDS, type AccessChange, type AccessDrift, type AccessPlan, type DeclaredAccess, type ObservedAccess } from './access-model.js';
import type { PlanError } from './model.js';

/**
 * Pure planning of access, like the topics' plan: declared users and ACLs + what the cluster has -> the changes
 * that make it match (create what is missing, leave what matches, delete only what the file marks absent and
 * allow-delete permits), the errors that forbid applying anything, and the drift (ACLs of the file's principals
 * that it does not declare) that is only reported.
 *
 * Kafka never reveals a password, so an existing user is left as it is unless the file says `rotate: true`, which
 * sets its password again on every apply.
 */
export interface AccessPlanOptions {
  allowDelete: boolean;
}

export interface AccessPlanResult {
  plan: AccessPlan;
  errors: PlanError[];
}

const order = (c: AccessChange): number => ACCESS_CHANGE_KINDS.indexOf(c.kind);

export function planAccess(declared: DeclaredAccess, observed: ObservedAccess, options: AccessPlanOptions): AccessPlanResult {
  const changes: AccessChange[] = [];
  const errors: PlanError[] = [];
  let inSync = 0;
  const notAllowed = (subject: string, at: PlanError['at'], what: string): void =>
    void errors.push({
      kind: 'delete-not-allowed',
      topic: subject,
      subject,
      problem: `is marked state: absent and exists, but allow-delete is false`,
      fix: `set the allow-delete input to true to delete ${what}, or remove the entry to leave it alone`,
      ...(at ? { at } : {}),
    });

  for (const u of declared.users) {
    const have = observed.users.get(u.name) ?? [];
    if (u.state === 'absent') {
      if (!have.length) inSync++;
      else if (options.allowDelete) have.forEach((mechanism) => changes.push({ kind: 'delete-user', user: u.name, mechanism }));
      else notAllowed(`user ${u.name}`, u.fieldAt.state ?? u.at, 'the user (clients using it can no longer connect)');
      continue;
    }
    if (!have.includes(u.mechanism)) changes.push({ kind: 'create-user', user: u.name, mechanism: u.mechanism });
    else if (u.rotate) changes.push({ kind: 'rotate-password', user: u.name, mechanism: u.mechanism });
    else inSync++;
  }

  const drift: AccessDrift[] = [];
  if (declared.acls.length) {
    const existing = new Set((observed.acls ?? []).map(aclKey));
    for (const a of declared.acls) {
      const exists = existing.has(aclKey(a.binding));
      if (a.state === 'absent') {
        if (!exists) inSync++;
        else if (options.allowDelete) changes.push({ kind: 'delete-acl', acl: a.binding });
        else notAllowed(`ACL ${aclLine(a.binding)}`, a.stateAt ?? a.at, 'the ACL');
      } else if (exists) inSync++;
      else changes.push({ kind: 'create-acl', acl: a.binding });
    }
    const principals = new Set(declared.acls.map((a) => a.binding.principal));
    const declaredKeys = new Set(declared.acls.map((a) => aclKey(a.binding)));
    for (const acl of observed.acls ?? []) {
      if (principals.has(acl.principal) && !declaredKeys.has(aclKey(acl))) drift.push({ kind: 'undeclared-acl', acl });
    }
    drift.sort((x, y) => aclLine(x.acl).localeCompare(aclLine(y.acl)));
  }

  // Users first (an ACL may name one), then ACLs, deletions last; the file's order within each kind.
  const sorted = changes.map((c, i) => [c, i] as const).sort((a, b) => order(a[0]) - order(b[0]) || a[1] - b[1]).map(([c]) => c);
  return { plan: { changes: sorted, drift, inSync }, errors };
}
