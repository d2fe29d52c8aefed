/**
 * The identity side of the OCI stand-in: JWTs (RS256) with node:crypto, a GitHub-like OIDC issuer
 * (what ACTIONS_ID_TOKEN_REQUEST_URL serves on a runner), and an identity domain's token exchange that
 * checks the exchange request field by field and mints a UPST bound to the caller's public key.
 */
import { createPublicKey, generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto';

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

export function signJwt(claims: Record<string, unknown>, key: KeyObject): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${enc({ alg: 'RS256', typ: 'JWT', kid: 'standin' })}.${enc(claims)}`;
  return `${head}.${sign('sha256', Buffer.from(head), key).toString('base64url')}`;
}

/** Verifies an RS256 JWT; returns its claims or why it is refused. */
export function verifyJwt(jwt: string, key: KeyObject, now: number): { claims: Record<string, unknown> } | { error: string } {
  const [h, p, s] = jwt.split('.');
  if (!h || !p || !s) return { error: 'not a JWT' };
  if (!verify('sha256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'))) return { error: 'JWT signature does not verify' };
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now) return { error: 'JWT expired' };
  return { claims };
}

export interface TokenExchangeRecord {
  fields: Record<string, string>;
  basicUser: string | undefined;
  outcome: string;
}

export interface IdentityDomainOptions {
  clientId: string;
  clientSecret: string;
  /** The `aud` the trust configuration expects in the GitHub token. */
  audience: string;
  /** Maps the GitHub token's `sub` to an OCI user OCID (undefined: no mapping -> invalid_grant). */
  mapSubject: (sub: string) => string | undefined;
  upstLifetimeMs?: number;
}

export class IdentityStandin {
  /** The GitHub OIDC issuer's signing key (the trust configuration knows its public half). */
  readonly githubKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  /** The identity domain's UPST signing key. */
  readonly upstKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  readonly requestToken = randomUUID();
  readonly exchanges: TokenExchangeRecord[] = [];
  options: IdentityDomainOptions | undefined;

  /** What a runner's ACTIONS_ID_TOKEN_REQUEST_URL answers: a GitHub-like ID token for the audience. */
  githubIdToken(authorization: string | undefined, audience: string | null, now: number): { status: number; body: unknown } {
    if (authorization !== `Bearer ${this.requestToken}`) return { status: 401, body: { message: 'bad request token' } };
    const iat = Math.floor(now / 1000);
    const claims = { iss: GITHUB_ISSUER, aud: audience ?? 'https://github.com/example', sub: 'repo:example/app:ref:refs/heads/main', repository: 'example/app', iat, nbf: iat, exp: iat + 300, jti: randomUUID() };
    return { status: 200, body: { value: signJwt(claims, this.githubKey) } };
  }

  /** POST /oauth2/v1/token with the token-exchange grant. */
  exchange(authorization: string | undefined, contentType: string | undefined, rawBody: string, now: number): { status: number; body: unknown } {
    const fields = Object.fromEntries(new URLSearchParams(rawBody));
    const basic = /^Basic (.+)$/.exec(authorization ?? '');
    const [user, pass] = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8').split(':') : [];
    const refuse = (status: number, error: string, description: string) => {
      this.exchanges.push({ fields, basicUser: user, outcome: `${error}: ${description}` });
      return { status, body: { error, error_description: description } };
    };
    const o = this.options;
    if (!o) return refuse(404, 'not_found', 'no identity domain configured');
    if (user !== o.clientId || pass !== o.clientSecret) return refuse(401, 'invalid_client', 'Client authentication failed.');
    if (!contentType?.startsWith('application/x-www-form-urlencoded')) return refuse(400, 'invalid_request', `content-type ${contentType}`);
    if (fields.grant_type !== 'urn:ietf:params:oauth:grant-type:token-exchange') return refuse(400, 'unsupported_grant_type', `grant_type ${fields.grant_type}`);
    if (fields.requested_token_type !== 'urn:oci:token-type:oci-upst') return refuse(400, 'invalid_request', `requested_token_type ${fields.requested_token_type}`);
    if (fields.subject_token_type !== 'jwt') return refuse(400, 'invalid_request', `subject_token_type ${fields.subject_token_type}`);
    let sessionKey: KeyObject;
    try {
      sessionKey = createPublicKey({ key: Buffer.from(fields.public_key ?? '', 'base64'), format: 'der', type: 'spki' });
    } catch {
      return refuse(400, 'invalid_request', 'public_key is not a base64 DER SubjectPublicKeyInfo');
    }
    if (sessionKey.asymmetricKeyType !== 'rsa' || (sessionKey.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) return refuse(400, 'invalid_request', 'public_key must be RSA >= 2048 bits');
    const checked = verifyJwt(fields.subject_token ?? '', createPublicKey(this.githubKey), now);
    if ('error' in checked) return refuse(400, 'invalid_grant', checked.error);
    if (checked.claims.iss !== GITHUB_ISSUER) return refuse(400, 'invalid_grant', `issuer ${String(checked.claims.iss)} is not trusted`);
    if (checked.claims.aud !== o.audience) return refuse(400, 'invalid_grant', `audience ${String(checked.claims.aud)} is not ${o.audience}`);
    const principal = o.mapSubject(String(checked.claims.sub));
    if (!principal) return refuse(400, 'invalid_grant', `no user mapped for subject ${String(checked.claims.sub)}`);
    const iat = Math.floor(now / 1000);
    const jwk = JSON.stringify({ ...sessionKey.export({ format: 'jwk' }), kid: 'session' });
    const upst = signJwt({ sub: principal, iss: 'authService.oracle.com', ttype: 'upst', iat, exp: iat + Math.floor((o.upstLifetimeMs ?? 3_600_000) / 1000), jwk }, this.upstKey);
    this.exchanges.push({ fields, basicUser: user, outcome: 'ok' });
    return { status: 200, body: { token: upst } };
  }

  /** The key a `ST$<upst>` keyId signs with, once the UPST itself verifies. */
  sessionKeyFor(upst: string, now: number): { publicKey: KeyObject; principal: string } | { error: string } {
    const checked = verifyJwt(upst, createPublicKey(this.upstKey), now);
    if ('error' in checked) return { error: `session token refused: ${checked.error}` };
    try {
      const jwk = JSON.parse(String(checked.claims.jwk)) as Record<string, string>;
      return { publicKey: createPublicKey({ key: jwk, format: 'jwk' }), principal: String(checked.claims.sub) };
    } catch {
      return { error: 'session token has no usable jwk claim' };
    }
  }
}
