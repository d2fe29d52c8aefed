/**
 * The kubeconfig's exec credential helper, as a library: reads the 0600 credential file oke-login wrote,
 * returns a cached OKE token while it has more than REFRESH_MARGIN_MS left, else signs a new one and
 * caches it (0600, written atomically). node:crypto and node:fs only: it runs before every kubectl and
 * helm call, so it must start fast and never load the OCI SDK. Renewing a keyless session (which needs the
 * network) is session-refresh.ts; this module only decides when a session is due and when it is spent.
 */
import { createHash, createPrivateKey, randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { IdTokenRequest } from './github-oidc.js';
import { EXEC_API_VERSION, generateOkeToken, type OkeToken } from './oke-token.js';

export const HELPER_CONFIG_VERSION = 1;
/** A cached token is reused while it has at least this long left (clients are told issued + 4 min). */
export const REFRESH_MARGIN_MS = 30_000;
/** A session is not used for new tokens in its last 10 s (or last quarter, for a session shorter than 40 s). */
export const SESSION_END_MARGIN_MS = 10_000;

/**
 * What the helper needs to start a new keyless session by itself later in the job (all of it secret but
 * the URLs and the audience). Saved at login, because the process kubectl starts the helper in may not
 * have the runner's ACTIONS_ID_TOKEN_REQUEST_* variables (see session-refresh.ts).
 */
export interface SessionRenewal {
  domainUrl: string;
  clientId: string;
  clientSecret: string;
  audience: string;
  idTokenRequest: IdTokenRequest;
}

export interface HelperConfig {
  version: typeof HELPER_CONFIG_VERSION;
  clusterId: string;
  region: string;
  /** `<tenancy>/<user>/<fingerprint>`, or `ST$<upst>` for a keyless session (then it is a secret). */
  keyId: string;
  /** Unencrypted PKCS#8 PEM (a secret: the file is 0600 under $RUNNER_TEMP and removed by the post step). */
  privateKeyPem: string;
  /** Keyless sessions only: when the session began and ends (this runner's clock). */
  sessionIssuedAt?: string;
  sessionExpiresAt?: string;
  /** Keyless sessions only: how to renew the session; without it, the helper stops when the session ends. */
  renewal?: SessionRenewal;
  /** Where tokens are cached (0600). */
  cacheFile: string;
}

/** A failure the helper prints on stderr; kubectl shows it under "getting credentials". */
export class HelperError extends Error {
  override name = 'HelperError';
}

export function readHelperConfig(path: string): HelperConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new HelperError(
        `the credential file ${path} does not exist: the oke-login step that wrote this kubeconfig has ended its job (its post step removes credentials) or ran in another job. Run oke-login earlier in this job.`,
      );
    }
    throw new HelperError(`cannot read the credential file ${path}: ${(err as Error).message}`);
  }
  let config: Partial<HelperConfig>;
  try {
    config = JSON.parse(text) as Partial<HelperConfig>;
  } catch {
    throw new HelperError(`the credential file ${path} is not valid JSON; run oke-login again`);
  }
  const badDate = (v: unknown) => v !== undefined && (typeof v !== 'string' || Number.isNaN(Date.parse(v)));
  if (
    config.version !== HELPER_CONFIG_VERSION ||
    !config.clusterId ||
    !config.region ||
    !config.keyId ||
    !config.privateKeyPem ||
    !config.cacheFile ||
    badDate(config.sessionIssuedAt) ||
    badDate(config.sessionExpiresAt) ||
    (config.renewal !== undefined && !config.renewal?.idTokenRequest?.url)
  ) {
    throw new HelperError(`the credential file ${path} was written by another version of oke-login; run oke-login again`);
  }
  return config as HelperConfig;
}

export function writeHelperConfig(write: (name: string, content: string) => string, config: HelperConfig): string {
  return write('credentials.json', `${JSON.stringify(config)}\n`);
}

/**
 * Replaces a private file atomically: a 0600 file of its own (created exclusively, so it never follows a
 * planted link), then renamed over the target. A concurrent reader sees the old file or the new one, never half.
 */
export function replacePrivateFile(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, content, { mode: 0o600, flag: 'wx' });
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

export interface SessionWindow {
  /** From here on the helper renews the session (half its lifetime, as the OCI SDK's token exchange signer). */
  refreshAt: Date;
  /** No token is signed with the session after this. */
  usableUntil: Date;
}

