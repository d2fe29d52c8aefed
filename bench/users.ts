/**
 * users: the app's service levels with 100 concurrent users, and a deploy that loses none of their requests
 * (issue 22). Against the in-cluster app that `npm run local` deploys (pods on the stack's real node, the API
 * through its NodePort, tokens signed with the key of its Secret, as bench/app.ts reaches it; `npm run local`
 * runs first when the app does not answer, and always with USERS_BENCH_DEPLOY=1: do that after changing app/ or
 * chart/, so that the pods under test run them).
 *
 * - 100 users, open loop: each sends about one request a second (Poisson arrivals, mean 1 s, a random phase),
 *   whether or not its previous request has been answered, each over its own kept-alive connection (a browser's).
 *   The mix: 40% list (GET /api/tasks), 30% create, 20% update (PATCH a title), 10% complete, on the user's
 *   own open tasks (3 made per user before the clock starts; a task being changed is not picked again).
 * - Latency counts from the request's scheduled time, not from when it was sent: a slow answer or a busy event
 *   loop delays nothing that follows it unseen (no coordinated omission).
 * - Phases: a warm-up of 10 s (not counted), steady 30 s (USERS_BENCH_STEADY_S), then, with the users still
 *   running, an upgrade of the release to a new revision through helm-deploy's own deploy logic
 *   (src/actions/helm-deploy/deploy.ts, helm 4: the release's values plus a changed pod annotation, so both
 *   roles roll: new pod Ready first, then the old one stops as the chart orders it), until every replaced pod
 *   is gone, plus 5 s. A request fails when it gets no 2xx answer within 10 s or its connection breaks.
 * - Goals: steady p95 < 50 ms, steady errors 0, failed requests during the upgrade 0.
 * - A control run (does the bench see lost requests?): USERS_BENCH_SET="shutdown.preStopSleepSeconds=0,..."
 *   upgrades the release with those values first (unmeasured, so the pods that the measured upgrade replaces
 *   run with them), gives them to the measured upgrade too, and rolls the release back to the revision that
 *   was live before it at the end. The result names them (`settings`).
 * Afterwards task-events' records are deleted, as bench/app.ts does, so consumer groups created later do not
 * read them.
 */
import { CoreV1Api } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { signHs256 } from '../app/src/auth/jwt.js';
import { deploy } from '../src/actions/helm-deploy/deploy.js';
import { SafeRunner } from '../src/core/exec.js';
import { Timings } from '../src/core/groups.js';
import type { Logger } from '../src/core/log.js';
import { Helm } from '../src/helm/helm.js';
import { loadKubeConfig } from '../src/kube/client.js';
import { KubeRest } from '../src/kube/rest.js';
import { stack } from '../test/support/stack.js';
import { clusterTarget, trimTaskEvents } from './app.js';
import type { BenchOutcome } from './run.js';

const root = resolve(import.meta.dirname, '..');
const USERS = 100;
const MEAN_INTERVAL_MS = 1_000;
const MIX = { list: 0.4, create: 0.3, update: 0.2, complete: 0.1 } as const;
type Op = keyof typeof MIX;
const SEED_TASKS = 3;
const WARMUP_MS = 10_000;
const STEADY_MS = Number(process.env.USERS_BENCH_STEADY_S ?? 30) * 1000;
const TAIL_MS = 5_000;
const REQUEST_TIMEOUT_MS = 10_000;
const UPGRADE_TIMEOUT_MS = 300_000;
const PODS_GONE_TIMEOUT_MS = 180_000;
const RELEASE = 'todo';
const NAMESPACE = 'todo';
const GOALS = { steady_p95_ms_below: 50, steady_errors: 0, upgrade_failed: 0 };

type Phase = 'warmup' | 'steady' | 'upgrade';

interface Sample {
  phase: Phase;
  op: Op;
  /** ms since the run's start: when the request was due. */
  due: number;
  ms: number;
  ok: boolean;
  problem?: string;
}

interface User {
  name: string;
  auth: string;
  agent: Agent;
  /** Open tasks no request is changing right now. */
  free: string[];
}

