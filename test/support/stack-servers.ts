import { setTimeout as sleep } from 'node:timers/promises';
import { createContext, select, statusOf } from '../../stack/src/stack.js';
import { stackCli } from './stack-cli.js';

/**
 * Stopping and starting the stack's shared servers from a test, as an operator would: the stack's own stop
 * (the server's stop signal, SIGTERM for Kafka's controlled shutdown, then SIGKILL after STOP_GRACE_MS; an
 * exited process nobody reaped counts as gone) and `npm run stack -- up <name>`, which returns once the server
 * is healthy. Only for tests that run in band (no other test uses the server meanwhile); pair a restart with
 * ensureStackServer in a finally, so one failure leaves the stack usable for the tests after it.
 */
const ctx = createContext({ info: () => undefined, warn: () => undefined });
export type SharedServer = 'kafka' | 'postgres';

/** Kafka's controlled shutdown takes 2-3 s here; far longer is a hung broker, killed so the test can go on. */
const STOP_GRACE_MS = 60_000;

export interface Restart {
  /** From the stop signal until the process was gone. */
  stoppedMs: number;
  /** Whether it had to be killed after STOP_GRACE_MS. */
  killed: boolean;
  /** `stack up <name>` until healthy. */
  upMs: number;
}

export async function restartStackServer(name: SharedServer, options: { downMs?: number; whileDown?: () => void } = {}): Promise<Restart> {
  const t0 = Date.now();
  await ctx.procs.stop(name, STOP_GRACE_MS);
  const stoppedMs = Date.now() - t0;
  options.whileDown?.();
  if (options.downMs) await sleep(options.downMs);
  const t1 = Date.now();
  await stackUp(name);
  return { stoppedMs, killed: stoppedMs >= STOP_GRACE_MS, upMs: Date.now() - t1 };
}

/** The server running and healthy again: started when it is not running, stopped and started when it is unhealthy. */
export async function ensureStackServer(name: SharedServer): Promise<void> {
  if (ctx.procs.isRunning(name)) {
    const s = (await statusOf(ctx, select([name]).filter((c) => c.name === name))).components[name];
    if (s?.healthy) return;
    await ctx.procs.stop(name, STOP_GRACE_MS);
  }
  await stackUp(name);
}

async function stackUp(name: SharedServer): Promise<void> {
  const r = await stackCli(['up', name], { timeoutMs: 180_000 });
  if (r.code !== 0) {
    // The stack names what went wrong (for Kafka: the probe's problem and its server.log's last lines).
    const out = r.out.trim().split('\n').slice(-40).join('\n');
    throw new Error(`npm run stack -- up ${name} failed (exit ${r.code}):\n${out}`);
  }
}
