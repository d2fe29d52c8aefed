import { createSign, generateKeyPairSync, sign as edSign } from 'node:crypto';
import { Authenticator } from '../../../app/src/auth/authenticator.js';
import { memoryLogger } from '../../../app/src/log.js';
import { JwtError, keyFromSecret, signHs256, verifyJwt, type VerificationKey } from '../../../app/src/auth/jwt.js';

const NOW = 1_800_000_000;
const secret = Buffer.from('s'.repeat(40));
const hmac: VerificationKey = { kind: 'hmac', secret };
const b64 = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const claims = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ sub: 'alice', exp: NOW + 60, iat: NOW, ...extra });

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsaPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const ecPem = ec.publicKey.export({ type: 'spki', format: 'pem' }).toString();

function signRs256(payload: Record<string, unknown>): string {
  const input = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(payload)}`;
  return `${input}.${createSign('sha256').update(input).sign(rsa.privateKey).toString('base64url')}`;
}

function signEs256(payload: Record<string, unknown>): string {
  const input = `${b64({ alg: 'ES256', typ: 'JWT' })}.${b64(payload)}`;
  return `${input}.${edSign('sha256', Buffer.from(input), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

describe('verifyJwt', () => {
  it('accepts a valid HS256 token and returns its claims', () => {
    expect(verifyJwt(signHs256(claims({ name: 'Alice' }), secret), hmac, { now: NOW })).toMatchObject({ sub: 'alice', name: 'Alice' });
  });

  it('accepts RS256 and ES256 tokens with the matching public key from PEM', () => {
    expect(verifyJwt(signRs256(claims()), keyFromSecret(rsaPem), { now: NOW }).sub).toBe('alice');
    expect(verifyJwt(signEs256(claims()), keyFromSecret(ecPem), { now: NOW }).sub).toBe('alice');
  });

  const otherSecret = Buffer.from('t'.repeat(40));
  it.each<[string, () => string, VerificationKey, RegExp, Record<string, unknown>?]>([
    ['signed with another secret', () => signHs256(claims(), otherSecret), hmac, /bad signature/],
    ['alg none', () => `${b64({ alg: 'none' })}.${b64(claims())}.`, hmac, /algorithm "none" is not accepted/],
    ['HS256 presented to an RSA key (algorithm confusion)', () => signHs256(claims(), Buffer.from(rsaPem)), keyFromSecret(rsaPem), /"HS256" is not accepted \(expected RS256\)/],
    ['RS256 presented to an HMAC key', () => signRs256(claims()), hmac, /"RS256" is not accepted/],
    ['expired', () => signHs256(claims({ exp: NOW - 31 }), secret), hmac, /expired/],
    ['no exp', () => signHs256({ sub: 'alice' }, secret), hmac, /no expiry/],
    ['not valid yet', () => signHs256(claims({ nbf: NOW + 120 }), secret), hmac, /not valid yet/],
    ['no subject', () => signHs256(claims({ sub: '' }), secret), hmac, /no subject/],
    ['wrong issuer', () => signHs256(claims({ iss: 'evil' }), secret), hmac, /issuer/, { issuer: 'https://id.example' }],
    ['wrong audience', () => signHs256(claims({ aud: ['other'] }), secret), hmac, /audience/, { audience: 'todo' }],
    ['two parts', () => 'abc.def', hmac, /three base64url parts/],
    ['not base64url', () => 'a+b.c.d', hmac, /three base64url parts/],
    ['header not JSON', () => `${b64('nope')}.${b64(claims())}.x`, hmac, /header is not a JSON object/],
    ['crit header', () => signHs256(claims(), secret).replace(/^[^.]+/, b64({ alg: 'HS256', crit: ['x'] })), hmac, /critical header|bad signature/],
    ['too long', () => 'a'.repeat(9000), hmac, /too long/],
  ])('refuses a token: %s', (_name, token, key, message, options = {}) => {
    expect(() => verifyJwt(token(), key, { now: NOW, ...options })).toThrow(message);
    expect(() => verifyJwt(token(), key, { now: NOW, ...options })).toThrow(JwtError);
  });

  it('allows 30 s of clock skew around exp and nbf by default', () => {
    expect(verifyJwt(signHs256(claims({ exp: NOW - 29, nbf: NOW + 29 }), secret), hmac, { now: NOW }).sub).toBe('alice');
  });

  it('checks issuer and audience when configured (string or array aud)', () => {
    const token = signHs256(claims({ iss: 'https://id.example', aud: ['todo', 'x'] }), secret);
    expect(verifyJwt(token, hmac, { now: NOW, issuer: 'https://id.example', audience: 'todo' }).sub).toBe('alice');
  });
});

describe('keyFromSecret', () => {
  it.each([
    ['a short HMAC secret', 'short', /at least 32/],
    ['a private key', rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), /private key/],
  ])('refuses %s', (_n, material, message) => expect(() => keyFromSecret(material)).toThrow(message));

  it('reads PEM public keys as RSA or EC and anything else as an HMAC secret', () => {
    expect(keyFromSecret(rsaPem).kind).toBe('rsa');
    expect(keyFromSecret(`\n${ecPem}\n`).kind).toBe('ec');
    expect(keyFromSecret('k'.repeat(32)).kind).toBe('hmac');
  });
});

describe('Authenticator (remembers verified tokens)', () => {
  const keyA = 'a'.repeat(40);
  const keyB = 'b'.repeat(40);
  let clock = NOW * 1000;
  const setup = (secrets: Record<string, string>) => {
    const dapr = { getSecret: async () => ({ ...secrets }) };
    return new Authenticator({ dapr, secretName: 'app', keyField: 'jwt', log: memoryLogger(), now: () => clock, refreshMs: 3_600_000 });
  };
  const bearer = (key: string, extra: Record<string, unknown> = {}): string => `Bearer ${signHs256(claims(extra), Buffer.from(key))}`;
  const status = (fn: () => unknown): number | undefined => {
    try {
      fn();
      return undefined;
    } catch (err) {
      return (err as { status?: number }).status;
    }
  };
  beforeEach(() => (clock = NOW * 1000));

  it('answers a known token again without verifying it, and still refuses it once expired', async () => {
    const secrets = { jwt: keyA };
    const auth = setup(secrets);
    await auth.load();
    const token = bearer(keyA);
    expect(auth.authenticate(token)).toEqual({ id: 'alice', name: 'alice' });
    expect(auth.authenticate(token)).toEqual({ id: 'alice', name: 'alice' });
    clock = (NOW + 60 + 31) * 1000; // exp + leeway passed
    expect(status(() => auth.authenticate(token))).toBe(401);
  });

  it('verifies again after the key changed: a token of the old key is refused', async () => {
    const secrets = { jwt: keyA };
    const auth = setup(secrets);
    await auth.load();
    const token = bearer(keyA);
    auth.authenticate(token);
    secrets.jwt = keyB;
    await auth.load();
    expect(status(() => auth.authenticate(token))).toBe(401);
    expect(auth.authenticate(bearer(keyB))).toMatchObject({ id: 'alice' });
  });

  it('never remembers a token that failed, nor one not valid yet', async () => {
    const auth = setup({ jwt: keyA });
    await auth.load();
    const forged = bearer(keyB);
    expect(status(() => auth.authenticate(forged))).toBe(401);
    expect(status(() => auth.authenticate(forged))).toBe(401);
    const early = bearer(keyA, { nbf: NOW + 120, exp: NOW + 600 });
    expect(status(() => auth.authenticate(early))).toBe(401);
    clock = (NOW + 100) * 1000; // within the leeway of nbf now
    expect(auth.authenticate(early)).toMatchObject({ id: 'alice' });
  });
});
