/**
 * app: the sample todo app on the local stack, API and worker each behind a real daprd, PostgreSQL and Kafka.
 * By default the in-cluster app that `npm run local` deploys (pods on the stack's real node, the API through its
 * NodePort; `npm run local` runs first when it does not answer), tokens signed with the key of its Secret
 * `todo-secrets`. APP_BENCH_TARGET=host measures the app as `npm run app -- up` runs it on this machine
 * instead (its own instance, "todo-bench").
 * 20 clients create tasks back to back for 10 s, after a warm-up that is not counted: 2 s windows, at
 * least 10 s of them, until two in a row are no more than 5% faster than the best before them (at most
 * 30 s). Right after `stack up` the long-lived servers (Kafka's JVM above all) need some 20 s of this load
 * to settle: a first run with 2 s of warm-up measured 570 creates/s, the runs after it 800-900.
 *
 * - api_p95_ms: POST /api/tasks latency as a client sees it (state write + publish through Dapr).
 * - event_p95_ms: publish-to-consume latency of those tasks' task.created events: from the event's own
 *   publish time (data.occurredAt, ms) to its arrival at a consumer reading task-events (no group).
 * - errors: non-201 answers, failed requests, and events that never arrived.
 * Each client is its own user and moves to a fresh user every 50 tasks (users do not have thousands of
 * tasks; the per-user index stays small, as in real use).
 * Goals: api_p95_ms < 50, event_p95_ms < 250, errors = 0.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { signHs256 } from '../app/src/auth/jwt.js';
import { jwtKey, stackEndpoints, startLocal, stopLocal } from '../app/scripts/local.js';
import { createContext } from '../stack/src/stack.js';
import { Admin } from '@platformatic/kafka';
import { endOffsets } from '../src/events/kafka-io.js';
import { KafkaTail } from '../test/support/kafka-tail.js';
import { stack } from '../test/support/stack.js';
import type { BenchOutcome } from './run.js';

const CLIENTS = 20;
const DURATION_MS = 10_000;
const WARMUP_WINDOW_MS = 2_000;
const WARMUP_MIN_MS = 10_000;
const WARMUP_MAX_MS = 30_000;
const WARMUP_SETTLED = 1.05;
const TASKS_PER_USER = 50;
const INSTANCE = 'todo-bench';

/**
 * A lean load client: node:http over kept-alive sockets (one per client), as wrk or autocannon would
 * send it. fetch (undici) spends about twice the CPU per request, and every core this client uses is
 * one the stack under test does not get.
 */
const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
function post(url: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Busy and total CPU time of the whole machine so far (ms, from /proc/stat; all cores). */
function machineCpu(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0); // idle + iowait
  const tick = 1000 / 100; // USER_HZ
  return { busy: (total - idle) * tick, total: total * tick };
}

/**
 * Deletes task-events' records up to its end (Kafka DeleteRecords): a run writes some 10,000 events, and
 * every consumer group created later starts at the oldest offset (the chart's pubsub.initialOffset), so
 * without this the next test run's fresh worker groups first read everything benchmarks left. This is
 * the local stack: what was on the topic before the run goes too.
 */
export async function trimTaskEvents(): Promise<bigint> {
  const admin = new Admin({ clientId: 'bench-app-trim', ...stack.kafkaClient() });
  try {
    const ends = await endOffsets(admin, 'task-events');
    await admin.deleteRecords({ topics: [{ name: 'task-events', partitions: [...ends].map(([partition, offset]) => ({ partition, offset })) }] });
    return [...ends.values()].reduce((a, b) => a + b, 0n);
  } finally {
    await admin.close();
  }
}

const percentile = (sorted: number[], p: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : Number.NaN);
const round = (n: number): number => Math.round(n * 10) / 10;

export interface Target { base: string; key: Buffer; where: string; stop(): Promise<void> }

async function answers(url: string): Promise<boolean> {
  return fetch(url, { signal: AbortSignal.timeout(3000) }).then((r) => r.status === 200, () => false);
}

