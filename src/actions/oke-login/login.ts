/**
 * oke-login's logic: authenticate (API key, or GitHub OIDC exchanged for a UPST), read the cluster,
 * fetch its kubeconfig, rewrite the kubeconfig's user to the bundled credential helper, write it with
 * the helper's credentials as 0600 files in a private directory, prove it works against the API server,
 * and optionally install a matching kubectl. Loaded only after the inputs are valid (it pulls in the OCI SDK).
 */
import { join } from 'node:path';
import { goPlatform } from '../../core/download-inputs.js';
import { installVerifiedTool } from '../../core/download.js';
import { withGroup, type Timings } from '../../core/groups.js';
import type { Logger } from '../../core/log.js';
import type { Secrets } from '../../core/secrets.js';
import type { PrivateDir } from '../../core/tempfiles.js';
import { kubectlForCluster, kubectlRelease } from '../../kube/kubectl-tool.js';
import { OkeClient, regionForKey } from '../../oci/container-engine.js';
import { HELPER_CONFIG_VERSION, sessionWindow, writeHelperConfig, type HelperConfig, type SessionRenewal } from '../../oci/credential-helper.js';
import { requestGitHubIdToken, type IdTokenRequest } from '../../oci/github-oidc.js';
import { parseOkeKubeconfig, rewriteKubeconfig, type ExecCommand } from '../../oci/kubeconfig.js';
import type { AuthSummary } from '../../oci/oci-errors.js';
import { startSession, type FetchLike } from '../../oci/upst.js';
import { withClusterRegion, type EndpointKind, type OkeLoginInputs } from './inputs.js';
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
  /** The GitHub OIDC token for an audience, asked with the runner's request URL and token (tests pass their own). */
  idToken?: (request: IdTokenRequest, audience: string) => Promise<string>;
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
  session?: Pick<HelperConfig, 'sessionIssuedAt' | 'sessionExpiresAt' | 'renewal'>;
  summary: AuthSummary;
}

async function authenticate(inputs: OkeLoginInputs, deps: LoginDeps): Promise<Signer> {
  const { auth } = inputs;
  if (auth.method === 'api-key') {
    deps.log.info(`API key ${auth.fingerprint} of ${auth.user} (${auth.key.format})`);
    return { keyId: auth.keyId, pem: auth.key.pkcs8Pem, summary: { method: 'api-key', tenancy: auth.tenancy, user: auth.user, fingerprint: auth.fingerprint } };
  }
  const fetchDep = deps.fetch ? { fetch: deps.fetch } : {};
  const idToken = deps.idToken ?? ((request, audience) => requestGitHubIdToken(request, audience, fetchDep));
  const session = await startSession({
    idToken: () => idToken(auth.idTokenRequest, auth.audience),
    onSecret: (v) => deps.secrets.add(v),
    domainUrl: auth.domainUrl,
    clientId: auth.clientId,
    clientSecret: auth.clientSecret,
    log: deps.log,
    ...fetchDep,
    ...(deps.now ? { now: deps.now } : {}),
  });
  // Saved in the 0600 credential file so the helper can renew the session later in the job (session-refresh.ts says why).
  const renewal: SessionRenewal = { domainUrl: auth.domainUrl, clientId: auth.clientId, clientSecret: auth.clientSecret, audience: auth.audience, idTokenRequest: auth.idTokenRequest };
  const times = { sessionIssuedAt: session.issuedAt.toISOString(), sessionExpiresAt: session.expiresAt.toISOString() };
  deps.log.info(
    `OCI session token for ${session.subject ?? 'the mapped identity'}, valid until ${times.sessionExpiresAt}; the credential helper renews it from ${sessionWindow(times)!.refreshAt.toISOString()} on, with a new GitHub OIDC token`,
  );
  return { keyId: session.keyId, pem: session.privateKeyPem, session: { ...times, renewal }, summary: { method: 'oidc', domainUrl: auth.domainUrl, subject: session.subject } };
}

export async function login(parsed: OkeLoginInputs, deps: LoginDeps): Promise<LoginResult> {
  const { log, timings } = deps;
  // Before any call: the region from cluster-id's region key (the SDK's table), or refused when it contradicts it.
  const inputs = withClusterRegion(parsed, regionForKey);
  if (!parsed.region) log.info(`region: ${inputs.region}, from the region key in cluster-id (the OCI SDK's region table)`);

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
      ...signer.session,
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
    const wanted = inputs.kubectl;
    const choice = 'expected' in wanted ? wanted : kubectlForCluster(cluster.kubernetesVersion, wanted, inputs.platform);
    if ('note' in choice && choice.note) log.info(choice.note);
    const release = kubectlRelease(choice.version, choice.baseUrl, goPlatform());
    kubectlPath = await withGroup(log, `Install kubectl ${choice.version}`, () => installVerifiedTool({ release, expected: choice.expected, allowInsecure: choice.allowInsecure }, { log, ...(deps.fetch ? { fetch: deps.fetch } : {}) }), timings);
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
