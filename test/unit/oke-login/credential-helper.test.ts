import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialFor, HelperError, isRefreshDue, readHelperConfig, REFRESH_MARGIN_MS, requestedApiVersion, sessionWindow, type HelperConfig, type SessionRenewal } from '../../../src/oci/credential-helper.js';
import { decodeOkeToken, TOKEN_LIFETIME_MS } from '../../../src/oci/oke-token.js';
import { CLUSTER, fixture, KEY_FINGERPRINT, TENANCY, USER } from './fixtures.js';

const RENEWAL: SessionRenewal = { domainUrl: 'https://idcs.example', clientId: 'app', clientSecret: 's', audience: 'https://cloud.oracle.com', idTokenRequest: { url: 'https://gh.example/idtoken', token: 't' } };
let dir: string;
let config: HelperConfig;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oke-helper-'));
  config = { version: 1, clusterId: CLUSTER, region: 'us-ashburn-1', keyId: `${TENANCY}/${USER}/${KEY_FINGERPRINT}`, privateKeyPem: fixture('api-key-pkcs8.pem'), cacheFile: join(dir, 'token-cache.json') };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const T0 = Date.parse('2026-03-01T12:00:00Z');
const at = (ms: number) => new Date(T0 + ms);

describe('token cache (fake clock)', () => {
  it('signs once, then serves the cached token until REFRESH_MARGIN_MS before it expires', () => {
    const first = credentialFor(config, at(0));
    expect(first.fromCache).toBe(false);
    expect(first.token.expiresAt).toEqual(at(TOKEN_LIFETIME_MS));
    expect(statSync(config.cacheFile).mode & 0o777).toBe(0o600);

    const reuse = [1_000, 60_000, TOKEN_LIFETIME_MS - REFRESH_MARGIN_MS];
    for (const ms of reuse) {
      const r = credentialFor(config, at(ms));
      expect([ms, r.fromCache, r.token.token]).toEqual([ms, true, first.token.token]);
    }
    const renewed = credentialFor(config, at(TOKEN_LIFETIME_MS - REFRESH_MARGIN_MS + 1));
    expect(renewed.fromCache).toBe(false);
    expect(renewed.token.token).not.toBe(first.token.token);
    expect(decodeOkeToken(renewed.token.token).date).toBe(at(TOKEN_LIFETIME_MS - REFRESH_MARGIN_MS + 1).toUTCString());
  });

  it('regenerates an expired token', () => {
    const first = credentialFor(config, at(0));
    const later = credentialFor(config, at(TOKEN_LIFETIME_MS + 60_000));
    expect(later.fromCache).toBe(false);
    expect(later.token.expiresAt).toEqual(at(2 * TOKEN_LIFETIME_MS + 60_000));
    expect(later.token.token).not.toBe(first.token.token);
  });

  it.each([
    ['another cluster', (c: HelperConfig) => ({ ...c, clusterId: 'ocid1.cluster.oc1.iad.other' })],
    ['another key', (c: HelperConfig) => ({ ...c, keyId: `${TENANCY}/${USER}/00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff` })],
  ])('does not serve a cached token for %s', (_, change) => {
    credentialFor(config, at(0));
    expect(credentialFor(change(config), at(1_000)).fromCache).toBe(false);
  });

  it.each([
    ['corrupt JSON', '{not json'],
    ['a token from the future (clock moved back)', JSON.stringify({ clusterId: CLUSTER, keyIdHash: 'x', token: 't', expiresAt: new Date(T0 + 3_600_000).toISOString() })],
    ['a missing token', JSON.stringify({ clusterId: CLUSTER })],
  ])('ignores a cache file with %s', (_, content) => {
    writeFileSync(config.cacheFile, content);
    expect(credentialFor(config, at(0)).fromCache).toBe(false);
  });

  it('still answers when the cache cannot be written', () => {
    const r = credentialFor({ ...config, cacheFile: join(dir, 'missing-dir', 'cache.json') }, at(0));
    expect(r.fromCache).toBe(false);
  });

  it('without renewal: caps the token at the session\'s last usable moment, and refuses past it', () => {
    // A 60 s session: usable until 10 s before its end.
    const session = { ...config, sessionIssuedAt: at(0).toISOString(), sessionExpiresAt: at(60_000).toISOString() };
    expect(credentialFor(session, at(0)).token.expiresAt).toEqual(at(50_000));
    expect(() => credentialFor(session, at(50_000))).toThrow(HelperError);
    expect(() => credentialFor(session, at(50_000))).toThrow(/session token from oke-login \(keyless\) expired at 2026-03-01T12:01:00.000Z; sessions last about an hour/);
  });

  it('with renewal: a token never outlives the session\'s half-life; past it (renewal failed) the last usable moment', () => {
    const session = { ...config, sessionIssuedAt: at(0).toISOString(), sessionExpiresAt: at(60_000).toISOString(), renewal: RENEWAL };
    expect(credentialFor(session, at(0)).token.expiresAt).toEqual(at(30_000));
    expect(credentialFor(session, at(40_000)).token.expiresAt).toEqual(at(50_000));
    expect(() => credentialFor(session, at(50_000))).toThrow(/expired at 2026-03-01T12:01:00.000Z and was not renewed; run oke-login again/);
  });
});

