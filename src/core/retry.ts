import { errorMessage } from './errors.js';
import type { Logger } from './log.js';

export interface RetryOptions {
  /** Names the operation in logs and in the final error: "listing topics". */
  label: string;
  /** Maximum attempts, including the first. */
  attempts: number;
  /** First backoff; doubled each attempt up to maxDelayMs, with ±20% jitter. */
  initialDelayMs: number;
  maxDelayMs?: number;
  /** Overall deadline for all attempts together, from the first call. */
  deadlineMs?: number;
  /** Which errors are worth another attempt; default: all. */
  retryable?: (err: unknown) => boolean;
  log?: Logger;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

export class RetryError extends Error {
  constructor(
    message: string,
    readonly attempts: number,
    options: { cause: unknown },
  ) {
    super(message, options);
    this.name = 'RetryError';
  }
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls fn until it succeeds, an error is not retryable, attempts run out or the deadline passes. */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { label, attempts, initialDelayMs, maxDelayMs = 30_000, deadlineMs, retryable = () => true, log, sleep = realSleep, now = Date.now, random = Math.random } = options;
  const start = now();
  let delay = initialDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!retryable(err)) throw err;
      const elapsed = now() - start;
      const wait = Math.min(delay, maxDelayMs) * (0.8 + 0.4 * random());
      if (attempt >= attempts) {
        throw new RetryError(`${label}: gave up after ${attempt} attempts: ${errorMessage(err)}`, attempt, { cause: err });
      }
      if (deadlineMs !== undefined && elapsed + wait > deadlineMs) {
        throw new RetryError(`${label}: gave up after ${attempt} attempts, deadline of ${deadlineMs} ms reached: ${errorMessage(err)}`, attempt, { cause: err });
      }
      log?.info(`${label}: attempt ${attempt} of ${attempts} failed (${errorMessage(err)}); retrying in ${Math.round(wait)} ms`);
      await sleep(wait);
      delay *= 2;
    }
  }
}
