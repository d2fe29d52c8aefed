import type { ObservedAccess } from '../../../src/actions/redpanda-topics/access-model.js';
import { planAccess } from '../../../src/actions/redpanda-topics/access-plan.js';
import { parseTopicsFile } from '../../../src/actions/redpanda-topics/file.js';
import { aclLine, type AclBinding, type ScramMechanismName } from '../../../src/kafka/acl.js';
import { yaml } from './helpers.js';

/** The file's access from lines (line 4 is the first given line). */
const access = (...lines: string[]) => parseTopicsFile(yaml('apiVersion: redpanda-topics/v1', 'topics:', '  - name: t', ...lines), 'f.yaml').access!;

/** An observed binding in a line: "allow User:a read topic t" (+ " prefixed"). */
function acl(line: string): AclBinding {
  const [permission, principal, operation, resourceType, resourceName, patternType = 'literal'] = line.split(' ') as [string, string, string, string, string, string?];
  return { principal, host: '*', resourceType, resourceName, patternType, operation, permission };
}

const observed = (acls: string[] | undefined, users: Record<string, ScramMechanismName[]> = {}): ObservedAccess => ({ ...(acls ? { acls: acls.map(acl) } : {}), users: new Map(Object.entries(users)) });

const topicAcl = (principal: string, ops: string, extra = '') => `  - {principal: ${principal}, resourceType: topic, resourceName: t, operations: [${ops}]${extra}}`;

function summary(lines: string[], have: ObservedAccess, allowDelete = false) {
  const { plan, errors } = planAccess(access(...lines), have, { allowDelete });
  return {
    changes: plan.changes.map((c) => ('acl' in c ? `${c.kind} ${aclLine(c.acl)}` : `${c.kind} ${c.user} ${c.mechanism}`)),
    errors: errors.map((e) => `${e.kind} ${e.subject} @${e.at?.line}`),
    drift: plan.drift.map((d) => aclLine(d.acl)),
    inSync: plan.inSync,
  };
}

