/**
 * A local stand-in for the parts of Oracle Cloud that oke-login talks to, over HTTPS on loopback with its
 * own CA (give the action NODE_EXTRA_CA_CERTS=<caFile>):
 *   GET  /20180222/clusters/{id}                      GetCluster
 *   POST /20180222/clusters/{id}/kubeconfig/content   CreateKubeconfig (kubeconfig -> the real API server)
 *   POST /oauth2/v1/token                             identity domain token exchange (JWT -> UPST)
 *   GET  /github/idtoken                              what ACTIONS_ID_TOKEN_REQUEST_URL serves on a runner
 * Every Container Engine request must carry a valid OCI signature by a registered key (or a UPST's session
 * key), with a date within 5 minutes of the stand-in's clock; refusals are OCI-shaped (401 NotAuthenticated,
 * 404 NotAuthorizedOrNotFound). It also verifies OKE bearer tokens for the API server's token webhook.
 */
import { createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fingerprintOf } from '../../src/oci/keys.js';
import { IdentityStandin } from './oci-identity.js';
import { verifyOkeToken, verifySignedRequest, type KeyResolver, type SignatureCheck } from './oci-signature.js';
import { makeTestPki, type TestPki } from './test-pki.js';

export interface StandinCluster {
  id: string;
  name: string;
  region: string;
  kubernetesVersion: string;
  lifecycleState: string;
  /** host:port per endpoint kind, as OCI reports them. */
  endpoints: { public?: string; private?: string; 'vcn-hostname'?: string };
  /** Base64 PEM of the API server's CA. */
  caData: string;
}

export interface StandinUser {
  tenancy: string;
  user: string;
  publicKey: KeyObject;
  /** Cluster OCIDs an IAM policy lets this user use. */
  clusters: string[];
  groups?: string[];
}

export interface RecordedCall {
  method: string;
  path: string;
  status: number;
  keyId?: string;
  why?: string;
}

const KIND: Record<string, keyof StandinCluster['endpoints']> = { PUBLIC_ENDPOINT: 'public', PRIVATE_ENDPOINT: 'private', VCN_HOSTNAME: 'vcn-hostname' };

export class OciStandin {
  readonly identity = new IdentityStandin();
  readonly calls: RecordedCall[] = [];
  readonly tokenChecks: Array<{ ok: boolean; why?: string; principal?: string }> = [];
  /** The stand-in's clock is real time plus this (simulates a runner whose clock is off). */
  clockOffsetMs = 0;
  private readonly users = new Map<string, StandinUser>();
  /** IAM as far as the stand-in needs it: which clusters a principal may use, and its groups. */
  private readonly policies = new Map<string, { clusters: string[]; groups: string[] }>();
  private readonly clusters = new Map<string, StandinCluster>();

  private constructor(
    readonly url: string,
    readonly pki: TestPki,
    private readonly server: ReturnType<typeof createServer>,
  ) {}

