import { jest } from '@jest/globals';
import { AclOperations, AclPermissionTypes, Admin, Producer, ResourcePatternTypes, ResourceTypes, stringSerializers } from '@platformatic/kafka';
import { randomUUID } from 'node:crypto';
import { errorFacts } from '../../../src/kafka/errors.js';
import { runActionBundle, type ActionRun } from '../../support/action-harness.js';
import { stack } from '../../support/stack.js';
import { deleteTopics, header, newPrefix, saslInputs, Workspace } from './helpers.js';

/**
 * Access as code end to end: the built bundle declares a SCRAM user and ACLs on the stack's Kafka (which runs the
 * StandardAuthorizer), and the user is then really let in or refused as the ACLs say, by connecting as that user
 * with the client library. What exists is read with the library's public describeAcls, not with our code.
 */
jest.setTimeout(180_000);

interface AccessJson {
  access?: { counts: Record<string, number>; changes: Array<{ kind: string; status: string; user?: string; acl?: { operation: string; resourceName: string } }>; drift: unknown[]; inSync: number };
  errors: Array<{ kind: string; subject?: string; at?: { line: number } }>;
}

describe('redpanda-topics access: users and ACLs (bundle, real Kafka with an authorizer)', () => {
  const ws = new Workspace();
  const p = newPrefix().replace(/^it-/, 'it-acl-');
  const user = `${p}user`;
  const other = `${p}other`;
  const allowed = `${p}allowed`;
  const denied = `${p}denied`;
  const passwords = [`pw1-${randomUUID()}`, `pw2-${randomUUID()}`];
  const seen: ActionRun[] = [];

  /** Runs the bundle with the user's password in the step's environment; every run is later checked for leaks. */
  async function run(file: string, inputs: Record<string, string>, password = passwords[0]!): Promise<ActionRun> {
    const r = await runActionBundle('redpanda-topics', 'main', { ...saslInputs(), file, ...inputs }, { env: { GITHUB_WORKSPACE: ws.dir, IT_ACL_PASSWORD: password }, timeoutMs: 120_000 });
    seen.push(r);
    return r;
  }
  const planOf = (r: ActionRun): AccessJson => JSON.parse(r.outputs.plan ?? '{}') as AccessJson;
  const changes = (r: ActionRun): string[] => (planOf(r).access?.changes ?? []).map((c) => `${c.kind} ${c.user ?? `${c.acl!.operation} ${c.acl!.resourceName}`} ${c.status}`);

  const topics = [`  - name: ${allowed}`, '    partitions: 1', `  - name: ${denied}`, '    partitions: 1'];
  const users = (extra: string[] = []) => ['users:', `  - name: ${user}`, '    passwordFrom: env:IT_ACL_PASSWORD', ...extra];
  const acls = (state?: 'absent') => [
    'acls:',
    `  - principal: User:${user}`,
    '    resourceType: topic',
    `    resourceName: ${allowed}`,
    '    operations: [write, describe]',
    ...(state ? [`    state: ${state}`] : []),
    `  - principal: User:${other}`,
    '    resourceType: topic',
    `    resourceName: ${denied}`,
    '    operations: [read]',
  ];
  const v1 = ws.write('access-v1.yaml', [...header(p), ...topics, ...users(), ...acls()]);

  /** The ACLs of the user and of the other principal, as the broker lists them (the library's public API). */
  async function aclsOnCluster(): Promise<string[]> {
    const admin = new Admin({ clientId: 'it-acl-check', ...stack.kafkaClient() });
    try {
      const found = await admin.describeAcls({ filter: { resourceType: ResourceTypes.ANY, resourceName: null, resourcePatternType: ResourcePatternTypes.ANY, principal: null, host: null, operation: AclOperations.ANY, permissionType: AclPermissionTypes.ANY } });
      const names = new Map(Object.entries(AclOperations).map(([k, v]) => [v, k.toLowerCase()]));
      return found
        .filter((r) => r.resourceName.startsWith(p))
        .flatMap((r) => r.acls.map((a) => `${a.principal} ${names.get(a.operation)} ${r.resourceName}`))
        .sort();
    } finally {
      await admin.close();
    }
  }

  /** Produces one message as the declared user: 'ok', or the Kafka error ids and messages. */
  async function produceAs(topic: string, password = passwords[0]!): Promise<string> {
    const producer = new Producer({ clientId: 'it-acl-probe', bootstrapBrokers: [stack.kafka().sasl], sasl: { mechanism: 'SCRAM-SHA-256', username: user, password }, serializers: stringSerializers, retries: 0 });
    try {
      await producer.send({ messages: [{ topic, key: 'k', value: 'v' }] });
      return 'ok';
    } catch (err) {
      const facts = errorFacts(err);
      return [...facts.codes, ...facts.apiIds, ...facts.messages].join(' | ');
    } finally {
      await producer.close().catch(() => undefined);
    }
  }

  afterAll(async () => {
    const admin = new Admin({ clientId: 'it-acl-cleanup', ...stack.kafkaClient() });
    try {
      for (const principal of [`User:${user}`, `User:${other}`]) {
        await admin.deleteAcls({ filters: [{ resourceType: ResourceTypes.ANY, resourceName: null, resourcePatternType: ResourcePatternTypes.ANY, principal, host: null, operation: AclOperations.ANY, permissionType: AclPermissionTypes.ANY }] }).catch(() => undefined);
      }
    } finally {
      await admin.close();
    }
    await deleteTopics(p);
    // No run, whatever it did, ever showed a password, and each run that read one masked it.
    for (const r of seen) for (const pw of passwords) expect(r.everything()).not.toContain(pw);
  });

  it('plans the user and the ACLs, and changes nothing in plan mode', async () => {
    const r = await run(v1, { mode: 'plan' });
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ changed: 'false', 'has-changes': 'true', creates: '2' });
    expect(changes(r)).toEqual([`create-user ${user} planned`, `create-acl write ${allowed} planned`, `create-acl describe ${allowed} planned`, `create-acl read ${denied} planned`]);
    expect(r.stdout).toContain(`+ create ACL allow User:${user} write on topic ${allowed}`);
    expect(r.summary).toContain('### Access (users and ACLs)');
    expect(r.summary).toContain(`| User:${user} | create user | SCRAM-SHA-256 credential, password from the file's passwordFrom | planned |`);
    expect(r.masks()).toContain(passwords[0]);
    expect(await aclsOnCluster()).toEqual([]);
    expect(await produceAs(allowed)).toMatch(/AUTHENTICATION/);
  });

  it('applies them: the user exists, may write where its ACL says, and is refused where the ACLs name someone else', async () => {
    const r = await run(v1, { mode: 'apply' });
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ changed: 'true', 'has-changes': 'true' });
    expect(changes(r)).toEqual([`create-user ${user} applied`, `create-acl write ${allowed} applied`, `create-acl describe ${allowed} applied`, `create-acl read ${denied} applied`]);
    expect(r.summary).toMatch(/## Kafka topics: applied 2 changes; access: applied 4 changes/);
    expect(await aclsOnCluster()).toEqual([`User:${other} read ${denied}`, `User:${user} describe ${allowed}`, `User:${user} write ${allowed}`].sort());
    expect(await produceAs(allowed)).toBe('ok');
    expect(await produceAs(denied)).toMatch(/TOPIC_AUTHORIZATION_FAILED/);
  });

  it('a re-run plans nothing and changes nothing', async () => {
    const r = await run(v1, { mode: 'apply' });
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ changed: 'false', 'has-changes': 'false' });
    expect(planOf(r).access).toMatchObject({ changes: [], inSync: 4, drift: [] });
    expect(r.stdout).toContain('No access changes: 4 declared user(s) and ACL(s) match.');
    expect(r.summary).toContain('## Kafka topics: no changes');
  });

  it('rotate: true sets the new password from the secret: the old one stops working', async () => {
    const rotated = ws.write('access-rotate.yaml', [...header(p), ...topics, ...users(['    rotate: true']), ...acls()]);
    const r = await run(rotated, { mode: 'apply' }, passwords[1]);
    expect(r.code).toBe(0);
    expect(changes(r)).toEqual([`rotate-password ${user} applied`]);
    expect(await produceAs(allowed, passwords[1])).toBe('ok');
    expect(await produceAs(allowed, passwords[0])).toMatch(/AUTHENTICATION/);
  });

  /** The v1 file with its ACLs tombstoned, and the line starting with `match` replaced by `by`; `line` is where `by[at]` lands (1-based). */
  function variant(match: string, by: string[], at = 0): { lines: string[]; line: number } {
    const good = [...header(p), ...topics, ...users(), ...acls('absent')];
    const i = good.findIndex((l) => l.startsWith(match));
    if (i < 0) throw new Error(`no line starts with ${match}`);
    return { lines: [...good.slice(0, i), ...by, ...good.slice(i + 1)], line: i + at + 1 };
  }

  it.each([
    ['an unknown operation', () => variant('    operations: [write, describe]', ['    operations: [write, reed]']), 'acls[0].operations[1]: the text "reed" is not allowed'],
    ['an unknown resource type', () => variant('    resourceType: topic', ['    resourceType: topics']), 'acls[0].resourceType: the text "topics" is not allowed'],
    ['a principal that is not User:<name>', () => variant(`  - principal: User:${user}`, [`  - principal: ${user}`]), `acls[0].principal: the text "${user}" does not match`],
    ['a user declared twice', () => variant('    passwordFrom: env:IT_ACL_PASSWORD', ['    passwordFrom: env:IT_ACL_PASSWORD', `  - name: ${user}`, '    mechanism: SCRAM-SHA-512', '    passwordFrom: env:IT_ACL_PASSWORD'], 1), `users[1].name: user "${user}" is declared twice`],
  ])('refuses %s with file:line:column, before any change', async (_, make, message) => {
    // With allow-delete and the user's ACLs tombstoned: had the file been accepted, they would be gone.
    const { lines, line } = make();
    const name = ws.write(`bad-${randomUUID().slice(0, 6)}.yaml`, lines);
    const r = await run(name, { mode: 'apply', 'allow-delete': 'true' });
    expect(r.code).toBe(1);
    const escaped = message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(r.stdout).toMatch(new RegExp(`${name}:${line}:\\d+: ${escaped}`));
    expect(r.outputs).toMatchObject({ changed: 'false', errors: '1' });
    expect(r.summary).toContain('nothing was read from or changed on the brokers');
    expect(await aclsOnCluster()).toEqual([`User:${other} read ${denied}`, `User:${user} describe ${allowed}`, `User:${user} write ${allowed}`].sort());
  });

  it('a tombstoned ACL and user are not deleted without allow-delete: the plan fails at their lines', async () => {
    const lines = [...header(p), ...topics, ...users(['    state: absent']), ...acls('absent')];
    const gone = ws.write('access-gone.yaml', lines.map((l) => (l.includes('passwordFrom') ? '    mechanism: SCRAM-SHA-256' : l)));
    const r = await run(gone, { mode: 'apply' });
    expect(r.code).toBe(1);
    expect(planOf(r).errors.map((e) => `${e.kind} ${e.subject} @${e.at?.line}`)).toEqual([
      `delete-not-allowed user ${user} @${lines.indexOf('    state: absent') + 1}`,
      `delete-not-allowed ACL allow User:${user} write on topic ${allowed} @${lines.lastIndexOf('    state: absent') + 1}`,
      `delete-not-allowed ACL allow User:${user} describe on topic ${allowed} @${lines.lastIndexOf('    state: absent') + 1}`,
    ]);
    expect(r.stdout).toContain(`access-gone.yaml:${lines.indexOf('    state: absent') + 1}:`);
    expect(await produceAs(allowed, passwords[1])).toBe('ok');
  });

  it('with allow-delete, removes exactly the tombstoned ACLs and the user', async () => {
    const lines = [...header(p), ...topics, ...users(['    state: absent']), ...acls('absent')].map((l) => (l.includes('passwordFrom') ? '    mechanism: SCRAM-SHA-256' : l));
    const gone = ws.write('access-gone2.yaml', lines);
    const r = await run(gone, { mode: 'apply', 'allow-delete': 'true' });
    expect(r.code).toBe(0);
    expect(changes(r)).toEqual([`delete-acl write ${allowed} applied`, `delete-acl describe ${allowed} applied`, `delete-user ${user} applied`]);
    expect(await aclsOnCluster()).toEqual([`User:${other} read ${denied}`]);
    expect(await produceAs(allowed, passwords[1])).toMatch(/AUTHENTICATION/);
  });
});
