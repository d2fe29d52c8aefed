import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startLocal, stopLocal, type LocalInstance } from '../../../app/scripts/local.js';
import { createContext } from '../../../stack/src/stack.js';
import { appProcessName } from '../../../app/scripts/local.js';
import { runActionBundle, type ActionRun } from '../../support/action-harness.js';
import { KafkaTail } from '../../support/kafka-tail.js';
import { stack } from '../../support/stack.js';
import { ensureStackServer, restartStackServer } from '../../support/stack-servers.js';

/** verify-events against the real app (API + worker, each with a real daprd) on the stack's Kafka. */
const ctx = createContext({ info: () => undefined, warn: () => undefined });
const kafka = stack.kafka();
const endpoints = () => ({ kafka: { sasl: kafka.sasl, username: kafka.username, password: kafka.password }, postgresUrl: stack.postgres().url, helm: stack.helm().helm4, daprd: stack.dapr().daprd, scheduler: stack.dapr().scheduler });

/**
 * Each test's app is a new consumer group: it starts at the end of task-events ("newest"), not at its oldest
 * record as the chart's default does, so the probes never queue behind every task event earlier tests published.
 */
const NEWEST = { 'pubsub.initialOffset': 'newest' };

async function app(probeRoute = true): Promise<LocalInstance> {
  return startLocal(ctx, endpoints(), { instance: `ve-${randomUUID().slice(0, 6)}`, probeRoute, set: NEWEST });
}

function verifyEvents(inputs: Record<string, string>, timeoutMs?: number): Promise<ActionRun> {
  return runActionBundle('verify-events', 'main', { brokers: kafka.sasl, username: kafka.username, password: kafka.password, tls: 'false', 'probe-topic': 'task-events', 'reply-topic': 'task-updates', 'dead-letter-topic': 'task-events-dlq', ...inputs }, { timeoutMs });
}

describe('verify-events against the real app', () => {
  let running: LocalInstance;

  beforeAll(async () => {
    running = await app();
  });
  afterAll(async () => {
    await stopLocal(ctx, running.instance);
  });

  it('proves the round trip with several probes, concurrently, and reports latencies', async () => {
    const run = await verifyEvents({ 'app-id': running.worker.appId, probes: '6', concurrency: '3', timeout: '90s' });
    expect(run.stdout).not.toMatch(/::error::/);
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ sent: '6', acknowledged: '6' });
    const [p50, p95, max] = ['p50-ms', 'p95-ms', 'max-ms'].map((k) => Number(run.outputs[k]));
    expect(p50).toBeGreaterThan(0);
    expect(p50).toBeLessThanOrEqual(p95!);
    expect(p95).toBeLessThanOrEqual(max!);
    expect(run.summary).toContain('## verify-events: PASSED');
    expect(run.summary).toMatch(/\| p50 \| p95 \| max \| limit \(p95\) \|/);
    expect(run.everything()).not.toContain(kafka.password);
    expect(run.masks()).toContain(kafka.password);
  });

  it('warm-up probes make the round trip first but stay out of the latency figures', async () => {
    const run = await verifyEvents({ 'app-id': running.worker.appId, probes: '2', 'warmup-probes': '1', timeout: '90s' });
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ sent: '3', acknowledged: '3' });
    expect(run.stdout).toMatch(/3 of 3 probe\(s\) made the round trip .* \(p95 \d+ ms over the 2 after 1 warm-up probe\(s\)\)/);
    // The report lists all three in the order sent; p50/p95/max come from the last two only.
    const report = JSON.parse(readFileSync(run.outputs['report-path']!, 'utf8')) as { probes: Array<{ latencyMs: number }> };
    expect(report.probes).toHaveLength(3);
    const measured = report.probes.slice(1).map((p) => Math.round(p.latencyMs));
    expect(Number(run.outputs['max-ms'])).toBe(Math.max(...measured));
  });

  it('fails with the figures when p95 is over max-p95-ms', async () => {
    const run = await verifyEvents({ 'app-id': running.worker.appId, probes: '3', 'max-p95-ms': '1', timeout: '90s' });
    expect(run.code).toBe(1);
    expect(run.outputs.acknowledged).toBe('3');
    expect(run.stdout).toMatch(/too slow: p95 \d+ ms is over max-p95-ms 1 \(p50 \d+ ms, max \d+ ms, 3 probes\)/);
  });

  it('says plainly when the password is wrong', async () => {
    const run = await verifyEvents({ 'app-id': running.worker.appId, password: 'not-the-password', timeout: '20s', 'connect-timeout': '10s' });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/::error::connecting to Kafka .*(authentication|password|SASL)/i);
    expect(run.everything()).not.toContain('not-the-password');
  });
});

