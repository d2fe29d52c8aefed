/**
 * OCI request signatures (draft-cavage HTTP signatures, rsa-sha256) with node:crypto alone, so the
 * credential helper signs without loading the OCI SDK. The signing string is one `name: value` line per
 * signed header, in the order listed; `(request-target)` is `<lower-case method> <path?query>`.
 */
import { sign as rsaSign, type KeyObject } from 'node:crypto';

/** Headers OCI requires in the signature of a GET/DELETE/HEAD. */
export const GET_SIGNED_HEADERS = ['date', '(request-target)', 'host'] as const;
/** Extra headers OCI requires for POST/PUT/PATCH. */
export const BODY_SIGNED_HEADERS = ['content-length', 'content-type', 'x-content-sha256'] as const;

export function requestTarget(method: string, url: URL): string {
  return `${method.toLowerCase()} ${url.pathname}${url.search}`;
}

/**
 * The exact text that is signed. `headers` holds the header values by lower-case name; `(request-target)`
 * comes from method and URL. A listed header without a value is a bug in the caller.
 */
export function signingString(names: readonly string[], headers: Readonly<Record<string, string>>, method: string, url: URL): string {
  return names
    .map((name) => {
      if (name === '(request-target)') return `(request-target): ${requestTarget(method, url)}`;
      const value = headers[name];
      if (value === undefined) throw new Error(`bug: signed header "${name}" has no value`);
      return `${name}: ${value}`;
    })
    .join('\n');
}

export function authorizationHeader(keyId: string, names: readonly string[], signature: string): string {
  return `Signature version="1",headers="${names.join(' ')}",keyId="${keyId}",algorithm="rsa-sha256",signature="${signature}"`;
}

export interface SignedRequest {
  /** The Authorization header value. */
  authorization: string;
  /** Header values that were signed (lower-case names), including `date` and `host`. */
  headers: Record<string, string>;
  signingString: string;
}

/**
 * Signs a request: fills in `host` from the URL and `date` from the clock when absent, signs the listed
 * headers (default: date, (request-target), host) and returns the Authorization header.
 */
export function signRequest(options: {
  method: string;
  url: URL;
  keyId: string;
  privateKey: KeyObject;
  headers?: Record<string, string>;
  names?: readonly string[];
  now?: Date;
}): SignedRequest {
  const { method, url, keyId, privateKey, names = GET_SIGNED_HEADERS, now = new Date() } = options;
  const headers: Record<string, string> = { host: url.host, date: now.toUTCString(), ...lowerKeys(options.headers ?? {}) };
  const text = signingString(names, headers, method, url);
  const signature = rsaSign('sha256', Buffer.from(text, 'utf8'), privateKey).toString('base64');
  return { authorization: authorizationHeader(keyId, names, signature), headers, signingString: text };
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}
