/**
 * events: 200 probes through the running sample app (API + worker with real daprd, the stack's Kafka),
 * first one at a time, then 20 in flight, with the verify-events bundle. Goals: none lost, p95 < 250 ms.
 * The top-level figures are the worse of the two runs; each run is kept under "runs".
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startLocal, stopLocal } from '../app/scripts/local.js';
import { createContext } from '../stack/src/stack.js';
import { runActionBundle } from '../test/support/action-harness.js';
import { stack } from '../test/support/stack.js';
import type { BenchOutcome } from './run.js';

const PROBES = 200;

export async function run(): Promise<BenchOutcome> {
  const ctx = createContext({ info: () => undefined, warn: () => undefined });
  const kafka = stack.kafka();
  const instance = `bench-${randomUUID().slice(0, 6)}`;
  const app = await startLocal(ctx, { kafka: { sasl: kafka.sasl, username: kafka.username, password: kafka.password }, postgresUrl: stack.postgres().url, helm: stack.helm().helm4, daprd: stack.dapr().daprd, scheduler: stack.dapr().scheduler }, { instance });
  try {
    const runs: Record<string, { probes: number; lost: number; p50_ms: number; p95_ms: number; max_ms: number }> = {};
    for (const [name, concurrency] of [['sequential', 1], ['concurrency_20', 20]] as const) {
      const r = await runActionBundle('verify-events', 'main', { brokers: kafka.sasl, username: kafka.username, password: kafka.password, tls: 'false', 'app-id': app.worker.appId, 'probe-topic': 'task-events', 'reply-topic': 'task-updates', probes: String(PROBES), concurrency: String(concurrency), timeout: '5m' });
      const report = JSON.parse(readFileSync(r.outputs['report-path']!, 'utf8')) as { sent: number; acknowledged: number; latency?: { p50: number; p95: number; max: number } };
      runs[name] = { probes: report.sent, lost: report.sent - report.acknowledged + (PROBES - report.sent), p50_ms: report.latency?.p50 ?? -1, p95_ms: report.latency?.p95 ?? -1, max_ms: report.latency?.max ?? -1 };
    }
    const all = Object.values(runs);
    const result = {
      probes: all.reduce((n, r) => n + r.probes, 0),
      lost: all.reduce((n, r) => n + r.lost, 0),
      p50_ms: Math.max(...all.map((r) => r.p50_ms)),
      p95_ms: Math.max(...all.map((r) => r.p95_ms)),
      max_ms: Math.max(...all.map((r) => r.max_ms)),
      runs,
    };
    const ok = result.lost === 0 && result.p95_ms >= 0 && result.p95_ms < 250;
    return { result, ok, summary: `${result.probes} probes, lost ${result.lost}, p50 ${result.p50_ms} ms, p95 ${result.p95_ms} ms (goal < 250), max ${result.max_ms} ms (sequential p95 ${runs.sequential!.p95_ms}, concurrency 20 p95 ${runs.concurrency_20!.p95_ms})` };
  } finally {
    await stopLocal(ctx, app.instance);
  }
}
