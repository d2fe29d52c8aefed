import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadKubeConfig } from '../../../src/kube/client.js';
import { DAPR_VERSION } from '../../../src/versions.js';
import { runActionBundle, type ActionRun } from '../../support/action-harness.js';
import { helmMirror, type HelmMirror } from '../../support/helm-mirror.js';
import { helmRepo, type HelmRepo } from '../../support/helm-repo.js';
import { serveFiles } from '../../support/http.js';
import { stack } from '../../support/stack.js';

const OLD = '1.17.0';
const fixtures = resolve(import.meta.dirname, '..', '..', 'fixtures');
const kubeconfig = stack.kubeconfig();
const kc = loadKubeConfig(kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const toolCache = mkdtempSync(join(tmpdir(), 'dapr-install-tc-'));
let repo: HelmRepo;
let mirror: HelmMirror;

beforeAll(async () => {
  [repo, mirror] = await Promise.all([helmRepo(join(fixtures, 'charts', 'dapr'), [OLD, DAPR_VERSION]), helmMirror()]);
});
afterAll(async () => {
  await Promise.all([repo.close(), mirror.close()]);
});

const newNamespace = async (prefix: string): Promise<string> => {
  const name = `${prefix}-${randomUUID().slice(0, 6)}`;
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
};

function daprInstall(inputs: Record<string, string>): Promise<ActionRun> {
  return runActionBundle('dapr-install', 'main', { 'chart-repo': repo.url, 'helm-version': mirror.versions.helm4, 'helm-base-url': mirror.url, 'scheduler-storage': 'in-memory', timeout: '60s', ...inputs }, { env: { KUBECONFIG: kubeconfig, RUNNER_TOOL_CACHE: toolCache, GITHUB_WORKSPACE: process.cwd() } });
}

function history(namespace: string): Array<{ revision: number; status: string; chart: string }> {
  try {
    return JSON.parse(execFileSync(stack.helm().helm4, ['history', 'dapr', '-n', namespace, '-o', 'json'], { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] }).toString()) as Array<{ revision: number; status: string; chart: string }>;
  } catch (err) {
    if (String((err as { stderr?: Buffer }).stderr).includes('not found')) return [];
    throw err;
  }
}

describe('dapr-install against the stack (stand-in Dapr chart from a loopback Helm repo)', () => {
  let system: string;
  let apps: string;

  beforeAll(async () => {
    system = `dapr-it-${randomUUID().slice(0, 6)}`;
    apps = await newNamespace('dapr-apps');
  });

  it('installs the control plane, waits until it is ready, applies the components', async () => {
    const run = await daprInstall({ 'dapr-version': OLD, namespace: system, components: 'test/fixtures/dapr-components', 'components-namespace': apps });
    expect(run.stdout).not.toMatch(/::error::/);
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ 'dapr-version': OLD, changed: 'true', 'control-plane': 'installed', 'components-applied': '3', 'components-changed': '3' });
    expect(run.summary).toContain('| StatefulSet/dapr-scheduler-server | 1/1 | 1.17.0 |');
    expect(run.summary).toContain('| Component | taskpubsub |');
    const pubsub = (await custom.getNamespacedCustomObject({ group: 'dapr.io', version: 'v1alpha1', namespace: apps, plural: 'components', name: 'taskpubsub' })) as { spec: { type: string }; scopes: string[] };
    expect(pubsub.spec.type).toBe('pubsub.kafka');
    expect(pubsub.scopes).toEqual(['todo-api', 'todo-worker']);
    const sub = (await custom.getNamespacedCustomObject({ group: 'dapr.io', version: 'v2alpha1', namespace: apps, plural: 'subscriptions', name: 'task-events' })) as { spec: { topic: string } };
    expect(sub.spec.topic).toBe('task-events');
  });

  it('a re-run with the same inputs changes nothing and says so', async () => {
    const before = history(system);
    const t0 = Date.now();
    const run = await daprInstall({ 'dapr-version': OLD, namespace: system, components: 'test/fixtures/dapr-components', 'components-namespace': apps });
    expect(run.code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(run.outputs).toMatchObject({ changed: 'false', 'control-plane': 'unchanged', 'components-changed': '0' });
    expect(run.stdout).toContain(`Dapr ${OLD} is installed with the same inputs: nothing to change`);
    expect(run.stdout).toContain('no changes: Dapr, its CRDs and every resource were already as declared');
    expect(run.outputs['crds-changed']).toBe('0');
    expect(run.outputs.crds).toBe('components.dapr.io=unchanged,configurations.dapr.io=unchanged,httpendpoints.dapr.io=unchanged,resiliencies.dapr.io=unchanged,subscriptions.dapr.io=unchanged');
    expect(history(system)).toEqual(before);
  });

  it('upgrades to the pinned version', async () => {
    const run = await daprInstall({ namespace: system });
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ 'dapr-version': DAPR_VERSION, 'control-plane': 'upgraded', changed: 'true' });
    expect(run.summary).toContain(`upgraded from ${OLD}`);
    expect(run.summary).toContain(`| Deployment/dapr-sidecar-injector | 1/1 | ${DAPR_VERSION} |`);
  });

  it('refuses a downgrade, changing nothing', async () => {
    const before = history(system);
    const run = await daprInstall({ 'dapr-version': OLD, namespace: system });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`dapr-version: ${OLD} is older than the installed Dapr ${DAPR_VERSION}. Fix: a downgrade can break apps and CRDs; set allow-downgrade: true if you mean it`);
    expect(history(system)).toEqual(before);
  });

  it('names the workload that never becomes Ready, and why', async () => {
    const run = await daprInstall({ namespace: system, set: 'dapr_scheduler.nodeSelector.pool=nowhere', timeout: '15s' });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/the Dapr control plane is not ready after 15 s:/);
    expect(run.stdout).toMatch(new RegExp(`StatefulSet/${system}/dapr-scheduler-server: \\d of 1 replicas ready`));
    expect(run.stdout).toMatch(/pod dapr-scheduler-server-0: Unschedulable: 0\/\d+ nodes are available/);
    expect(run.stdout).not.toMatch(/Deployment\/[\w-]+\/dapr-operator:/);
  });
});

