import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { loadKubeConfig } from '../../../src/kube/client.js';
import { runActionBundle, type ActionRun } from '../../support/action-harness.js';
import { DAPR_NAMESPACE, daprInstallInputs } from '../../support/dapr-cluster.js';
import { helmMirror, type HelmMirror } from '../../support/helm-mirror.js';
import { stack } from '../../support/stack.js';

/**
 * dapr-install's bad inputs, run through the built bundle against the stack's cluster: each case must exit 1
 * with an ::error:: line that names the input, print no secret anywhere, and change nothing in the cluster -
 * the `dapr` release's revisions, the control plane's workloads and the set of namespaces are the same after
 * every case as before the first. The cluster's Dapr (installed or not) belongs to the other tests: the cases
 * run against its namespace with the inputs every other run uses, so that nothing here may install a second one.
 * The workspace is a temporary folder holding a copy of the stack's chart; "outside" is the stack's own copy.
 */
const kubeconfig = stack.kubeconfig();
const kc = loadKubeConfig(kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const dapr = stack.daprChart();
const toolCache = mkdtempSync(join(tmpdir(), 'dapr-bad-tc-'));
const workspace = mkdtempSync(join(tmpdir(), 'dapr-bad-ws-'));
const elsewhere = mkdtempSync(join(tmpdir(), 'dapr-bad-elsewhere-'));
const SECRET = `hunter2-${randomUUID().slice(0, 8)}`;
let mirror: HelmMirror;

const files: Record<string, string> = {
  'not-a-chart.tgz': `line one\nline two\nline three\nline four\npassword=${SECRET}\n`,
  'list-values.yaml': `- a\n- b\n- c\n- d\n- token=${SECRET}\n`,
  'broken-values.yaml': 'global:\n  logAsJson: [true\n',
  'components/plaintext.yaml': `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: store\nspec:\n  type: state.postgresql\n  version: v1\n  metadata:\n    - name: password\n      value: ${SECRET}\n`,
  'broken-components/broken.yaml': 'kind: Component\nmetadata: [\n',
  'good-components/pubsub.yaml': 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: envsecrets\nspec:\n  type: secretstores.local.env\n  version: v1\n  metadata: []\n',
  'broken-kubeconfig': `users:\n- token: ${SECRET}\n  bad: [\n`,
  'not-kubeconfig': `token: ${SECRET}\n`,
  'no-chart/README.md': 'not a chart\n',
};
const outsideValues = join(elsewhere, 'values.yaml');
const chart = `dapr-${dapr.version}.tgz`;

/** What must not change: the release's revisions, the control plane's workload specs, the namespaces. */
async function clusterState(): Promise<string> {
  let history = '[]';
  try {
    history = execFileSync(stack.helm().helm4, ['history', 'dapr', '-n', DAPR_NAMESPACE, '-o', 'json'], { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  } catch (err) {
    if (!String((err as { stderr?: Buffer }).stderr).includes('not found')) throw err;
  }
  const revisions = (JSON.parse(history) as Array<{ revision: number; status: string; chart: string }>).map((r) => `${r.revision}:${r.status}:${r.chart}`);
  const spec = (x: { metadata?: { name?: string; generation?: number }; spec?: unknown }) => `${x.metadata?.name}@${x.metadata?.generation}:${createHash('sha256').update(JSON.stringify(x.spec)).digest('hex').slice(0, 12)}`;
  const [deployments, statefulSets, namespaces] = await Promise.all([
    apps.listNamespacedDeployment({ namespace: DAPR_NAMESPACE }).then((l) => l.items.map(spec)),
    apps.listNamespacedStatefulSet({ namespace: DAPR_NAMESPACE }).then((l) => l.items.map(spec)),
    core.listNamespace().then((l) => l.items.filter((n) => !n.metadata?.deletionTimestamp).map((n) => n.metadata?.name ?? '').sort()),
  ]);
  return JSON.stringify({ revisions, deployments: deployments.sort(), statefulSets: statefulSets.sort(), namespaces }, null, 1);
}

let before: string;

beforeAll(async () => {
  mirror = await helmMirror();
  copyFileSync(dapr.chart, join(workspace, chart));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(workspace, name, '..'), { recursive: true });
    writeFileSync(join(workspace, name), text);
  }
  mkdirSync(join(workspace, 'a-directory'));
  writeFileSync(outsideValues, 'global:\n  logAsJson: true\n');
  before = await clusterState();
}, 120_000);

afterAll(async () => {
  await mirror.close();
  for (const d of [workspace, elsewhere, toolCache]) rmSync(d, { recursive: true, force: true });
});

function run(inputs: Record<string, string>, env: Record<string, string> = {}): Promise<ActionRun> {
  return runActionBundle('dapr-install', 'main', { ...daprInstallInputs({ chart, version: dapr.version }, mirror), 'allow-outside-workspace': 'false', ...inputs }, {
    env: { KUBECONFIG: kubeconfig, RUNNER_TOOL_CACHE: toolCache, GITHUB_WORKSPACE: workspace, ...env },
  });
}

const absent = `dapr-bad-${randomUUID().slice(0, 6)}`;

/** [case, inputs over the good base, the input the error must name, extra environment]. */
const cases: Array<[string, Record<string, string>, string, Record<string, string>?]> = [
  ['dapr-version the chart does not install', { 'dapr-version': '9.9.9' }, 'dapr-version'],
  ['dapr-version: latest', { 'dapr-version': 'latest' }, 'dapr-version'],
  ['dapr-version, a range', { 'dapr-version': '^1.18' }, 'dapr-version'],
  ['chart that does not exist', { chart: 'dapr-0.0.1.tgz' }, 'chart'],
  ['chart outside the workspace', { chart: dapr.chart }, 'chart'],
  ['chart, a file that is no chart', { chart: 'not-a-chart.tgz' }, 'chart'],
  ['chart, a directory without Chart.yaml', { chart: 'no-chart' }, 'chart'],
  ['chart-repo together with chart', { 'chart-repo': 'https://charts.example.com/' }, 'chart-repo'],
  ['chart-repo, another scheme', { chart: '', 'chart-repo': 'ftp://charts.example.com/' }, 'chart-repo'],
  ['chart-repo with a password', { chart: '', 'chart-repo': `https://bob:${SECRET}@charts.example.com/` }, 'chart-repo'],
  ['namespace, not a DNS label', { namespace: 'Dapr_System' }, 'namespace'],
  ['namespace, 64 characters', { namespace: 'd'.repeat(64) }, 'namespace'],
  ['components-namespace, not a DNS label', { 'components-namespace': 'Todo' }, 'components-namespace'],
  ['components-namespace that does not exist', { components: 'good-components', 'components-namespace': absent }, 'components-namespace'],
  ['components that do not exist', { components: 'nope/' }, 'components'],
  ['components outside the workspace', { components: elsewhere }, 'components'],
  ['components with a plaintext secret', { components: 'components' }, 'components (spec.metadata[0].value)'],
  ['components, broken YAML', { components: 'broken-components' }, 'components'],
  ['values-files that does not exist', { 'values-files': 'nope.yaml' }, 'values-files'],
  ['values-files, a directory', { 'values-files': 'a-directory' }, 'values-files'],
  ['values-files outside the workspace', { 'values-files': outsideValues }, 'values-files'],
  ['values-files, a list with a secret in it', { 'values-files': 'list-values.yaml' }, 'values-files'],
  ['values-files, broken YAML', { 'values-files': 'broken-values.yaml' }, 'values-files'],
  ['kubeconfig that does not exist', { kubeconfig: 'nope' }, 'kubeconfig'],
  ['kubeconfig that is not YAML, with a token', { kubeconfig: 'broken-kubeconfig' }, 'kubeconfig'],
  ['kubeconfig that is no kubeconfig', { kubeconfig: 'not-kubeconfig' }, 'kubeconfig'],
  ['kubeconfig outside the workspace', { kubeconfig }, 'kubeconfig'],
  ['KUBECONFIG that is not YAML, with a token', {}, 'KUBECONFIG', { KUBECONFIG: join(workspace, 'broken-kubeconfig') }],
  ['allow-outside-workspace, not a boolean', { 'allow-outside-workspace': 'yes' }, 'allow-outside-workspace'],
  ['timeout, a bare number', { timeout: '300' }, 'timeout'],
  ['ha with the in-memory scheduler', { ha: 'true' }, 'ha'],
  ['set, a line without =', { set: 'global.logAsJson' }, 'set'],
  ['scheduler-storage, unknown', { 'scheduler-storage': 'disk' }, 'scheduler-storage'],
  ['rotate-certificates, unknown', { 'rotate-certificates': 'soon' }, 'rotate-certificates'],
  ['cert-warn-days, 0', { 'cert-warn-days': '0' }, 'cert-warn-days'],
  ['helm-sha256, not a SHA-256', { 'helm-sha256': 'xyz' }, 'helm-sha256'],
  ['cli-version: latest', { 'install-cli': 'true', 'cli-version': 'latest' }, 'cli-version'],
];

describe('dapr-install refuses bad inputs: exit 1, the input named, no secret, nothing changed', () => {
  it('has at least 25 cases', () => expect(cases.length).toBeGreaterThanOrEqual(25));

  it.each(cases)('%s', async (_name, inputs, input, env) => {
    const r = await run(inputs, env);
    const error = r.stdout.split('\n').find((l) => l.startsWith('::error::'));
    expect({ code: r.code, error }).toMatchObject({ code: 1, error: expect.any(String) });
    // The input's name at the start of a problem: `input: `, or after a YAML file's position.
    const escaped = input.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(error).toMatch(new RegExp(`(::error::|%0A- |: )${escaped}: `));
    expect(r.everything()).not.toContain(SECRET);
    expect(r.outputs['dapr-version']).toBeUndefined();
    expect(await clusterState()).toBe(before);
  }, 120_000);

  it('a chart outside the workspace is taken with allow-outside-workspace: true (the refusal was the path, not the chart)', async () => {
    const r = await run({ chart: dapr.chart, 'allow-outside-workspace': 'true', 'dapr-version': '9.9.9' });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`dapr-version: 9.9.9 is not what the chart at ${dapr.chart} installs: Dapr ${dapr.version} (chart version ${dapr.version})`);
    expect(r.stdout).not.toContain(`${basename(dapr.chart)} is outside the workspace`);
    expect(await clusterState()).toBe(before);
  }, 120_000);
});