const percentile = (sorted: number[], p: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : Number.NaN);
const round = (n: number): number => Math.round(n * 10) / 10;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** One request over the user's own kept-alive connection: the status and body, or a thrown connection error. */
function send(user: User, method: string, path: string, base: string, body?: unknown): Promise<{ status: number; body: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolvePromise, reject) => {
    const req = request(`${base}${path}`, { method, agent: user.agent, headers: { authorization: user.auth, ...(payload ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
    req.on('error', (err: NodeJS.ErrnoException) => reject(new Error(`${err.code ?? err.message}${req.reusedSocket ? ' (on a kept-alive connection)' : ''}`)));
    req.end(payload);
  });
}

function pickOp(user: User): Op {
  let r = Math.random();
  let op: Op = 'list';
  for (const [name, share] of Object.entries(MIX) as Array<[Op, number]>) {
    if ((r -= share) < 0) {
      op = name;
      break;
    }
  }
  return (op === 'update' || op === 'complete') && user.free.length === 0 ? 'create' : op;
}

/** One user's request of the given kind, as the UI would make it; the answer checked. */
async function act(user: User, op: Op, base: string): Promise<void> {
  const check = (res: { status: number; body: string }, status: number): Record<string, unknown> => {
    if (res.status !== status) {
      const code = /"code":"([^"]+)"/.exec(res.body)?.[1];
      throw new Error(`HTTP ${res.status}${code ? ` ${code}` : ''}`);
    }
    return JSON.parse(res.body) as Record<string, unknown>;
  };
  if (op === 'list') {
    check(await send(user, 'GET', '/api/tasks?status=open', base), 200);
  } else if (op === 'create') {
    const task = check(await send(user, 'POST', '/api/tasks', base, { title: `bench task ${Date.now()}`, tags: ['bench'], priority: 'normal' }), 201);
    user.free.push(String(task.id));
  } else {
    const id = user.free.splice(Math.floor(Math.random() * user.free.length), 1)[0]!;
    try {
      if (op === 'update') check(await send(user, 'PATCH', `/api/tasks/${id}`, base, { title: `renamed ${Date.now()}` }), 200);
      else check(await send(user, 'POST', `/api/tasks/${id}/complete`, base), 200);
    } finally {
      if (op === 'update') user.free.push(id);
    }
  }
}

function stats(samples: Sample[]): { requests: number; errors: number; p50_ms: number; p95_ms: number; p99_ms: number; max_ms: number } {
  const sorted = samples.filter((s) => s.ok).map((s) => s.ms).sort((a, b) => a - b);
  return { requests: samples.length, errors: samples.filter((s) => !s.ok).length, p50_ms: round(percentile(sorted, 50)), p95_ms: round(percentile(sorted, 95)), p99_ms: round(percentile(sorted, 99)), max_ms: round(sorted.at(-1) ?? Number.NaN) };
}

/** USERS_BENCH_SET: chart values for a control run, "key=value" separated by commas. */
function controlSets(raw: string | undefined): Array<{ key: string; value: string }> {
  if (!raw?.trim()) return [];
  return raw.split(',').map((item) => {
    const at = item.indexOf('=');
    if (at <= 0) throw new Error(`USERS_BENCH_SET: "${item}" is not key=value (e.g. USERS_BENCH_SET=shutdown.preStopSleepSeconds=0,shutdown.delaySeconds=0)`);
    return { key: item.slice(0, at).trim(), value: item.slice(at + 1).trim() };
  });
}

/** helm 4 of the stack, as helm-deploy drives it. */
function stackHelm(): { helm: Helm; env: NodeJS.ProcessEnv } {
  const kubeconfig = stack.kubeconfig();
  const helmPath = stack.helm().helm4;
  const env = { ...process.env, KUBECONFIG: kubeconfig };
  const version = execFileSync(helmPath, ['version', '--template', '{{.Version}}'], { encoding: 'utf8' }).trim();
  return { helm: new Helm({ path: helmPath, version, major: 4 }, new SafeRunner(benchLog), benchLog, env), env };
}

