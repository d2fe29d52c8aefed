/**
 * The API server's token webhook (kube-apiserver --authentication-token-webhook-config-file): answers
 * TokenReview requests by verifying the bearer token as OKE would (see OciStandin.checkOkeToken). Plain
 * HTTP on loopback; the webhook kubeconfig points the API server at it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TokenVerdict {
  ok: boolean;
  principal?: string;
  groups?: string[];
  why?: string;
}

export interface TokenWebhook {
  url: string;
  port: number;
  /** Every review answered, newest last. */
  reviews: Array<{ authenticated: boolean; username?: string; error?: string }>;
  close(): Promise<void>;
}

interface TokenReview {
  apiVersion?: string;
  spec?: { token?: string };
}

export async function startTokenWebhook(check: (token: string) => TokenVerdict, port = 0): Promise<TokenWebhook> {
  const reviews: TokenWebhook['reviews'] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      let review: TokenReview;
      try {
        review = JSON.parse(raw) as TokenReview;
      } catch {
        res.writeHead(400).end('not JSON');
        return;
      }
      const verdict = check(review.spec?.token ?? '');
      const status = verdict.ok
        ? { authenticated: true, user: { username: verdict.principal, uid: verdict.principal, groups: verdict.groups ?? [] } }
        : { authenticated: false, error: `OKE token refused: ${verdict.why}` };
      reviews.push(verdict.ok ? { authenticated: true, username: verdict.principal! } : { authenticated: false, error: verdict.why! });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ apiVersion: review.apiVersion ?? 'authentication.k8s.io/v1', kind: 'TokenReview', status }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}/`,
    port: actual,
    reviews,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