/** The in-cluster app (deployed by npm run local, which runs first when the app does not answer). */
export async function clusterTarget(): Promise<Target> {
  const nodeIp = String(stack.node().nodeIp);
  const base = `http://${nodeIp}:30080`;
  if (!(await answers(`${base}/readyz`))) {
    console.error('bench app: the in-cluster app does not answer; running npm run local first');
    execFileSync('bash', ['scripts/local.sh'], { cwd: resolve(import.meta.dirname, '..'), stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const secret = execFileSync(stack.helm().kubectl, ['get', 'secret', 'todo-secrets', '-n', 'todo', '-o', 'jsonpath={.data.jwt-signing-key}'], { env: { ...process.env, KUBECONFIG: stack.kubeconfig() }, encoding: 'utf8' });
  return { base, key: Buffer.from(secret, 'base64'), where: 'in-cluster (pods on the stack node)', stop: async () => undefined };
}

async function hostTarget(): Promise<Target> {
  const ctx = createContext({ info: () => undefined, warn: (m) => console.error(m) });
  const info = await startLocal(ctx, await stackEndpoints(ctx), { instance: INSTANCE, log: (l) => console.error(`bench app: ${l}`) });
  return { base: `http://127.0.0.1:${info.api.port}`, key: Buffer.from(jwtKey(ctx, INSTANCE), 'utf8'), where: 'host processes (npm run app)', stop: async () => void (await stopLocal(ctx, INSTANCE)) };
}

export async function run(): Promise<BenchOutcome> {
  const mode = process.env.APP_BENCH_TARGET ?? 'cluster';
  if (mode !== 'cluster' && mode !== 'host') throw new Error(`APP_BENCH_TARGET must be cluster or host, got "${mode}"`);
  const target = mode === 'cluster' ? await clusterTarget() : await hostTarget();
  const key = target.key;
  const url = `${target.base}/api/tasks`;
  const token = (user: string): string => {
    const iat = Math.floor(Date.now() / 1000);
    return signHs256({ sub: user, iat, exp: iat + 600 }, key);
  };
  const tail = await KafkaTail.open('task-events');
  const loadBefore = Math.round(loadavg()[0]! * 100) / 100;
  const api: number[] = [];
  const created = new Set<string>();
  const problems: string[] = [];
  let errors = 0;

  try {
    /** Runs the clients for `ms`; the number of answers they got. */
    const runPhase = async (ms: number, measured: boolean): Promise<number> => {
      const until = Date.now() + ms;
      let answered = 0;
      await Promise.all(
        Array.from({ length: CLIENTS }, async (_, c) => {
          let n = 0;
          let auth = '';
          while (Date.now() < until) {
            if (n++ % TASKS_PER_USER === 0) auth = `Bearer ${token(`bench-${c}-${randomUUID().slice(0, 8)}`)}`;
            const t0 = performance.now();
            try {
              const res = await post(url, { authorization: auth, 'content-type': 'application/json' }, JSON.stringify({ title: `bench task ${n}`, tags: ['bench'], priority: 'normal' }));
              const body = JSON.parse(res.body) as { id?: string; error?: { message?: string } };
              const ms = performance.now() - t0;
              answered++;
              if (!measured) continue;
              if (res.status === 201 && body.id) {
                api.push(ms);
                created.add(body.id);
              } else {
                errors++;
                if (problems.length < 5) problems.push(`HTTP ${res.status}: ${body.error?.message ?? ''}`);
              }
            } catch (err) {
              if (!measured) continue;
              errors++;
              if (problems.length < 5) problems.push((err as Error).message);
            }
          }
        }),
      );
      return answered;
    };
    // Warm-up windows (answers per second): at least 10 s, then until two in a row do not beat the best so far by 5%.
    const warmup: number[] = [];
    for (let best = 0, stale = 0; warmup.length * WARMUP_WINDOW_MS < WARMUP_MIN_MS || (stale < 2 && warmup.length * WARMUP_WINDOW_MS < WARMUP_MAX_MS); ) {
      const rate = (await runPhase(WARMUP_WINDOW_MS, false)) / (WARMUP_WINDOW_MS / 1000);
      warmup.push(rate);
      if (rate > best * WARMUP_SETTLED) [best, stale] = [rate, 0];
      else stale++;
    }
    const cpu0 = machineCpu();
    await runPhase(DURATION_MS, true);
    const cpu1 = machineCpu();

    // Every created task's event, read back from the topic (allowing stragglers 15 s).
    const events = new Map<string, number>();
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      for (const m of tail.messages) {
        const data = m.json?.data as { taskId?: string; occurredAt?: string } | undefined;
        if (m.json?.type === 'task.created' && data?.taskId && created.has(data.taskId) && !events.has(data.taskId)) {
          events.set(data.taskId, m.receivedAt - Date.parse(String(data.occurredAt)));
        }
      }
      if (events.size >= created.size) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const lost = created.size - events.size;
    errors += lost;
    if (lost && problems.length < 5) problems.push(`${lost} task.created events never arrived`);

    const apiSorted = [...api].sort((a, b) => a - b);
    const evSorted = [...events.values()].sort((a, b) => a - b);
    const result = {
      target: target.where,
      clients: CLIENTS,
      duration_s: DURATION_MS / 1000,
      warmup_s: (warmup.length * WARMUP_WINDOW_MS) / 1000,
      warmup_per_s: warmup.map(round),
      requests: api.length + errors - lost,
      requests_per_s: round(api.length / (DURATION_MS / 1000)),
      api_p50_ms: round(percentile(apiSorted, 50)),
      api_p95_ms: round(percentile(apiSorted, 95)),
      api_max_ms: round(apiSorted.at(-1) ?? Number.NaN),
      events: events.size,
      event_p50_ms: round(percentile(evSorted, 50)),
      event_p95_ms: round(percentile(evSorted, 95)),
      event_max_ms: round(evSorted.at(-1) ?? Number.NaN),
      errors,
      ...(problems.length ? { problems } : {}),
      // Everything (the app, two daprd, Kafka, PostgreSQL, this client) shares these cores with whatever else runs.
      // What one create costs the whole machine (the app, both sidecars, Kafka, PostgreSQL, this client).
      cpu_ms_per_request: round((cpu1.busy - cpu0.busy) / Math.max(1, api.length)),
      machine: { cpus: cpus().length, load_avg_1m_before: loadBefore, busy_pct: round((100 * (cpu1.busy - cpu0.busy)) / Math.max(1, cpu1.total - cpu0.total)) },
    };
    const ok = result.api_p95_ms < 50 && result.event_p95_ms < 250 && errors === 0;
    return {
      result,
      ok,
      summary: `${result.requests} creates (${result.requests_per_s}/s, ${CLIENTS} clients, ${result.cpu_ms_per_request} ms CPU each): api_p95_ms ${result.api_p95_ms} (goal < 50), event_p95_ms ${result.event_p95_ms} (goal < 250), errors ${errors} (goal 0)`,
    };
  } finally {
    agent.destroy();
    await tail.close();
    await target.stop();
    const upTo = await trimTaskEvents().catch((err: Error) => console.error(`bench app: could not trim task-events: ${err.message}`));
    if (upTo !== undefined) console.error(`bench app: deleted task-events records up to its end (${upTo} offsets in all), so new consumer groups do not read them`);
  }
}
