import { createPrivateKey } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HelperError, type HelperConfig, type SessionRenewal } from '../../../src/oci/credential-helper.js';
import { requestGitHubIdToken } from '../../../src/oci/github-oidc.js';
import { publicKeyDerBase64 } from '../../../src/oci/keys.js';
import { decodeOkeToken } from '../../../src/oci/oke-token.js';
import { LOCK_STALE_MS, LOCK_WAIT_MS, resolveCredential } from '../../../src/oci/session-refresh.js';
import { CLUSTER, fixture } from './fixtures.js';

const T0 = Date.parse('2026-03-01T12:00:00Z');
const REQUEST_TOKEN = 'runner-request-token-5d1f';
const CLIENT_SECRET = 'client-secret-0a9b';
const jwt = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
const RENEWAL: SessionRenewal = {
  domainUrl: 'https://idcs.example',
  clientId: 'app',
  clientSecret: CLIENT_SECRET,
  audience: 'https://cloud.oracle.com',
  idTokenRequest: { url: 'https://gh.example/idtoken?api-version=2.0', token: REQUEST_TOKEN },
};

/** GitHub's token service and an identity domain, behind one fetch; sessions of `lifetimeS` seconds. */
function fakeIdentity(clock: { t: number }, lifetimeS = 60, replies: { github?: () => Response; exchange?: () => Response } = {}) {
  const github: Array<{ url: string; authorization: string }> = [];
  const exchanges: Array<Record<string, string>> = [];
  const fetch = async (url: string, init?: RequestInit): Promise<Response> => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    await new Promise((r) => setTimeout(r, 30));
    if (url.startsWith('https://gh.example/idtoken')) {
      github.push({ url, authorization: headers.authorization! });
      return replies.github?.() ?? Response.json({ value: jwt({ aud: new URL(url).searchParams.get('audience'), n: github.length }) });
    }
    if (url === 'https://idcs.example/oauth2/v1/token') {
      exchanges.push(Object.fromEntries(new URLSearchParams(String(init?.body))));
      const iat = Math.floor(clock.t / 1000);
      return replies.exchange?.() ?? Response.json({ token: jwt({ sub: 'ocid1.user.oc1..gh', iat, exp: iat + lifetimeS, n: exchanges.length }) });
    }
    return new Response('no route', { status: 404 });
  };
  return { fetch, github, exchanges };
}

let dir: string;
let file: string;
const clock = { t: T0 };
const now = () => clock.t;

