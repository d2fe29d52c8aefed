/**
 * A small Kubernetes REST client for the reads on a deploy's critical path (a namespace, Helm's release
 * records, a pod watch, a pod's log): node:https and the kubeconfig's current context (src/kube/kubeconfig.ts),
 * so that starting helm does not wait for @kubernetes/client-node (2 MB with undici and the generated API:
 * some 100 ms to load). A kubeconfig it does not understand, or none (in-cluster config), is read by
 * client-node instead, whose `applyToHTTPSOptions` then authenticates the same requests. The full client is
 * still there for the rest (`kubeConfig()`), loaded only when something asks for it.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, RequestOptions } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { ConfigurationError, errorMessage, OperationError } from '../core/errors.js';
import { checkKubeconfigFile } from '../core/yaml-files.js';
import { runExecCredential, type ExecCredential } from './exec-credential.js';
import { kubeconfigFile, resolveKubeconfig, type KubeconfigDoc, type KubeTarget } from './kubeconfig.js';

/** A non-2xx answer: `code` and `body` as client-node's errors carry them, so `apiError` (client.ts) reads both. */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly body: unknown,
    what: string,
  ) {
    const status = body as { message?: string } | undefined;
    super(`${what}: HTTP ${code}${status?.message ? ` ${status.message}` : ''}`);
    this.name = 'KubeApiError';
  }
}

/** Per-request connection settings: TLS options and headers (authentication). */
type Connect = () => Promise<RequestOptions>;

export interface KubeRestOptions {
  env?: NodeJS.ProcessEnv;
  /** The input the kubeconfig path came from (for errors). */
  input?: string;
  /** Called with each credential an exec plugin returns, before any use (the step masks it). */
  onSecret?: (value: string) => void;
  now?: () => number;
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

const REQUEST_TIMEOUT_MS = 30_000;

export class KubeRest {
  private constructor(
    private readonly server: () => Promise<URL>,
    private readonly connect: Connect,
    /** The full client's KubeConfig for the same cluster (loads @kubernetes/client-node on first use; once). */
    readonly kubeConfig: () => Promise<KubeConfig>,
    /** How the kubeconfig was read: `light` (this module) or `client-node` (something only it understands, or in-cluster). */
    readonly via: 'light' | 'client-node',
  ) {}

  /** A client for a kubeconfig path (undefined: KUBECONFIG or the default). Throws a ConfigurationError for a missing or unreadable file. */
  static fromKubeconfig(path: string | undefined, options: KubeRestOptions = {}): KubeRest {
    const env = options.env ?? process.env;
    const input = options.input ?? 'kubeconfig';
    let kc: Promise<KubeConfig> | undefined;
    const full = (): Promise<KubeConfig> => (kc ??= import('./client.js').then((m) => m.loadKubeConfig(path, env, input)));
    const file = kubeconfigFile(path, env, input);
    const named = path ? input : 'KUBECONFIG';
    const read = (p: string): Buffer => {
      try {
        return readFileSync(p);
      } catch (err) {
        throw new ConfigurationError({ input: named, problem: `the kubeconfig ${file} names the file ${p}, which cannot be read (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)})`, fix: 'point certificate-authority, client-certificate and client-key at existing files (relative paths are read from the kubeconfig\'s folder), or use the *-data fields' });
      }
    };
    const resolved = file ? resolveKubeconfig(parseFile(file, named), file, read) : { unsupported: 'no kubeconfig file (in-cluster configuration)' };
    if ('target' in resolved) {
      const server = resolved.target.server;
      return new KubeRest(async () => server, lightConnect(resolved.target, env, options), full, 'light');
    }
    // Read by client-node: it throws its own errors for what it cannot read either.
    const connect: Connect = async () => {
      const opts: RequestOptions = {};
      await (await full()).applyToHTTPSOptions(opts as never);
      return opts;
    };
    return new KubeRest(async () => new URL((await full()).getCurrentCluster()!.server), connect, full, 'client-node');
  }

  private async url(path: string): Promise<URL> {
    const server = await this.server();
    const url = new URL(server.href);
    url.pathname = `${server.pathname.replace(/\/$/, '')}${path.split('?')[0]}`;
    url.search = path.includes('?') ? path.slice(path.indexOf('?')) : '';
    return url;
  }

