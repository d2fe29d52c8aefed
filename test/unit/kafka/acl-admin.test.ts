import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { OperationError } from '../../../src/core/errors.js';
import { AclAdmin, saltedPassword, type WireSend } from '../../../src/kafka/acl-admin.js';
import { aclKey, type AclBinding } from '../../../src/kafka/acl.js';

/** A fake wire: records each request and answers with the next canned response for its API. */
function fakeWire(answers: Record<string, unknown[]>) {
  const sent: Array<{ name: string; args: unknown[] }> = [];
  const send = (async (name: string, ...args: unknown[]) => {
    sent.push({ name, args });
    const next = answers[name]?.shift();
    if (next instanceof Error) throw next;
    if (next === undefined) throw new Error(`no canned answer for ${name}`);
    return typeof next === 'function' ? (next as (...a: unknown[]) => unknown)(...args) : next;
  }) as unknown as WireSend;
  const log = { debug: () => undefined, info: () => undefined, warning: () => undefined, error: () => undefined } as never;
  return { admin: new AclAdmin(send, log), sent };
}

const read: AclBinding = { principal: 'User:app', host: '*', resourceType: 'topic', resourceName: 't', patternType: 'literal', operation: 'read', permission: 'allow' };
const prefixedDeny: AclBinding = { principal: 'User:app', host: '10.0.0.1', resourceType: 'group', resourceName: 'g-', patternType: 'prefixed', operation: 'describe_configs', permission: 'deny' };

describe('AclAdmin: ACLs over the wire, one result per binding', () => {
  it('describes every ACL with one ANY filter and reads the numbers back as words', async () => {
    const { admin, sent } = fakeWire({
      DescribeAcls: [{ errorCode: 0, errorMessage: null, resources: [{ resourceType: 2, resourceName: 't', resourcePatternType: 3, acls: [{ principal: 'User:app', host: '*', operation: 3, permissionType: 3 }] }, { resourceType: 3, resourceName: 'g-', resourcePatternType: 4, acls: [{ principal: 'User:app', host: '10.0.0.1', operation: 10, permissionType: 2 }] }] }],
    });
    expect(await admin.describeAcls()).toEqual([read, prefixedDeny]);
    expect(sent).toEqual([{ name: 'DescribeAcls', args: [{ resourceType: 1, resourceName: null, resourcePatternType: 1, principal: null, host: null, operation: 1, permissionType: 1 }] }]);
  });

  it('says plainly that a cluster without an authorizer has no ACLs', async () => {
    const { admin } = fakeWire({ DescribeAcls: [{ errorCode: 54, errorMessage: 'No Authorizer is configured.', resources: [] }] });
    const err = await admin.describeAcls().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OperationError);
    expect((err as OperationError).message).toBe('the brokers have no authorizer, so they keep no ACLs (SECURITY_DISABLED: No Authorizer is configured.)');
    expect((err as OperationError).hint).toContain('StandardAuthorizer');
  });

  it('creates bindings in one request with the protocol numbers, with a result per binding', async () => {
    const { admin, sent } = fakeWire({ CreateAcls: [{ throttleTimeMs: 0, results: [{ errorCode: 0, errorMessage: null }, { errorCode: 31, errorMessage: 'denied' }] }] });
    expect(await admin.createAcls([read, prefixedDeny])).toEqual([{ name: aclKey(read) }, { name: aclKey(prefixedDeny), errorId: 'CLUSTER_AUTHORIZATION_FAILED', error: 'CLUSTER_AUTHORIZATION_FAILED: denied' }]);
    expect(sent[0]!.args[0]).toEqual([
      { resourceType: 2, resourceName: 't', resourcePatternType: 3, principal: 'User:app', host: '*', operation: 3, permissionType: 3 },
      { resourceType: 3, resourceName: 'g-', resourcePatternType: 4, principal: 'User:app', host: '10.0.0.1', operation: 10, permissionType: 2 },
    ]);
  });

  it('deletes with exact filters; a filter that matched nothing is done, a matching ACL that failed is not', async () => {
    const { admin } = fakeWire({ DeleteAcls: [{ throttleTimeMs: 0, filterResults: [{ errorCode: 0, errorMessage: null, matchingAcls: [] }, { errorCode: 0, errorMessage: null, matchingAcls: [{ errorCode: 31, errorMessage: 'no' }] }] }] });
    expect(await admin.deleteAcls([read, prefixedDeny])).toEqual([{ name: aclKey(read) }, { name: aclKey(prefixedDeny), errorId: 'CLUSTER_AUTHORIZATION_FAILED', error: 'CLUSTER_AUTHORIZATION_FAILED: no' }]);
  });
});

