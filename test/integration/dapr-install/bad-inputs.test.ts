import { ApiextensionsV1Api, AppsV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { parseDaprInstallInputs } from '../../../src/actions/dapr-install/inputs.js';
import { Inputs, objectInputs } from '../../../src/core/inputs.js';
import { loadKubeConfig } from '../../../src/kube/client.js';
import { runActionBundle, type ActionRun } from '../../support/action-harness.js';
import { DAPR_NAMESPACE } from '../../support/dapr-cluster.js';
import { stack } from '../../support/stack.js';
import { caseTable, READ_ONLY_HELM, REPO_URL } from './bad-input-cases.js';

/**
 * Issue 22: dapr-install's bad inputs (bad-input-cases.ts), each run through the built bundle
 * (npm run build -- dapr-install) against the stack's cluster. Every case must exit 1 with one ::error:: line that
 * names the input and says what is wrong and the fix, print or write no secret, and change nothing in the cluster:
 * the `dapr` Helm releases (every namespace), the Dapr CRDs, the Dapr resources, the control plane's workloads are
 * the same after the case as before it, and no namespace appeared. The cluster's Dapr (installed or not) belongs to
 * the other tests and the deployed app: nothing here installs, upgrades or uninstalls it. Helm is a guard on PATH
 * (helm-version: preinstalled) that runs read-only commands only and logs every command line.
 *
 * Why the earlier version of this file "hung": its it.each rows were [name, inputs, input] with an optional 4th
 * element, and its test function took 4 parameters. jest-each then passes `done` as the 4th argument and
 * jest-circus waits for done() (never called) until the test's 120 s timeout, ignoring the returned promise, so
 * each of its 38 cases sat idle for 120 s and then failed by timeout; nothing is printed until the file ends,
 * which looked like a hang before the first case (reproduced 2026-12-01: the case itself finished in 140 ms).
 * Here each row is [name, case] and the function takes exactly those 2 parameters. Nothing blocks the event
 * loop (no execFileSync), every wait has a deadline, the chart repository's listen settles either way and
 * afterAll closes every connection it holds.
 */
const kubeconfig = stack.kubeconfig();
const dapr = stack.daprChart();
const world = caseTable({
  chart: dapr.chart, version: dapr.version, previousChart: dapr.previous.chart, previousVersion: dapr.previous.version,
  registry: dapr.registry, kubeconfig, helm: stack.helm().helm4,
});
const kc = loadKubeConfig(kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const ext = kc.makeApiClient(ApiextensionsV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);

let repo: { server: Server; url: string; requests: string[] } | undefined;

/** Rejects after ms with a message naming what was waited for; the timer never outlives the promise. */
function deadline<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** The chart repository of the chart-repo cases, on loopback. Its listen resolves or rejects (never hangs). */
async function startRepo(): Promise<NonNullable<typeof repo>> {
  const requests: string[] = [];
  let url = '';
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(path);
    const body = world.repoFiles[path];
    if (!body) {
      res.writeHead(404).end('not found');
      return;
    }
    const text = path.endsWith('.yaml') ? Buffer.from(world.resolve({ index: body.toString('utf8') }, url).index!) : body;
    res.writeHead(200, { 'content-type': path.endsWith('.yaml') ? 'text/yaml' : 'application/x-tar' }).end(text);
  });
  server.keepAliveTimeout = 1000;
  await deadline('the chart repository listening on 127.0.0.1', 10_000, new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  }));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, url, requests };
}

async function stopRepo(): Promise<void> {
  const r = repo;
  repo = undefined;
  if (!r?.server.listening) return;
  const closed = new Promise<void>((resolve) => r.server.close(() => resolve()));
  r.server.closeAllConnections();
  await deadline('closing the chart repository', 10_000, closed);
}

beforeAll(async () => {
  repo = await startRepo();
}, 30_000);

afterAll(async () => {
  try {
    await stopRepo();
  } finally {
    world.close();
  }
}, 30_000);

const code = (err: unknown): number | undefined => (err as { code?: number }).code;

/** Items as `namespace/name@resourceVersion`, or `absent` when the CRD is not there (no Dapr in the cluster). */
async function daprObjects(version: string, plural: string): Promise<string[] | 'absent'> {
  try {
    const list = (await custom.listClusterCustomObject({ group: 'dapr.io', version, plural })) as { items: Array<{ metadata: { namespace?: string; name: string; resourceVersion: string } }> };
    return list.items.map((i) => `${i.metadata.namespace}/${i.metadata.name}@${i.metadata.resourceVersion}`).sort();
  } catch (err) {
    if (code(err) === 404) return 'absent';
    throw err;
  }
}

