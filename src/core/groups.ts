import type { Logger } from './log.js';

/**
 * Milliseconds on a monotonic clock. Not `performance.now()`: the first use of the global `performance` loads
 * Node's perf_hooks (a dozen internal modules, a few ms of every action's start).
 */
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** Step durations, in order, for the job summary. */
export class Timings {
  readonly steps: Array<{ name: string; ms: number; ok: boolean }> = [];

  record(name: string, ms: number, ok: boolean): void {
    this.steps.push({ name, ms: Math.round(ms), ok });
  }

  totalMs(): number {
    return this.steps.reduce((sum, s) => sum + s.ms, 0);
  }
}

/** Runs fn inside a log group that always closes, and records how long it took. */
export async function withGroup<T>(log: Logger, name: string, fn: () => Promise<T>, timings?: Timings, now: () => number = monotonicMs): Promise<T> {
  log.startGroup(name);
  const t0 = now();
  let ok = false;
  try {
    const result = await fn();
    ok = true;
    return result;
  } finally {
    timings?.record(name, now() - t0, ok);
    log.endGroup();
  }
}
