/**
 * The bad-input table of oke-login (bad-inputs.test.ts): each case is a valid API-key login (the `base`)
 * with one thing wrong, the inputs the ::error:: line must name, what it must say, and the secrets that must
 * appear nowhere. Only the OCI stand-in is needed: a bad input must be refused before any call.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OciStandin } from '../../support/oci-standin.js';

export const REGION = 'us-ashburn-1';
export const TENANCY = 'ocid1.tenancy.oc1..aaaaaaaabadinputs';
export const USER = 'ocid1.user.oc1..aaaaaaaabadinputsuser';
export const CLUSTER = 'ocid1.cluster.oc1.iad.aaaaaaaabadinputs';
export const PASSPHRASE = 'bad-inputs-passphrase-5e1d';
export const CLIENT_SECRET = 'bad-inputs-client-secret-81c0';
export const REQUEST_TOKEN = 'bad-inputs-id-token-request-3f9a';

export interface BadInputCase {
  name: string;
  /** Overrides of the base inputs ('' clears one). */
  inputs: Record<string, string>;
  /** Overrides of the base environment. */
  env?: Record<string, string>;
  /** The input the problem is reported on (first), and others the message must name. */
  names: [string, ...string[]];
  /** What the message must say (the diagnosis, not just the input). */
  says: RegExp;
  /** Secret values of this case besides the base's (key lines, client secret, request token). */
  secrets?: string[];
}

export interface CaseTable {
  /** Inputs and environment values may hold STANDIN_URL and STANDIN_CA_PEM: resolve() them once the stand-in runs. */
  base: Record<string, string>;
  env: Record<string, string>;
  /** Secrets of the base inputs: the passphrase and every line of the key. */
  secrets: string[];
  workspace: string;
  cases: BadInputCase[];
  /** Registers the base user and cluster with the stand-in. */
  register(standin: OciStandin): void;
  resolve(values: Record<string, string>, standin: OciStandin): Record<string, string>;
  close(): void;
}

export const STANDIN_URL = '@STANDIN_URL@';
export const STANDIN_CA_PEM = '@STANDIN_CA_PEM@';
export const STANDIN_CA_FILE = '@STANDIN_CA_FILE@';

const pkcs8 = (key: KeyObject): string => key.export({ type: 'pkcs8', format: 'pem' }) as string;
/** Every line of a PEM that could be masked (at least 4 characters; shorter ones would match by chance). */
export const linesOf = (pem: string): string[] => pem.split('\n').map((l) => l.trim()).filter((l) => l.length >= 4);

