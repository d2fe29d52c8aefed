/**
 * oke-login's logic: authenticate (API key, or GitHub OIDC exchanged for a UPST), read the cluster,
 * fetch its kubeconfig, rewrite the kubeconfig's user to the bundled credential helper, write it with
 * the helper's credentials as 0600 files in a private directory, prove it works against the API server,
 * and optionally install a matching kubectl. Loaded only after the inputs are valid (it pulls in the OCI SDK).
 */
import { join } from 'node:path';
import { ConfigurationError } from '../../core/errors.js';
import { installVerifiedTool, goPlatform, type ToolRelease } from '../../core/download.js';
import { withGroup, type Timings } from '../../core/groups.js';
import type { Logger } from '../../core/log.js';
import type { Secrets } from '../../core/secrets.js';
import type { PrivateDir } from '../../core/tempfiles.js';
import { clusterRegionProblem } from '../../oci/ocid.js';
import { OkeClient, regionForKey } from '../../oci/container-engine.js';
import { HELPER_CONFIG_VERSION, writeHelperConfig } from '../../oci/credential-helper.js';
import { generateSessionKey } from '../../oci/keys.js';
import { parseOkeKubeconfig, rewriteKubeconfig, type ExecCommand } from '../../oci/kubeconfig.js';
import type { AuthSummary } from '../../oci/oci-errors.js';
import { exchangeForUpst, type FetchLike } from '../../oci/upst.js';
import type { EndpointKind, OkeLoginInputs } from './inputs.js';
import { accessFailure, checkCluster } from './checks.js';
import { AccessError, runExecHelper, whoAmI, type WhoAmI } from './verify.js';

export interface LoginDeps {
  log: Logger;
  secrets: Secrets;
  timings: Timings;
  /** Creates the private directory; called only after every check passed (the first change). */
  privateDir: () => PrivateDir;
  /** How kubectl runs the credential helper: the Node binary and the bundled helper script. */
  helper: { node: string; script: string };
  /** The GitHub OIDC token for an audience (core.getIDToken on a runner). */
  idToken: (audience: string) => Promise<string>;
  fetch?: FetchLike;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  env?: NodeJS.ProcessEnv;
}

export interface LoginResult {
  kubeconfigPath: string;
  clusterName: string;
  kubernetesVersion: string;
  /** The API server URL in the kubeconfig. */
  endpoint: string;
  endpointKind: EndpointKind;
  lifecycleState: string;
  auth: AuthSummary;
  identity: WhoAmI | undefined;
  kubectlPath: string | undefined;
}

interface Signer {
  keyId: string;
  pem: string;
  sessionExpiresAt?: string;
  summary: AuthSummary;
}

