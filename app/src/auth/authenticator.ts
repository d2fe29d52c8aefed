/**
 * Who is calling: the bearer JWT of each API request, verified with a key read from the Dapr secret
 * store (never an environment variable). The key is loaded at start-up (readiness waits for it) and
 * re-read every few minutes, so rotating the secret needs no restart; a failed refresh keeps the
 * previous key and logs a warning. The key itself is never logged.
 *
 * A token verified once is remembered (bounded, least recently used first out) until it expires or the
 * key changes: a client sends the same token with every request, and checking its signature again each
 * time was a tenth of the API's CPU per request.
 */
import type { DaprPort } from '../dapr/port.js';
import { unauthorized } from '../http/errors.js';
import type { Logger } from '../log.js';
import { JwtError, keyFromSecret, signHs256, verifyJwt, type JwtClaims, type VerificationKey } from './jwt.js';

export interface User {
  id: string;
  name: string;
}

export interface AuthenticatorOptions {
  dapr: Pick<DaprPort, 'getSecret'>;
  secretName: string;
  keyField: string;
  issuer?: string;
  audience?: string;
  log: Logger;
  refreshMs?: number;
  now?: () => number;
}

/** User ids become parts of state keys: printable, no separators Dapr reserves. */
const USER_ID = /^[A-Za-z0-9._@|+-]{1,128}$/;
const LEEWAY_SECONDS = 30;
const CACHED_TOKENS = 10_000;

interface Verified {
  user: User;
  key: VerificationKey;
  exp: number;
  nbf: number | undefined;
}

export class Authenticator {
  private key: VerificationKey | undefined;
  private loadedAt = 0;
  private refreshing: Promise<void> | undefined;
  /** Verified tokens, oldest use first (a Map keeps insertion order). */
  private readonly verified = new Map<string, Verified>();

  constructor(private readonly options: AuthenticatorOptions) {}

  get ready(): boolean {
    return this.key !== undefined;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** Reads the key from the secret store; throws (with what to fix) when it is missing or unusable. */
  async load(): Promise<void> {
    const { dapr, secretName, keyField } = this.options;
    const secret = await dapr.getSecret(secretName);
    const material = secret[keyField];
    if (!material) throw new Error(`secret "${secretName}" has no "${keyField}" entry (the JWT verification key)`);
    this.key = keyFromSecret(material);
    this.loadedAt = this.now();
  }

  /** Loads the key when it is older than refreshMs; never throws (a stale key beats no key). */
  private maybeRefresh(): void {
    const refreshMs = this.options.refreshMs ?? 5 * 60_000;
    if (this.refreshing || this.now() - this.loadedAt < refreshMs) return;
    this.refreshing = this.load()
      .catch((err: unknown) => this.options.log.warn('could not refresh the JWT key; keeping the previous one', { err: err instanceof Error ? err.message : String(err) }))
      .finally(() => (this.refreshing = undefined));
  }

  /** The user of a request's Authorization header, or a 401 HttpError. */
  authenticate(authorization: string | undefined): User {
    if (!this.key) throw unauthorized('the server has not loaded its token key yet; retry shortly');
    this.maybeRefresh();
    const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!m) throw unauthorized('send Authorization: Bearer <token>');
    const token = m[1]!;
    const now = Math.floor(this.now() / 1000);
    const known = this.verified.get(token);
    if (known) {
      this.verified.delete(token);
      // Same checks as verifyJwt's time checks; a rotated key means verifying again.
      if (known.key === this.key && now <= known.exp + LEEWAY_SECONDS && (known.nbf === undefined || now + LEEWAY_SECONDS >= known.nbf)) {
        this.verified.set(token, known);
        return known.user;
      }
    }
    let claims: JwtClaims;
    try {
      claims = verifyJwt(token, this.key, { issuer: this.options.issuer, audience: this.options.audience, now, leewaySeconds: LEEWAY_SECONDS });
    } catch (err) {
      throw unauthorized(err instanceof JwtError ? err.message : 'invalid token');
    }
    if (!USER_ID.test(claims.sub)) throw unauthorized('token subject (sub) has characters this app does not accept');
    const user = { id: claims.sub, name: typeof claims.name === 'string' && claims.name ? claims.name.slice(0, 100) : claims.sub };
    if (this.verified.size >= CACHED_TOKENS) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { user, key: this.key, exp: claims.exp, nbf: typeof claims.nbf === 'number' ? claims.nbf : undefined });
    return user;
  }

  /** A development token (HS256 keys only): for the local UI's sign-in and for tests. */
  devToken(user: string, ttlSeconds = 12 * 3600): string {
    if (this.key?.kind !== 'hmac') throw new Error('dev tokens need an HS256 key');
    if (!USER_ID.test(user)) throw new Error('user names are 1-128 letters, digits or . _ @ | + -');
    const iat = Math.floor(this.now() / 1000);
    return signHs256({ sub: user, name: user, iat, exp: iat + ttlSeconds, ...(this.options.issuer ? { iss: this.options.issuer } : {}), ...(this.options.audience ? { aud: this.options.audience } : {}) }, this.key.secret);
  }
}