describe('verify-events diagnoses failures', () => {
  it('a stopped app: the group has no members, within the timeout', async () => {
    const stopped = await app();
    await stopLocal(ctx, stopped.instance);
    const t0 = Date.now();
    const run = await verifyEvents({ 'app-id': stopped.worker.appId, timeout: '15s' });
    expect(Date.now() - t0).toBeLessThan(40_000);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`the subscriber is not ready: consumer group "${stopped.worker.appId}" (has no members|does not exist)`));
    expect(run.stdout).toMatch(/Next: (the subscriber is not running|check consumer-group)/);
    expect(run.outputs.sent).toBe('0');
  });

  it('a probe route that is off: consumed without acknowledgement', async () => {
    const noProbe = await app(false);
    try {
      const run = await verifyEvents({ 'app-id': noProbe.worker.appId, probes: '2', concurrency: '2', timeout: '15s' });
      expect(run.code).toBe(1);
      expect(run.outputs).toMatchObject({ sent: '2', acknowledged: '0' });
      expect(run.stdout).toMatch(new RegExp(`2 of 2 probe\\(s\\) were consumed by "${noProbe.worker.appId}" but never acknowledged on task-updates`));
      expect(run.stdout).toMatch(/CEL route for the probe type/);
      expect(run.summary).toContain('## verify-events: FAILED');
    } finally {
      await stopLocal(ctx, noProbe.instance);
    }
  });
});

describe('verify-events when the broker restarts during the run', () => {
  // Not a fixed sleep (the run once finished, or had not started its round trips, when the broker went down):
  // the restart starts once the run has acknowledgements on the reply topic, and the test checks that the run
  // was still going while the broker was down. 1000 probes (the most) at concurrency 1 take 20-30 s here,
  // several times the restart. Deadlines: the run 240 s, the test 420 s.
  it('survives it: reads and publishes are tried again with the leaders read anew, and every probe makes the round trip', async () => {
    const running = await app();
    const replies = await KafkaTail.open('task-updates');
    try {
      let finished = false;
      const verifying = verifyEvents({ 'app-id': running.worker.appId, probes: '1000', concurrency: '1', timeout: '240s' }, 300_000).finally(() => (finished = true));
      const acked = (): number => replies.messages.filter((m) => m.json?.source === running.worker.appId).length;
      await replies.waitFor(() => acked() >= 20, `20 acknowledgements from ${running.worker.appId} on task-updates`, 120_000);
      expect(finished).toBe(false);
      const restart = await restartStackServer('kafka', { whileDown: () => expect(finished).toBe(false) });
      console.log(`the broker restarted: stopped in ${restart.stoppedMs} ms${restart.killed ? ' (killed: its controlled shutdown hung)' : ''}, healthy again ${restart.upMs} ms later`);
      const run = await verifying;
      expect(run.stdout).toMatch(/(publishing a probe to task-events failed|reading the reply topic failed) \(/);
      expect(run.code).toBe(0);
      expect(run.outputs).toMatchObject({ sent: '1000', acknowledged: '1000' });
      expect(run.summary).toContain('## verify-events: PASSED');
      expect(restart.stoppedMs + restart.upMs).toBeGreaterThan(1_000);
    } finally {
      await ensureStackServer('kafka');
      await replies.close();
      await stopLocal(ctx, running.instance);
    }
  }, 420_000);
});

describe('verify-events when the worker process is down while its daprd runs', () => {
  it('says the app was unreachable from its sidecar, not that its handler failed', async () => {
    // Dapr's app health check off (it would pause the subscription instead) and a short delivery retry budget,
    // so daprd dead-letters the probes within the run, as a sidecar without the check does.
    const down = await startLocal(ctx, endpoints(), { instance: `ve-${randomUUID().slice(0, 6)}`, set: { ...NEWEST, 'appHealthCheck.enabled': false, 'resiliency.inbound.maxRetries': 2, 'resiliency.inbound.maxInterval': '1s' } });
    try {
      await ctx.procs.stop(appProcessName(down.worker.appId));
      const run = await verifyEvents({ 'app-id': down.worker.appId, probes: '2', concurrency: '2', timeout: '20s' });
      expect(run.code).toBe(1);
      expect(run.outputs).toMatchObject({ sent: '2', acknowledged: '0' });
      expect(run.stdout).toMatch(/2 of 2 probe\(s\) went to the dead-letter topic task-events-dlq with no failure report from the app's handler: the app was unreachable from its sidecar/);
      expect(run.stdout).toMatch(/not listening on its app port/);
      expect(run.stdout).not.toMatch(/handler failed/);
    } finally {
      await stopLocal(ctx, down.instance);
    }
  }, 180_000);
});
