/**
 * Keyless sessions longer than a UPST's hour. The credential helper, run by kubectl or helm at any point in
 * the job, renews the session itself once it is past half its lifetime (as the OCI SDK's token exchange
 * signer does): a fresh GitHub OIDC token -> a new ephemeral key -> a new UPST, written over the credential
 * file. The OKE tokens it signs never outlive the session's half-life, so no client holds a token whose
 * session is about to end.
 *
 * Where the fresh GitHub token comes from. The runner gives ACTIONS_ID_TOKEN_REQUEST_URL and
 * ACTIONS_ID_TOKEN_REQUEST_TOKEN to every step of a job with `id-token: write`, the same values for the whole
 * job. But the helper does not run in a step: it runs in whatever process kubectl was started from, and a
 * tool that starts kubectl with a cleaned environment, a `container:` step, or a step that sets its own `env`
 * leaves them out. So oke-login saves them at login, with the identity domain's client credentials, in the
 * helper's credential file: 0600 in a 0700 directory under $RUNNER_TEMP, removed by the post step, the same
 * file that already holds the session key and UPST (which grant more than the request token does). The
 * helper never depends on its caller's environment, and never prints any of it.
 *
 * Several kubectl processes may find the session due at once. One of them renews it while holding a lock
 * file (created with O_EXCL); the others wait for the lock to go and take the renewed session. Correctness
 * does not rest on the lock: the new credential file replaces the old by rename (readers see the old
 * session or the new one, both valid), so a lock broken as stale (its holder died) costs at most one
 * extra exchange. A renewal that fails while the current session is still usable only warns.
 */
import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { errorMessage, OperationError } from '../core/errors.js';
import { silentLogger } from '../core/log.js';
import { credentialFor, HelperError, isRefreshDue, readHelperConfig, replacePrivateFile, sessionWindow, type Credential, type HelperConfig } from './credential-helper.js';
import { requestGitHubIdToken } from './github-oidc.js';
import { startSession, type FetchLike } from './upst.js';

/** A lock older than this is taken to be left by a helper that died (a renewal takes at most ~35 s). */
export const LOCK_STALE_MS = 60_000;
/** How long a helper waits for another one's renewal before renewing itself. */
export const LOCK_WAIT_MS = 45_000;
const POLL_MS = 100;

export interface ResolveDeps {
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  fetch?: FetchLike;
  /** Where a warning goes (the helper: stderr, which kubectl shows). */
  warn?: (message: string) => void;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What the helper prints: a token for the credential file, renewing a keyless session first when it is due. */
export async function resolveCredential(file: string, deps: ResolveDeps = {}): Promise<Credential> {
  const now = deps.now ?? Date.now;
  let config = readHelperConfig(file);
  if (isRefreshDue(config, new Date(now()))) {
    try {
      config = await renewUnderLock(file, deps);
    } catch (err) {
      const usableUntil = sessionWindow(config)!.usableUntil;
      const why = err instanceof OperationError && err.hint ? `${errorMessage(err)} (${err.hint})` : errorMessage(err);
      if (now() >= usableUntil.getTime()) {
        throw new HelperError(`the OCI session token from oke-login (keyless) expired at ${config.sessionExpiresAt} and could not be renewed: ${why}`);
      }
      deps.warn?.(`could not renew the OCI session token (${why}); using the current one, usable until ${usableUntil.toISOString()}`);
    }
  }
  return credentialFor(config, new Date(now()));
}

/** Renews the session unless another helper did (or does) it first; returns the config to use. */
export async function renewUnderLock(file: string, deps: ResolveDeps = {}): Promise<HelperConfig> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? realSleep;
  const lock = `${file}.lock`;
  const waitUntil = now() + LOCK_WAIT_MS;
  for (;;) {
    const held = tryLock(lock, now());
    if (held !== undefined) {
      try {
        // Another helper may have renewed it between our look and the lock.
        const current = readHelperConfig(file);
        return isRefreshDue(current, new Date(now())) ? await renew(file, current, deps) : current;
      } finally {
        closeSync(held);
        rmSync(lock, { force: true });
      }
    }
    const current = readHelperConfig(file);
    if (!isRefreshDue(current, new Date(now()))) return current;
    if (lockAge(lock, now()) > LOCK_STALE_MS) {
      rmSync(lock, { force: true });
      continue;
    }
    if (now() >= waitUntil) return renew(file, current, deps);
    await sleep(POLL_MS);
  }
}

function tryLock(lock: string, now: number): number | undefined {
  try {
    const fd = openSync(lock, 'wx', 0o600);
    writeSync(fd, `${process.pid} ${new Date(now).toISOString()}\n`);
    return fd;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw new HelperError(`cannot create the lock file ${lock}: ${errorMessage(err)}`);
  }
}

/** How long ago the lock was taken (0 when it just went away: try again at once). */
function lockAge(lock: string, now: number): number {
  try {
    const [, at] = readFileSync(lock, 'utf8').trim().split(' ');
    const taken = Date.parse(at ?? '');
    return now - (Number.isNaN(taken) ? statSync(lock).mtimeMs : taken);
  } catch {
    return 0;
  }
}

async function renew(file: string, config: HelperConfig, deps: ResolveDeps): Promise<HelperConfig> {
  const r = config.renewal!;
  const session = await startSession({
    idToken: () => requestGitHubIdToken(r.idTokenRequest, r.audience, { ...(deps.fetch ? { fetch: deps.fetch } : {}), ...(deps.sleep ? { sleep: deps.sleep } : {}) }),
    domainUrl: r.domainUrl,
    clientId: r.clientId,
    clientSecret: r.clientSecret,
    log: silentLogger,
    timeoutMs: 15_000,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(deps.now ? { now: deps.now } : {}),
  });
  const next: HelperConfig = { ...config, keyId: session.keyId, privateKeyPem: session.privateKeyPem, sessionIssuedAt: session.issuedAt.toISOString(), sessionExpiresAt: session.expiresAt.toISOString() };
  replacePrivateFile(file, `${JSON.stringify(next)}\n`);
  return next;
}
