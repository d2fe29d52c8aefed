/**
 * JSON Web Tokens (RFC 7519) in compact JWS form, verified with node:crypto: HS256 with a shared secret,
 * or RS256 / ES256 with a public key. The key decides the algorithm: a token whose `alg` does not fit the
 * key is refused (no "none", no HS256-with-a-public-key confusion). `exp` is required; `nbf`, `iss` and
 * `aud` are checked when present or configured. HS256 signing is for local dev tokens and tests.
 */
import { createHmac, createPublicKey, timingSafeEqual, verify as verifySignature, type KeyObject } from 'node:crypto';

export type VerificationKey = { kind: 'hmac'; secret: Buffer } | { kind: 'rsa'; key: KeyObject } | { kind: 'ec'; key: KeyObject };

export interface JwtClaims {
  sub: string;
  exp: number;
  iat?: number;
  nbf?: number;
  iss?: string;
  aud?: string | string[];
  name?: string;
  [claim: string]: unknown;
}

export interface VerifyOptions {
  /** Seconds since the epoch; default now. */
  now?: number;
  issuer?: string;
  audience?: string;
  /** Allowed clock difference in seconds (default 30). */
  leewaySeconds?: number;
}

export class JwtError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JwtError';
  }
}

const MAX_TOKEN_LENGTH = 8192;
export const MIN_HMAC_KEY_BYTES = 32;
const ALG: Record<VerificationKey['kind'], string> = { hmac: 'HS256', rsa: 'RS256', ec: 'ES256' };

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

function decodeJson(part: string, what: string): Record<string, unknown> {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new JwtError(`malformed token: the ${what} is not a JSON object`);
}

/** A verification key from secret material: a PEM public key (RSA or EC), else an HMAC secret. */
export function keyFromSecret(material: string): VerificationKey {
  const text = material.trim();
  if (text.startsWith('-----BEGIN')) {
    if (/PRIVATE KEY/.test(text)) throw new JwtError('the JWT key secret holds a private key: store only the public key');
    const key = createPublicKey(text);
    if (key.asymmetricKeyType === 'rsa') return { kind: 'rsa', key };
    if (key.asymmetricKeyType === 'ec') return { kind: 'ec', key };
    throw new JwtError(`unsupported public key type ${key.asymmetricKeyType ?? 'unknown'} (RSA or EC P-256)`);
  }
  const secret = Buffer.from(text, 'utf8');
  if (secret.length < MIN_HMAC_KEY_BYTES) throw new JwtError(`the HS256 secret is ${secret.length} bytes; use at least ${MIN_HMAC_KEY_BYTES}`);
  return { kind: 'hmac', secret };
}

export function signHs256(claims: Record<string, unknown>, secret: Buffer): string {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

function checkSignature(key: VerificationKey, signingInput: string, signature: Buffer): boolean {
  if (key.kind === 'hmac') {
    const expected = createHmac('sha256', key.secret).update(signingInput).digest();
    return expected.length === signature.length && timingSafeEqual(expected, signature);
  }
  // ES256 signatures are raw r||s (IEEE P1363), not DER.
  const options = key.kind === 'ec' ? { key: key.key, dsaEncoding: 'ieee-p1363' as const } : key.key;
  return verifySignature('sha256', Buffer.from(signingInput), options, signature);
}

export function verifyJwt(token: string, key: VerificationKey, options: VerifyOptions = {}): JwtClaims {
  if (token.length > MAX_TOKEN_LENGTH) throw new JwtError('token too long');
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) throw new JwtError('malformed token: expected three base64url parts');
  const [head, body, sig] = parts as [string, string, string];
  const header = decodeJson(head, 'header');
  const expectedAlg = ALG[key.kind];
  if (header.alg !== expectedAlg) throw new JwtError(`token algorithm ${JSON.stringify(header.alg)} is not accepted (expected ${expectedAlg})`);
  if (header.crit !== undefined) throw new JwtError('token has critical header parameters this app does not understand');
  if (!checkSignature(key, `${head}.${body}`, Buffer.from(sig, 'base64url'))) throw new JwtError('bad signature');

  const claims = decodeJson(body, 'payload');
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const leeway = options.leewaySeconds ?? 30;
  if (typeof claims.exp !== 'number') throw new JwtError('token has no expiry (exp)');
  if (now > claims.exp + leeway) throw new JwtError('token expired');
  if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || now + leeway < claims.nbf)) throw new JwtError('token not valid yet (nbf)');
  if (typeof claims.sub !== 'string' || claims.sub.length === 0 || claims.sub.length > 256) throw new JwtError('token has no subject (sub)');
  if (options.issuer !== undefined && claims.iss !== options.issuer) throw new JwtError('token issuer (iss) is not accepted');
  if (options.audience !== undefined) {
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.includes(options.audience)) throw new JwtError('token audience (aud) is not accepted');
  }
  return claims as JwtClaims;
}
