/**
 * oke-login's inputs, parsed once into a typed object. Every mistake is collected and reported together,
 * before any network call or file write; secrets are registered for masking the moment they are read.
 * API-key values fall back to the OCI CLI's environment variables (OCI_CLI_*), as the anchor action used.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { downloadUrl, hostPlatform, parseAllowInsecure, parseDownload, refuseChecksumInputs, type DownloadChoice } from '../../core/download-inputs.js';
import { ConfigurationError, errorMessage, ProblemList, type ConfigurationProblem } from '../../core/errors.js';
import { checkDnsLabel, checkPath, checkUrl, clip, excerpt, pathPolicy, type Inputs } from '../../core/inputs.js';
import type { Secrets } from '../../core/secrets.js';
import type { IdTokenRequest } from '../../oci/github-oidc.js';
import { isKeyMaterial, KeyError, parseApiKey, type ApiKey } from '../../oci/keys.js';
import { KUBECTL_DOWNLOAD, type KubectlForCluster } from '../../kube/kubectl-tool.js';
import { clusterRegionProblem, fingerprintProblem, normalizeFingerprint, ocidProblem, regionFromClusterId, regionProblem } from '../../oci/ocid.js';

export const ENDPOINTS = ['public', 'private', 'vcn-hostname'] as const;
export type EndpointKind = (typeof ENDPOINTS)[number];

export interface ApiKeyAuth {
  method: 'api-key';
  tenancy: string;
  user: string;
  /** Computed from the key (and equal to the `fingerprint` input when one was given). */
  fingerprint: string;
  key: ApiKey;
  keyId: string;
}

export interface OidcAuth {
  method: 'oidc';
  domainUrl: string;
  clientId: string;
  clientSecret: string;
  audience: string;
  /** The runner's ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN (a secret): used at login and saved for the credential helper's renewals. */
  idTokenRequest: IdTokenRequest;
}

export interface OkeLoginInputs {
  clusterId: string;
  /**
   * The region: the input, OCI_CLI_REGION, or the region identifier in cluster-id. Undefined only when it must come
   * from a region key in cluster-id (`iad`), which withClusterRegion() looks up once the OCI SDK is loaded.
   */
  region: string | undefined;
  endpoint: EndpointKind;
  auth: ApiKeyAuth | OidcAuth;
  apiEndpoint: string | undefined;
  namespace: string | undefined;
  verify: boolean;
  kubectl: { install: false } | ({ install: true } & (DownloadChoice | KubectlForCluster));
  /** This runner's os-arch (linux-amd64), the key of the pinned kubectl SHA-256s. */
  platform: string;
  /** `github-hosted` or `self-hosted` (RUNNER_ENVIRONMENT), for the private-endpoint hint. */
  runnerEnvironment: string | undefined;
  /** Things worth a log line (values taken from OCI_CLI_*, key repairs, ignored inputs). */
  notes: string[];
}

export const DEFAULT_OIDC_AUDIENCE = 'https://cloud.oracle.com';
export interface ParseDeps {
  readFile?: (path: string) => string;
  /** os-arch of the runner (default: this machine's). */
  platform?: string;
}

/** API-key inputs and keyless inputs: a step gives one set or the other, never both (which one would it mean?). */
export const API_KEY_INPUTS = ['tenancy', 'user', 'fingerprint', 'private-key', 'passphrase'] as const;
export const KEYLESS_INPUTS = ['identity-domain-url', 'client-id', 'client-secret'] as const;

/** An https URL (the shared checkUrl: scheme, host, port 1-65535), without trailing slashes. */
function httpsUrl(problems: ProblemList, input: string, value: string | undefined, example: string): string | undefined {
  if (value === undefined) return undefined;
  const url = problems.collect(() => checkUrl(input, value, { schemes: ['https'], example }));
  return url ? value.replace(/\/+$/, '') : undefined;
}

