/**
 * The kubeconfig's exec credential helper, as a library: reads the 0600 credential file oke-login wrote,
 * returns a cached OKE token while it has more than REFRESH_MARGIN_MS left, else signs a new one and
 * caches it (0600, written atomically). node:crypto and node:fs only: it runs before every kubectl and
 * helm call, so it must start fast and never load the OCI SDK.
 */
import { createHash, createPrivateKey } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { EXEC_API_VERSION, generateOkeToken, type OkeToken } from './oke-token.js';

export const HELPER_CONFIG_VERSION = 1;
/** A cached token is reused while it has at least this long left (clients are told issued + 4 min). */
export const REFRESH_MARGIN_MS = 30_000;

export interface HelperConfig {
  version: typeof HELPER_CONFIG_VERSION;
  clusterId: string;
  region: string;
  /** `<tenancy>/<user>/<fingerprint>`, or `ST$<upst>` for a keyless session (then it is a secret). */
  keyId: string;
  /** Unencrypted PKCS#8 PEM (a secret: the file is 0600 under $RUNNER_TEMP and removed by the post step). */
  privateKeyPem: string;
  /** Keyless sessions only: when the session token expires; no token is signed after it. */
  sessionExpiresAt?: string;
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
  if (config.version !== HELPER_CONFIG_VERSION || !config.clusterId || !config.region || !config.keyId || !config.privateKeyPem || !config.cacheFile) {
    throw new HelperError(`the credential file ${path} was written by another version of oke-login; run oke-login again`);
  }
  return config as HelperConfig;
}

export function writeHelperConfig(write: (name: string, content: string) => string, config: HelperConfig): string {
  return write('credentials.json', `${JSON.stringify(config)}\n`);
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
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(entry), { mode: 0o600 });
  renameSync(tmp, file);
}

export interface Credential {
  token: OkeToken;
  fromCache: boolean;
}

/** A valid token for the config: from the cache when fresh enough, else newly signed and cached. */
export function credentialFor(config: HelperConfig, now: Date = new Date()): Credential {
  if (config.sessionExpiresAt) {
    const ends = new Date(config.sessionExpiresAt);
    if (now.getTime() >= ends.getTime() - 10_000) {
      throw new HelperError(
        `the OCI session token from oke-login (keyless) expired at ${ends.toISOString()}; sessions last about an hour. Run oke-login again before this step, or use an API key for longer jobs.`,
      );
    }
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
  if (config.sessionExpiresAt) {
    const ends = new Date(config.sessionExpiresAt);
    if (token.expiresAt > ends) token = { ...token, expiresAt: ends };
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