/** A keyless credential file whose session began at T0 and lasts 60 s (renewal due from T0 + 30 s). */
function writeSession(extra: Partial<HelperConfig> = {}): HelperConfig {
  const config: HelperConfig = {
    version: 1,
    clusterId: CLUSTER,
    region: 'us-ashburn-1',
    keyId: `ST$${jwt({ sub: 'ocid1.user.oc1..gh', n: 0 })}`,
    privateKeyPem: fixture('api-key-pkcs8.pem'),
    sessionIssuedAt: new Date(T0).toISOString(),
    sessionExpiresAt: new Date(T0 + 60_000).toISOString(),
    renewal: RENEWAL,
    cacheFile: join(dir, 'token-cache.json'),
    ...extra,
  };
  writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
  return config;
}
const read = () => JSON.parse(readFileSync(file, 'utf8')) as HelperConfig;
const keyIdOf = (token: string) => /keyId="([^"]+)"/.exec(decodeURIComponent(decodeOkeToken(token).authorization))![1];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oke-session-'));
  file = join(dir, 'credentials.json');
  clock.t = T0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('keyless session renewal by the credential helper', () => {
  it('before half the session\'s lifetime: no network, the current session signs', async () => {
    const old = writeSession();
    const idp = fakeIdentity(clock);
    clock.t = T0 + 29_000;
    const { token } = await resolveCredential(file, { now, fetch: idp.fetch });
    expect([idp.github.length, idp.exchanges.length]).toEqual([0, 0]);
    expect(keyIdOf(token.token)).toBe(old.keyId);
    expect(token.expiresAt).toEqual(new Date(T0 + 30_000));
  });

  it('past it: a fresh GitHub token, a new key, a new UPST, written over the credential file (0600), and the token signed with it', async () => {
    const old = writeSession();
    const idp = fakeIdentity(clock);
    clock.t = T0 + 31_000;
    const { token } = await resolveCredential(file, { now, fetch: idp.fetch });

    expect(idp.github).toEqual([{ url: 'https://gh.example/idtoken?api-version=2.0&audience=https%3A%2F%2Fcloud.oracle.com', authorization: `Bearer ${REQUEST_TOKEN}` }]);
    expect(idp.exchanges).toHaveLength(1);
    expect(idp.exchanges[0]).toMatchObject({ grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: jwt({ aud: 'https://cloud.oracle.com', n: 1 }) });
    const renewed = read();
    expect(idp.exchanges[0]!.public_key).toBe(publicKeyDerBase64(createPrivateKey(renewed.privateKeyPem)));
    expect(renewed.privateKeyPem).not.toBe(old.privateKeyPem);
    expect(renewed).toMatchObject({ keyId: `ST$${jwt({ sub: 'ocid1.user.oc1..gh', iat: (T0 + 31_000) / 1000, exp: (T0 + 31_000) / 1000 + 60, n: 1 })}`, sessionIssuedAt: new Date(T0 + 31_000).toISOString(), sessionExpiresAt: new Date(T0 + 91_000).toISOString(), renewal: RENEWAL, cacheFile: old.cacheFile });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).sort()).toEqual(['credentials.json', 'token-cache.json']);
    expect(keyIdOf(token.token)).toBe(renewed.keyId);
    expect(token.expiresAt).toEqual(new Date(T0 + 61_000));

    // The next call uses the renewed session and its cached token, with no network.
    const again = await resolveCredential(file, { now, fetch: idp.fetch });
    expect([again.fromCache, idp.exchanges.length]).toEqual([true, 1]);
  });

  it('renews a session that has already ended (a long step with no kubectl call)', async () => {
    writeSession();
    const idp = fakeIdentity(clock);
    clock.t = T0 + 10 * 60_000;
    const { token } = await resolveCredential(file, { now, fetch: idp.fetch });
    expect(idp.exchanges).toHaveLength(1);
    expect(keyIdOf(token.token)).toBe(read().keyId);
  });

  it('eight helpers at once: one exchange, all sign with the renewed session, the lock is gone', async () => {
    writeSession();
    const idp = fakeIdentity(clock);
    clock.t = T0 + 40_000;
    const results = await Promise.all(Array.from({ length: 8 }, () => resolveCredential(file, { now, fetch: idp.fetch })));
    expect([idp.github.length, idp.exchanges.length]).toEqual([1, 1]);
    expect(new Set(results.map((r) => keyIdOf(r.token.token)))).toEqual(new Set([read().keyId]));
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('breaks a stale lock (its holder died) and renews', async () => {
    writeSession();
    writeFileSync(`${file}.lock`, `999999 ${new Date(T0 + 40_000 - LOCK_STALE_MS - 1_000).toISOString()}\n`);
    const idp = fakeIdentity(clock);
    clock.t = T0 + 40_000;
    await resolveCredential(file, { now, fetch: idp.fetch });
    expect(idp.exchanges).toHaveLength(1);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('waits for a live lock, then renews itself when the holder never finishes', async () => {
    writeSession();
    writeFileSync(`${file}.lock`, `1 ${new Date(T0 + 40_000).toISOString()}\n`);
    const idp = fakeIdentity(clock);
    clock.t = T0 + 40_000;
    const sleeps: number[] = [];
    const sleep = async (ms: number) => {
      sleeps.push(ms);
      clock.t += ms;
    };
    // The session ends at T0 + 60 s, before the wait is over: the waiter must still renew, not fail.
    await resolveCredential(file, { now, fetch: idp.fetch, sleep });
    expect(idp.exchanges).toHaveLength(1);
    expect(sleeps.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(Math.min(LOCK_WAIT_MS, LOCK_STALE_MS));
  });

  it('a failed renewal while the session is still usable: a warning without secrets, and the current session signs', async () => {
    const old = writeSession();
    const idp = fakeIdentity(clock, 60, { github: () => Response.json({ message: 'Bad credentials' }, { status: 401 }) });
    clock.t = T0 + 35_000;
    const warnings: string[] = [];
    const { token } = await resolveCredential(file, { now, fetch: idp.fetch, warn: (m) => warnings.push(m) });
    expect(keyIdOf(token.token)).toBe(old.keyId);
    expect(token.expiresAt).toEqual(new Date(T0 + 50_000));
    expect(warnings).toEqual([
      "could not renew the OCI session token (requesting a GitHub OIDC token from the runner's OIDC token service (gh.example) was refused: HTTP 401 (the job's token request credentials are no longer accepted (the job ended, or it has no `id-token: write` permission))); using the current one, usable until 2026-03-01T12:00:50.000Z",
    ]);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it.each([
    ['GitHub refuses the token request', { github: () => new Response('{}', { status: 403 }) }, /and could not be renewed: requesting a GitHub OIDC token from the runner's OIDC token service \(gh\.example\) was refused: HTTP 403 \(the job's token request credentials are no longer accepted/],
    ['the identity domain refuses the client', { exchange: () => Response.json({ error: 'invalid_client', error_description: 'Client authentication failed.' }, { status: 401 }) }, /and could not be renewed: token exchange at https:\/\/idcs\.example\/oauth2\/v1\/token was refused: HTTP 401 invalid_client: Client authentication failed\. \(the identity domain refused client-id\/client-secret/],
  ])('a failed renewal past the session\'s end says why: %s', async (_, replies, message) => {
    writeSession();
    const idp = fakeIdentity(clock, 60, replies);
    clock.t = T0 + 55_000;
    const failure = resolveCredential(file, { now, fetch: idp.fetch });
    await expect(failure).rejects.toThrow(HelperError);
    await expect(resolveCredential(file, { now, fetch: idp.fetch })).rejects.toThrow(message);
    await failure.catch((err: Error) => {
      expect(err.message).toMatch(/^the OCI session token from oke-login \(keyless\) expired at 2026-03-01T12:01:00\.000Z/);
      for (const secret of [REQUEST_TOKEN, CLIENT_SECRET]) expect(err.message).not.toContain(secret);
    });
  });

  it('an API-key credential file never renews', async () => {
    writeSession({ keyId: 'ocid1.tenancy.oc1..t/ocid1.user.oc1..u/aa:bb', sessionIssuedAt: undefined, sessionExpiresAt: undefined, renewal: undefined });
    const idp = fakeIdentity(clock);
    clock.t = T0 + 1e9;
    await resolveCredential(file, { now, fetch: idp.fetch });
    expect(idp.github.length + idp.exchanges.length).toBe(0);
  });
});

describe('GitHub OIDC token request', () => {
  const request = { url: 'https://gh.example/idtoken?api-version=2.0', token: REQUEST_TOKEN };
  const sequence = (...replies: Array<() => Response>) => {
    let i = 0;
    const urls: string[] = [];
    return { urls, fetch: async (url: string) => (urls.push(url), replies[Math.min(i++, replies.length - 1)]!()) };
  };
  const noSleep = async () => undefined;

  it('adds the audience to the runner\'s URL and reads `value`', async () => {
    const s = sequence(() => Response.json({ value: 'a.b.c' }));
    await expect(requestGitHubIdToken(request, 'https://cloud.oracle.com', { fetch: s.fetch })).resolves.toBe('a.b.c');
    expect(s.urls).toEqual(['https://gh.example/idtoken?api-version=2.0&audience=https%3A%2F%2Fcloud.oracle.com']);
  });

  it('retries a 5xx, then succeeds', async () => {
    const s = sequence(() => new Response('', { status: 503 }), () => Response.json({ value: 'a.b.c' }));
    await expect(requestGitHubIdToken(request, 'aud', { fetch: s.fetch, sleep: noSleep })).resolves.toBe('a.b.c');
    expect(s.urls).toHaveLength(2);
  });

  it('gives up after 3 attempts on 5xx, and does not retry a 401', async () => {
    const five = sequence(() => new Response('', { status: 500 }));
    await expect(requestGitHubIdToken(request, 'aud', { fetch: five.fetch, sleep: noSleep })).rejects.toThrow(/GitHub OIDC token: gave up after 3 attempts: .*HTTP 500/);
    const four = sequence(() => new Response('', { status: 401 }));
    await expect(requestGitHubIdToken(request, 'aud', { fetch: four.fetch, sleep: noSleep })).rejects.toThrow(/was refused: HTTP 401$/);
    expect(four.urls).toHaveLength(1);
  });

  it('an answer without a JWT is an error', async () => {
    const s = sequence(() => Response.json({ token: 'x' }));
    await expect(requestGitHubIdToken(request, 'aud', { fetch: s.fetch })).rejects.toThrow("the runner's OIDC token service (gh.example) answered without an ID token");
  });
});