export function parseOkeLoginInputs(inputs: Inputs, env: NodeJS.ProcessEnv, secrets: Secrets, deps: ParseDeps = {}): OkeLoginInputs {
  const readFile = deps.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const problems = new ProblemList();
  const notes: string[] = [];
  const fromEnv = (input: string, variable: string): string | undefined => {
    const v = inputs.raw(input);
    if (v !== undefined) return v;
    const e = env[variable]?.trim();
    if (e) notes.push(`${input}: taken from ${variable}`);
    return e || undefined;
  };

  const clusterId = problems.collect(() => inputs.required('cluster-id', 'set `cluster-id` to the OKE cluster\'s OCID'));
  const clusterProblem = clusterId ? ocidProblem('cluster-id', clusterId, 'cluster') : undefined;
  if (clusterProblem) problems.add(clusterProblem);
  const region = parseRegion(problems, notes, fromEnv('region', 'OCI_CLI_REGION'), clusterProblem ? undefined : clusterId);
  const endpoint = problems.collect(() => inputs.oneOf('endpoint', ENDPOINTS, 'public')) ?? 'public';
  const apiEndpoint = httpsUrl(problems, 'api-endpoint', inputs.raw('api-endpoint'), 'https://containerengine.us-ashburn-1.oraclecloud.com');
  const namespaceRaw = inputs.raw('namespace');
  const namespace = namespaceRaw === undefined ? undefined : problems.collect(() => checkDnsLabel('namespace', namespaceRaw, 'namespace name'));
  const verify = problems.collect(() => inputs.boolean('verify', true)) ?? true;
  const allowOutside = problems.collect(() => inputs.boolean('allow-outside-workspace', false)) ?? false;

  const auth = parseAuth(inputs, env, secrets, problems, notes, fromEnv, (path) => readKeyFile(path, env, allowOutside, readFile, problems));

  const install = problems.collect(() => inputs.boolean('install-kubectl', false)) ?? false;
  const platform = deps.platform ?? hostPlatform();
  let kubectl: OkeLoginInputs['kubectl'] = { install: false };
  if (install) {
    const choice = parseKubectl(inputs, problems, { platform, allowInsecure: parseAllowInsecure(inputs, problems) });
    if (choice) kubectl = { install: true, ...choice };
  } else if (inputs.raw('kubectl-version') && inputs.raw('kubectl-version') !== 'cluster') {
    notes.push('kubectl-version is ignored because install-kubectl is false');
  }

  problems.throwIfAny();
  return { clusterId: clusterId!, region, endpoint, auth: auth!, apiEndpoint, namespace: namespace ?? undefined, verify, kubectl, platform, runnerEnvironment: env.RUNNER_ENVIRONMENT, notes };
}

/**
 * The region input (or OCI_CLI_REGION), checked against the region cluster-id names; when neither is given, the
 * region identifier in cluster-id. A region key in cluster-id (`iad`) needs the SDK's table: withClusterRegion().
 */
function parseRegion(problems: ProblemList, notes: string[], given: string | undefined, clusterId: string | undefined): string | undefined {
  const noKeys = (): undefined => undefined;
  if (given) {
    const p = regionProblem('region', given) ?? (clusterId ? clusterRegionProblem('region', clusterId, given, noKeys) : undefined);
    if (p) problems.add(p);
    return given;
  }
  if (!clusterId) return undefined;
  const { segment, region } = regionFromClusterId(clusterId, noKeys);
  if (region) notes.push(`region: ${region}, from cluster-id`);
  else if (!segment) problems.add({ input: 'region', problem: 'is required: it is not set (nor OCI_CLI_REGION), and cluster-id names no region', fix: 'set `region`, e.g. us-ashburn-1' });
  return region;
}