describe('session window', () => {
  const window = (issued: number | undefined, expires: number) =>
    sessionWindow({ ...(issued !== undefined ? { sessionIssuedAt: at(issued).toISOString() } : {}), sessionExpiresAt: at(expires).toISOString() });
  it.each([
    ['an hour: renew after 30 min, usable until 10 s before the end', 0, 3_600_000, [1_800_000, 3_590_000]],
    ['8 s (the integration test\'s): renew after 4 s, usable until 2 s before the end', 0, 8_000, [4_000, 6_000]],
    ['without issuedAt, an hour is assumed', undefined, 3_600_000, [1_800_000, 3_590_000]],
    ['a session that began in the past', -3_000_000, 600_000, [-1_200_000, 590_000]],
  ] as const)('%s', (_, issued, expires, [refreshAt, usableUntil]) => {
    expect(window(issued, expires)).toEqual({ refreshAt: at(refreshAt), usableUntil: at(usableUntil) });
  });

  it('an API key has none, and is never due', () => {
    expect(sessionWindow(config)).toBeUndefined();
    expect(isRefreshDue(config, at(1e12))).toBe(false);
  });

  it('is due from the refresh point on, only with renewal details', () => {
    const session = { ...config, sessionIssuedAt: at(0).toISOString(), sessionExpiresAt: at(60_000).toISOString() };
    expect([29_999, 30_000].map((ms) => isRefreshDue({ ...session, renewal: RENEWAL }, at(ms)))).toEqual([false, true]);
    expect(isRefreshDue(session, at(59_000))).toBe(false);
  });
});

describe('credential file', () => {
  it('reads what oke-login wrote', () => {
    const file = join(dir, 'credentials.json');
    writeFileSync(file, JSON.stringify(config));
    expect(readHelperConfig(file)).toEqual(config);
  });

  it.each([
    ['missing (the job ended, or another job)', undefined, /does not exist: the oke-login step that wrote this kubeconfig has ended its job/],
    ['not JSON', 'x', /is not valid JSON; run oke-login again/],
    ['from another version', JSON.stringify({ version: 99 }), /written by another version of oke-login/],
    ['with a session end that is not a date', JSON.stringify({ version: 1, clusterId: 'c', region: 'r', keyId: 'k', privateKeyPem: 'p', cacheFile: 'f', sessionExpiresAt: 'soon' }), /written by another version of oke-login/],
    ['with renewal details lacking the token request', JSON.stringify({ version: 1, clusterId: 'c', region: 'r', keyId: 'k', privateKeyPem: 'p', cacheFile: 'f', renewal: {} }), /written by another version of oke-login/],
  ])('says what to do when it is %s', (_, content, message) => {
    const file = join(dir, 'credentials.json');
    if (content !== undefined) writeFileSync(file, content);
    expect(() => readHelperConfig(file)).toThrow(message);
  });

  it('refuses a credential file whose key does not parse', () => {
    expect(() => credentialFor({ ...config, privateKeyPem: 'garbage' }, at(0))).toThrow('the private key in the credential file does not parse');
  });
});

describe('ExecCredential apiVersion', () => {
  it.each([
    [undefined, 'client.authentication.k8s.io/v1beta1'],
    ['{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential"}', 'client.authentication.k8s.io/v1'],
    ['{"apiVersion":"client.authentication.k8s.io/v1beta1"}', 'client.authentication.k8s.io/v1beta1'],
    ['{"apiVersion":"other/v9"}', 'client.authentication.k8s.io/v1beta1'],
    ['not json', 'client.authentication.k8s.io/v1beta1'],
  ])('KUBERNETES_EXEC_INFO %s', (info, version) => expect(requestedApiVersion(info)).toBe(version));
});
