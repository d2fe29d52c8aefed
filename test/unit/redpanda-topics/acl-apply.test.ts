import { SecretValue, type AccessPlan } from '../../../src/actions/redpanda-topics/access-model.js';
import { accessChangeLine, accessHeadline, accessJson, accessPlanLines, renderAccess } from '../../../src/actions/redpanda-topics/access-render.js';
import { applyAccess } from '../../../src/actions/redpanda-topics/access-run.js';
import { planAccess } from '../../../src/actions/redpanda-topics/access-plan.js';
import { parseTopicsFile } from '../../../src/actions/redpanda-topics/file.js';
import type { AclAdmin } from '../../../src/kafka/acl-admin.js';
import { aclKey, type AclBinding } from '../../../src/kafka/acl.js';
import type { ItemResult } from '../../../src/kafka/topic-admin.js';
import { SummaryBuilder } from '../../../src/core/summary.js';
import { emptyPlan, headline, planProblems, reportOutputs, type TopicsReport } from '../../../src/actions/redpanda-topics/summary.js';
import { yaml } from './helpers.js';

const PASSWORD = 'pw-must-never-show';
const access = () => {
  const a = parseTopicsFile(
    yaml(
      'apiVersion: redpanda-topics/v1',
      'topics: [{name: t}]',
      'users:',
      '  - {name: app, passwordFrom: env:P}',
      '  - {name: old, state: absent}',
      'acls:',
      '  - {principal: User:app, resourceType: topic, resourceName: t, operations: [read, write]}',
      '  - {principal: User:gone, resourceType: topic, resourceName: t, operations: [read], state: absent}',
    ),
    'f.yaml',
  ).access!;
  a.users[0]!.password = new SecretValue(PASSWORD);
  return a;
};
const planned = () => planAccess(access(), { acls: [{ principal: 'User:gone', host: '*', resourceType: 'topic', resourceName: 't', patternType: 'literal', operation: 'read', permission: 'allow' }], users: new Map([['old', ['SCRAM-SHA-256' as const]]]) }, { allowDelete: true }).plan;

/** A fake AclAdmin: records calls in order and answers each with the given results (or throws). */
function fakeAdmin(answer: (call: string, names: string[]) => ItemResult[] | Error) {
  const calls: string[] = [];
  const passwords: string[] = [];
  const reply = async (call: string, names: string[]): Promise<ItemResult[]> => {
    calls.push(`${call} ${names.length}`);
    const r = answer(call, names);
    if (r instanceof Error) throw r;
    return r;
  };
  const admin = {
    upsertScram: (users: Array<{ name: string; password: () => string }>) => {
      users.forEach((u) => passwords.push(u.password()));
      return reply('upsertScram', users.map((u) => u.name));
    },
    createAcls: (b: AclBinding[]) => reply('createAcls', b.map(aclKey)),
    deleteAcls: (b: AclBinding[]) => reply('deleteAcls', b.map(aclKey)),
    deleteScram: (c: Array<{ name: string }>) => reply('deleteScram', c.map((x) => x.name)),
  } as unknown as AclAdmin;
  return { admin, calls, passwords };
}
const log = { debug: () => undefined, info: () => undefined, warning: () => undefined, error: () => undefined } as never;
const allOk = (_: string, names: string[]): ItemResult[] => names.map((name) => ({ name }));

describe('applying access changes', () => {
  it('runs the four steps in order, one request each, reading the password only to send it', async () => {
    const plan = planned();
    const { admin, calls, passwords } = fakeAdmin(allOk);
    const outcomes = await applyAccess(admin, access(), plan.changes, log);
    expect(calls).toEqual(['upsertScram 1', 'createAcls 2', 'deleteAcls 1', 'deleteScram 1']);
    expect(passwords).toEqual([PASSWORD]);
    expect(outcomes.map((o) => `${o.change.kind} ${o.status}`)).toEqual(['create-user applied', 'create-acl applied', 'create-acl applied', 'delete-acl applied', 'delete-user applied']);
  });

  it('stops at the first step with a failure: its failed item says why, later steps are not attempted', async () => {
    const plan = planned();
    const { admin, calls } = fakeAdmin((call, names) => (call === 'createAcls' ? names.map((name, i) => (i === 1 ? { name, errorId: 'CLUSTER_AUTHORIZATION_FAILED', error: 'CLUSTER_AUTHORIZATION_FAILED: no' } : { name })) : allOk(call, names)));
    const outcomes = await applyAccess(admin, access(), plan.changes, log);
    expect(calls).toEqual(['upsertScram 1', 'createAcls 2']);
    expect(outcomes.map((o) => `${o.change.kind} ${o.status}${o.error ? ` ${o.error}` : ''}`)).toEqual(['create-user applied', 'create-acl applied', 'create-acl failed CLUSTER_AUTHORIZATION_FAILED: no', 'delete-acl not-attempted', 'delete-user not-attempted']);
  });

  it('a request without an answer leaves its changes unknown', async () => {
    const { admin } = fakeAdmin((call, names) => (call === 'upsertScram' ? new Error('socket closed') : allOk(call, names)));
    const outcomes = await applyAccess(admin, access(), planned().changes, log);
    expect(outcomes.map((o) => o.status)).toEqual(['unknown', 'not-attempted', 'not-attempted', 'not-attempted', 'not-attempted']);
    expect(outcomes[0]!.error).toBe('socket closed');
  });
});