  private async open(method: string, path: string, accept: string, timeoutMs: number, signal?: AbortSignal): Promise<IncomingMessage> {
    const [url, opts] = await Promise.all([this.url(path), this.connect()]);
    const http = url.protocol === 'http:';
    const request = http ? (await import('node:http')).request : httpsRequest;
    // client-node hands an https agent even for a plain-http server (kubectl proxy): not one http can use.
    if (http) delete opts.agent;
    const send = (retried: boolean): Promise<IncomingMessage> =>
      new Promise((resolve, reject) => {
        const req = request(url, { ...opts, method, headers: { ...opts.headers, accept }, ...(signal ? { signal } : {}) }, resolve);
        req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`${method} ${url.pathname}: no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
        req.on('error', (err: NodeJS.ErrnoException) => {
          // A kept-alive connection the server closed as the request went out: once more, on a new one.
          if (!retried && req.reusedSocket && err.code === 'ECONNRESET') resolve(send(true));
          else reject(err);
        });
        req.end();
      });
    return send(false);
  }

  /** GETs a path (with its query) and returns the body as text; a non-2xx answer is a KubeApiError. */
  async getText(path: string, accept = '*/*', timeoutMs = REQUEST_TIMEOUT_MS): Promise<string> {
    const res = await this.open('GET', path, accept, timeoutMs);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const code = res.statusCode ?? 0;
    if (code < 200 || code > 299) throw new KubeApiError(code, parseJson(text) ?? text, `GET ${path.split('?')[0]}`);
    return text;
  }

  /** GETs a path as JSON. `accept` may ask for another representation (e.g. only metadata: PartialObjectMetadataList). */
  async get<T>(path: string, accept = 'application/json'): Promise<T> {
    const text = await this.getText(path, accept);
    const doc = parseJson(text);
    if (doc === undefined) throw new Error(`GET ${path.split('?')[0]}: the answer is not JSON: ${text.slice(0, 200)}`);
    return doc as T;
  }

  /**
   * Watches a collection (`path` with its query; `watch=1` is added) until `signal` aborts or the server ends
   * it: `onEvent` for each event, then `onDone` once (with the error, if it failed or the server sent an ERROR).
   * Resolves once the watch is open (the server answered 200).
   */
  async watch<T>(path: string, onEvent: (e: WatchEvent<T>) => void, onDone: (err?: unknown) => void, signal: AbortSignal): Promise<void> {
    const res = await this.open('GET', `${path}${path.includes('?') ? '&' : '?'}watch=1`, 'application/json', 24 * 3600_000, signal);
    if (res.statusCode !== 200) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      throw new KubeApiError(res.statusCode ?? 0, parseJson(text) ?? text, `watch ${path.split('?')[0]}`);
    }
    let done = false;
    const finish = (err?: unknown): void => {
      if (done) return;
      done = true;
      onDone(err);
    };
    let rest = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      rest += chunk;
      for (let nl = rest.indexOf('\n'); nl >= 0; nl = rest.indexOf('\n')) {
        const line = rest.slice(0, nl).trim();
        rest = rest.slice(nl + 1);
        if (!line) continue;
        const event = parseJson(line) as WatchEvent<T> | undefined;
        if (!event?.type) continue;
        if (event.type === 'ERROR') return finish(new KubeApiError((event.object as { code?: number }).code ?? 0, event.object, `watch ${path.split('?')[0]}`));
        if (event.type !== 'BOOKMARK') onEvent(event);
      }
    });
    res.on('end', () => finish());
    res.on('error', (err) => finish(signal.aborted ? undefined : err));
    res.on('close', () => finish());
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The kubeconfig's document, checked first as the inputs are (client-node's own error for a broken file would quote its lines: tokens, keys). */
function parseFile(file: string, input: string): KubeconfigDoc {
  return checkKubeconfigFile(input, file, file) as KubeconfigDoc;
}

/**
 * Connection settings from a resolved target; an exec credential is kept until shortly before it expires. Requests
 * share one keep-alive agent per client certificate: the pod recorder's watch and log reads then reuse the
 * preflight's connections instead of new TLS handshakes (idle sockets do not keep the process alive).
 */
function lightConnect(t: KubeTarget, env: NodeJS.ProcessEnv, options: KubeRestOptions): Connect {
  const now = options.now ?? Date.now;
  let cred: { value: Promise<ExecCredential>; until: number } | undefined;
  const execCredential = (): Promise<ExecCredential> => {
    if (!t.exec) return Promise.resolve({});
    if (!cred || now() >= cred.until) {
      const value = runExecCredential(t.exec, env).then((c) => {
        for (const v of [c.token, c.clientKeyData]) if (v) options.onSecret?.(v);
        // Used until 30 s before it expires; without an expiry, for the life of the process (as kubectl does).
        if (cred?.value === value) cred.until = c.expiresAt ? c.expiresAt.getTime() - 30_000 : Number.POSITIVE_INFINITY;
        return c;
      });
      cred = { value, until: Number.POSITIVE_INFINITY };
      value.catch(() => (cred = undefined));
    }
    return cred.value;
  };
  let agent: { agent: Agent; cert?: Buffer | string; key?: Buffer | string } | undefined;
  return async () => {
    const c = await execCredential();
    const token = c.token ?? t.token ?? (t.tokenFile ? readFileSync(t.tokenFile, 'utf8').trim() : undefined);
    const cert = c.clientCertificateData ?? t.clientCert;
    const key = c.clientKeyData ?? t.clientKey;
    if (!agent || agent.cert !== cert || agent.key !== key) {
      agent?.agent.destroy();
      agent = { agent: new Agent({ keepAlive: true, ca: t.ca, cert, key, rejectUnauthorized: !t.insecureSkipTlsVerify, ...(t.tlsServerName ? { servername: t.tlsServerName } : {}) }), cert, key };
    }
    return { agent: agent.agent, headers: token ? { authorization: `Bearer ${token}` } : {} } as RequestOptions;
  };
}

/** An API error in one line, `HTTP 403 Forbidden: <the Status message>`, rather than client-node's dump of body and headers. */
export function apiError(err: unknown): string {
  const e = err as { code?: number; body?: unknown };
  if (typeof e?.code !== 'number') return errorMessage(err).split('\n')[0] ?? '';
  let body = e.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      // not JSON: keep the text
    }
  }
  const status = body as { reason?: string; message?: string } | string | undefined;
  const detail = typeof status === 'string' ? status : [status?.reason, status?.message].filter(Boolean).join(': ');
  return `HTTP ${e.code}${detail ? ` ${detail}` : ''}`;
}

/** Whether a namespace exists. Any answer but 200 or 404 is an OperationError that says what to check. */
export async function namespaceExists(kube: KubeRest, name: string): Promise<boolean> {
  try {
    await kube.get(`/api/v1/namespaces/${encodeURIComponent(name)}`);
    return true;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return false;
    throw new OperationError(`reading namespace ${name}: ${apiError(err)}`, { hint: 'check the kubeconfig (run oke-login first), that the API server is reachable from this runner, and that this identity may get namespaces' });
  }
}
