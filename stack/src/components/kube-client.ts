/**
 * The few HTTPS calls the kube component makes (health probes, nodes, service accounts), with node:https
 * and the admin client certificate: no kubectl and no client library needed to bring the cluster up.
 */
import { request } from 'node:https';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { readFileSync } from 'node:fs';

export interface HttpResult {
  status: number;
  body: string;
}

export interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
}

/** One request; resolves with status and body (never throws on HTTP status), rejects on network errors. */
export function call(url: string, opts: { method?: string; body?: unknown; tls?: TlsFiles; timeoutMs?: number; contentType?: string } = {}): Promise<HttpResult> {
  const u = new URL(url);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (payload !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
  return new Promise((resolve, reject) => {
    const onResponse = (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    };
    const base = { method: opts.method ?? 'GET', headers, timeout: opts.timeoutMs ?? 5000 };
    const req = u.protocol === 'https:'
      ? request(u, {
          ...base,
          // Loopback probes of kube-controller-manager/kube-scheduler hit their self-signed serving certs:
          // verify only when a CA is given (the apiserver's).
          ca: opts.tls?.ca ? readFileSync(opts.tls.ca) : undefined,
          rejectUnauthorized: Boolean(opts.tls?.ca),
          cert: opts.tls?.cert ? readFileSync(opts.tls.cert) : undefined,
          key: opts.tls?.key ? readFileSync(opts.tls.key) : undefined,
        }, onResponse)
      : httpRequest(u, base, onResponse);
    req.on('timeout', () => req.destroy(new Error(`timeout after ${base.timeout} ms: ${url}`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** True when GET url answers 200 (any network error counts as false). */
export async function probe(url: string, tls?: TlsFiles): Promise<boolean> {
  try {
    return (await call(url, { tls, timeoutMs: 3000 })).status === 200;
  } catch {
    return false;
  }
}

/** JSON API client for the apiserver at `server` authenticated by a client cert. */
export class KubeApi {
  constructor(private readonly server: string, private readonly tls: TlsFiles) {}

  async get<T>(path: string): Promise<T | undefined> {
    const r = await call(this.server + path, { tls: this.tls });
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw new Error(`GET ${path}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
    return JSON.parse(r.body) as T;
  }

  /** POST; an AlreadyExists (409) counts as success, so creation is idempotent. Returns true if created. */
  async create(path: string, body: unknown): Promise<boolean> {
    const r = await call(this.server + path, { method: 'POST', body, tls: this.tls });
    if (r.status === 201 || r.status === 200) return true;
    if (r.status === 409) return false;
    throw new Error(`POST ${path}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
  }

  /** Server-side apply of `body` (a whole object) at its own path, as field manager `oke-stack`. */
  async apply(path: string, body: unknown): Promise<void> {
    const r = await call(`${this.server}${path}?fieldManager=oke-stack&force=true`, { method: 'PATCH', body, tls: this.tls, contentType: 'application/apply-patch+yaml' });
    if (r.status !== 200 && r.status !== 201) throw new Error(`apply ${path}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
  }

  /** DELETE; a missing object counts as deleted. */
  async delete(path: string): Promise<void> {
    const r = await call(this.server + path, { method: 'DELETE', tls: this.tls });
    if (r.status !== 200 && r.status !== 202 && r.status !== 404) throw new Error(`DELETE ${path}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
  }
}

export interface NodeCondition {
  type: string;
  status: string;
  /** When the kubelet last posted this condition (RFC 3339, whole seconds). */
  lastHeartbeatTime?: string;
}
export interface NodeObject {
  metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec?: { taints?: Array<{ key: string; value?: string; effect: string }> };
  status?: {
    conditions?: Array<NodeCondition & { reason?: string; message?: string }>;
    allocatable?: Record<string, string>;
    nodeInfo?: { kubeletVersion?: string; kubeProxyVersion?: string; containerRuntimeVersion?: string; kernelVersion?: string; osImage?: string };
    addresses?: Array<{ type: string; address: string }>;
  };
}

/**
 * Ready=True; with `postedSince` (ms since the epoch), only as posted by a kubelet at or after that time: right after
 * a kubelet restart the Node still shows the old kubelet's Ready, and the new one reports NotReady for a moment
 * (until its first runtime check) before Ready again.
 */
export function isNodeReady(node: NodeObject, postedSince?: number): boolean {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') return false;
  if (postedSince === undefined) return true;
  const at = Date.parse(ready.lastHeartbeatTime ?? '');
  // The API keeps whole seconds: a heartbeat in the same second as the start counts.
  return Number.isFinite(at) && at >= Math.floor(postedSince / 1000) * 1000;
}