/** Logs helm-deploy's lines on stderr (its groups as plain lines). */
const benchLog: Logger = {
  debug: () => undefined,
  info: (m) => console.error(`users: helm-deploy: ${m}`),
  warning: (m) => console.error(`users: helm-deploy: warning: ${m}`),
  error: (m) => console.error(`users: helm-deploy: error: ${m}`),
  startGroup: (n) => console.error(`users: helm-deploy: [${n}]`),
  endGroup: () => undefined,
};

interface PodView { name: string; role: string; deleting: boolean; preStop?: number; grace?: number; blockShutdown?: string; image?: string }

async function appPods(core: CoreV1Api): Promise<PodView[]> {
  const list = await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `app.kubernetes.io/instance=${RELEASE}` });
  return list.items.map((p) => {
    const app = p.spec?.containers.find((c) => c.name !== 'daprd');
    return { name: p.metadata?.name ?? '', role: p.metadata?.labels?.['app.kubernetes.io/component'] ?? '', deleting: !!p.metadata?.deletionTimestamp, preStop: app?.lifecycle?.preStop?.sleep?.seconds, grace: p.spec?.terminationGracePeriodSeconds, blockShutdown: p.metadata?.annotations?.['dapr.io/block-shutdown-duration'], image: app?.image };
  });
}

/**
 * A new revision of the release, as the deploy pipeline makes one: helm-deploy's deploy() (preflight, helm 4
 * upgrade --wait with rollback on failure, diagnostics) with the release's own values and a changed pod
 * annotation. Then waits until every pod it replaced is gone.
 */