describe('access planning: declared + observed -> plan (pure)', () => {
  it.each([
    ['creates missing ACLs, one per operation', ['acls:', topicAcl('User:a', 'read, write')], observed([]), { changes: ['create-acl allow User:a read on topic t', 'create-acl allow User:a write on topic t'], errors: [], drift: [], inSync: 0 }],
    ['leaves ACLs that exist', ['acls:', topicAcl('User:a', 'read, write')], observed(['allow User:a read topic t', 'allow User:a write topic t']), { changes: [], errors: [], drift: [], inSync: 2 }],
    ['creates only what is missing', ['acls:', topicAcl('User:a', 'read, write')], observed(['allow User:a read topic t']), { changes: ['create-acl allow User:a write on topic t'], errors: [], drift: [], inSync: 1 }],
    ['a deny is not an allow', ['acls:', topicAcl('User:a', 'read')], observed(['deny User:a read topic t']), { changes: ['create-acl allow User:a read on topic t'], errors: [], drift: ['deny User:a read on topic t'], inSync: 0 }],
    ['a prefixed ACL is not a literal one', ['acls:', topicAcl('User:a', 'read')], observed(['allow User:a read topic t prefixed']), { changes: ['create-acl allow User:a read on topic t'], errors: [], drift: ['allow User:a read on topic t (prefix)'], inSync: 0 }],
    [
      'reports undeclared ACLs of declared principals as drift, and ignores other principals',
      ['acls:', topicAcl('User:a', 'read')],
      observed(['allow User:a read topic t', 'allow User:a write topic other', 'allow User:b read topic t']),
      { changes: [], errors: [], drift: ['allow User:a write on topic other'], inSync: 1 },
    ],
    ['a tombstoned ACL that is gone is in sync', ['acls:', topicAcl('User:a', 'read', ', state: absent')], observed([]), { changes: [], errors: [], drift: [], inSync: 1 }],
    ['refuses to delete a tombstoned ACL without allow-delete, at its state', ['acls:', '  - principal: User:a', '    resourceType: topic', '    resourceName: t', '    operations: [read]', '    state: absent'], observed(['allow User:a read topic t']), { changes: [], errors: ['delete-not-allowed ACL allow User:a read on topic t @9'], drift: [], inSync: 0 }],
    ['creates a missing user', ['users:', '  - {name: app, passwordFrom: env:P}'], observed(undefined), { changes: ['create-user app SCRAM-SHA-256'], errors: [], drift: [], inSync: 0 }],
    ['leaves an existing user (its password cannot be compared)', ['users:', '  - {name: app, passwordFrom: env:P}'], observed(undefined, { app: ['SCRAM-SHA-256'] }), { changes: [], errors: [], drift: [], inSync: 1 }],
    ['sets the password again with rotate: true', ['users:', '  - {name: app, passwordFrom: env:P, rotate: true}'], observed(undefined, { app: ['SCRAM-SHA-256'] }), { changes: ['rotate-password app SCRAM-SHA-256'], errors: [], drift: [], inSync: 0 }],
    ['adds the declared mechanism to a user that has only another', ['users:', '  - {name: app, passwordFrom: env:P, mechanism: SCRAM-SHA-512}'], observed(undefined, { app: ['SCRAM-SHA-256'] }), { changes: ['create-user app SCRAM-SHA-512'], errors: [], drift: [], inSync: 0 }],
    ['a tombstoned user that is gone is in sync', ['users:', '  - {name: old, state: absent}'], observed(undefined), { changes: [], errors: [], drift: [], inSync: 1 }],
    ['refuses to delete a tombstoned user without allow-delete, at its state', ['users:', '  - name: old', '    state: absent'], observed(undefined, { old: ['SCRAM-SHA-256'] }), { changes: [], errors: ['delete-not-allowed user old @6'], drift: [], inSync: 0 }],
  ])('%s', (_, lines, have, expected) => {
    expect(summary(lines, have)).toEqual(expected);
  });

  it.each([
    ['deletes a tombstoned ACL', ['acls:', topicAcl('User:a', 'read', ', state: absent')], observed(['allow User:a read topic t']), ['delete-acl allow User:a read on topic t']],
    ['deletes every credential of a tombstoned user', ['users:', '  - {name: old, state: absent}'], observed(undefined, { old: ['SCRAM-SHA-256', 'SCRAM-SHA-512'] }), ['delete-user old SCRAM-SHA-256', 'delete-user old SCRAM-SHA-512']],
  ])('with allow-delete: %s', (_, lines, have, changes) => {
    expect(summary(lines, have, true)).toMatchObject({ changes, errors: [] });
    // Without it, the same file and cluster plan no deletion.
    expect(summary(lines, have, false).changes).toEqual([]);
  });

  it('orders users first, then ACL creations, then deletions, each in file order', () => {
    const lines = ['users:', '  - {name: old, state: absent}', '  - {name: app, passwordFrom: env:P}', 'acls:', topicAcl('User:b', 'write', ', state: absent'), topicAcl('User:app', 'read')];
    expect(summary(lines, observed(['allow User:b write topic t'], { old: ['SCRAM-SHA-256'] }), true).changes).toEqual([
      'create-user app SCRAM-SHA-256',
      'create-acl allow User:app read on topic t',
      'delete-acl allow User:b write on topic t',
      'delete-user old SCRAM-SHA-256',
    ]);
  });

  it('never puts a password in the plan', () => {
    const a = access('users:', '  - {name: app, passwordFrom: env:P, rotate: true}');
    a.users[0]!.password = { reveal: () => 'pw-never-shown', toJSON: () => '***' } as never;
    const { plan } = planAccess(a, observed(undefined, { app: ['SCRAM-SHA-256'] }), { allowDelete: false });
    expect(plan.changes).toHaveLength(1);
    expect(JSON.stringify(plan)).not.toContain('pw-never-shown');
  });
});
