import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { resolvePasswords } from '../../../src/actions/redpanda-topics/access-file.js';
import { parseTopicsFile } from '../../../src/actions/redpanda-topics/file.js';
import { Secrets } from '../../../src/core/secrets.js';
import { configError, yaml } from './helpers.js';

/** A file with one topic, then the given lines (users:, acls:); line 4 is the first of them. */
const file = (...lines: string[]): string => yaml('apiVersion: redpanda-topics/v1', 'topics:', '  - name: t', ...lines);
const parse = (...lines: string[]) => parseTopicsFile(file(...lines), 'f.yaml');
const bindings = (...lines: string[]) => parse(...lines).access!.acls.map((a) => `${a.state} ${a.binding.permission} ${a.binding.principal}@${a.binding.host} ${a.binding.operation} ${a.binding.resourceType}:${a.binding.resourceName} (${a.binding.patternType}) @${a.operationAt.line}`);

describe('topics file: ACLs and users are read with their defaults', () => {
  it.each([
    [
      'one entry per operation, with host *, literal, allow by default',
      ['acls:', '  - principal: User:app', '    resourceType: topic', '    resourceName: t', '    operations: [read, describe]'],
      ['present allow User:app@* read topic:t (literal) @8', 'present allow User:app@* describe topic:t (literal) @8'],
    ],
    [
      'prefixed, deny, a host, and a tombstone',
      ['acls:', '  - principal: User:app', '    host: 10.0.0.1', '    resourceType: group', '    resourceName: g-', '    patternType: prefixed', '    permission: deny', '    state: absent', '    operations:', '      - read'],
      ['absent deny User:app@10.0.0.1 read group:g- (prefixed) @13'],
    ],
    ['the cluster resource needs no name', ['acls:', '  - {principal: "User:*", resourceType: cluster, operations: [describe]}'], ['present allow User:*@* describe cluster:kafka-cluster (literal) @5']],
    [
      'the same operation for two principals is two bindings',
      ['acls:', '  - {principal: User:a, resourceType: topic, resourceName: t, operations: [write]}', '  - {principal: User:b, resourceType: topic, resourceName: t, operations: [write]}'],
      ['present allow User:a@* write topic:t (literal) @5', 'present allow User:b@* write topic:t (literal) @6'],
    ],
  ])('%s', (_, lines, expected) => {
    expect(bindings(...lines)).toEqual(expected);
  });

  it('reads users with SCRAM-SHA-256, no rotation and present by default; the password is not read from the file', () => {
    const users = parse('users:', '  - name: app', '    passwordFrom: env:APP_PW', '  - name: old', '    state: absent', '  - {name: ops, mechanism: SCRAM-SHA-512, passwordFrom: env:OPS_PW, rotate: true}').access!.users;
    expect(users.map((u) => ({ name: u.name, state: u.state, mechanism: u.mechanism, rotate: u.rotate, from: u.passwordFrom?.name, password: u.password }))).toEqual([
      { name: 'app', state: 'present', mechanism: 'SCRAM-SHA-256', rotate: false, from: 'APP_PW', password: undefined },
      { name: 'old', state: 'absent', mechanism: 'SCRAM-SHA-256', rotate: false, from: undefined, password: undefined },
      { name: 'ops', state: 'present', mechanism: 'SCRAM-SHA-512', rotate: true, from: 'OPS_PW', password: undefined },
    ]);
  });

  it("this repository's deploy/topics.yaml declares the app's and the pipeline's ACLs, and no users", () => {
    const f = parseTopicsFile(readFileSync(join(import.meta.dirname, '..', '..', '..', 'deploy', 'topics.yaml'), 'utf8'), 'deploy/topics.yaml');
    const by = (principal: string) => f.access!.acls.filter((a) => a.binding.principal === principal).map((a) => `${a.binding.operation} ${a.binding.resourceType}:${a.binding.resourceName}${a.binding.patternType === 'prefixed' ? '*' : ''}`);
    expect(f.access!.users).toEqual([]);
    expect(by('User:todo-app')).toEqual(['read topic:task-events', 'write topic:task-events', 'describe topic:task-events', 'read topic:reminders', 'write topic:reminders', 'describe topic:reminders', 'write topic:task-updates', 'describe topic:task-updates', 'write topic:task-events-dlq', 'describe topic:task-events-dlq', 'write topic:reminders-dlq', 'describe topic:reminders-dlq', 'read group:todo-worker', 'describe group:todo-worker']);
    expect(by('User:todo-pipeline')).toContain('alter cluster:kafka-cluster');
    expect(f.access!.acls.every((a) => a.state === 'present' && a.binding.permission === 'allow' && a.binding.host === '*')).toBe(true);
  });

  it('a file without users or ACLs has no access part', () => {
    expect(parse().access).toBeUndefined();
  });
});