/** The region once the OCI SDK's region table is at hand: derived from a region key, or refused when it contradicts cluster-id. */
export function withClusterRegion(inputs: OkeLoginInputs, regionForKey: (key: string) => string | undefined): OkeLoginInputs & { region: string } {
  if (inputs.region) {
    const p = clusterRegionProblem('region', inputs.clusterId, inputs.region, regionForKey);
    if (p) throw new ConfigurationError(p);
    return { ...inputs, region: inputs.region };
  }
  const { segment, region } = regionFromClusterId(inputs.clusterId, regionForKey);
  if (!region) {
    throw new ConfigurationError({ input: 'region', problem: `is not set (nor OCI_CLI_REGION), and the region key "${segment}" in cluster-id is not one the OCI SDK knows`, fix: "set `region` to the cluster's region identifier, e.g. us-ashburn-1" });
  }
  return { ...inputs, region };
}

/** kubectl-version (cluster, or exact), kubectl-sha256, kubectl-checksum-url, kubectl-base-url. */
function parseKubectl(inputs: Inputs, problems: ProblemList, ctx: { platform: string; allowInsecure: boolean }): DownloadChoice | KubectlForCluster | undefined {
  const names = KUBECTL_DOWNLOAD.inputs;
  const raw = inputs.raw(names.version) ?? 'cluster';
  if (raw === 'cluster') {
    refuseChecksumInputs(inputs, problems, KUBECTL_DOWNLOAD, 'kubectl-version is cluster: a kubectl pinned in this action is chosen for the cluster');
    const baseUrl = downloadUrl(problems, names.baseUrl, inputs.string(names.baseUrl, KUBECTL_DOWNLOAD.defaultBaseUrl), ctx.allowInsecure);
    return baseUrl ? { version: 'cluster', baseUrl, allowInsecure: ctx.allowInsecure } : undefined;
  }
  const version = raw.replace(/^v/, '');
  const exact = /^\d+\.\d+\.\d+$/.test(version);
  if (!exact) problems.add({ input: names.version, problem: `"${raw}" is not an exact version`, fix: 'write cluster (a pinned kubectl for the cluster) or an exact version such as 1.34.5' });
  return parseDownload(inputs, problems, KUBECTL_DOWNLOAD, exact ? version : undefined, ctx);
}

/** The environment variable that names a key file (the OCI CLI's), checked like a path input. */
export const KEY_FILE_VARIABLE = 'OCI_CLI_KEY_FILE';

/**
 * OCI_CLI_KEY_FILE's text: the path must exist and stay inside the workspace or RUNNER_TEMP (checkPath) unless
 * allow-outside-workspace is true; `~/` is the runner user's home, as the OCI CLI reads it.
 */
function readKeyFile(value: string, env: NodeJS.ProcessEnv, allowOutside: boolean, readFile: (path: string) => string, problems: ProblemList): string | undefined {
  const expanded = value === '~' || value.startsWith('~/') ? join(env.HOME || homedir(), value.slice(1)) : value;
  const path = problems.collect(() => checkPath(KEY_FILE_VARIABLE, expanded, pathPolicy(env, allowOutside)));
  if (!path) return undefined;
  try {
    return readFile(path);
  } catch (err) {
    problems.add({ input: KEY_FILE_VARIABLE, problem: `${clip(value)} cannot be read (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)})`, fix: 'give the runner user read access to the file, or set `private-key` from a secret instead' });
    return undefined;
  }
}

