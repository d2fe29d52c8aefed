/**
 * The in-cluster half of the monitoring proof, against a `todo` release deployed by `npm run local` and the
 * stack's Prometheus (which scripts/local.sh pointed at it): its targets, a short load run through the app's
 * API, and the alert states Prometheus reports. Used by test/integration/deploy/local-pipeline.test.ts, which
 * has the app deployed anyway.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkDashboard, dashboardQueries, promHttp } from '../../app/scripts/dashboard.js';
import { applyLocalMonitoring, renderMonitoring } from '../../app/scripts/monitoring.js';
import { createContext } from '../../stack/src/stack.js';
import { stack } from './stack.js';

const root = resolve(import.meta.dirname, '..', '..');

export interface Target {
  scrapePool: string;
  labels: Record<string, string>;
  health: string;
  lastError: string;
  scrapeUrl: string;
  scrapeInterval: string;
}

export interface AlertRule {
  name: string;
  state: 'inactive' | 'pending' | 'firing';
  health: string;
  lastError?: string;
  query: string;
  duration: number;
  lastEvaluation: string;
}

async function api<T>(prometheus: string, path: string): Promise<T> {
  const res = await fetch(`${prometheus}${path}`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`GET ${path}: ${body.error ?? res.status}`);
  return body.data;
}

/** The active targets of the scrape pools whose name starts with `poolPrefix`. */
export async function targets(prometheus: string, poolPrefix: string): Promise<Target[]> {
  const data = await api<{ activeTargets: Target[] }>(prometheus, '/api/v1/targets?state=active');
  return data.activeTargets.filter((t) => t.scrapePool.startsWith(poolPrefix));
}

/** Every alerting rule Prometheus evaluates, by name. */
export async function alertRules(prometheus: string): Promise<Record<string, AlertRule>> {
  const data = await api<{ groups: Array<{ rules: Array<AlertRule & { type: string }> }> }>(prometheus, '/api/v1/rules?type=alert');
  return Object.fromEntries(data.groups.flatMap((g) => g.rules).map((r) => [r.name, r]));
}

