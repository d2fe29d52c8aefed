/**
 * Proves a written kubeconfig works before the action reports success: runs its exec credential helper
 * exactly as kubectl would, then asks the API server who we are (SelfSubjectReview, which every
 * authenticated user may create). No Kubernetes client library: one HTTPS request with the cluster CA.
 */
import { request } from 'node:https';
import { OperationError } from '../../core/errors.js';
import type { ExecCommand } from '../../oci/kubeconfig.js';
import { runExecCredential } from '../../kube/exec-credential.js';

export type AccessFailure = 'helper' | 'unreachable' | 'tls' | 'unauthorized' | 'forbidden' | 'other';

export class AccessError extends OperationError {
  constructor(
    readonly kind: AccessFailure,
    message: string,
  ) {
    super(message);
    this.name = 'AccessError';
  }
}

export interface WhoAmI {
  username: string;
  groups: string[];
}

/** Runs the kubeconfig's exec command (src/kube/exec-credential.ts) and returns the token from its ExecCredential. */
export async function runExecHelper(exec: ExecCommand, env: NodeJS.ProcessEnv = process.env, timeoutMs = 20_000): Promise<string> {
  const credential = await runExecCredential(exec, env, { timeoutMs }).catch((err: Error) => {
    throw new AccessError('helper', err.message);
  });
  if (!credential.token) throw new AccessError('helper', 'the credential helper printed no ExecCredential: no status.token');
  return credential.token;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'TIMEOUT']);

function call(server: string, path: string, method: 'GET' | 'POST', token: string, ca: Buffer | undefined, timeoutMs: number, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, server.endsWith('/') ? server : `${server}/`);
    const req = request(url, { method, ca, headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) }, timeout: timeoutMs }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'TIMEOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => {
      const code = e.code ?? '';
      const kind: AccessFailure = UNREACHABLE.has(code) ? 'unreachable' : /CERT|SELF_SIGNED|UNABLE_TO|ALTNAME|TLS/.test(code) ? 'tls' : 'other';
      reject(new AccessError(kind, `${method} ${url.origin}: ${e.message}${code && !e.message.includes(code) ? ` (${code})` : ''}`));
    });
    req.end(body);
  });
}

function statusError(status: number, body: string): AccessError {
  const message = ((): string => {
    try {
      return (JSON.parse(body) as { message?: string }).message ?? body.slice(0, 200);
    } catch {
      return body.slice(0, 200);
    }
  })();
  const kind: AccessFailure = status === 401 ? 'unauthorized' : status === 403 ? 'forbidden' : 'other';
  return new AccessError(kind, `the API server answered ${status}: ${message}`);
}

/** Who the API server says the token belongs to. Falls back to discovery on servers older than 1.28. */
export async function whoAmI(server: string, caData: string | undefined, token: string, timeoutMs = 15_000): Promise<WhoAmI> {
  const ca = caData ? Buffer.from(caData, 'base64') : undefined;
  const review = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
  const res = await call(server, 'apis/authentication.k8s.io/v1/selfsubjectreviews', 'POST', token, ca, timeoutMs, review);
  if (res.status === 201 || res.status === 200) {
    const info = (JSON.parse(res.body) as { status?: { userInfo?: { username?: string; groups?: string[] } } }).status?.userInfo;
    return { username: info?.username ?? 'unknown', groups: info?.groups ?? [] };
  }
  if (res.status !== 404) throw statusError(res.status, res.body);
  const api = await call(server, 'api', 'GET', token, ca, timeoutMs);
  if (api.status !== 200) throw statusError(api.status, api.body);
  return { username: '(authenticated; the server is too old for SelfSubjectReview)', groups: [] };
}