/** The cases, their keys and files (built when the test module loads, so that the table has its rows at once). */
export function caseTable(): CaseTable {
  const { privateKey: key, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const encrypted = key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASSPHRASE }) as string;
  const plain = pkcs8(key);
  const rsa1 = key.export({ type: 'pkcs1', format: 'pem' }) as string;
  const other = pkcs8(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'sec1', format: 'pem' }) as string;
  const ed = pkcs8(generateKeyPairSync('ed25519').privateKey);
  const small = pkcs8(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey);
  const lines = rsa1.trim().split('\n');
  const body = lines.slice(1, -1);
  const openssh = ['-----BEGIN OPENSSH PRIVATE KEY-----', ...body.slice(0, 8), '-----END OPENSSH PRIVATE KEY-----'].join('\n');

  const workspace = mkdtempSync(join(tmpdir(), 'oke-login-bad-ws-'));
  const outside = mkdtempSync(join(tmpdir(), 'oke-login-bad-outside-'));
  mkdirSync(join(workspace, 'keys'));
  writeFileSync(join(outside, 'oci_api_key.pem'), plain, { mode: 0o600 });
  writeFileSync(join(workspace, 'keys', 'kubeconfig.yaml'), 'apiVersion: v1\nkind: Config\nclusters: []\n');
  writeFileSync(join(workspace, 'keys', 'cut.pem'), lines.slice(0, 9).join('\n'), { mode: 0o600 });

  const base = { 'cluster-id': CLUSTER, region: REGION, tenancy: TENANCY, user: USER, 'private-key': encrypted, passphrase: PASSPHRASE, 'api-endpoint': STANDIN_URL, verify: 'false' };
  const noKey = { tenancy: '', user: '', 'private-key': '', passphrase: '' };
  const keyless = { ...noKey, 'identity-domain-url': 'https://idcs-0123abc.identity.oraclecloud.com', 'client-id': 'oke-deployer-app', 'client-secret': CLIENT_SECRET };
  const oidcEnv = { ACTIONS_ID_TOKEN_REQUEST_URL: 'https://127.0.0.1:1/idtoken?run=1', ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN };
  const unencrypted = (text: string) => ({ 'private-key': text, passphrase: '' });

  const cases: BadInputCase[] = [
    // 1. API key and keyless together
    { name: 'API-key and keyless inputs together (auth auto)', inputs: { 'identity-domain-url': 'https://idcs-0123abc.identity.oraclecloud.com', 'client-id': 'app', 'client-secret': CLIENT_SECRET }, env: oidcEnv, names: ['auth', 'private-key', 'identity-domain-url', 'client-secret'], says: /both API-key inputs .* and keyless GitHub OIDC inputs .*Fix: choose one/, secrets: [CLIENT_SECRET, REQUEST_TOKEN] },
    { name: 'API-key inputs with client-id, auth: api-key', inputs: { auth: 'api-key', 'client-id': 'app' }, names: ['auth', 'private-key', 'client-id'], says: /both API-key inputs/ },
    { name: 'keyless inputs with API-key inputs, auth: oidc', inputs: { ...keyless, auth: 'oidc', user: USER, fingerprint: '00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff' }, env: oidcEnv, names: ['auth', 'user', 'fingerprint', 'client-secret'], says: /both API-key inputs \(user, fingerprint\)/, secrets: [CLIENT_SECRET, REQUEST_TOKEN] },
    { name: 'a key in OCI_CLI_KEY_CONTENT with keyless inputs (auth auto)', inputs: keyless, env: { ...oidcEnv, OCI_CLI_KEY_CONTENT: plain, OCI_CLI_TENANCY: TENANCY, OCI_CLI_USER: USER }, names: ['auth', 'OCI_CLI_KEY_CONTENT', 'identity-domain-url'], says: /is auto, and both a private key .*Fix: choose one: set auth: oidc/, secrets: [CLIENT_SECRET, REQUEST_TOKEN] },
    // 2. damaged and wrong keys
    { name: 'a PEM cut off after its BEGIN line (no END line)', inputs: unencrypted(lines.slice(0, 14).join('\n')), names: ['private-key'], says: /has its BEGIN RSA PRIVATE KEY line but no END line: the text was probably cut off when it was copied or pasted into the secret/, secrets: linesOf(rsa1) },
    { name: 'a PEM whose start was lost (END line, no BEGIN)', inputs: unencrypted(lines.slice(6).join('\n')), names: ['private-key'], says: /has an END RSA PRIVATE KEY line but no BEGIN line/, secrets: linesOf(rsa1) },
    { name: 'the base64 body without BEGIN and END lines', inputs: unencrypted(body.join('\n')), names: ['private-key'], says: /is base64 text \(\d+ lines\) without the -----BEGIN and -----END lines/, secrets: linesOf(rsa1) },
    { name: 'BEGIN and END lines of different types', inputs: unencrypted([lines[0], ...body, '-----END PUBLIC KEY-----'].join('\n')), names: ['private-key'], says: /begins with a BEGIN RSA PRIVATE KEY line but ends with END PUBLIC KEY/, secrets: linesOf(rsa1) },
    { name: 'a damaged body', inputs: unencrypted(rsa1.replace(/\n[A-Za-z0-9+/]{64}\n/, '\nAAAA\n')), names: ['private-key'], says: /looks like a PKCS#1 RSA private key but its content does not parse/, secrets: linesOf(rsa1) },
    { name: 'the public key instead of the private key', inputs: unencrypted(publicKey.export({ type: 'spki', format: 'pem' }) as string), names: ['private-key'], says: /is a public key, which cannot sign OCI requests\. Fix: pass the private key whose public half you uploaded/ },
    { name: 'an EC private key', inputs: unencrypted(ec), names: ['private-key'], says: /is an EC private key, which cannot sign OCI requests\. Fix: OCI API keys are RSA keys/, secrets: linesOf(ec) },
    { name: 'an Ed25519 key in PKCS#8', inputs: unencrypted(ed), names: ['private-key'], says: /holding an ed25519 key, not RSA/, secrets: linesOf(ed) },
    { name: 'an RSA key of 1024 bits', inputs: unencrypted(small), names: ['private-key'], says: /is an RSA key of 1024 bits; OCI API keys have at least 2048/, secrets: linesOf(small) },
    { name: 'a certificate', inputs: unencrypted(STANDIN_CA_PEM), names: ['private-key'], says: /is an X\.509 certificate, which cannot sign OCI requests/ },
    { name: 'an OpenSSH private key', inputs: unencrypted(openssh), names: ['private-key'], says: /is an OpenSSH private key.*ssh-keygen -p -m PEM/, secrets: linesOf(openssh) },
    { name: 'plain text', inputs: unencrypted('my key'), names: ['private-key'], says: /is not a PEM key: it has no -----BEGIN line/ },
    { name: 'an encrypted key without passphrase', inputs: { passphrase: '' }, names: ['passphrase'], says: /is a PKCS#8 private key \(encrypted\) and no passphrase was given/ },
    { name: 'a wrong passphrase', inputs: { passphrase: 'not-the-passphrase-xyz' }, names: ['passphrase'], says: /the passphrase does not decrypt it/, secrets: ['not-the-passphrase-xyz'] },
    { name: 'the fingerprint of another key', inputs: { fingerprint: '00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff' }, names: ['fingerprint'], says: /they are not the same key/ },
    { name: 'a malformed fingerprint', inputs: { fingerprint: 'abc' }, names: ['fingerprint'], says: /"abc" is not an API-key fingerprint/ },
    // 3. the API endpoint
    { name: 'api-endpoint with port 0', inputs: { 'api-endpoint': 'https://127.0.0.1:0' }, names: ['api-endpoint'], says: /has port 0, which no server listens on/ },
    { name: 'api-endpoint with port 99999', inputs: { 'api-endpoint': 'https://127.0.0.1:99999' }, names: ['api-endpoint'], says: /"https:\/\/127\.0\.0\.1:99999" has port 99999, above the highest port 65535/ },
    { name: 'api-endpoint over plain http', inputs: { 'api-endpoint': 'http://127.0.0.1:8080' }, names: ['api-endpoint'], says: /uses http:\/\/, which is not supported here/ },
    { name: 'api-endpoint without a scheme', inputs: { 'api-endpoint': 'containerengine.us-ashburn-1.oraclecloud.com' }, names: ['api-endpoint'], says: /is not a URL\. Fix: write a full https URL/ },
    // 6. the other inputs, with the shared validators
    { name: 'a namespace with capitals and _', inputs: { namespace: 'Apps_Prod' }, names: ['namespace'], says: /"Apps_Prod" is not a valid namespace name/ },
    { name: 'a namespace of 64 characters', inputs: { namespace: 'a'.repeat(64) }, names: ['namespace'], says: /is 64 characters; a namespace name has at most 63/ },
    { name: 'a cluster name instead of its OCID', inputs: { 'cluster-id': 'my-cluster' }, names: ['cluster-id'], says: /looks like a name, not an OCID/ },
    { name: 'a region key instead of the region', inputs: { region: 'IAD' }, names: ['region'], says: /is a region key, not a region identifier/ },
    { name: 'a region that contradicts cluster-id', inputs: { region: 'eu-frankfurt-1' }, names: ['region'], says: /the cluster OCID belongs to region us-ashburn-1 \(iad\), not eu-frankfurt-1/ },
    { name: 'a user OCID as tenancy', inputs: { tenancy: USER }, names: ['tenancy'], says: /is a user OCID, not a tenancy OCID/ },
    { name: 'an unknown endpoint kind', inputs: { endpoint: 'internal' }, names: ['endpoint'], says: /"internal" is not one of the allowed values/ },
    { name: 'verify: yes', inputs: { verify: 'yes' }, names: ['verify'], says: /"yes" is not a boolean/ },
    { name: 'an unknown auth', inputs: { auth: 'keyless' }, names: ['auth'], says: /"keyless" is not one of the allowed values/ },
    { name: 'an exact kubectl-version that is not one', inputs: { 'install-kubectl': 'true', 'kubectl-version': 'latest' }, names: ['kubectl-version'], says: /"latest" is not an exact version/ },
    // keyless
    { name: 'keyless: identity-domain-url over http', inputs: { ...keyless, 'identity-domain-url': 'http://idcs-0123abc.identity.oraclecloud.com' }, env: oidcEnv, names: ['identity-domain-url'], says: /uses http:\/\//, secrets: [CLIENT_SECRET, REQUEST_TOKEN] },
    { name: 'keyless: no client-secret', inputs: { ...keyless, 'client-secret': '' }, env: oidcEnv, names: ['client-secret'], says: /is required for auth: oidc/, secrets: [REQUEST_TOKEN] },
    { name: 'keyless: no id-token permission', inputs: keyless, names: ['auth'], says: /cannot request a GitHub OIDC token\. Fix: add `permissions: id-token: write`/, secrets: [CLIENT_SECRET] },
    // 5. the key file (OCI_CLI_KEY_FILE) is a path input
    { name: 'OCI_CLI_KEY_FILE outside the workspace', inputs: noKey, env: { OCI_CLI_KEY_FILE: join(outside, 'oci_api_key.pem'), OCI_CLI_TENANCY: TENANCY, OCI_CLI_USER: USER }, names: ['OCI_CLI_KEY_FILE', 'allow-outside-workspace'], says: /is outside the workspace .*Fix: use a path inside the workspace, or set allow-outside-workspace: true/, secrets: linesOf(plain) },
    { name: 'OCI_CLI_KEY_FILE that is not a key: a short excerpt', inputs: noKey, env: { OCI_CLI_KEY_FILE: 'keys/kubeconfig.yaml', OCI_CLI_TENANCY: TENANCY, OCI_CLI_USER: USER }, names: ['OCI_CLI_KEY_FILE'], says: /keys\/kubeconfig\.yaml is not a PEM private key; it begins:\n {2}\| apiVersion: v1\n {2}\| kind: Config\n {2}\| … \(1 more line/ },
    { name: 'OCI_CLI_KEY_FILE holding a key cut short', inputs: noKey, env: { OCI_CLI_KEY_FILE: 'keys/cut.pem', OCI_CLI_TENANCY: TENANCY, OCI_CLI_USER: USER }, names: ['OCI_CLI_KEY_FILE'], says: /has its BEGIN RSA PRIVATE KEY line but no END line/, secrets: linesOf(rsa1) },
    { name: 'allow-outside-workspace: yes', inputs: { 'allow-outside-workspace': 'yes' }, names: ['allow-outside-workspace'], says: /"yes" is not a boolean/ },
    // every problem together
    { name: 'three problems at once are reported together', inputs: { namespace: 'Apps', 'api-endpoint': 'https://127.0.0.1:0', fingerprint: 'abc', 'private-key': other, passphrase: '' }, names: ['api-endpoint', 'namespace', 'fingerprint'], says: /^3 problems:\n- api-endpoint: .*\n- namespace: .*\n- fingerprint: /, secrets: linesOf(other) },
  ];
  return {
    base,
    env: { NODE_EXTRA_CA_CERTS: STANDIN_CA_FILE, GITHUB_WORKSPACE: workspace },
    secrets: [PASSPHRASE, ...linesOf(encrypted), ...linesOf(plain)],
    workspace,
    cases,
    register: (standin) => {
      standin.addUser({ tenancy: TENANCY, user: USER, publicKey, clusters: [CLUSTER] });
      standin.addCluster({ id: CLUSTER, name: 'oke-bad-inputs', region: REGION, kubernetesVersion: 'v1.34.4', lifecycleState: 'ACTIVE', endpoints: { public: '127.0.0.1:9' }, caData: Buffer.from(standin.pki.caPem).toString('base64') });
    },
    resolve: (values, standin) =>
      Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v.replace(STANDIN_URL, standin.url).replace(STANDIN_CA_PEM, standin.pki.caPem).replace(STANDIN_CA_FILE, standin.caFile)])),
    close: () => {
      rmSync(workspace, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    },
  };
}
