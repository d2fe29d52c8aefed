import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Inputs, objectInputs } from '../../../src/core/inputs.js';
import { Secrets } from '../../../src/core/secrets.js';
import { parseOkeLoginInputs, withClusterRegion, type OkeLoginInputs } from '../../../src/actions/oke-login/inputs.js';
import { CLUSTER, fixture, KEY_FINGERPRINT, PASSPHRASE, TENANCY, USER } from './fixtures.js';
import { configError } from '../../support/config-error.js';

const KEY = fixture('api-key-pkcs1.pem');
const base = { 'cluster-id': CLUSTER, region: 'us-ashburn-1', tenancy: TENANCY, user: USER, 'private-key': KEY };

function parse(values: Record<string, string>, env: NodeJS.ProcessEnv = {}, readFile?: (p: string) => string) {
  const masked: string[] = [];
  const secrets = new Secrets((v) => masked.push(v));
  const run = () => parseOkeLoginInputs(new Inputs(objectInputs(values)), env, secrets, { platform: 'linux-amd64', ...(readFile ? { readFile } : {}) });
  return { run, masked, secrets };
}
let workspace: string;
let outside: string;
beforeAll(() => {
  workspace = mkdtempSync(join(tmpdir(), 'oke-login-ws-'));
  outside = mkdtempSync(join(tmpdir(), 'oke-login-outside-'));
  mkdirSync(join(workspace, 'keys'));
  writeFileSync(join(workspace, 'keys', 'oci.pem'), KEY);
  writeFileSync(join(outside, 'oci.pem'), KEY);
  writeFileSync(join(workspace, 'keys', 'kubeconfig.yaml'), 'apiVersion: v1\nkind: Config\nclusters: []\n');
  writeFileSync(join(workspace, 'keys', 'cut.pem'), KEY.split('\n').slice(0, 10).join('\n'));
  symlinkSync(join(outside, 'oci.pem'), join(workspace, 'keys', 'link.pem'));
});
afterAll(() => {
  rmSync(workspace, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});
const problemsOf = (values: Record<string, string>, env: NodeJS.ProcessEnv = {}): string[] => configError(() => parse(values, env).run()).problems.map((p) => `${p.input}: ${p.problem}`);

describe('oke-login inputs: API key', () => {
  it('parses a complete set into a typed object, computing the keyId', () => {
    const { run, secrets } = parse({ ...base, fingerprint: KEY_FINGERPRINT.toUpperCase(), endpoint: 'Private', namespace: 'apps', verify: 'false' });
    const i = run();
    expect(i).toMatchObject<Partial<OkeLoginInputs>>({ clusterId: CLUSTER, region: 'us-ashburn-1', endpoint: 'private', namespace: 'apps', verify: false, kubectl: { install: false }, apiEndpoint: undefined });
    expect(i.auth).toMatchObject({ method: 'api-key', tenancy: TENANCY, user: USER, fingerprint: KEY_FINGERPRINT, keyId: `${TENANCY}/${USER}/${KEY_FINGERPRINT}` });
    expect(secrets.redact(KEY)).not.toMatch(/[A-Za-z0-9+/]{40}/);
  });

  it('masks every line of the key, its unencrypted copy and the passphrase the moment they are read', () => {
    const { run, masked } = parse({ ...base, 'private-key': fixture('api-key-pkcs8-encrypted.pem'), passphrase: PASSPHRASE });
    const i = run();
    const lines = (text: string) => text.split('\n').filter((l) => l.length >= 4);
    for (const l of [...lines(fixture('api-key-pkcs8-encrypted.pem')), ...lines(i.auth.method === 'api-key' ? i.auth.key.pkcs8Pem : '')]) expect(masked).toContain(l);
    expect(masked).toContain(PASSPHRASE);
  });

  it('falls back to the OCI CLI environment variables, and says so', () => {
    const env = { OCI_CLI_REGION: 'eu-frankfurt-1', OCI_CLI_TENANCY: TENANCY, OCI_CLI_USER: USER, OCI_CLI_FINGERPRINT: KEY_FINGERPRINT, OCI_CLI_KEY_CONTENT: fixture('api-key-pkcs1-encrypted.pem'), OCI_CLI_PASSPHRASE: PASSPHRASE };
    const { run, masked } = parse({ 'cluster-id': 'ocid1.cluster.oc1.fra.aaaa' }, env);
    const i = run();
    expect(i.region).toBe('eu-frankfurt-1');
    expect(i.auth).toMatchObject({ method: 'api-key', tenancy: TENANCY, user: USER, fingerprint: KEY_FINGERPRINT });
    expect(i.notes).toEqual(expect.arrayContaining(['region: taken from OCI_CLI_REGION', 'private-key: taken from OCI_CLI_KEY_CONTENT', 'passphrase: taken from OCI_CLI_PASSPHRASE']));
    expect(masked).toContain(PASSPHRASE);
  });

  it('inputs win over OCI_CLI_* variables', () => {
    const i = parse(base, { OCI_CLI_REGION: 'eu-frankfurt-1', OCI_CLI_USER: 'ocid1.user.oc1..other' }).run();
    expect([i.region, i.auth.method === 'api-key' && i.auth.user]).toEqual(['us-ashburn-1', USER]);
  });

  it('reads the key from OCI_CLI_KEY_FILE inside the workspace', () => {
    const read: string[] = [];
    const file = join(workspace, 'keys', 'oci.pem');
    const { run } = parse({ 'cluster-id': CLUSTER, region: 'us-ashburn-1', tenancy: TENANCY, user: USER }, { OCI_CLI_KEY_FILE: 'keys/oci.pem', GITHUB_WORKSPACE: workspace }, (p) => (read.push(p), KEY));
    expect(run().auth).toMatchObject({ fingerprint: KEY_FINGERPRINT });
    expect(read).toEqual([file]);
  });

  it('computes the fingerprint when none is given', () => {
    const i = parse(base).run();
    expect(i.notes).toContain(`fingerprint: computed from the private key (${KEY_FINGERPRINT})`);
  });

  it.each<[string, Record<string, string>, NodeJS.ProcessEnv, string[]]>([
    ['nothing at all', {}, {}, [
      'cluster-id: is required but was empty or not set',
      'tenancy: is required for API-key auth (and OCI_CLI_TENANCY is not set)',
      'user: is required for API-key auth (and OCI_CLI_USER is not set)',
      'private-key: is required for API-key auth (and neither OCI_CLI_KEY_CONTENT nor OCI_CLI_KEY_FILE is set)',
    ]],
    ['bad OCIDs and region', { ...base, 'cluster-id': 'my-cluster', region: 'IAD', tenancy: USER, user: TENANCY }, {}, [
      'cluster-id: "my-cluster" looks like a name, not an OCID',
      'region: "IAD" is a region key, not a region identifier',
      'tenancy: is a user OCID, not a tenancy OCID',
      'user: is a tenancy OCID, not a user OCID',
    ]],
    ['fingerprint of another key', { ...base, fingerprint: '00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff' }, {}, [
      `fingerprint: is 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff, but the private key's fingerprint is ${KEY_FINGERPRINT}: they are not the same key`,
    ]],
    ['a malformed fingerprint', { ...base, fingerprint: 'abc' }, {}, ['fingerprint: "abc" is not an API-key fingerprint']],
    ['an encrypted key without passphrase', { ...base, 'private-key': fixture('api-key-pkcs1-encrypted.pem') }, {}, [
      'passphrase: the private key is a PKCS#1 RSA private key (encrypted) and no passphrase was given',
    ]],
    ['a wrong passphrase', { ...base, 'private-key': fixture('api-key-pkcs8-encrypted.pem'), passphrase: 'nope' }, {}, [
      'passphrase: the private key is a PKCS#8 private key (encrypted) and the passphrase does not decrypt it',
    ]],
    ['garbage as key', { ...base, 'private-key': 'not a key at all' }, {}, ['private-key: the private key is not a PEM key: it has no -----BEGIN line (16 characters on 1 line)']],
    ['an OCI_CLI_KEY_FILE that does not exist', { 'cluster-id': CLUSTER, region: 'us-ashburn-1', tenancy: TENANCY, user: USER }, { OCI_CLI_KEY_FILE: '/nonexistent/key.pem' }, [
      'OCI_CLI_KEY_FILE: /nonexistent/key.pem does not exist (looked at /nonexistent/key.pem)',
    ]],
    ['bad enums, booleans and URLs', { ...base, endpoint: 'internal', verify: 'yes', 'api-endpoint': 'http://x', namespace: 'Bad_NS', 'allow-outside-workspace': 'yes' }, {}, [
      'endpoint: "internal" is not one of the allowed values',
      'api-endpoint: "http://x" uses http://, which is not supported here',
      'namespace: "Bad_NS" is not a valid namespace name',
      'verify: "yes" is not a boolean',
      'allow-outside-workspace: "yes" is not a boolean',
    ]],
    ['api-endpoint with port 0, a namespace too long', { ...base, 'api-endpoint': 'https://containerengine.example:0', namespace: 'n'.repeat(64) }, {}, [
      'api-endpoint: "https://containerengine.example:0" has port 0, which no server listens on',
      `namespace: "${'n'.repeat(64)}" is 64 characters; a namespace name has at most 63`,
    ]],
    ['api-endpoint with port 99999, or not a URL at all', { ...base, 'api-endpoint': 'https://containerengine.example:99999' }, {}, ['api-endpoint: "https://containerengine.example:99999" has port 99999, above the highest port 65535']],
    ['a bad kubectl version', { ...base, 'install-kubectl': 'true', 'kubectl-version': 'latest' }, {}, ['kubectl-version: "latest" is not an exact version']],
  ])('reports every problem at once: %s', (_, values, env, expected) => {
    expect(problemsOf(values, env)).toEqual(expected);
  });
});

describe('oke-login inputs: OCI_CLI_KEY_FILE is a path input', () => {
  const noKey = { 'cluster-id': CLUSTER, region: 'us-ashburn-1', tenancy: TENANCY, user: USER };
  const env = (file: string): NodeJS.ProcessEnv => ({ OCI_CLI_KEY_FILE: file, GITHUB_WORKSPACE: workspace });

  it.each([
    ['a file outside the workspace', () => join(outside, 'oci.pem')],
    ['a symlink in the workspace to a file outside it', () => 'keys/link.pem'],
  ])('refuses %s unless allow-outside-workspace is true', (_, file) => {
    const [problem] = configError(() => parse(noKey, env(file())).run()).problems;
    expect(problem).toMatchObject({ input: 'OCI_CLI_KEY_FILE', problem: expect.stringContaining('is outside the workspace'), fix: expect.stringContaining('set allow-outside-workspace: true') });
    expect(parse({ ...noKey, 'allow-outside-workspace': 'true' }, env(file())).run().auth).toMatchObject({ fingerprint: KEY_FINGERPRINT });
  });

  it('takes ~/ as the home directory, as the OCI CLI does', () => {
    const [problem] = configError(() => parse(noKey, { ...env('~/no-such-dir/oci.pem'), HOME: outside }).run()).problems;
    expect(problem!.problem).toBe(`${join(outside, 'no-such-dir', 'oci.pem')} does not exist (looked at ${join(outside, 'no-such-dir', 'oci.pem')})`);
  });

  it('a file that is not a key: a short excerpt, and it is not masked as a key', () => {
    const { run, masked } = parse(noKey, env('keys/kubeconfig.yaml'));
    expect(configError(run).problems).toEqual([{
      input: 'OCI_CLI_KEY_FILE',
      problem: 'keys/kubeconfig.yaml is not a PEM private key; it begins:\n  | apiVersion: v1\n  | kind: Config\n  | … (1 more line, 41 characters in all)',
      fix: expect.stringContaining('point it at the API key\'s private key file'),
    }]);
    expect(masked).not.toContain('apiVersion: v1');
  });

  it('a key file cut short: named as the file, masked, never quoted', () => {
    const { run, masked } = parse(noKey, env('keys/cut.pem'));
    const { problems, message } = configError(run);
    expect(problems.map((p) => `${p.input}: ${p.problem}`)).toEqual(['OCI_CLI_KEY_FILE: the private key has its BEGIN RSA PRIVATE KEY line but no END line: the text was probably cut off when it was copied or pasted into the secret (10 lines are there)']);
    for (const line of KEY.split('\n').slice(1, 10)) {
      expect(masked).toContain(line);
      expect(message).not.toContain(line);
    }
  });
});

describe('oke-login inputs: keyless (GitHub OIDC)', () => {
  const oidcEnv = { ACTIONS_ID_TOKEN_REQUEST_URL: 'https://x/token', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token-77' };
  const oidc = { 'cluster-id': CLUSTER, region: 'us-ashburn-1', 'identity-domain-url': 'https://idcs-abc.identity.oraclecloud.com/', 'client-id': 'app', 'client-secret': 'shh-secret' };

  it('auto picks oidc when an identity domain is set and no key is', () => {
    const { run, masked } = parse(oidc, oidcEnv);
    expect(run().auth).toEqual({
      method: 'oidc',
      domainUrl: 'https://idcs-abc.identity.oraclecloud.com',
      clientId: 'app',
      clientSecret: 'shh-secret',
      audience: 'https://cloud.oracle.com',
      idTokenRequest: { url: 'https://x/token', token: 'request-token-77' },
    });
    expect(masked).toContain('shh-secret');
    // Saved for the credential helper's renewals: masked like any secret.
    expect(masked).toContain('request-token-77');
  });

  it('refuses API-key inputs together with keyless inputs, naming both sets, and still masks the secrets of both', () => {
    const { run, masked } = parse({ ...base, passphrase: 'pass-phrase-1', 'identity-domain-url': 'https://idcs-abc.identity.oraclecloud.com', 'client-secret': 'shh-secret' }, oidcEnv);
    expect(configError(run).problems).toEqual([{
      input: 'auth',
      problem: 'both API-key inputs (tenancy, user, private-key, passphrase) and keyless GitHub OIDC inputs (identity-domain-url, client-secret) are set, so which login is meant is not clear',
      fix: 'choose one: for an API key remove identity-domain-url, client-id, client-secret; for keyless login (GitHub OIDC) remove tenancy, user, fingerprint, private-key, passphrase',
    }]);
    expect(masked).toEqual(expect.arrayContaining(['shh-secret', 'pass-phrase-1', 'request-token-77', KEY.split('\n')[1]]));
  });

  it.each(['auto', 'api-key', 'oidc'])('refuses the mix whatever auth says (%s)', (auth) => {
    expect(problemsOf({ ...base, auth, 'client-id': 'app' }, oidcEnv)).toEqual([
      'auth: both API-key inputs (tenancy, user, private-key) and keyless GitHub OIDC inputs (client-id) are set, so which login is meant is not clear',
    ]);
  });

  it('auto refuses a key in OCI_CLI_KEY_CONTENT with keyless inputs; auth: oidc ignores the variables and says so', () => {
    const env = { ...oidcEnv, OCI_CLI_KEY_CONTENT: KEY, OCI_CLI_USER: USER };
    expect(problemsOf(oidc, env)).toEqual(['auth: is auto, and both a private key (OCI_CLI_KEY_CONTENT in the environment) and keyless GitHub OIDC inputs (identity-domain-url, client-id, client-secret) are set, so which login is meant is not clear']);
    const i = parse({ ...oidc, auth: 'oidc' }, env).run();
    expect(i.auth.method).toBe('oidc');
    expect(i.notes).toContain('OCI_CLI_KEY_CONTENT, OCI_CLI_USER: ignored because auth is oidc');
  });

  it.each<[string, Record<string, string>, NodeJS.ProcessEnv, string[]]>([
    ['no id-token permission', { ...oidc, auth: 'oidc' }, {}, ['auth: is oidc but this job cannot request a GitHub OIDC token']],
    ['missing client credentials', { 'cluster-id': CLUSTER, region: 'us-ashburn-1', auth: 'oidc', 'identity-domain-url': 'https://idcs-abc.identity.oraclecloud.com/oauth2/v1/token' }, oidcEnv, [
      'identity-domain-url: includes the /oauth2 path',
      'client-id: is required for auth: oidc',
      'client-secret: is required for auth: oidc',
    ]],
    ['no identity domain', { 'cluster-id': CLUSTER, region: 'us-ashburn-1', auth: 'oidc', 'client-id': 'a', 'client-secret': 'b' }, oidcEnv, ['identity-domain-url: is required for auth: oidc']],
    ['an identity domain over http, with port 0', { ...oidc, 'identity-domain-url': 'http://idcs-abc.identity.oraclecloud.com' }, oidcEnv, ['identity-domain-url: "http://idcs-abc.identity.oraclecloud.com" uses http://, which is not supported here']],
    ['an identity domain with port 0', { ...oidc, 'identity-domain-url': 'https://idcs-abc.identity.oraclecloud.com:0/' }, oidcEnv, ['identity-domain-url: "https://idcs-abc.identity.oraclecloud.com:0/" has port 0, which no server listens on']],
  ])('%s', (_, values, env, expected) => expect(problemsOf(values, env)).toEqual(expected));
});

describe('oke-login inputs: the region and cluster-id', () => {
  const keys: Record<string, string> = { iad: 'us-ashburn-1', fra: 'eu-frankfurt-1' };
  const lookup = (k: string): string | undefined => keys[k];
  const { region: _, ...noRegion } = base;

  it('takes the region identifier cluster-id names when region is not given, and says so', () => {
    const i = parse({ ...noRegion, 'cluster-id': 'ocid1.cluster.oc1.eu-frankfurt-1.aaaaaaaaxyz' }).run();
    expect(i.region).toBe('eu-frankfurt-1');
    expect(i.notes).toContain('region: eu-frankfurt-1, from cluster-id');
    expect(withClusterRegion(i, lookup).region).toBe('eu-frankfurt-1');
  });

  it('looks a region key in cluster-id up in the SDK\'s table once it is loaded (withClusterRegion)', () => {
    const i = parse({ ...noRegion, 'cluster-id': 'ocid1.cluster.oc1.fra.aaaaaaaaxyz' }).run();
    expect(i.region).toBeUndefined();
    expect(withClusterRegion(i, lookup).region).toBe('eu-frankfurt-1');
    expect(() => withClusterRegion({ ...i, clusterId: 'ocid1.cluster.oc1.zzz.aaaaaaaaxyz' }, lookup)).toThrow('region: is not set (nor OCI_CLI_REGION), and the region key "zzz" in cluster-id is not one the OCI SDK knows. Fix: set `region`');
  });

  it('refuses a region that contradicts cluster-id: at once for a region identifier, after the lookup for a key', () => {
    expect(problemsOf({ ...base, 'cluster-id': 'ocid1.cluster.oc1.eu-frankfurt-1.aaaaaaaaxyz' })).toEqual(['region: the cluster OCID belongs to region eu-frankfurt-1, not us-ashburn-1']);
    const i = parse({ ...base, region: 'eu-frankfurt-1' }).run();
    expect(() => withClusterRegion(i, lookup)).toThrow('region: the cluster OCID belongs to region us-ashburn-1 (iad), not eu-frankfurt-1. Fix: set region to us-ashburn-1, or check that cluster-id is the cluster you meant');
    expect(withClusterRegion(parse(base).run(), lookup).region).toBe('us-ashburn-1');
  });

  it('OCI_CLI_REGION is checked the same way', () => {
    expect(problemsOf({ ...noRegion, 'cluster-id': 'ocid1.cluster.oc1.ap-mumbai-1.aaaaaaaaxyz' }, { OCI_CLI_REGION: 'us-ashburn-1' })).toEqual(['region: the cluster OCID belongs to region ap-mumbai-1, not us-ashburn-1']);
  });
});

describe('oke-login inputs: kubectl download', () => {
  const kubectl = (values: Record<string, string>) => parse({ ...base, 'install-kubectl': 'true', ...values }).run().kubectl;

  it.each<[Record<string, string>, unknown]>([
    [{}, { install: true, version: 'cluster', baseUrl: 'https://dl.k8s.io/release', allowInsecure: false }],
    [{ 'kubectl-version': 'v1.34.5' }, { install: true, version: '1.34.5', baseUrl: 'https://dl.k8s.io/release', allowInsecure: false, expected: { pinned: '6a17dd8387783b3144a65535e38d02c351027e9718ea34a6c360476cb26d28bb' } }],
    [{ 'kubectl-version': '1.30.1', 'kubectl-sha256': 'SHA256:' + 'A'.repeat(64) }, { install: true, version: '1.30.1', expected: { given: { sha256: 'a'.repeat(64), input: 'kubectl-sha256' } } }],
    [{ 'kubectl-version': '1.30.1', 'kubectl-checksum-url': 'https://mirror.example/k/kubectl.sha256' }, { version: '1.30.1', expected: { checksumUrl: { url: 'https://mirror.example/k/kubectl.sha256', input: 'kubectl-checksum-url' } } }],
    [{ 'kubectl-base-url': 'http://127.0.0.1:8080/k8s/', 'allow-insecure-download': 'true' }, { version: 'cluster', baseUrl: 'http://127.0.0.1:8080/k8s', allowInsecure: true }],
  ])('%j', (values, expected) => expect(kubectl(values)).toMatchObject(expected as object));

  it.each<[Record<string, string>, string[]]>([
    [{ 'kubectl-version': '1.30.1' }, ['kubectl-version: kubectl 1.30.1 is not pinned in this action (pinned: 1.37.1, 1.36.3, 1.35.2, 1.34.5, 1.33.9), so its SHA-256 must come from you']],
    [{ 'kubectl-sha256': 'a'.repeat(64) }, ['kubectl-sha256: is set, but kubectl-version is cluster: a kubectl pinned in this action is chosen for the cluster']],
    [{ 'kubectl-base-url': 'http://127.0.0.1:8080/k8s' }, ['kubectl-base-url: "http://127.0.0.1:8080/k8s" uses plain http, which anyone on the path can change']],
    [{ 'kubectl-version': '1.34.5', 'kubectl-sha256': 'b'.repeat(64) }, [`kubectl-sha256: is ${'b'.repeat(64)}, but the SHA-256 pinned in this action for kubectl 1.34.5 for linux-amd64 is 6a17dd8387783b3144a65535e38d02c351027e9718ea34a6c360476cb26d28bb`]],
  ])('refuses %j', (values, expected) => expect(problemsOf({ ...base, 'install-kubectl': 'true', ...values })).toEqual(expected));
});