async function upgradeRelease(core: CoreV1Api, stamp: string, sets: Array<{ key: string; value: string }> = []): Promise<{ ok: boolean; outcome: string; revision?: number; helm_s: number; replaced: string[]; pods_gone_s?: number; failure?: string }> {
  const kubeconfig = stack.kubeconfig();
  const { helm, env } = stackHelm();
  const before = (await appPods(core)).filter((p) => !p.deleting).map((p) => p.name);
  const dir = mkdtempSync(join(tmpdir(), 'bench-users-'));
  const t0 = performance.now();
  try {
    // The values the release runs with (image digest, brokers, the values file's, ...): no secret is a value.
    const values = join(dir, 'release-values.yaml');
    writeFileSync(values, execFileSync(helm.binary.path, ['get', 'values', RELEASE, '-n', NAMESPACE, '-o', 'yaml'], { env, encoding: 'utf8' }), { mode: 0o600 });
    const result = await deploy(
      {
        recoverPending: false,
        upgrade: {
          release: RELEASE,
          chart: join(root, 'chart'),
          namespace: NAMESPACE,
          createNamespace: false,
          valuesFiles: [values],
          set: sets,
          setString: [{ key: 'podAnnotations.oke-dapr-actions\\.io/bench-rollout', value: stamp }],
          setFile: [],
          timeoutMs: UPGRADE_TIMEOUT_MS,
          wait: true,
          rollbackOnFailure: true,
          dryRun: false,
        },
      },
      { helm, kube: KubeRest.fromKubeconfig(kubeconfig), log: benchLog, timings: new Timings() },
    );
    const helm_s = round((performance.now() - t0) / 1000);
    if (!result.ok) return { ok: false, outcome: result.outcome, helm_s, replaced: before, failure: result.failure };
    const deadline = Date.now() + PODS_GONE_TIMEOUT_MS;
    for (;;) {
      const names = new Set((await appPods(core)).map((p) => p.name));
      if (!before.some((n) => names.has(n))) break;
      if (Date.now() > deadline) return { ok: false, outcome: result.outcome, revision: result.live?.revision, helm_s, replaced: before, failure: `replaced pods still there after ${PODS_GONE_TIMEOUT_MS / 1000} s: ${before.filter((n) => names.has(n)).join(', ')}` };
      await sleep(500);
    }
    return { ok: true, outcome: result.outcome, revision: result.live?.revision, helm_s, replaced: before, pods_gone_s: round((performance.now() - t0) / 1000) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchOutcome> {
  if (process.env.USERS_BENCH_DEPLOY === '1') {
    console.error('users: USERS_BENCH_DEPLOY=1: deploying the working tree with npm run local first');
    execFileSync('bash', ['scripts/local.sh'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const target = await clusterTarget();
  const core = loadKubeConfig(stack.kubeconfig()).makeApiClient(CoreV1Api);
  const sets = controlSets(process.env.USERS_BENCH_SET);
  let restoreRevision: number | undefined;
  if (sets.length) {
    const { helm } = stackHelm();
    const history = await helm.history(RELEASE, NAMESPACE);
    restoreRevision = [...history].reverse().find((r) => r.status === 'deployed')?.revision;
    console.error(`users: control run: upgrading to ${sets.map((x) => `${x.key}=${x.value}`).join(', ')} first (revision ${restoreRevision ?? '?'} is restored at the end)`);
    const prep = await upgradeRelease(core, `control-${new Date().toISOString()}`, sets);
    if (!prep.ok) throw new Error(`the control run's first upgrade failed: ${prep.outcome}: ${prep.failure ?? ''}`);
  }
  const rollout = (await appPods(core)).find((p) => p.role === 'api' && !p.deleting);
  const iat = Math.floor(Date.now() / 1000);
  const users: User[] = Array.from({ length: USERS }, (_, i) => {
    const name = `bench-user-${i}-${Date.now().toString(36)}`;
    return { name, auth: `Bearer ${signHs256({ sub: name, iat, exp: iat + 3600 }, target.key)}`, agent: new Agent({ keepAlive: true }), free: [] };
  });
  const loadBefore = round(loadavg()[0]!);
  const samples: Sample[] = [];
  const inFlight = new Set<Promise<void>>();
  let upgrade: Awaited<ReturnType<typeof upgradeRelease>> | undefined;
  let upgradeError: string | undefined;

  try {
    // Each user's first tasks, before the clock starts.
    await Promise.all(users.map(async (u) => {
      for (let i = 0; i < SEED_TASKS; i++) await act(u, 'create', target.base);
    }));

    const start = performance.now();
    const now = (): number => performance.now() - start;
    let phase: Phase = 'warmup';
    let stopAt = Number.POSITIVE_INFINITY;
    const fire = (u: User, due: number): void => {
      const op = pickOp(u);
      const sample: Sample = { phase, op, due, ms: 0, ok: false };
      const p = act(u, op, target.base).then(
        () => {
          sample.ok = true;
        },
        (err: Error) => {
          sample.problem = `${op}: ${err.message}`;
        },
      ).finally(() => {
        sample.ms = now() - due;
        samples.push(sample);
        inFlight.delete(p);
      });
      inFlight.add(p);
    };
    // Open loop: every user's requests go out at their scheduled times, answered or not.
    const loops = users.map(async (u) => {
      for (let due = Math.random() * MEAN_INTERVAL_MS; due < stopAt; due += -Math.log(1 - Math.random()) * MEAN_INTERVAL_MS) {
        await sleep(due - now());
        if (due >= stopAt) break;
        fire(u, due);
      }
    });

    await sleep(WARMUP_MS - now());
    phase = 'steady';
    console.error(`users: warm-up over (${samples.length} requests); steady for ${STEADY_MS / 1000} s`);
    await sleep(WARMUP_MS + STEADY_MS - now());
    phase = 'upgrade';
    const upgradeStart = now();
    console.error('users: upgrading the release to a new revision while the users run');
    try {
      upgrade = await upgradeRelease(core, new Date().toISOString(), sets);
    } catch (err) {
      upgradeError = err instanceof Error ? err.message : String(err);
    }
    await sleep(TAIL_MS);
    stopAt = now();
    await Promise.all(loops);
    await Promise.all([...inFlight]);
    const upgradeSeconds = (stopAt - upgradeStart) / 1000;

    const steady = samples.filter((s) => s.phase === 'steady');
    const during = samples.filter((s) => s.phase === 'upgrade');
    const steadyStats = stats(steady);
    const upgradeStats = stats(during);
    const byOp = Object.fromEntries((Object.keys(MIX) as Op[]).map((op) => {
      const st = stats(steady.filter((s) => s.op === op));
      return [op, { requests: st.requests, p95_ms: st.p95_ms, errors: st.errors }];
    }));
    const problems = (list: Sample[]): Record<string, number> => {
      const counts: Record<string, number> = {};
      for (const s of list) if (!s.ok) counts[s.problem ?? 'unknown'] = (counts[s.problem ?? 'unknown'] ?? 0) + 1;
      return counts;
    };
    const firstFailures = during.filter((s) => !s.ok).sort((a, b) => a.due - b.due).slice(0, 10).map((s) => `+${round((s.due - upgradeStart) / 1000)} s ${s.problem}`);
    const upgradeOk = upgrade?.ok === true;
    const result = {
      target: target.where,
      users: USERS,
      requests_per_user_per_s: 1000 / MEAN_INTERVAL_MS,
      mix: MIX,
      latency_from: 'scheduled send time (open loop, no coordinated omission)',
      ...(sets.length ? { settings: Object.fromEntries(sets.map((x) => [x.key, x.value])), control_run: 'USERS_BENCH_SET: the replaced pods and the new ones ran with these values' } : {}),
      phases_s: { warmup: WARMUP_MS / 1000, steady: STEADY_MS / 1000, upgrade: round(upgradeSeconds) },
      steady: { ...steadyStats, requests_per_s: round(steadyStats.requests / (STEADY_MS / 1000)), by_op: byOp, ...(steadyStats.errors ? { problems: problems(steady) } : {}) },
      upgrade: {
        ok: upgradeOk,
        outcome: upgrade?.outcome ?? upgradeError ?? 'not run',
        ...(upgrade?.failure ? { failure: upgrade.failure.slice(0, 2000) } : {}),
        revision: upgrade?.revision ?? null,
        helm_s: upgrade?.helm_s ?? null,
        replaced_pods: upgrade?.replaced ?? [],
        replaced_pods_gone_s: upgrade?.pods_gone_s ?? null,
        requests: upgradeStats.requests,
        failed: upgradeStats.errors,
        p50_ms: upgradeStats.p50_ms,
        p95_ms: upgradeStats.p95_ms,
        p99_ms: upgradeStats.p99_ms,
        max_ms: upgradeStats.max_ms,
        ...(upgradeStats.errors ? { problems: problems(during), first_failures: firstFailures } : {}),
      },
      // What the pods that were replaced ran with (the chart's shutdown settings, the image).
      rollout: rollout ? { pre_stop_sleep_s: rollout.preStop ?? null, termination_grace_period_s: rollout.grace ?? null, dapr_block_shutdown: rollout.blockShutdown ?? null, image: rollout.image ?? null } : null,
      goals: GOALS,
      machine: { cpus: cpus().length, load_avg_1m_before: loadBefore, load_avg_1m_after: round(loadavg()[0]!) },
    };
    const ok = upgradeOk && steadyStats.p95_ms < GOALS.steady_p95_ms_below && steadyStats.errors === GOALS.steady_errors && upgradeStats.errors === GOALS.upgrade_failed;
    return {
      result,
      ok,
      summary: `${USERS} users, ${result.steady.requests_per_s} req/s: steady p50/p95/p99 ${steadyStats.p50_ms}/${steadyStats.p95_ms}/${steadyStats.p99_ms} ms (goal p95 < ${GOALS.steady_p95_ms_below}), errors ${steadyStats.errors} (goal 0); upgrade ${upgradeOk ? `to revision ${upgrade?.revision}` : `FAILED (${result.upgrade.outcome})`}: failed ${upgradeStats.errors}/${upgradeStats.requests} requests (goal 0), p95 ${upgradeStats.p95_ms} ms, replaced pods gone after ${upgrade?.pods_gone_s ?? '?'} s`,
    };
  } finally {
    for (const u of users) u.agent.destroy();
    if (restoreRevision !== undefined) {
      console.error(`users: control run over: rolling the release back to revision ${restoreRevision}`);
      await stackHelm().helm.rollback(RELEASE, NAMESPACE, restoreRevision, UPGRADE_TIMEOUT_MS).catch((err: Error) => console.error(`users: the rollback failed (run npm run local): ${err.message}`));
    }
    const upTo = await trimTaskEvents().catch((err: Error) => console.error(`users: could not trim task-events: ${err.message}`));
    if (upTo !== undefined) console.error(`users: deleted task-events records up to its end (${upTo} offsets in all), so new consumer groups do not read them`);
  }
}
