/**
 * A kubeconfig `exec` user's credential plugin (client.authentication.k8s.io), run as kubectl runs it: the
 * command with its args and env entries, KUBERNETES_EXEC_INFO on its environment, an ExecCredential on stdout.
 * Shared by oke-login (which proves the kubeconfig it wrote) and the light REST client (src/kube/rest.ts).
 */
import { spawn } from 'node:child_process';
import { OperationError } from '../core/errors.js';

export const EXEC_API_VERSION = 'client.authentication.k8s.io/v1beta1';

/** A kubeconfig user's `exec` block, as far as running it goes. */
export interface ExecConfig {
  command: string;
  args?: string[];
  env?: Array<{ name: string; value: string }> | null;
  apiVersion?: string;
}

/** What the plugin returned: a bearer token, or a client certificate and key (PEM). */
export interface ExecCredential {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  /** When the credential stops being valid (undefined: for the life of the process). */
  expiresAt?: Date;
}

/** The plugin could not start, failed, or printed no credential. */
export class ExecCredentialError extends OperationError {
  constructor(message: string) {
    super(message, { hint: 'run the kubeconfig\'s exec command by hand to see its error; for OKE, run oke-login again (its credential file may be gone)' });
    this.name = 'ExecCredentialError';
  }
}

/** Parses a plugin's stdout. Pure. */
export function parseExecCredential(stdout: string): ExecCredential {
  let doc: { status?: { token?: string; clientCertificateData?: string; clientKeyData?: string; expirationTimestamp?: string } };
  try {
    doc = JSON.parse(stdout) as typeof doc;
  } catch (err) {
    throw new ExecCredentialError(`the credential helper printed no ExecCredential: ${(err as Error).message}`);
  }
  const s = doc?.status;
  if (!s?.token && !(s?.clientCertificateData && s.clientKeyData)) throw new ExecCredentialError('the credential helper printed no ExecCredential: no status.token (nor a client certificate and key)');
  const expiresAt = s.expirationTimestamp ? new Date(s.expirationTimestamp) : undefined;
  return { token: s.token, clientCertificateData: s.clientCertificateData, clientKeyData: s.clientKeyData, expiresAt: expiresAt && !Number.isNaN(expiresAt.getTime()) ? expiresAt : undefined };
}

/** Runs the plugin (its command already resolved: src/kube/kubeconfig.ts). */
export function runExecCredential(exec: ExecConfig, env: NodeJS.ProcessEnv = process.env, options: { timeoutMs?: number } = {}): Promise<ExecCredential> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const extra = Object.fromEntries((exec.env ?? []).map((e) => [e.name, e.value]));
    const info = { kind: 'ExecCredential', apiVersion: exec.apiVersion ?? EXEC_API_VERSION, spec: { interactive: false } };
    const child = spawn(exec.command, exec.args ?? [], {
      env: { ...env, ...extra, KUBERNETES_EXEC_INFO: JSON.stringify(info) },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => reject(new ExecCredentialError(`the credential helper could not start (${exec.command}): ${e.message}`)));
    child.on('close', (code, signal) => {
      if (code !== 0) return reject(new ExecCredentialError(`the credential helper (${exec.command}) ${code === null ? `was stopped (${signal}; it may take ${timeoutMs} ms)` : `exited with ${code}`}: ${err.trim().split('\n').slice(-3).join(' ') || '(no message)'}`));
      try {
        resolve(parseExecCredential(out));
      } catch (e) {
        reject(e as Error);
      }
    });
  });
}
