/**
 * A GitHub OIDC ID token, requested the way a runner offers it to a job with `permissions: id-token: write`:
 * `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=<aud>` with `Authorization: Bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`,
 * answered with `{"value": "<jwt>"}` (what @actions/core's getIDToken does). fetch and node:* only: the
 * credential helper calls this from inside kubectl when it renews a keyless session, and must start fast.
 */
import { OperationError, errorMessage } from '../core/errors.js';
import { retry, RetryError } from '../core/retry.js';
import type { FetchLike } from './upst.js';

/** What the runner puts in the job's environment (ACTIONS_ID_TOKEN_REQUEST_URL / _TOKEN). The token is a secret. */
export interface IdTokenRequest {
  url: string;
  token: string;
}

export interface IdTokenOptions {
  fetch?: FetchLike;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

class RetryableFailure extends OperationError {}

export async function requestGitHubIdToken(request: IdTokenRequest, audience: string, options: IdTokenOptions = {}): Promise<string> {
  const { fetch: fetcher = globalThis.fetch, timeoutMs = 10_000, sleep } = options;
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    throw new OperationError('the GitHub OIDC token request URL (ACTIONS_ID_TOKEN_REQUEST_URL) is not a URL', { hint: 'run oke-login in a job with `permissions: id-token: write` on a GitHub runner' });
  }
  url.searchParams.set('audience', audience);
  // The URL names the run and job; its host is enough to say where we asked.
  const where = `the runner's OIDC token service (${url.host})`;
  const once = async (): Promise<string> => {
    let res: Response;
    try {
      res = await fetcher(url.href, { headers: { authorization: `Bearer ${request.token}`, accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause;
      throw new RetryableFailure(`requesting a GitHub OIDC token from ${where} failed: ${errorMessage(err)}${cause ? ` (${errorMessage(cause)})` : ''}`);
    }
    const text = await res.text();
    if (!res.ok) {
      const message = `requesting a GitHub OIDC token from ${where} was refused: HTTP ${res.status}`;
      if (res.status >= 500 || res.status === 429) throw new RetryableFailure(message);
      throw new OperationError(message, {
        hint: res.status === 401 || res.status === 403 ? 'the job\'s token request credentials are no longer accepted (the job ended, or it has no `id-token: write` permission)' : 'check the runner\'s connection to GitHub',
      });
    }
    let value: unknown;
    try {
      value = (JSON.parse(text) as { value?: unknown }).value;
    } catch {
      value = undefined;
    }
    if (typeof value !== 'string' || value.split('.').length !== 3) throw new OperationError(`${where} answered without an ID token`);
    return value;
  };
  try {
    return await retry(once, { label: 'GitHub OIDC token', attempts: 3, initialDelayMs: 1_000, deadlineMs: 20_000, retryable: (err) => err instanceof RetryableFailure, ...(sleep ? { sleep } : {}) });
  } catch (err) {
    if (err instanceof RetryError) throw new OperationError(err.message, { cause: err.cause, hint: 'check the runner\'s connection to GitHub (api.github.com status)' });
    throw err;
  }
}