function parseAuth(
  inputs: Inputs,
  env: NodeJS.ProcessEnv,
  secrets: Secrets,
  problems: ProblemList,
  notes: string[],
  fromEnv: (input: string, variable: string) => string | undefined,
  readKey: (path: string) => string | undefined,
): ApiKeyAuth | OidcAuth | undefined {
  // Masked at birth, whichever login is chosen and whatever else is wrong.
  for (const name of ['private-key', 'passphrase', 'client-secret']) secrets.add(inputs.raw(name));
  for (const variable of ['OCI_CLI_KEY_CONTENT', 'OCI_CLI_PASSPHRASE', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN']) secrets.add(env[variable]?.trim());
  const requested = problems.collect(() => inputs.oneOf('auth', ['auto', 'api-key', 'oidc'] as const, 'auto')) ?? 'auto';
  const keyInputs = API_KEY_INPUTS.filter((n) => inputs.raw(n) !== undefined);
  const keylessInputs = KEYLESS_INPUTS.filter((n) => inputs.raw(n) !== undefined);
  const keyVariables = ['OCI_CLI_KEY_CONTENT', KEY_FILE_VARIABLE].filter((v) => env[v]?.trim());
  if (keyInputs.length && keylessInputs.length) {
    problems.add({
      input: 'auth',
      problem: `both API-key inputs (${keyInputs.join(', ')}) and keyless GitHub OIDC inputs (${keylessInputs.join(', ')}) are set, so which login is meant is not clear`,
      fix: `choose one: for an API key remove ${KEYLESS_INPUTS.join(', ')}; for keyless login (GitHub OIDC) remove ${API_KEY_INPUTS.join(', ')}`,
    });
    return undefined;
  }
  if (requested === 'auto' && keylessInputs.length && keyVariables.length) {
    problems.add({
      input: 'auth',
      problem: `is auto, and both a private key (${keyVariables.join(', ')} in the environment) and keyless GitHub OIDC inputs (${keylessInputs.join(', ')}) are set, so which login is meant is not clear`,
      fix: `choose one: set auth: oidc for keyless login (the OCI_CLI_* variables are then ignored), or remove ${keylessInputs.join(', ')} to log in with the API key`,
    });
    return undefined;
  }
  const method = requested !== 'auto' ? requested : keyInputs.length || keyVariables.length || !keylessInputs.length ? 'api-key' : 'oidc';

  if (method === 'oidc') {
    const domainUrlRaw = inputs.raw('identity-domain-url');
    const domainUrl = httpsUrl(problems, 'identity-domain-url', domainUrlRaw, 'https://idcs-0123abc.identity.oraclecloud.com');
    if (!domainUrlRaw) problems.add({ input: 'identity-domain-url', problem: 'is required for auth: oidc', fix: 'set it to the identity domain\'s URL (Identity & Security > Domains > the domain > Domain URL)' });
    if (domainUrl && /\/oauth2(\/|$)/.test(new URL(domainUrl).pathname)) problems.add({ input: 'identity-domain-url', problem: 'includes the /oauth2 path', fix: 'give the domain\'s base URL only, e.g. https://idcs-0123abc.identity.oraclecloud.com' });
    const clientId = inputs.raw('client-id');
    const clientSecret = inputs.raw('client-secret');
    if (!clientId) problems.add({ input: 'client-id', problem: 'is required for auth: oidc', fix: 'set it to the client ID of the identity domain\'s confidential application' });
    if (!clientSecret) problems.add({ input: 'client-secret', problem: 'is required for auth: oidc', fix: 'set it from a secret: the confidential application\'s client secret' });
    const idTokenUrl = env.ACTIONS_ID_TOKEN_REQUEST_URL;
    const idTokenToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN?.trim();
    if (!idTokenUrl || !idTokenToken) {
      problems.add({ input: 'auth', problem: 'is oidc but this job cannot request a GitHub OIDC token', fix: 'add `permissions: id-token: write` to the job (pull requests from forks never get one)' });
    }
    const ignored = Object.keys(env).filter((v) => /^OCI_CLI_(TENANCY|USER|FINGERPRINT|KEY_CONTENT|KEY_FILE|PASSPHRASE)$/.test(v) && env[v]?.trim());
    if (ignored.length) notes.push(`${ignored.sort().join(', ')}: ignored because auth is oidc`);
    return {
      method: 'oidc',
      domainUrl: domainUrl ?? '',
      clientId: clientId ?? '',
      clientSecret: clientSecret ?? '',
      audience: inputs.raw('oidc-audience') ?? DEFAULT_OIDC_AUDIENCE,
      idTokenRequest: { url: idTokenUrl ?? '', token: idTokenToken ?? '' },
    };
  }

  const keyText = fromEnv('private-key', 'OCI_CLI_KEY_CONTENT');
  const keyFile = !keyText ? env[KEY_FILE_VARIABLE]?.trim() : undefined;
  const tenancy = fromEnv('tenancy', 'OCI_CLI_TENANCY');
  const user = fromEnv('user', 'OCI_CLI_USER');
  const fingerprintIn = fromEnv('fingerprint', 'OCI_CLI_FINGERPRINT');
  const passphrase = fromEnv('passphrase', 'OCI_CLI_PASSPHRASE');
  const add = (p: ConfigurationProblem | undefined): boolean => (p ? (problems.add(p), true) : false);
  if (!tenancy) problems.add({ input: 'tenancy', problem: 'is required for API-key auth (and OCI_CLI_TENANCY is not set)', fix: 'set `tenancy` to your tenancy OCID, or use auth: oidc' });
  else add(ocidProblem('tenancy', tenancy, 'tenancy'));
  if (!user) problems.add({ input: 'user', problem: 'is required for API-key auth (and OCI_CLI_USER is not set)', fix: 'set `user` to the OCID of the user who owns the API key' });
  else add(ocidProblem('user', user, 'user'));
  const badFingerprint = fingerprintIn !== undefined && add(fingerprintProblem('fingerprint', fingerprintIn));

  let text = keyText;
  if (!text && keyFile) {
    const content = readKey(keyFile);
    if (content === undefined) return undefined;
    if (!isKeyMaterial(content)) {
      // Not a key (a kubeconfig, a note, a config file): a short excerpt says what it is. Key material is never shown.
      problems.add({ input: KEY_FILE_VARIABLE, problem: `${clip(keyFile)} is not a PEM private key; it begins:\n${excerpt(content, 2)}`, fix: 'point it at the API key\'s private key file (oci_api_key.pem, as `oci setup keys` writes it), or set `private-key` from a secret' });
      return undefined;
    }
    text = secrets.add(content);
    notes.push(`private-key: read from the file in ${KEY_FILE_VARIABLE}`);
  }
  if (!text) {
    problems.add({ input: 'private-key', problem: 'is required for API-key auth (and neither OCI_CLI_KEY_CONTENT nor OCI_CLI_KEY_FILE is set)', fix: 'set `private-key: ${{ secrets.OCI_PRIVATE_KEY }}` (the PEM file\'s content), or use auth: oidc' });
    return undefined;
  }
  let key: ApiKey;
  try {
    key = parseApiKey(text, passphrase);
  } catch (err) {
    if (!(err instanceof KeyError)) throw err;
    const input = err.problem.startsWith('passphrase') ? 'passphrase' : keyText ? 'private-key' : KEY_FILE_VARIABLE;
    problems.add({ input, problem: `the private key ${err.message}`, fix: err.fix });
    return undefined;
  }
  secrets.add(key.pkcs8Pem);
  notes.push(...key.repairs.map((r) => `private-key: ${r}`));
  if (passphrase && !key.encrypted) notes.push('passphrase is ignored: the private key is not encrypted');
  if (fingerprintIn && !badFingerprint && normalizeFingerprint(fingerprintIn) !== key.fingerprint) {
    problems.add({
      input: 'fingerprint',
      problem: `is ${normalizeFingerprint(fingerprintIn)}, but the private key's fingerprint is ${key.fingerprint}: they are not the same key`,
      fix: 'pass the private key that belongs to that fingerprint, or the fingerprint of this key (Console: My profile > API keys lists each key\'s fingerprint)',
    });
  }
  if (!fingerprintIn) notes.push(`fingerprint: computed from the private key (${key.fingerprint})`);
  if (!tenancy || !user) return undefined;
  return { method: 'api-key', tenancy, user, fingerprint: key.fingerprint, key, keyId: `${tenancy}/${user}/${key.fingerprint}` };
}
