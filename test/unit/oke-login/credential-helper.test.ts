import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialFor, HelperError, readHelperConfig, REFRESH_MARGIN_MS, requestedApiVersion, type HelperConfig } from '../../../src/oci/credential-helper.js';
import { decodeOkeToken, TOKEN_LIFETIME_MS } from '../../../src/oci/oke-token.js';
import { CLUSTER, fixture, KEY_FINGERPRINT, TENANCY, USER } from './fixtures.js';

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

  it('caps the token at a keyless session\'s end, and refuses past it', () => {
    const session = { ...config, sessionExpiresAt: at(60_000).toISOString() };
    expect(credentialFor(session, at(0)).token.expiresAt).toEqual(at(60_000));
    expect(() => credentialFor(session, at(55_000))).toThrow(HelperError);
    expect(() => credentialFor(session, at(55_000))).toThrow(/session token from oke-login \(keyless\) expired at 2026-03-01T12:01:00.000Z; sessions last about an hour/);
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
