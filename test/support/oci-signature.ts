/**
 * The server side of OCI request signatures, written independently of src/oci (so a shared bug cannot
 * pass both): parse the Authorization header as a map, check the signed-header list OCI requires, the
 * date skew, the body hash, and the RSA-SHA256 signature with the caller's registered public key.
 */
import { createHash, verify as rsaVerify, type KeyObject } from 'node:crypto';

export const MAX_SKEW_MS = 5 * 60_000;

/** `Signature k1="v1",k2="v2"` -> { k1: v1, k2: v2 }; the order of parameters does not matter. */
export function parseSignatureHeader(header: string | undefined): Record<string, string> | undefined {
  if (!header || !/^Signature\s/i.test(header)) return undefined;
  const params: Record<string, string> = {};
  for (const m of header.slice(header.indexOf(' ') + 1).matchAll(/([A-Za-z]+)="([^"]*)"/g)) params[m[1]!] = m[2]!;
  return params;
}

export type SignatureCheck = { ok: true; keyId: string; principal: string } | { ok: false; why: string };

export interface KeyResolver {
  /** The public key and principal (user OCID) for a keyId, or a reason it is unknown. */
  (keyId: string): { publicKey: KeyObject; principal: string } | { error: string };
}

export interface SignedRequestIn {
  method: string;
  /** Path with query, as sent on the request line. */
  target: string;
  /** Request headers by lower-case name. */
  headers: Record<string, string | undefined>;
  body: Buffer;
  now: number;
}

export function verifySignedRequest(req: SignedRequestIn, resolve: KeyResolver): SignatureCheck {
  const params = parseSignatureHeader(req.headers.authorization);
  if (!params) return { ok: false, why: 'no Signature authorization header' };
  if (params.algorithm !== 'rsa-sha256') return { ok: false, why: `algorithm ${params.algorithm ?? '(none)'} is not rsa-sha256` };
  if (params.version !== undefined && params.version !== '1') return { ok: false, why: `signature version ${params.version}` };
  const { keyId, signature } = params;
  if (!keyId || !signature || !params.headers) return { ok: false, why: 'keyId, headers or signature missing' };
  const names = params.headers.toLowerCase().split(/\s+/).filter(Boolean);
  const dateName = names.includes('x-date') ? 'x-date' : names.includes('date') ? 'date' : undefined;
  const required = ['(request-target)', 'host'];
  if (['POST', 'PUT', 'PATCH'].includes(req.method.toUpperCase())) required.push('content-length', 'content-type', 'x-content-sha256');
  const missing = required.filter((h) => !names.includes(h));
  if (!dateName) missing.push('date or x-date');
  if (missing.length) return { ok: false, why: `signed headers lack ${missing.join(', ')}` };
  const date = Date.parse(req.headers[dateName!] ?? '');
  if (Number.isNaN(date)) return { ok: false, why: `${dateName} header is not a date` };
  if (Math.abs(req.now - date) > MAX_SKEW_MS) return { ok: false, why: `${dateName} is ${Math.round((date - req.now) / 1000)} s off the server clock` };
  if (names.includes('x-content-sha256')) {
    const sha = createHash('sha256').update(req.body).digest('base64');
    if (req.headers['x-content-sha256'] !== sha) return { ok: false, why: 'x-content-sha256 does not match the body' };
    if (Number(req.headers['content-length']) !== req.body.length) return { ok: false, why: 'content-length does not match the body' };
  }
  const lines: string[] = [];
  for (const name of names) {
    if (name === '(request-target)') lines.push(`(request-target): ${req.method.toLowerCase()} ${req.target}`);
    else {
      const v = req.headers[name];
      if (v === undefined) return { ok: false, why: `signed header ${name} is not on the request` };
      lines.push(`${name}: ${v}`);
    }
  }
  const key = resolve(keyId);
  if ('error' in key) return { ok: false, why: key.error };
  const good = rsaVerify('sha256', Buffer.from(lines.join('\n')), key.publicKey, Buffer.from(signature, 'base64'));
  return good ? { ok: true, keyId, principal: key.principal } : { ok: false, why: 'signature does not verify with the registered public key' };
}

/**
 * The OKE side of a bearer token: URL-safe base64 of
 * https://containerengine.<region>.oraclecloud.com/cluster_request/<cluster>?authorization=...&date=...
 * signed over `date (request-target) host`, at most 5 minutes old.
 */
export function verifyOkeToken(token: string, expected: { clusterId: string; region: string }, now: number, resolve: KeyResolver): SignatureCheck {
  let url: URL;
  try {
    url = new URL(Buffer.from(token.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));
  } catch {
    return { ok: false, why: 'token is not base64 of a URL' };
  }
  const host = `containerengine.${expected.region}.oraclecloud.com`;
  if (url.protocol !== 'https:' || url.host !== host) return { ok: false, why: `token is for ${url.protocol}//${url.host}, not ${host}` };
  if (url.pathname !== `/cluster_request/${expected.clusterId}`) return { ok: false, why: `token is for ${url.pathname}, not this cluster` };
  const authorization = url.searchParams.get('authorization') ?? undefined;
  const date = url.searchParams.get('date') ?? undefined;
  if (!authorization || !date) return { ok: false, why: 'token lacks authorization or date' };
  const params = parseSignatureHeader(authorization);
  const names = params?.headers?.split(' ') ?? [];
  if (!['date', '(request-target)', 'host'].every((h) => names.includes(h))) return { ok: false, why: `token signs "${params?.headers ?? ''}", not date (request-target) host` };
  const age = now - Date.parse(date);
  if (Number.isNaN(age)) return { ok: false, why: 'token date does not parse' };
  if (age > MAX_SKEW_MS) return { ok: false, why: `token expired (signed ${Math.round(age / 1000)} s ago)` };
  if (age < -MAX_SKEW_MS) return { ok: false, why: 'token is dated in the future' };
  return verifySignedRequest({ method: 'GET', target: url.pathname, headers: { authorization, date, host }, body: Buffer.alloc(0), now }, resolve);
}