/** Polls `probe` until it returns a value; the error says what was awaited and what was last seen. */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 1000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${Math.round(timeoutMs / 1000)} s${last ? ` (last: ${last})` : ''}`);
    await sleep(everyMs);
  }
}

/** The app's API through its public URL, signed in as `user` (dev tokens: values-local.yaml). */
export async function appClient(appUrl: string, user: string): Promise<(method: string, path: string, body?: unknown) => Promise<Response>> {
  const res = await fetch(`${appUrl}/auth/dev-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user }) });
  if (!res.ok) throw new Error(`POST /auth/dev-token: HTTP ${res.status}`);
  const { token } = (await res.json()) as { token: string };
  return (method, path, body) => fetch(`${appUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
}

/**
 * A short, bounded load run: `tasks` tasks created, half completed, a third deleted (task events for the
 * worker), a 404 and a 400 (statuses besides 2xx), and one task whose reminder comes due ~3 s later (a Dapr
 * job calls the API, which publishes to `reminders`). Returns when the requests are answered.
 */
export async function loadRun(appUrl: string, user: string, tasks = 12): Promise<void> {
  const call = await appClient(appUrl, user);
  const ids: string[] = [];
  for (let i = 0; i < tasks; i++) {
    const r = await call('POST', '/api/tasks', { title: `load ${i}` });
    if (r.status !== 201) throw new Error(`POST /api/tasks: HTTP ${r.status} ${await r.text()}`);
    ids.push(((await r.json()) as { id: string }).id);
  }
  const expect = async (r: Promise<Response>, what: string, ok: number[]): Promise<void> => {
    const res = await r;
    if (!ok.includes(res.status)) throw new Error(`${what}: HTTP ${res.status} ${await res.text()}`);
  };
  for (const id of ids.slice(0, tasks / 2)) await expect(call('POST', `/api/tasks/${id}/complete`), 'complete', [200]);
  for (const id of ids.slice(0, tasks / 3)) await expect(call('DELETE', `/api/tasks/${id}`), 'delete', [200, 204]);
  await call('GET', '/api/tasks/no-such-task');
  await call('POST', '/api/tasks', { title: '' });
  const due = new Date(Date.now() + 33_000).toISOString();
  const r = await call('POST', '/api/tasks', { title: 'remind me', dueAt: due, remindBefore: '30s' });
  if (r.status !== 201) throw new Error(`POST /api/tasks (with a reminder): HTTP ${r.status} ${await r.text()}`);
}

/** The stack's kubectl against the stack's cluster; JSON output parsed. */
function kubectl(kubeconfig: string, args: string[]): unknown {
  const out = execFileSync(stack.helm().kubectl, args, { env: { ...process.env, KUBECONFIG: kubeconfig }, encoding: 'utf8', timeout: 60_000 });
  return args.includes('json') ? JSON.parse(out) : out;
}

interface Deployment {
  spec: { replicas?: number; template: { spec: { terminationGracePeriodSeconds?: number } } };
  status?: { readyReplicas?: number };
}

/** Prometheus durations the fault test sets (seconds only), in seconds. */
const seconds = (d: string): number => {
  const m = /^(\d+)s$/.exec(d);
  if (!m) throw new Error(`the monitoring test expects durations in seconds, got "${d}"`);
  return Number(m[1]);
};

/**
 * Against the deployed release: the targets are what the rendered ServiceMonitor selects (both Services, both
 * ports, every pod, its interval); after a load run every query of every panel of the rendered dashboard has
 * data (and a renamed metric is caught, naming panel and query); with the rules' windows shortened for the test,
 * both event alerts stay quiet while the worker consumes, and fire once it is scaled to 0 while the API keeps
 * publishing, within window + for: + the worker's shutdown. The worker and the chart's rules are restored in
 * `finally`.
 */
export async function proveMonitoring(o: { kubeconfig: string; appUrl: string; namespace: string; release?: string }): Promise<void> {
  const { appUrl, namespace } = o;
  const release = o.release ?? 'todo';
  const prom = stack.prometheus().url;
  const helm = stack.helm().helm4;
  const ctx = createContext({ info: () => undefined, warn: () => undefined });
  const rendered = await renderMonitoring({ helm, chartDir: join(root, 'chart'), release, namespace, valuesFiles: ['values-local.yaml'] });
  const sm = rendered.serviceMonitor;
  const interval = sm.spec!.endpoints![0]!.interval!;
  const scrapeSeconds = seconds(interval);

  // What the ServiceMonitor selects: both Services (api, worker), on its ports (the app's http, daprd's
  // dapr-metrics), each of their pods, at its interval.
  const podList = kubectl(o.kubeconfig, ['get', 'pods', '-n', namespace, '-o', 'json']) as { items: Array<{ metadata: { name: string; deletionTimestamp?: string } }> };
  const pods = podList.items.filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.name);
  const up = await waitUntil('the ServiceMonitor\'s targets up', async () => {
    const t = await targets(prom, `serviceMonitor/${namespace}/${sm.metadata!.name}/`);
    if (t.length === sm.spec!.endpoints!.length * pods.length && t.every((x) => x.health === 'up')) return t;
    throw new Error(`${t.length} target(s): ${t.map((x) => `${x.scrapeUrl} ${x.health} ${x.lastError}`).join('; ') || 'none'}`);
  }, 30_000);
  const service = (pod: string) => (pod.startsWith(`${release}-api-`) ? `${release}-api` : `${release}-worker`);
  expect(up.map((t) => `${t.labels.endpoint} ${t.labels.job} ${t.labels.namespace} ${t.labels.pod} ${t.scrapeInterval}`).sort()).toEqual(
    sm.spec!.endpoints!.flatMap((e) => pods.map((p) => `${e.port} ${service(p)} ${namespace} ${p} ${interval}`)).sort());
  expect(up.filter((t) => t.labels.endpoint === 'dapr-metrics').map((t) => new URL(t.scrapeUrl).port)).toEqual(pods.map(() => '9090'));

  // A short load run; then the rules' windows are shortened (for this test only) and task events keep coming.
  const t0 = Math.floor(Date.now() / 1000);
  const user = `metrics-${randomUUID().slice(0, 8)}`;
  await loadRun(appUrl, user);
  const FAULT = { stuckWindow: '15s', noEventsFor: '15s', 'for.eventsStuck': '10s', 'for.noEvents': '10s' };
  const faultSet = Object.fromEntries(Object.entries(FAULT).map(([k, v]) => [`monitoring.prometheusRule.${k}`, v]));
  await applyLocalMonitoring(ctx, { helm, release, namespace, set: faultSet });
  const appliedAt = Date.now();
  const call = await appClient(appUrl, user);
  let publishing = true;
  const publisher = (async () => {
    for (let i = 0; publishing && i < 120; i++) {
      await call('POST', '/api/tasks', { title: `steady ${i}` }).catch(() => undefined);
      await sleep(2000);
    }
  })();
  const worker = `deployment/${release}-worker`;
  const before = kubectl(o.kubeconfig, ['get', worker, '-n', namespace, '-o', 'json']) as Deployment;
  const replicas = before.spec.replicas ?? 1;
  try {
    // Every query of every panel has data over the load run; asked again while the last samples (the reminder's
    // job fires ~3 s after the load) come in, up to a minute.
    const now = () => Math.floor(Date.now() / 1000);
    const window = () => ({ start: t0 - 30, end: now(), step: scrapeSeconds, scrapeSeconds, want: { namespace } });
    const dashboard = await waitUntil(`every query of dashboard "${rendered.dashboard.title}" with data`, async () => {
      const r = await checkDashboard(promHttp(prom), rendered.dashboard, window());
      if (r.problems.length) throw new Error(`\n${r.problems.join('\n')}`);
      return r;
    }, 60_000, 2000);
    expect(dashboard.checked.map((c) => `${c.panel} ${c.refId}`)).toEqual(dashboardQueries(rendered.dashboard).map((q) => `${q.panel} ${q.refId}`));
    // The check is real: a metric the app does not serve (renamed) is named with its panel and query.
    const renamed = JSON.parse(JSON.stringify(rendered.dashboard).replaceAll('todo_events_consumed_total', 'todo_events_handled_total')) as typeof rendered.dashboard;
    expect((await checkDashboard(promHttp(prom), renamed, window())).problems).toEqual([
      `panel "Events consumed by outcome" (id 4) target A returned no data\n    query: sum by (topic, outcome) (rate(todo_events_handled_total{namespace="${namespace}"}[${4 * scrapeSeconds}s]))`,
    ]);

    // Healthy: with the worker consuming, both rules evaluate over a full window on the short windows and stay quiet.
    const watched = ['TodoEventsStuck', 'TodoNoEvents'];
    const windowMs = seconds(FAULT.stuckWindow) * 1000 + scrapeSeconds * 1000;
    const quiet = await waitUntil('both rules evaluated over a full window', async () => {
      const rules = await alertRules(prom);
      for (const n of watched) if (rules[n]?.health !== 'ok') throw new Error(`${n}: ${rules[n]?.health ?? 'missing'} ${rules[n]?.lastError ?? ''}`);
      return watched.every((n) => Date.parse(rules[n]!.lastEvaluation) > appliedAt + windowMs) ? rules : undefined;
    }, windowMs + 30_000);
    expect(watched.map((n) => `${n} ${quiet[n]!.state} for ${quiet[n]!.duration}s`)).toEqual(watched.map((n) => `${n} inactive for 10s`));

    // The fault: the worker stopped while the API keeps publishing.
    const grace = before.spec.template.spec.terminationGracePeriodSeconds ?? 30;
    const stoppedAt = Date.now();
    kubectl(o.kubeconfig, ['scale', worker, '-n', namespace, '--replicas=0']);
    // The deadline comes from the rules themselves: the window, the for:, the worker's shutdown, two evaluations
    // and a scrape.
    const deadlineMs = (Math.max(seconds(FAULT.stuckWindow), seconds(FAULT.noEventsFor)) + Math.max(seconds(FAULT['for.eventsStuck']), seconds(FAULT['for.noEvents'])) + grace + 2 * 5 + scrapeSeconds) * 1000;
    await waitUntil('TodoEventsStuck and TodoNoEvents firing after the worker stopped', async () => {
      const rules = await alertRules(prom);
      if (watched.every((n) => rules[n]?.state === 'firing')) return rules;
      throw new Error(watched.map((n) => `${n} ${rules[n]?.state ?? 'missing'}`).join(', '));
    }, deadlineMs);
    expect(Date.now() - stoppedAt).toBeLessThan(deadlineMs);
  } finally {
    publishing = false;
    await publisher;
    kubectl(o.kubeconfig, ['scale', worker, '-n', namespace, `--replicas=${replicas}`]);
    await applyLocalMonitoring(ctx, { helm, release, namespace });
    await waitUntil('the worker back and Ready', async () => {
      const d = kubectl(o.kubeconfig, ['get', worker, '-n', namespace, '-o', 'json']) as Deployment;
      return (d.status?.readyReplicas ?? 0) >= replicas ? true : undefined;
    }, 120_000);
  }
}