describe('dapr-install: validation before any change', () => {
  it('an invalid component fails before Helm or the API server is touched', async () => {
    const system = `dapr-bad-${randomUUID().slice(0, 6)}`;
    const dir = mkdtempSync(join(tmpdir(), 'bad-components-'));
    writeFileSync(join(dir, 'store.yaml'), 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: store\nspec:\n  type: state.postgresql\n  version: v1\n  metadata:\n    - name: connectionString\n      value: "host=db password=hunter2-secret"\n');
    const run = await daprInstall({ namespace: system, components: dir, 'components-namespace': 'default' });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${join(dir, 'store.yaml')}:10:14: components (spec.metadata[0].value): metadata "connectionString" holds a plaintext value that looks like a secret`);
    expect(run.everything()).not.toContain('hunter2-secret');
    expect(history(system)).toEqual([]);
    await expect(core.readNamespace({ name: system })).rejects.toMatchObject({ code: 404 });
  });

  it('installs the Dapr CLI through the verified download', async () => {
    const work = mkdtempSync(join(tmpdir(), 'dapr-cli-'));
    mkdirSync(join(work, 'pkg'));
    writeFileSync(join(work, 'pkg', 'dapr'), '#!/bin/sh\necho "CLI version: 1.18.0"\n', { mode: 0o755 });
    execFileSync('tar', ['-czf', join(work, 'cli.tar.gz'), '-C', join(work, 'pkg'), 'dapr']);
    const archive = readFileSync(join(work, 'cli.tar.gz'));
    const server = await serveFiles({ '/v1.18.0/dapr_linux_amd64.tar.gz': archive, '/v1.18.0/dapr_linux_amd64.tar.gz.sha256': `${createHash('sha256').update(archive).digest('hex')}  dapr_linux_amd64.tar.gz\n` });
    try {
      const system = `dapr-cli-${randomUUID().slice(0, 6)}`;
      const run = await daprInstall({ namespace: system, 'install-cli': 'true', 'cli-version': '1.18.0', 'cli-base-url': server.url });
      expect(run.code).toBe(0);
      expect(execFileSync(run.outputs['cli-path']!).toString()).toBe('CLI version: 1.18.0\n');
      expect(run.stdout).toMatch(/dapr 1.18.0: SHA-256 verified/);
    } finally {
      await server.close();
    }
  });
});
