import { clip } from '../../core/inputs.js';
import type { Cell, SummaryBuilder } from '../../core/summary.js';
import { aclLine } from '../../kafka/acl.js';
import { countAccessByKind, type AccessChange, type AccessDrift, type AccessPlan } from './access-model.js';

/**
 * How access changes are shown: log lines, the job summary's access section, and their part of the `plan`
 * output. Pure. No password is ever part of a change, so none can reach any of these.
 */
const SYMBOL: Record<AccessChange['kind'], string> = { 'create-user': '+', 'rotate-password': '~', 'delete-user': '!', 'create-acl': '+', 'delete-acl': '!' };
const LABEL: Record<AccessChange['kind'], string> = { 'create-user': 'create user', 'rotate-password': 'set password', 'delete-user': 'delete user', 'create-acl': 'create ACL', 'delete-acl': 'delete ACL' };
const MAX_ROWS = 300;
const MAX_CELL = 300;

export function accessSubject(c: AccessChange): string {
  return 'acl' in c ? `${c.acl.principal} on ${c.acl.resourceType} ${c.acl.resourceName}` : `User:${c.user}`;
}

export function accessDetail(c: AccessChange): string {
  switch (c.kind) {
    case 'create-user':
      return `${c.mechanism} credential, password from the file's passwordFrom`;
    case 'rotate-password':
      return `${c.mechanism}: the password is set again (rotate: true)`;
    case 'delete-user':
      return `${c.mechanism} credential; clients using it can no longer connect`;
    case 'create-acl':
    case 'delete-acl':
      return aclLine(c.acl);
  }
}

export function accessChangeLine(c: AccessChange): string {
  return `${SYMBOL[c.kind]} ${LABEL[c.kind]} ${'acl' in c ? aclLine(c.acl) : `${c.user}: ${accessDetail(c)}`}`;
}

export function accessDriftLine(d: AccessDrift): string {
  return `ACL ${aclLine(d.acl)} exists but is not declared`;
}

/** The access plan as log lines, like the topics' (`+ create ACL ...`), or one line when nothing changes. */
export function accessPlanLines(plan: AccessPlan): string[] {
  if (!plan.changes.length) return [`No access changes: ${plan.inSync} declared user(s) and ACL(s) match.`];
  return plan.changes.map(accessChangeLine);
}

/** Whether any access change was (or may have been) applied. */
export function accessChanged(plan: AccessPlan | undefined): boolean {
  return (plan?.outcomes ?? []).some((o) => o.status === 'applied' || o.status === 'unknown');
}

/** For the headline: `; access: 3 changes` (planned or applied), or nothing without access changes. */
export function accessHeadline(plan: AccessPlan | undefined): string {
  const n = plan?.changes.length ?? 0;
  if (!n) return '';
  const applied = plan!.outcomes?.filter((o) => o.status === 'applied').length;
  const s = n === 1 ? '' : 's';
  if (applied === undefined) return `access: ${n} change${s}`;
  return applied === n ? `access: applied ${n} change${s}` : `access: applied ${applied} of ${n} changes`;
}

/** The summary's access section (nothing when the file declares no access). */
export function renderAccess(b: SummaryBuilder, plan: AccessPlan | undefined, mode: 'plan' | 'apply', blocked: boolean): void {
  if (!plan) return;
  const c = countAccessByKind(plan.changes);
  b.heading('Access (users and ACLs)', 3).paragraph(
    `${plan.inSync} declared user(s) and ACL(s) in sync; ${c['create-user']} user(s) to create, ${c['rotate-password']} password(s) to set, ${c['delete-user']} user credential(s) to delete, ` +
      `${c['create-acl']} ACL(s) to create, ${c['delete-acl']} to delete; ${plan.drift.length} undeclared ACL(s). Passwords are never shown.`,
  );
  if (plan.changes.length) {
    const status = (i: number): Cell => plan.outcomes?.[i]?.status ?? (blocked || mode === 'apply' ? 'not applied' : 'planned');
    const withErrors = (plan.outcomes ?? []).some((o) => o.error);
    b.table(
      ['Subject', 'Change', 'Details', 'Status', ...(withErrors ? ['Error'] : [])],
      plan.changes.slice(0, MAX_ROWS).map((ch, i) => [clip(accessSubject(ch), 200), LABEL[ch.kind], clip(accessDetail(ch), MAX_CELL), status(i), ...(withErrors ? [plan.outcomes?.[i]?.error === undefined ? undefined : clip(plan.outcomes[i]!.error!, MAX_CELL)] : [])]),
    );
    if (plan.changes.length > MAX_ROWS) b.paragraph(`... and ${plan.changes.length - MAX_ROWS} more, left out here: see the \`plan\` output.`);
  }
  if (plan.drift.length) {
    b.paragraph('Undeclared ACLs of the principals this file manages (reported, never touched):');
    b.list(plan.drift.slice(0, MAX_ROWS).map((d) => clip(aclLine(d.acl), MAX_CELL)));
  }
}

/** The access part of the `plan` output and plan file. */
export function accessJson(plan: AccessPlan | undefined): Record<string, unknown> {
  if (!plan) return {};
  return {
    access: {
      counts: countAccessByKind(plan.changes),
      changes: plan.changes.map((c, i) => ({ ...c, status: plan.outcomes?.[i]?.status ?? 'planned', ...(plan.outcomes?.[i]?.error ? { error: plan.outcomes[i]!.error } : {}) })),
      drift: plan.drift,
      inSync: plan.inSync,
    },
  };
}
