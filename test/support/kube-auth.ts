/**
 * The stack's real kube-apiserver sends bearer tokens it does not know to a TokenReview webhook on a fixed
 * loopback port (its status reports it as `endpoints.tokenWebhook`); the tests serve that webhook here, so a
 * kubeconfig written by oke-login must authenticate for real.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { stateDir } from '../../stack/src/config.js';
import { component } from './stack.js';
import { startTokenWebhook, type TokenVerdict, type TokenWebhook } from './token-webhook.js';

export interface KubeAuthTarget {
  /** https://127.0.0.1:<port> of the API server that consults the webhook. */
  server: string;
  /** host:port, as OKE reports an endpoint. */
  address: string;
  /** Base64 PEM of the API server's CA. */
  caData: string;
  webhook: TokenWebhook;
  close(): Promise<void>;
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
    return { server, address: new URL(server).host, caData, webhook, close: () => webhook.close() };
  }

  throw new Error("the stack's kube component reports no tokenWebhook endpoint: its kube-apiserver cannot consult the OKE token webhook. Restart the stack's kube (npm run stack -- down kube && npm run stack -- up kube)");
}