describe('topics file: bad ACLs and users are refused with file, line and column, all at once', () => {
  it.each([
    ['an unknown operation', ['acls:', '  - {principal: User:a, resourceType: topic, resourceName: t, operations: [read, reed]}'], 'f.yaml:5:82: acls[0].operations[1]: the text "reed" is not allowed. Fix: use one of: "all", "read", "write"'],
    ['an unknown resource type', ['acls:', '  - principal: User:a', '    resourceType: topics', '    resourceName: t', '    operations: [read]'], 'f.yaml:6:19: acls[0].resourceType: the text "topics" is not allowed. Fix: use one of: "topic", "group", "cluster"'],
    ['a principal without User:', ['acls:', '  - principal: app', '    resourceType: topic', '    resourceName: t', '    operations: [read]'], 'f.yaml:5:16: acls[0].principal: the text "app" does not match ^User:(\\*|[A-Za-z0-9._@-]+)$. Fix: Who the ACL is for: User:<name>'],
    ['another principal type', ['acls:', '  - {principal: "Group:ops", resourceType: topic, resourceName: t, operations: [read]}'], 'f.yaml:5:17: acls[0].principal: the text "Group:ops" does not match'],
    ['an unknown permission', ['acls:', '  - {principal: User:a, resourceType: topic, resourceName: t, operations: [read], permission: maybe}'], 'acls[0].permission: the text "maybe" is not allowed. Fix: use one of: "allow", "deny"'],
    ['no operations', ['acls:', '  - {principal: User:a, resourceType: topic, resourceName: t, operations: []}'], 'f.yaml:5:75: acls[0].operations: is an empty list'],
    ['a topic ACL without a name', ['acls:', '  - principal: User:a', '    resourceType: topic', '    operations: [read]'], 'f.yaml:5:5: acls[0]: an ACL on a topic needs resourceName. Fix: add `resourceName:`'],
    ['a cluster ACL with another name', ['acls:', '  - {principal: User:a, resourceType: cluster, resourceName: prod, operations: [alter]}'], 'f.yaml:5:62: acls[0].resourceName: the cluster resource is named "kafka-cluster", not "prod"'],
    [
      'the same ACL declared twice',
      ['acls:', '  - {principal: User:a, resourceType: topic, resourceName: t, operations: [read]}', '  - {principal: User:a, resourceType: topic, resourceName: t, operations: [write, read]}'],
      'f.yaml:6:83: acls[1].operations[1]: the ACL "allow User:a read on topic t" is declared twice (first at line 5)',
    ],
    ['a user declared twice', ['users:', '  - {name: app, passwordFrom: env:A}', '  - {name: app, mechanism: SCRAM-SHA-512, passwordFrom: env:B}'], 'f.yaml:6:12: users[1].name: user "app" is declared twice (first at line 5). Fix: keep one entry per user'],
    ['a present user without passwordFrom', ['users:', '  - name: app'], 'f.yaml:5:5: users[0]: user "app" has no passwordFrom. Fix: add `passwordFrom: env:<VARIABLE>`'],
    ['a passwordFrom that is not env:', ['users:', '  - {name: app, passwordFrom: "file:/etc/pw"}'], 'f.yaml:5:31: users[0].passwordFrom: the text "file:/etc/pw" does not match'],
    ['an unknown mechanism', ['users:', '  - {name: app, passwordFrom: env:A, mechanism: PLAIN}'], 'users[0].mechanism: the text "PLAIN" is not allowed. Fix: use one of: "SCRAM-SHA-256", "SCRAM-SHA-512"'],
    ['a bad user name', ['users:', '  - {name: "a b", passwordFrom: env:A}'], 'f.yaml:5:12: users[0].name: the text "a b" does not match'],
  ])('%s', (_, lines, message) => {
    expect(configError(() => parse(...lines)).message).toContain(message);
  });

  it('a password written in the file is refused as an unknown key, and its value is not repeated', () => {
    const err = configError(() => parse('users:', '  - name: app', '    password: hunter2-secret', '    passwordFrom: env:A'));
    expect(err.message).toBe('f.yaml:6:5: users[0].password: unknown key "password". Fix: did you mean "passwordFrom"? allowed keys here: name, state, mechanism, passwordFrom, rotate');
    expect(err.message).not.toContain('hunter2');
  });

  it('reports every problem of topics, users and ACLs in one go', () => {
    const err = configError(() => parse('users:', '  - {name: a, passwordFrom: env:A}', '  - {name: a, passwordFrom: env:A}', 'acls:', '  - {principal: a, resourceType: topic, resourceName: t, operations: [read]}', '  - {principal: User:a, resourceType: queue, resourceName: t, operations: [read]}'));
    expect(err.problems.map((p) => `${p.location?.line}:${p.location?.column} ${p.input}`)).toEqual(['8:17 acls[0].principal', '9:39 acls[1].resourceType', '6:12 users[1].name']);
  });
});

describe('user passwords: read from the environment, masked at once, never shown', () => {
  const withUsers = () => parse('users:', '  - {name: app, passwordFrom: env:APP_PW}', '  - name: ops', '    passwordFrom: env:OPS_PW', '  - {name: old, state: absent}');

  it('reads and masks each present user password, and shows it as *** anywhere', () => {
    const masked: string[] = [];
    const f = withUsers();
    expect(resolvePasswords(f, { APP_PW: 's3cret-app', OPS_PW: 's3cret-ops' }, new Secrets((v) => masked.push(v)))).toEqual([]);
    expect(masked).toEqual(['s3cret-app', 's3cret-ops']);
    expect(f.access!.users.map((u) => u.password?.reveal())).toEqual(['s3cret-app', 's3cret-ops', undefined]);
    const shown = [JSON.stringify(f), String(f.access!.users[0]!.password), `${f.access!.users[0]!.password}`, inspect(f, { depth: 10 })].join('\n');
    expect(shown).toContain('***');
    expect(shown).not.toContain('s3cret');
  });

  it('refuses a missing or empty variable at its passwordFrom line, masking what it read', () => {
    const masked: string[] = [];
    const problems = resolvePasswords(withUsers(), { OPS_PW: '   ' }, new Secrets((v) => masked.push(v)));
    expect(problems.map((p) => `${p.location?.file}:${p.location?.line}:${p.location?.column} ${p.input}: ${p.problem}`)).toEqual([
      'f.yaml:5:31 user app passwordFrom: the environment variable APP_PW is not set',
      'f.yaml:7:19 user ops passwordFrom: the environment variable OPS_PW is empty',
    ]);
    expect(problems[0]!.fix).toContain('secrets.APP_PW');
  });
});
