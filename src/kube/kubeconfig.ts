/**
 * The current context of a kubeconfig, resolved to what one HTTPS connection needs: the server, its CA, the
 * client certificate or token, or the exec plugin that gives them (the resolution is pure: file reads are injected), and strict
 * about what it understands: a kubeconfig that uses anything else (an auth-provider, a proxy-url, basic auth,
 * impersonation) is `unsupported`, and the caller takes the full client (@kubernetes/client-node) instead of
 * guessing. That keeps the common kubeconfigs (OKE's and every cloud's exec plugin, client certificates,
 * service-account tokens) off the 2 MB client on the deploy's critical path, without a second reading of the rest.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ConfigurationError } from '../core/errors.js';
import type { ExecConfig } from './exec-credential.js';

interface NamedCluster {
  name: string;
  cluster?: Record<string, unknown>;
}
interface NamedUser {
  name: string;
  user?: Record<string, unknown>;
}
interface NamedContext {
  name: string;
  context?: { cluster?: string; user?: string; namespace?: string };
}
/** A kubeconfig document (only what is read here is typed). */
export interface KubeconfigDoc {
  apiVersion?: string;
  kind?: string;
  clusters?: NamedCluster[];
  users?: NamedUser[];
  contexts?: NamedContext[];
  'current-context'?: string;
  [k: string]: unknown;
}

/** What a connection to the current context's API server needs. Byte fields are PEM. */
export interface KubeTarget {
  server: URL;
  ca?: Buffer;
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
  clientCert?: Buffer;
  clientKey?: Buffer;
  token?: string;
  /** Read for every connection (a projected service-account token is rotated on disk). */
  tokenFile?: string;
  /** The exec plugin; a relative command with a slash in it is resolved from the kubeconfig's folder, as kubectl does. */
  exec?: ExecConfig;
  /** The context's namespace, if it names one. */
  namespace?: string;
}

export type Resolved = { target: KubeTarget } | { unsupported: string };

const CLUSTER_KEYS = new Set(['server', 'certificate-authority', 'certificate-authority-data', 'insecure-skip-tls-verify', 'tls-server-name', 'extensions', 'disable-compression']);
const USER_KEYS = new Set(['client-certificate', 'client-certificate-data', 'client-key', 'client-key-data', 'token', 'tokenFile', 'exec', 'extensions']);
const EXEC_KEYS = new Set(['command', 'args', 'env', 'apiVersion', 'installHint', 'interactiveMode', 'provideClusterInfo']);

/**
 * Resolves the current context of `doc`, read from `file` (relative paths in it resolve from its folder).
 * `read` reads a referenced file (CA, client certificate or key).
 */
export function resolveKubeconfig(doc: KubeconfigDoc, file: string, read: (path: string) => Buffer): Resolved {
  if (!doc || typeof doc !== 'object') return { unsupported: 'it is not a kubeconfig mapping' };
  const dir = dirname(file);
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(dir, p));
  const current = doc['current-context'];
  const context = (doc.contexts ?? []).find((c) => c?.name === current);
  if (!context?.context) return { unsupported: current ? `its current-context "${current}" is not among its contexts` : 'it has no current-context' };
  const cluster = (doc.clusters ?? []).find((c) => c?.name === context.context?.cluster)?.cluster;
  if (!cluster) return { unsupported: `the current context's cluster "${context.context.cluster ?? ''}" is not among its clusters` };
  const user = context.context.user ? ((doc.users ?? []).find((u) => u?.name === context.context?.user)?.user ?? {}) : {};
  const odd = [...Object.keys(cluster).filter((k) => !CLUSTER_KEYS.has(k)).map((k) => `cluster.${k}`), ...Object.keys(user).filter((k) => !USER_KEYS.has(k)).map((k) => `user.${k}`)];
  const exec = user.exec as Record<string, unknown> | undefined;
  if (exec) odd.push(...Object.keys(exec).filter((k) => !EXEC_KEYS.has(k)).map((k) => `user.exec.${k}`));
  if (exec?.provideClusterInfo === true) odd.push('user.exec.provideClusterInfo');
  if (odd.length) return { unsupported: `it uses ${odd.join(', ')}` };

  let server: URL;
  try {
    server = new URL(String(cluster.server ?? ''));
  } catch {
    return { unsupported: `its server "${String(cluster.server ?? '')}" is not a URL` };
  }
  if (server.protocol !== 'https:' && server.protocol !== 'http:') return { unsupported: `its server ${server.origin} is neither https nor http` };
  const bytes = (data: unknown, path: unknown): Buffer | undefined => (typeof data === 'string' && data ? Buffer.from(data, 'base64') : typeof path === 'string' && path ? read(abs(path)) : undefined);
  const target: KubeTarget = {
    server,
    ca: bytes(cluster['certificate-authority-data'], cluster['certificate-authority']),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
    tlsServerName: typeof cluster['tls-server-name'] === 'string' ? cluster['tls-server-name'] : undefined,
    clientCert: bytes(user['client-certificate-data'], user['client-certificate']),
    clientKey: bytes(user['client-key-data'], user['client-key']),
    token: typeof user.token === 'string' && user.token ? user.token : undefined,
    tokenFile: typeof user.tokenFile === 'string' && user.tokenFile ? abs(user.tokenFile) : undefined,
    namespace: context.context.namespace || undefined,
  };
  if (exec) {
    if (typeof exec.command !== 'string' || !exec.command) return { unsupported: 'its user.exec has no command' };
    const command = exec.command.includes('/') ? abs(exec.command) : exec.command;
    target.exec = { command, args: (exec.args as string[] | undefined) ?? [], env: (exec.env as ExecConfig['env']) ?? [], apiVersion: exec.apiVersion as string | undefined };
  }
  if (!!target.clientCert !== !!target.clientKey) return { unsupported: 'its user has a client certificate without a key, or a key without a certificate' };
  return { target };
}

/** The kubeconfig file to read: the explicit path, else $KUBECONFIG's first entry, else ~/.kube/config (undefined: none exists). */
export function kubeconfigFile(path: string | undefined, env: NodeJS.ProcessEnv, input = 'kubeconfig'): string | undefined {
  const file = path ?? env.KUBECONFIG?.split(':').find(Boolean);
  if (file) {
    if (!existsSync(file)) {
      throw new ConfigurationError({
        input: path ? input : 'KUBECONFIG',
        problem: `the kubeconfig file ${file} does not exist`,
        fix: 'run oke-login (or another login step) before this action, or point the input at an existing kubeconfig',
      });
    }
    return file;
  }
  const home = join(env.HOME ?? homedir(), '.kube', 'config');
  return existsSync(home) ? home : undefined;
}

