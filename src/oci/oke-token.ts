/**
 * The OKE bearer token, generated natively (what `oci ce cluster generate-token` prints, without the CLI):
 * sign `GET https://containerengine.<region>.oraclecloud.com/cluster_request/<cluster-ocid>` over
 * `date (request-target) host`, append `?authorization=<header>&date=<date>` to that URL, and encode the
 * whole URL as URL-safe base64 with padding. OKE accepts it for about 5 minutes; clients are told 4.
 */
import type { KeyObject } from 'node:crypto';
import { EXEC_API_VERSION } from '../kube/exec-credential.js';
import { signRequest } from './signing.js';

/** How long clients may use a token (the CLI's value); OKE itself accepts it about a minute longer. */
export const TOKEN_LIFETIME_MS = 4 * 60_000;

/** The ExecCredential API version clients are answered in unless they ask for another (src/kube/exec-credential.ts). */
export { EXEC_API_VERSION } from '../kube/exec-credential.js';

/** Note: no `.oci.` in this host, unlike the API endpoint; OKE checks the signature against it. */
export function tokenHost(region: string): string {
  return `containerengine.${region}.oraclecloud.com`;
}

export function tokenRequestUrl(region: string, clusterId: string): URL {
  return new URL(`https://${tokenHost(region)}/cluster_request/${clusterId}`);
}

export interface OkeToken {
  token: string;
  /** When clients must stop using it (issued + 4 minutes). */
  expiresAt: Date;
}

export interface TokenSigner {
  clusterId: string;
  region: string;
  /** `<tenancy>/<user>/<fingerprint>` for an API key, `ST$<upst>` for a session token. */
  keyId: string;
  privateKey: KeyObject;
}

/** URL-safe base64 keeping the `=` padding (Python's urlsafe_b64encode, which OKE decodes). */
export function base64UrlPadded(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

export function generateOkeToken(signer: TokenSigner, now: Date = new Date()): OkeToken {
  const url = tokenRequestUrl(signer.region, signer.clusterId);
  const signed = signRequest({ method: 'GET', url, keyId: signer.keyId, privateKey: signer.privateKey, now });
  const query = new URLSearchParams({ authorization: signed.authorization, date: signed.headers.date! });
  return { token: base64UrlPadded(`${url.href}?${query.toString()}`), expiresAt: new Date(now.getTime() + TOKEN_LIFETIME_MS) };
}

export interface DecodedOkeToken {
  url: URL;
  region: string;
  clusterId: string;
  authorization: string;
  date: string;
}

/** Reads a token back (for diagnostics and tests); throws when it is not an OKE token. */
export function decodeOkeToken(token: string): DecodedOkeToken {
  const text = Buffer.from(token.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error('not an OKE token: it does not decode to a URL');
  }
  const host = /^containerengine\.([a-z0-9-]+)\.oraclecloud\.com$/.exec(url.host);
  const path = /^\/cluster_request\/(ocid1\.[a-z0-9.-]+)$/.exec(url.pathname);
  const authorization = url.searchParams.get('authorization');
  const date = url.searchParams.get('date');
  if (url.protocol !== 'https:' || !host || !path || !authorization || !date) throw new Error(`not an OKE token: unexpected URL ${url.origin}${url.pathname}`);
  return { url, region: host[1]!, clusterId: path[1]!, authorization, date };
}

/** The ExecCredential a kubeconfig `exec` user prints on stdout. */
export function execCredential(token: OkeToken, apiVersion: string = EXEC_API_VERSION): string {
  return JSON.stringify({ apiVersion, kind: 'ExecCredential', status: { token: token.token, expirationTimestamp: token.expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z') } });
}
