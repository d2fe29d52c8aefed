/**
 * Keyless login: an OIDC JWT (GitHub's) is exchanged at an OCI IAM identity domain for a UPST (user
 * principal session token) bound to an ephemeral public key (OAuth token exchange, RFC 8693 form).
 * Requests are then signed with keyId `ST$<upst>` and the ephemeral private key. startSession is the one
 * way a session begins: at login, and again whenever the credential helper renews it later in the job.
 */
import type { KeyObject } from 'node:crypto';
import { OperationError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { generateSessionKey, publicKeyDerBase64 } from './keys.js';

export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const UPST_TOKEN_TYPE = 'urn:oci:token-type:oci-upst';

export interface UpstExchange {
  /** Identity domain base URL, e.g. https://idcs-0123abc.identity.oraclecloud.com */
  domainUrl: string;
  clientId: string;
  clientSecret: string;
  /** The OIDC JWT to exchange (GitHub's ID token). */
  subjectToken: string;
  /** The ephemeral key the session is bound to. */
  sessionKey: KeyObject;
  log: Logger;
  fetch?: FetchLike;
  timeoutMs?: number;
  now?: () => number;
}

export interface Upst {
  token: string;
  /** When this runner asked for it (its own clock). */
  issuedAt: Date;
  /**
   * When it expires, on this runner's clock: the request time plus the token's own lifetime (exp - iat),
   * so a runner clock that is off does not move it (without iat: the exp claim as it is).
   */
  expiresAt: Date;
  /** The principal OCI will see (the `sub` claim), when present. */
  subject: string | undefined;
}

/** Reads a JWT's claims without verifying it (the issuer verifies; we only need exp and sub). */
export function jwtClaims(jwt: string): Record<string, unknown> {
  const part = jwt.split('.')[1];
  if (!part) throw new Error('not a JWT');
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new Error('not a JWT: its payload is not JSON');
  }
}

const HINTS: Record<string, string> = {
  invalid_client: 'the identity domain refused client-id/client-secret: check the confidential application\'s client ID and secret (Identity domain > Integrated applications > the app > OAuth configuration)',
  unauthorized_client: 'the confidential application may not use the token exchange grant: enable "JWT assertion"/"Token exchange" under its client configuration',
  invalid_grant:
    'the GitHub token was not accepted: check the identity propagation trust (issuer https://token.actions.githubusercontent.com, the audience set in oidc-audience, the subject mapping to a user or service user) and that it is active',
  invalid_request: 'the identity domain refused the request shape; check identity-domain-url (the domain\'s base URL, without /oauth2/...)',
};

export async function exchangeForUpst(x: UpstExchange): Promise<Upst> {
  const { log, fetch: fetcher = globalThis.fetch, timeoutMs = 30_000, now = Date.now } = x;
  const requestedAt = now();
  const url = `${x.domainUrl.replace(/\/+$/, '')}/oauth2/v1/token`;
  const body = new URLSearchParams({
    grant_type: TOKEN_EXCHANGE_GRANT,
    requested_token_type: UPST_TOKEN_TYPE,
    subject_token: x.subjectToken,
    subject_token_type: 'jwt',
    public_key: publicKeyDerBase64(x.sessionKey),
  });
  log.info(`Exchanging the GitHub OIDC token for an OCI session token at ${url}`);
  let res: Response;
  try {
    res = await fetcher(url, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${x.clientId}:${x.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded;charset=utf-8',
        accept: 'application/json',
      },
      body: body.toString(),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    throw new OperationError(`token exchange at ${url} failed: ${errorMessage(err)}${cause ? ` (${errorMessage(cause)})` : ''}`, {
      hint: 'check identity-domain-url (Identity & Security > Domains > the domain > Domain URL) and that the runner can reach it',
    });
  }
  const text = await res.text();
  if (!res.ok) {
    let code: string;
    let description: string;
    try {
      const j = JSON.parse(text) as { error?: string; error_description?: string };
      code = j.error ?? '';
      description = j.error_description ?? '';
    } catch {
      code = '';
      description = text.slice(0, 200);
    }
    throw new OperationError(`token exchange at ${url} was refused: HTTP ${res.status}${code ? ` ${code}` : ''}${description ? `: ${description}` : ''}`, {
      hint: HINTS[code] ?? (res.status === 404 ? 'identity-domain-url is not an identity domain (no /oauth2/v1/token there)' : 'check the identity domain\'s audit log for the refused exchange'),
    });
  }
  let token: string | undefined;
  try {
    token = (JSON.parse(text) as { token?: string }).token;
  } catch {
    token = undefined;
  }
  if (!token) throw new OperationError(`token exchange at ${url} answered without a token`, { hint: 'check that identity-domain-url is the identity domain, not a proxy or login page' });
  let claims: Record<string, unknown>;
  try {
    claims = jwtClaims(token);
  } catch (err) {
    throw new OperationError(`token exchange at ${url} returned a token that is not a JWT: ${errorMessage(err)}`);
  }
  const { exp, iat } = claims;
  const expiresAt =
    typeof exp !== 'number' ? new Date(requestedAt + 60 * 60_000) : typeof iat === 'number' && exp > iat ? new Date(requestedAt + (exp - iat) * 1000) : new Date(exp * 1000);
  return { token, issuedAt: new Date(requestedAt), expiresAt, subject: typeof claims.sub === 'string' ? claims.sub : undefined };
}

export interface KeylessSession {
  /** `ST$<upst>` (a secret). */
  keyId: string;
  /** The session key, unencrypted PKCS#8 PEM (a secret). */
  privateKeyPem: string;
  issuedAt: Date;
  expiresAt: Date;
  subject: string | undefined;
}

export interface SessionStart extends Omit<UpstExchange, 'subjectToken' | 'sessionKey'> {
  /** A fresh GitHub OIDC token (one per session: they live minutes). */
  idToken: () => Promise<string>;
  /** Called with every secret the moment it exists (the GitHub token, the key, the UPST, the keyId). */
  onSecret?: (value: string) => void;
}

/** GitHub OIDC token -> a new ephemeral key -> UPST bound to it. Every session gets its own key, as the OCI SDK's token exchange signer does. */
export async function startSession(s: SessionStart): Promise<KeylessSession> {
  const { idToken, onSecret = () => undefined, ...exchange } = s;
  const subjectToken = await idToken();
  onSecret(subjectToken);
  const sessionKey = generateSessionKey();
  const privateKeyPem = sessionKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  onSecret(privateKeyPem);
  const upst = await exchangeForUpst({ ...exchange, subjectToken, sessionKey });
  onSecret(upst.token);
  const keyId = `ST$${upst.token}`;
  onSecret(keyId);
  return { keyId, privateKeyPem, issuedAt: upst.issuedAt, expiresAt: upst.expiresAt, subject: upst.subject };
}