  static async start(): Promise<OciStandin> {
    const pki = await makeTestPki();
    const holder: { standin?: OciStandin } = {};
    const server = createServer({ cert: pki.certPem, key: pki.keyPem }, (req, res) => void holder.standin!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    holder.standin = new OciStandin(`https://127.0.0.1:${(server.address() as AddressInfo).port}`, pki, server);
    return holder.standin;
  }

  get caFile(): string {
    return this.pki.caFile;
  }

  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  /** Registers an API key; returns its keyId. */
  addUser(u: StandinUser): string {
    const keyId = `${u.tenancy}/${u.user}/${fingerprintOf(u.publicKey)}`;
    this.users.set(keyId, u);
    this.addPrincipal(u.user, u.clusters, u.groups);
    return keyId;
  }

  /** A principal without an API key (e.g. the user a GitHub token maps to) and the clusters it may use. */
  addPrincipal(user: string, clusters: string[], groups: string[] = []): void {
    this.policies.set(user, { clusters, groups });
  }

  addCluster(c: StandinCluster): void {
    this.clusters.set(c.id, c);
  }

  /** Env for an action run whose GitHub OIDC token comes from this stand-in. */
  oidcEnv(): Record<string, string> {
    return { ACTIONS_ID_TOKEN_REQUEST_URL: `${this.url}/github/idtoken?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: this.identity.requestToken };
  }

  readonly resolveKey: KeyResolver = (keyId) => {
    if (keyId.startsWith('ST$')) return this.identity.sessionKeyFor(keyId.slice(3), this.now());
    const u = this.users.get(keyId);
    return u ? { publicKey: u.publicKey.type === 'public' ? u.publicKey : createPublicKey(u.publicKey), principal: u.user } : { error: `unknown keyId ${keyId.split('/').pop()}` };
  };

  /** The OKE check behind the API server's token webhook. */
  checkOkeToken(token: string, clusterId: string): SignatureCheck {
    const cluster = this.clusters.get(clusterId);
    const result: SignatureCheck = cluster ? verifyOkeToken(token, { clusterId, region: cluster.region }, this.now(), this.resolveKey) : { ok: false, why: `unknown cluster ${clusterId}` };
    this.tokenChecks.push(result.ok ? { ok: true, principal: result.principal } : { ok: false, why: result.why });
    return result;
  }

  groupsOf(principal: string): string[] {
    return this.policies.get(principal)?.groups ?? [];
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => (this.pki.remove(), resolve())));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const target = req.url ?? '/';
    const path = new URL(target, 'https://x').pathname;
    const send = (status: number, payload: unknown, contentType = 'application/json', record?: Partial<RecordedCall>) => {
      this.calls.push({ method: req.method ?? '', path, status, ...record });
      res.writeHead(status, { 'content-type': contentType, date: new Date(this.now()).toUTCString(), 'opc-request-id': randomUUID() });
      res.end(typeof payload === 'string' ? payload : JSON.stringify(payload));
    };
    if (path === '/github/idtoken' && req.method === 'GET') {
      const r = this.identity.githubIdToken(req.headers.authorization, new URL(target, 'https://x').searchParams.get('audience'), this.now());
      return send(r.status, r.body);
    }
    if (path === '/oauth2/v1/token' && req.method === 'POST') {
      const r = this.identity.exchange(req.headers.authorization, req.headers['content-type'], body.toString('utf8'), this.now());
      return send(r.status, r.body);
    }
    const m = /^\/20180222\/clusters\/([^/]+)(\/kubeconfig\/content)?$/.exec(path);
    if (!m) return send(404, { code: 'NotFound', message: `no route ${req.method} ${path}` });
    const headers: Record<string, string | undefined> = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]));
    const check = verifySignedRequest({ method: req.method ?? 'GET', target, headers, body, now: this.now() }, this.resolveKey);
    if (!check.ok) return send(401, { code: 'NotAuthenticated', message: 'The required information to complete authentication was not provided or was incorrect.' }, 'application/json', { why: check.why });
    const clusterId = decodeURIComponent(m[1]!);
    const cluster = this.clusters.get(clusterId);
    const allowed = this.policies.get(check.principal)?.clusters.includes(clusterId) ?? false;
    if (!cluster || !allowed) return send(404, { code: 'NotAuthorizedOrNotFound', message: 'Authorization failed or requested resource not found.' }, 'application/json', { keyId: check.keyId });
    if (!m[2]) {
      if (req.method !== 'GET') return send(405, { code: 'NotAllowed', message: 'method not allowed' });
      return send(200, this.clusterJson(cluster), 'application/json', { keyId: check.keyId });
    }
    if (req.method !== 'POST') return send(405, { code: 'NotAllowed', message: 'method not allowed' });
    let details: { tokenVersion?: string; endpoint?: string };
    try {
      details = JSON.parse(body.toString('utf8')) as typeof details;
    } catch {
      return send(400, { code: 'InvalidParameter', message: 'body is not JSON' });
    }
    const kind = KIND[details.endpoint ?? 'PUBLIC_ENDPOINT'];
    if (details.tokenVersion !== '2.0.0' || !kind) return send(400, { code: 'InvalidParameter', message: `tokenVersion ${details.tokenVersion}, endpoint ${details.endpoint}` });
    const address = cluster.endpoints[kind];
    if (!address) return send(400, { code: 'InvalidParameter', message: `cluster has no ${details.endpoint}` });
    return send(200, this.kubeconfig(cluster, address), 'application/octet-stream', { keyId: check.keyId });
  }

  private clusterJson(c: StandinCluster): unknown {
    return {
      id: c.id,
      name: c.name,
      compartmentId: 'ocid1.compartment.oc1..aaaastandin',
      kubernetesVersion: c.kubernetesVersion,
      lifecycleState: c.lifecycleState,
      lifecycleDetails: c.lifecycleState === 'ACTIVE' ? undefined : `cluster is ${c.lifecycleState.toLowerCase()}`,
      endpoints: { kubernetes: c.endpoints.public, publicEndpoint: c.endpoints.public, privateEndpoint: c.endpoints.private, vcnHostnameEndpoint: c.endpoints['vcn-hostname'] },
      endpointConfig: { isPublicIpEnabled: Boolean(c.endpoints.public) },
    };
  }

  /** The kubeconfig OKE returns: the exec user runs the OCI CLI (which oke-login replaces). */
  private kubeconfig(c: StandinCluster, address: string): string {
    const short = c.id.slice(-11);
    return [
      '---',
      'apiVersion: v1',
      'kind: ""',
      'clusters:',
      `- name: cluster-${short}`,
      '  cluster:',
      `    server: https://${address}`,
      `    certificate-authority-data: ${c.caData}`,
      'users:',
      `- name: user-${short}`,
      '  user:',
      '    exec:',
      '      apiVersion: client.authentication.k8s.io/v1beta1',
      '      command: oci',
      `      args: [ce, cluster, generate-token, --cluster-id, ${c.id}, --region, ${c.region}]`,
      '      env: []',
      'contexts:',
      `- name: context-${short}`,
      '  context:',
      `    cluster: cluster-${short}`,
      `    user: user-${short}`,
      `current-context: context-${short}`,
      '',
    ].join('\n');
  }
}