describe('showing access changes', () => {
  it('logs a line per change, terraform style', () => {
    expect(accessPlanLines(planned())).toEqual([
      '+ create user app: SCRAM-SHA-256 credential, password from the file\'s passwordFrom',
      '+ create ACL allow User:app read on topic t',
      '+ create ACL allow User:app write on topic t',
      '! delete ACL allow User:gone read on topic t',
      '! delete user old: SCRAM-SHA-256 credential; clients using it can no longer connect',
    ]);
    expect(accessPlanLines({ changes: [], drift: [], inSync: 3 })).toEqual(['No access changes: 3 declared user(s) and ACL(s) match.']);
  });

  it('renders a summary section with each change and its status, and the plan output part, never a password', () => {
    const plan: AccessPlan = planned();
    plan.outcomes = plan.changes.map((change, i) => (i === 2 ? { change, status: 'failed', error: 'CLUSTER_AUTHORIZATION_FAILED: no' } : { change, status: i < 2 ? 'applied' : 'not-attempted' }));
    const b = new SummaryBuilder();
    renderAccess(b, plan, 'apply', false);
    const md = b.toMarkdown();
    expect(md).toContain('### Access (users and ACLs)');
    expect(md).toContain('1 user(s) to create, 0 password(s) to set, 1 user credential(s) to delete, 2 ACL(s) to create, 1 to delete');
    expect(md).toContain('| User:app on topic t | create ACL | allow User:app write on topic t | failed | CLUSTER_AUTHORIZATION_FAILED: no |');
    expect(md).toContain('| User:old | delete user |');
    const json = accessJson(plan) as { access: { counts: Record<string, number>; changes: Array<{ kind: string; status: string }> } };
    expect(json.access.counts).toEqual({ 'create-user': 1, 'rotate-password': 0, 'create-acl': 2, 'delete-acl': 1, 'delete-user': 1 });
    expect(json.access.changes.map((c) => `${c.kind} ${c.status}`)).toEqual(['create-user applied', 'create-acl applied', 'create-acl failed', 'delete-acl not-attempted', 'delete-user not-attempted']);
    expect(accessHeadline(plan)).toBe('access: applied 2 of 5 changes');
    expect(`${md}${JSON.stringify(json)}${plan.changes.map(accessChangeLine).join('')}`).not.toContain(PASSWORD);
  });

  it('shows nothing for a file without access', () => {
    const b = new SummaryBuilder();
    renderAccess(b, undefined, 'plan', false);
    expect(b.toMarkdown().trim()).toBe('');
    expect(accessJson(undefined)).toEqual({});
    expect(accessHeadline(undefined)).toBe('');
  });
});

describe('access in the report: headline, outputs, plan problems', () => {
  const report = (over: Partial<TopicsReport> = {}, access: AccessPlan | null = planned()): TopicsReport => ({ mode: 'apply', file: 'f.yaml', brokers: 'b', declared: 1, plan: { ...emptyPlan(), ...(access ? { access } : {}) }, ...over });
  const applied = (p: AccessPlan): AccessPlan => ({ ...p, outcomes: p.changes.map((change) => ({ change, status: 'applied' as const })) });

  it.each([
    ['only access changes, planned', report({ mode: 'plan' }), 'access: 5 changes', { changed: false, 'has-changes': true }],
    ['only access changes, applied', report({ outcomes: [] }, applied(planned())), 'access: applied 5 changes', { changed: true, 'has-changes': true }],
    ['no changes at all', report({}, { changes: [], drift: [], inSync: 2 }), 'no changes', { changed: false, 'has-changes': false }],
    ['a file without access', report({}, null), 'no changes', { changed: false, 'has-changes': false }],
    ['a plan error stops everything', report({ plan: { ...emptyPlan(), access: planned(), errors: [{ kind: 'delete-not-allowed', topic: 'user old', subject: 'user old', problem: 'p', fix: 'f' }] } }), '1 problem in the plan; nothing was changed', { changed: false, errors: 1 }],
  ])('%s', (_, r, head, outputs) => {
    expect(headline(r)).toBe(head);
    expect(reportOutputs(r)).toMatchObject(outputs);
  });

  it('names an access error by its subject, not as a topic', () => {
    const r = report({ plan: { ...emptyPlan(), errors: [{ kind: 'delete-not-allowed', topic: 'ACL allow User:a read on topic t', subject: 'ACL allow User:a read on topic t', problem: 'p', fix: 'f', at: { line: 9, column: 5 } }] } });
    expect(planProblems(r)).toEqual([{ input: 'ACL allow User:a read on topic t', problem: 'p', fix: 'f', location: { file: 'f.yaml', line: 9, column: 5 } }]);
  });
});