/** What no case may change. Namespaces are compared separately: no new one may appear. */
async function clusterState(): Promise<{ state: Record<string, unknown>; namespaces: string[] }> {
  return deadline('reading the cluster state', 30_000, (async () => {
    const [releases, crds, deployments, statefulSets, namespaces, components, subscriptions, configurations, resiliencies] = await Promise.all([
      // Helm's release records of `dapr` in every namespace: one Secret per revision, labelled with its status.
      core.listSecretForAllNamespaces({ labelSelector: 'owner=helm,name=dapr' }).then((l) => l.items.map((x) => `${x.metadata?.namespace}/${x.metadata?.name}:${x.metadata?.labels?.status}@${x.metadata?.resourceVersion}`).sort()),
      ext.listCustomResourceDefinition().then((l) => l.items.filter((c) => c.spec.group === 'dapr.io').map((c) => `${c.metadata?.name}@${c.metadata?.resourceVersion}`).sort()),
      apps.listNamespacedDeployment({ namespace: DAPR_NAMESPACE }).then((l) => l.items.map((x) => `${x.metadata?.name}@${x.metadata?.generation}`).sort()),
      apps.listNamespacedStatefulSet({ namespace: DAPR_NAMESPACE }).then((l) => l.items.map((x) => `${x.metadata?.name}@${x.metadata?.generation}`).sort()),
      core.listNamespace().then((l) => l.items.map((n) => n.metadata?.name ?? '').sort()),
      daprObjects('v1alpha1', 'components'),
      // The stored version: v1alpha1 would go through the operator's conversion webhook.
      daprObjects('v2alpha1', 'subscriptions'),
      daprObjects('v1alpha1', 'configurations'),
      daprObjects('v1alpha1', 'resiliencies'),
    ]);
    return { state: { releases, crds, deployments, statefulSets, components, subscriptions, configurations, resiliencies }, namespaces };
  })());
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const decode = (s: string): string => s.replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%');

function helmCommands(from: number): string[] {
  return readFileSync(world.helmLog, 'utf8').split('\n').slice(from, -1);
}

async function runCase(inputs: Record<string, string>, env: Record<string, string | undefined> = {}): Promise<ActionRun> {
  const url = repo?.url ?? '';
  return runActionBundle('dapr-install', 'main', world.resolve({ ...world.base, ...inputs }, url), { env: { ...world.env, ...env }, timeoutMs: 90_000 });
}

describe('dapr-install: the base inputs of the table are valid (each case fails because of its one change)', () => {
  it('parse without a problem: the stack\'s chart from the workspace, Helm from PATH', () => {
    const parsed = parseDaprInstallInputs(new Inputs(objectInputs(world.base)), { ...process.env, ...world.env, RUNNER_TEMP: world.outside });
    expect(parsed).toMatchObject({ daprVersion: dapr.version, chart: { kind: 'local' }, namespace: DAPR_NAMESPACE, helm: { version: 'preinstalled' } });
  });
});

describe('dapr-install refuses bad inputs before any change: exit 1, the input named, no secret, nothing changed', () => {
  it(`has at least 25 cases (${world.cases.length})`, () => expect(world.cases.length).toBeGreaterThanOrEqual(25));

  it('knows the credentials of the kubeconfig every case runs with (so that "printed nowhere" checks something)', () => {
    expect(world.secrets.length).toBeGreaterThan(0);
  });

  it.each(world.cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = await clusterState();
    const helmFrom = helmCommands(0).length;
    const repoFrom = repo?.requests.length ?? 0;
    const run = await runCase(c.inputs, c.env);
    const errors = [...run.stdout.matchAll(/^::error::(.*)$/gm)].map((m) => decode(m[1]!));
    const error = errors.join('\n');

    // One failure, exit code 1, each input named where its problem starts, the diagnosis and a fix said.
    expect({ case: c.name, code: run.code, errors: errors.length }).toEqual({ case: c.name, code: 1, errors: 1 });
    for (const name of c.names) {
      expect({ case: c.name, name, error }).toEqual({ case: c.name, name, error: expect.stringMatching(new RegExp(`(^|\\n- )(\\S+: )?${escape(name)}: `)) });
    }
    expect({ case: c.name, error }).toEqual({ case: c.name, error: expect.stringMatching(c.says) });
    expect(error).toContain('. Fix: ');
    expect(error).not.toMatch(/\bbug\b|TypeError|ReferenceError|at .*\.js:\d+/);
    expect(run.summary).toMatch(/^#+ dapr-install: (invalid input|failed)/m);
    // No output at all when the inputs are refused; after a check against the cluster, nothing that says it changed.
    if (c.runtime) expect({ case: c.name, version: run.outputs['dapr-version'], changed: run.outputs.changed ?? 'false' }).toEqual({ case: c.name, version: undefined, changed: 'false' });
    else expect({ case: c.name, outputs: run.outputs }).toEqual({ case: c.name, outputs: {} });

    // Refused before Helm ran at all, or (a refusal that needs the cluster or the chart) after read-only commands only.
    const commands = helmCommands(helmFrom);
    if (c.runtime) expect({ case: c.name, mutating: commands.filter((l) => !READ_ONLY_HELM.includes(l.split(' ')[0]!)) }).toEqual({ case: c.name, mutating: [] });
    else expect({ case: c.name, commands }).toEqual({ case: c.name, commands: [] });
    if (!c.inputs['chart-repo']) expect(repo?.requests.length ?? 0).toBe(repoFrom);
    // The repository's chart is read through the guard (so the guard is what the action runs), and from the repository.
    if (c.runtime && c.inputs['chart-repo'] === REPO_URL) {
      expect({ case: c.name, read: commands.some((l) => l.startsWith('show chart dapr')), requests: (repo?.requests.length ?? 0) > repoFrom }).toEqual({ case: c.name, read: true, requests: true });
    }

    // No secret anywhere: the case's own, and the kubeconfig's credentials every case runs with.
    const everything = run.everything();
    for (const secret of [...world.secrets, ...(c.secrets ?? [])]) {
      expect({ case: c.name, secret: secret.slice(0, 12), found: everything.includes(secret) }).toEqual({ case: c.name, secret: secret.slice(0, 12), found: false });
    }

    // Nothing changed in the cluster.
    const after = await clusterState();
    expect(after.state).toEqual(before.state);
    expect(after.namespaces.filter((n) => !before.namespaces.includes(n))).toEqual([]);
    for (const name of c.absent ?? []) await expect(core.readNamespace({ name })).rejects.toMatchObject({ code: 404 });
  }, 150_000);
});
