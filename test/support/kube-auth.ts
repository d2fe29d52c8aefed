/**
 * A real kube-apiserver that sends bearer tokens to our token webhook, so a kubeconfig written by
 * oke-login must authenticate for real.
 *
 * - When the stack's kube component is wired for it (its status reports `endpoints.tokenWebhook`, the
 *   URL its apiserver's --authentication-token-webhook-config-file points at), the webhook listens on
 *   that fixed port and the target is the stack's own apiserver.
 * - Until then, a second kube-apiserver (the stack's binary, PKI and etcd, so it serves the same
 *   cluster) is started on a free port with the webhook flags, and stopped by close().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stateDir } from '../../stack/src/config.js';
import { component } from './stack.js';
import { startTokenWebhook, webhookKubeconfig, type TokenVerdict, type TokenWebhook } from './token-webhook.js';

export interface KubeAuthTarget {
  /** https://127.0.0.1:<port> of the API server that consults the webhook. */
  server: string;
  /** host:port, as OKE reports an endpoint. */
  address: string;
  /** Base64 PEM of the API server's CA. */
  caData: string;
  kind: 'stack' | 'own-apiserver';
  webhook: TokenWebhook;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function readyz(server: string, pki: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(`${server}/readyz`, { ca: readFileSync(join(pki, 'ca.crt')), cert: readFileSync(join(pki, 'admin.crt')), key: readFileSync(join(pki, 'admin.key')), timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** GET /api with a bearer token and only the cluster CA; resolves with the HTTP status (0 on a socket error). */
function bearerStatus(server: string, pki: string, token: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(`${server}/api`, { ca: readFileSync(join(pki, 'ca.crt')), headers: { authorization: `Bearer ${token}` }, timeout: 15_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

export async function startKubeAuth(check: (token: string) => TokenVerdict): Promise<KubeAuthTarget> {
  const kube = component('kube');
  const pki = join(stateDir(), 'kube', 'pki');
  const caData = readFileSync(join(pki, 'ca.crt')).toString('base64');
  const wired = kube.endpoints.tokenWebhook;
  if (wired) {
    const webhook = await startTokenWebhook(check, Number(new URL(wired).port));
    const server = kube.endpoints.apiserver!;
    // Self-check: a bearer token no other authenticator knows must reach the webhook.
    const seen = webhook.reviews.length;
    const status = await bearerStatus(server, pki, 'oke-login-webhook-probe');
    if (webhook.reviews.length === seen) {
      await webhook.close();
      throw new Error(`the stack's kube-apiserver reports tokenWebhook ${wired} but did not call it (HTTP ${status}): restart it so it reads --authentication-token-webhook-config-file (npm run stack -- down && npm run stack -- up)`);
    }
    return { server, address: new URL(server).host, caData, kind: 'stack', webhook, close: () => webhook.close() };
  }

  const webhook = await startTokenWebhook(check);
  const dir = mkdtempSync(join(tmpdir(), 'oke-auth-apiserver-'));
  writeFileSync(join(dir, 'webhook.kubeconfig'), webhookKubeconfig(webhook.url));
  const port = await freePort();
  const server = `https://127.0.0.1:${port}`;
  const binDir = String(kube.details?.binDir);
  const etcd = String(kube.details?.etcd);
  const log = openSync(join(dir, 'kube-apiserver.log'), 'w');
  const child: ChildProcess = spawn(
    join(binDir, 'kube-apiserver'),
    [
      '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${port}`, `--etcd-servers=${etcd}`,
      `--client-ca-file=${join(pki, 'ca.crt')}`, `--tls-cert-file=${join(pki, 'apiserver.crt')}`, `--tls-private-key-file=${join(pki, 'apiserver.key')}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local', `--service-account-key-file=${join(pki, 'sa.pub')}`, `--service-account-signing-key-file=${join(pki, 'sa.key')}`,
      '--service-cluster-ip-range=10.96.0.0/16', '--authorization-mode=Node,RBAC', '--endpoint-reconciler-type=none', '--profiling=false',
      `--authentication-token-webhook-config-file=${join(dir, 'webhook.kubeconfig')}`, '--authentication-token-webhook-version=v1', '--authentication-token-webhook-cache-ttl=0s',
    ],
    { stdio: ['ignore', log, log], env: { ...process.env, GOMEMLIMIT: '512MiB' } },
  );
  let exited = false;
  child.on('exit', () => (exited = true));
  const close = async (): Promise<void> => {
    if (!exited) {
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(timer);
    }
    await webhook.close();
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 90_000;
  while (!(await readyz(server, pki))) {
    if (exited || Date.now() > deadline) {
      const tail = readFileSync(join(dir, 'kube-apiserver.log'), 'utf8').split('\n').slice(-15).join('\n');
      await close();
      throw new Error(`the webhook-enabled kube-apiserver did not become ready:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return { server, address: `127.0.0.1:${port}`, caData, kind: 'own-apiserver', webhook, close };
}