describe('AclAdmin: SCRAM users', () => {
  it('lists the mechanisms of users that exist; an unknown user is simply absent', async () => {
    const { admin } = fakeWire({
      DescribeUserScramCredentials: [{ errorCode: 0, errorMessage: null, results: [{ user: 'app', errorCode: 0, errorMessage: null, credentialInfos: [{ mechanism: 1, iterations: 4096 }, { mechanism: 2, iterations: 4096 }] }, { user: 'nobody', errorCode: 91, errorMessage: 'not found', credentialInfos: [] }] }],
    });
    expect(await admin.describeScramUsers(['app', 'nobody'])).toEqual(new Map([['app', ['SCRAM-SHA-256', 'SCRAM-SHA-512']]]));
  });

  it('sends only a salt and the salted password, never the password, fresh salt each time', async () => {
    const { admin, sent } = fakeWire({ AlterUserScramCredentials: [{ throttleTimeMs: 0, results: [{ user: 'app', errorCode: 0, errorMessage: null }, { user: 'ops', errorCode: 0, errorMessage: null }] }] });
    const results = await admin.upsertScram(
      [
        { name: 'app', mechanism: 'SCRAM-SHA-256', password: () => 'pw-app-1' },
        { name: 'ops', mechanism: 'SCRAM-SHA-512', password: () => 'pw-ops-1' },
      ],
      4096,
    );
    expect(results).toEqual([{ name: 'app' }, { name: 'ops' }]);
    const [deletions, upsertions] = sent[0]!.args as [unknown[], Array<{ name: string; mechanism: number; iterations: number; salt: Buffer; saltedPassword: Buffer }>];
    expect(deletions).toEqual([]);
    expect(upsertions.map((u) => [u.name, u.mechanism, u.iterations, u.salt.length, u.saltedPassword.length])).toEqual([
      ['app', 1, 4096, 32, 32],
      ['ops', 2, 4096, 32, 64],
    ]);
    expect(upsertions[0]!.saltedPassword).toEqual(pbkdf2Sync('pw-app-1', upsertions[0]!.salt, 4096, 32, 'sha256'));
    expect(upsertions[0]!.salt.equals(upsertions[1]!.salt)).toBe(false);
    expect(JSON.stringify(sent)).not.toContain('pw-');
  });

  it('deletes two credentials of one user in two requests (Kafka refuses a user named twice in one)', async () => {
    const ok = (user: string) => ({ throttleTimeMs: 0, results: [{ user, errorCode: 0, errorMessage: null }] });
    const { admin, sent } = fakeWire({ AlterUserScramCredentials: [{ throttleTimeMs: 0, results: [{ user: 'old', errorCode: 0, errorMessage: null }, { user: 'x', errorCode: 0, errorMessage: null }] }, ok('old')] });
    const results = await admin.deleteScram([
      { name: 'old', mechanism: 'SCRAM-SHA-256' },
      { name: 'old', mechanism: 'SCRAM-SHA-512' },
      { name: 'x', mechanism: 'SCRAM-SHA-256' },
    ]);
    expect(results.map((r) => r.name)).toEqual(['old', 'x', 'old']);
    expect(sent.map((s) => (s.args[0] as Array<{ name: string; mechanism: number }>).map((d) => `${d.name}/${d.mechanism}`))).toEqual([['old/1', 'x/1'], ['old/2']]);
  });

  it('stores what a SCRAM-SHA-256 login proves: the RFC 7677 example exchange checks out from the salted password', () => {
    const salted = saltedPassword('SCRAM-SHA-256', 'pencil', Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'), 4096);
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    const storedKey = createHash('sha256').update(clientKey).digest();
    const auth = 'n=user,r=rOprNGfwEbeRWgbNEkqO,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
    const signature = createHmac('sha256', storedKey).update(auth).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
    expect(proof.toString('base64')).toBe('dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
    expect(saltedPassword('SCRAM-SHA-512', 'pencil', Buffer.alloc(16), 4096)).toHaveLength(64);
  });
});