async function authenticate(inputs: OkeLoginInputs, deps: LoginDeps): Promise<Signer> {
  const { auth } = inputs;
  if (auth.method === 'api-key') {
    deps.log.info(`API key ${auth.fingerprint} of ${auth.user} (${auth.key.format})`);
    return { keyId: auth.keyId, pem: auth.key.pkcs8Pem, summary: { method: 'api-key', tenancy: auth.tenancy, user: auth.user, fingerprint: auth.fingerprint } };
  }
  const jwt = deps.secrets.add(await deps.idToken(auth.audience))!;
  const sessionKey = generateSessionKey();
  const pem = deps.secrets.add(sessionKey.export({ type: 'pkcs8', format: 'pem' }) as string)!;
  const upst = await exchangeForUpst({ domainUrl: auth.domainUrl, clientId: auth.clientId, clientSecret: auth.clientSecret, subjectToken: jwt, sessionKey, log: deps.log, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
  deps.secrets.add(upst.token);
  const keyId = deps.secrets.add(`ST$${upst.token}`)!;
  deps.log.info(`OCI session token for ${upst.subject ?? 'the mapped identity'}, valid until ${upst.expiresAt.toISOString()}`);
  return { keyId, pem, sessionExpiresAt: upst.expiresAt.toISOString(), summary: { method: 'oidc', domainUrl: auth.domainUrl, subject: upst.subject } };
}

export function kubectlRelease(version: string, baseUrl: string): ToolRelease {
  const { os, arch } = goPlatform();
  const file = os === 'windows' ? 'kubectl.exe' : 'kubectl';
  const url = `${baseUrl}/v${version}/bin/${os}/${arch}/${file}`;
  return { tool: 'kubectl', version, url, checksumUrl: `${url}.sha256`, fileName: file, archive: 'binary', binaryPath: file };
}

export async function login(inputs: OkeLoginInputs, deps: LoginDeps): Promise<LoginResult> {
  const { log, timings } = deps;
  const regionMismatch = clusterRegionProblem('region', inputs.clusterId, inputs.region, regionForKey);
  if (regionMismatch) throw new ConfigurationError(regionMismatch);

  const signer = await withGroup(log, 'Authenticate to OCI', () => authenticate(inputs, deps), timings);
  const client = new OkeClient({
    keyId: signer.keyId,
    privateKeyPem: signer.pem,
    region: inputs.region,
    ...(inputs.apiEndpoint ? { apiEndpoint: inputs.apiEndpoint } : {}),
    context: { clusterId: inputs.clusterId, region: inputs.region, auth: signer.summary },
    log,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
  });

  const { cluster, kubeconfig } = await withGroup(log, 'Read the cluster and its kubeconfig', async () => {
    const c = await client.getCluster(inputs.clusterId);
    log.info(`cluster ${c.name}: ${c.lifecycleState}, Kubernetes ${c.kubernetesVersion}, endpoints ${Object.entries(c.endpoints).filter(([, v]) => v).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
    checkCluster(c, inputs, log);
    const k = parseOkeKubeconfig(await client.createKubeconfig(inputs.clusterId, inputs.endpoint));
    log.info(`kubeconfig for ${inputs.endpoint} endpoint ${k.server}`);
    return { cluster: c, kubeconfig: k };
  }, timings);

  const { path, exec } = await withGroup(log, 'Write the kubeconfig', async () => {
    const dir = deps.privateDir();
    const cacheFile = join(dir.path, 'token-cache.json');
    const config = writeHelperConfig((n, c) => dir.write(n, c), {
      version: HELPER_CONFIG_VERSION,
      clusterId: inputs.clusterId,
      region: inputs.region,
      keyId: signer.keyId,
      privateKeyPem: signer.pem,
      ...(signer.sessionExpiresAt ? { sessionExpiresAt: signer.sessionExpiresAt } : {}),
      cacheFile,
    });
    const execCmd: ExecCommand = { command: deps.helper.node, args: [deps.helper.script, '--config', config] };
    const file = dir.write('kubeconfig', rewriteKubeconfig(kubeconfig, execCmd, inputs.namespace));
    log.info(`wrote ${file} (0600); its user runs the bundled credential helper, no OCI CLI`);
    return { path: file, exec: execCmd };
  }, timings);

  let identity: WhoAmI | undefined;
  if (inputs.verify) {
    identity = await withGroup(log, 'Verify access to the API server', async () => {
      try {
        const token = deps.secrets.add(await runExecHelper(exec, deps.env))!;
        const who = await whoAmI(kubeconfig.server, kubeconfig.caData, token);
        log.info(`the API server authenticated the token as ${who.username}`);
        return who;
      } catch (err) {
        if (err instanceof AccessError && err.kind === 'forbidden') {
          log.warning(`the API server authenticated the token but RBAC forbids SelfSubjectReview (${err.message})`);
          return { username: '(authenticated; identity not shown)', groups: [] };
        }
        throw err instanceof AccessError ? accessFailure(err, inputs, kubeconfig.server) : err;
      }
    }, timings);
  }

  let kubectlPath: string | undefined;
  if (inputs.kubectl.install) {
    const { version: wanted, baseUrl } = inputs.kubectl;
    const version = wanted === 'cluster' ? cluster.kubernetesVersion.replace(/^v/, '') : wanted;
    kubectlPath = await withGroup(log, `Install kubectl ${version}`, () => installVerifiedTool(kubectlRelease(version, baseUrl), { log, ...(deps.fetch ? { fetch: deps.fetch } : {}) }), timings);
  }

  return {
    kubeconfigPath: path,
    clusterName: cluster.name,
    kubernetesVersion: cluster.kubernetesVersion,
    endpoint: kubeconfig.server,
    endpointKind: inputs.endpoint,
    lifecycleState: cluster.lifecycleState,
    auth: signer.summary,
    identity,
    kubectlPath,
  };
}