/** When a keyless session is due for renewal and when it is spent; undefined for an API key. */
export function sessionWindow(config: Pick<HelperConfig, 'sessionIssuedAt' | 'sessionExpiresAt'>): SessionWindow | undefined {
  if (!config.sessionExpiresAt) return undefined;
  const end = Date.parse(config.sessionExpiresAt);
  const start = config.sessionIssuedAt ? Date.parse(config.sessionIssuedAt) : end - 60 * 60_000;
  const life = Math.max(0, end - start);
  return { refreshAt: new Date(start + life / 2), usableUntil: new Date(end - Math.min(SESSION_END_MARGIN_MS, life / 4)) };
}

export function isRefreshDue(config: HelperConfig, now: Date): boolean {
  const w = sessionWindow(config);
  return Boolean(config.renewal && w && now.getTime() >= w.refreshAt.getTime());
}

interface CacheEntry {
  clusterId: string;
  keyIdHash: string;
  token: string;
  expiresAt: string;
}

const hashKeyId = (keyId: string): string => createHash('sha256').update(keyId).digest('base64url');

export function readCachedToken(file: string, config: Pick<HelperConfig, 'clusterId' | 'keyId'>, now: Date): OkeToken | undefined {
  let entry: Partial<CacheEntry>;
  try {
    entry = JSON.parse(readFileSync(file, 'utf8')) as Partial<CacheEntry>;
  } catch {
    return undefined;
  }
  if (entry.clusterId !== config.clusterId || entry.keyIdHash !== hashKeyId(config.keyId) || !entry.token || !entry.expiresAt) return undefined;
  const expiresAt = new Date(entry.expiresAt);
  if (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() - now.getTime() < REFRESH_MARGIN_MS) return undefined;
  // A cache entry from the future (clock moved back) is not trusted either.
  if (expiresAt.getTime() - now.getTime() > 10 * 60_000) return undefined;
  return { token: entry.token, expiresAt };
}

/** Atomic and private: a concurrent kubectl never reads half a file, and no one else can read it. */
export function writeCachedToken(file: string, config: Pick<HelperConfig, 'clusterId' | 'keyId'>, token: OkeToken): void {
  const entry: CacheEntry = { clusterId: config.clusterId, keyIdHash: hashKeyId(config.keyId), token: token.token, expiresAt: token.expiresAt.toISOString() };
  replacePrivateFile(file, JSON.stringify(entry));
}

export interface Credential {
  token: OkeToken;
  fromCache: boolean;
}

/**
 * A valid token for the config: from the cache when fresh enough, else newly signed and cached. With a
 * keyless session, a token never outlives the session's refresh point (so clients come back, and the helper
 * renews the session, well before it ends); once the session is spent this throws.
 */
export function credentialFor(config: HelperConfig, now: Date = new Date()): Credential {
  const window = sessionWindow(config);
  if (window && now.getTime() >= window.usableUntil.getTime()) {
    throw new HelperError(
      config.renewal
        ? `the OCI session token from oke-login (keyless) expired at ${config.sessionExpiresAt} and was not renewed; run oke-login again before this step`
        : `the OCI session token from oke-login (keyless) expired at ${config.sessionExpiresAt}; sessions last about an hour. Run oke-login again before this step, or use an API key for longer jobs.`,
    );
  }
  const cached = readCachedToken(config.cacheFile, config, now);
  if (cached) return { token: cached, fromCache: true };
  let privateKey;
  try {
    privateKey = createPrivateKey({ key: config.privateKeyPem, format: 'pem' });
  } catch {
    throw new HelperError('the private key in the credential file does not parse; run oke-login again');
  }
  let token = generateOkeToken({ clusterId: config.clusterId, region: config.region, keyId: config.keyId, privateKey }, now);
  if (window) {
    const cap = config.renewal && now < window.refreshAt ? window.refreshAt : window.usableUntil;
    if (token.expiresAt > cap) token = { ...token, expiresAt: cap };
  }
  try {
    writeCachedToken(config.cacheFile, config, token);
  } catch {
    // A read-only or vanished directory only costs a re-sign next time.
  }
  return { token, fromCache: false };
}

/** The ExecCredential apiVersion kubectl asked for (KUBERNETES_EXEC_INFO), defaulting to v1beta1. */
export function requestedApiVersion(execInfo: string | undefined): string {
  if (!execInfo) return EXEC_API_VERSION;
  try {
    const v = (JSON.parse(execInfo) as { apiVersion?: string }).apiVersion;
    return v === 'client.authentication.k8s.io/v1' || v === 'client.authentication.k8s.io/v1beta1' ? v : EXEC_API_VERSION;
  } catch {
    return EXEC_API_VERSION;
  }
}
