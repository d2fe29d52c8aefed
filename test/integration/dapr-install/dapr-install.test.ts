import { AppsV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKubeConfig } from '../../../src/kube/client.js';
import { waitForWorkloads } from '../../../src/kube/wait.js';
import type { ActionRun } from '../../support/action-harness.js';
import { daprProbeDeployment, DAPR_NAMESPACE, kubectl, removeDapr, runDaprInstall } from '../../support/dapr-cluster.js';
import { helmMirror, type HelmMirror } from '../../support/helm-mirror.js';
import { serveFiles } from '../../support/http.js';
import { stack } from '../../support/stack.js';
import { DAPR_CLI_RELEASES } from '../../../src/versions.js';
import { tempDir } from '../../support/temp.js';

/**
 * dapr-install with Dapr's own Helm chart (from the github.com/dapr/dapr module, packaged as Dapr releases it)
 * and images built from the same module, on the stack's real node: real pods, the real sentry (mTLS), the real
 * sidecar injector. Dapr's chart has cluster-scoped parts (the injector's webhook, cluster roles), so there is
 * one installation per cluster: every test here (and the local deploy, and the bench) uses `dapr-system`, and
 * this file starts from none and leaves none.
 */
const kubeconfig = stack.kubeconfig();
const kc = loadKubeConfig(kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const toolCache = tempDir('dapr-install-tc-');
const dapr = stack.daprChart();
const system = DAPR_NAMESPACE;
const OLDER = '1.17.0';
let mirror: HelmMirror;
let appNs: string;

beforeAll(async () => {
  mirror = await helmMirror();
  await removeDapr(kubeconfig);
  appNs = `dapr-apps-${randomUUID().slice(0, 6)}`;
  await core.createNamespace({ body: { metadata: { name: appNs } } });
}, 180_000);

afterAll(async () => {
  await mirror.close();
  await core.deleteNamespace({ name: appNs }).catch(() => undefined);
  // Its webhook and cluster roles are cluster-wide: leave the cluster as the other tests expect it.
  await removeDapr(kubeconfig);
}, 180_000);

function daprInstall(inputs: Record<string, string> = {}): Promise<ActionRun> {
  // The stack's chart lives in its cache, and some cases write files to the temp folder: both outside the workspace.
  return runDaprInstall(dapr, mirror, toolCache, { 'allow-outside-workspace': 'true', ...inputs });
}

function history(namespace: string): Array<{ revision: number; status: string; chart: string }> {
  try {
    return JSON.parse(execFileSync(stack.helm().helm4, ['history', 'dapr', '-n', namespace, '-o', 'json'], { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] }).toString()) as Array<{ revision: number; status: string; chart: string }>;
  } catch (err) {
    if (String((err as { stderr?: Buffer }).stderr).includes('not found')) return [];
    throw err;
  }
}

const components = 'test/fixtures/dapr-components';

describe("dapr-install with Dapr's own chart and images on the real node", () => {
  it('installs: every CRD of the chart applied and Established, every workload Ready for real, the components applied', async () => {
    const run = await daprInstall({ components, 'components-namespace': appNs });
    expect(run.stdout).not.toMatch(/::error::/);
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ 'dapr-version': dapr.version, 'control-plane': 'installed', changed: 'true', 'components-applied': '3', 'components-changed': '3' });
    const crds = Object.fromEntries(run.outputs.crds!.split(',').map((x) => x.split('=')));
    expect(Object.keys(crds).sort()).toEqual([
      'components.dapr.io', 'configurations.dapr.io', 'httpendpoints.dapr.io', 'mcpservers.dapr.io', 'resiliencies.dapr.io', 'subscriptions.dapr.io', 'workflowaccesspolicies.dapr.io',
    ]);
    for (const w of ['Deployment/dapr-operator', 'Deployment/dapr-sentry', 'Deployment/dapr-sidecar-injector', 'StatefulSet/dapr-placement-server', 'StatefulSet/dapr-scheduler-server']) {
      // Dapr 1.18's chart runs 3 scheduler replicas even without HA; every one must be Ready.
      expect(run.summary).toMatch(new RegExp(`\\| ${w} \\| (\\d+)/\\1 \\| ${dapr.version.replaceAll('.', '\\.')} \\|`));
    }
    expect(run.summary).toContain('| Component | taskpubsub |');
    // The wait ends only when the injector really injects (a dry-run pod came back with daprd).
    expect(run.stdout).toMatch(/sidecar injection works \(a dry-run pod got daprd/);
    const pods = await core.listNamespacedPod({ namespace: system });
    expect(pods.items.length).toBeGreaterThanOrEqual(5);
    for (const p of pods.items) {
      expect(p.spec?.nodeName).toBe(stack.node().name);
      expect(p.status?.containerStatuses?.every((c) => c.ready && c.image.startsWith(`${dapr.registry}/`))).toBe(true);
    }
    const pubsub = (await custom.getNamespacedCustomObject({ group: 'dapr.io', version: 'v1alpha1', namespace: appNs, plural: 'components', name: 'taskpubsub' })) as { spec: { type: string }; scopes: string[] };
    expect(pubsub.spec.type).toBe('pubsub.kafka');
    expect(pubsub.scopes).toEqual(['todo-api', 'todo-worker']);
    // Served by the real operator's conversion webhook (v2alpha1 stored, v1alpha1 asked for), through the API server's egress.
    const sub = (await custom.getNamespacedCustomObject({ group: 'dapr.io', version: 'v1alpha1', namespace: appNs, plural: 'subscriptions', name: 'task-events' })) as { spec: { topic: string; route?: string } };
    expect(sub.spec.topic).toBe('task-events');
  }, 300_000);

  it('runs mTLS through the real sentry: the trust bundle is issued', async () => {
    const bundle = await core.readNamespacedConfigMap({ name: 'dapr-trust-bundle', namespace: system });
    expect(bundle.data?.['ca.crt']).toMatch(/-----BEGIN CERTIFICATE-----/);
    expect(kubectl(['get', 'configurations.dapr.io', 'daprsystem', '-n', system, '-o', 'jsonpath={.spec.mtls.enabled}'])).toBe('true');
  });

  it('injects daprd into an annotated pod, which gets its identity from sentry and its components from the operator', async () => {
    const namespace = `dapr-app-${randomUUID().slice(0, 6)}`;
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    try {
      // A component the slim daprd has and that needs no server: the operator must hand it to the sidecar.
      kubectl(['apply', '-n', namespace, '-f', '-'], 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: envsecrets\nspec:\n  type: secretstores.local.env\n  version: v1\n  metadata: []\n');
      await apps.createNamespacedDeployment({ namespace, body: daprProbeDeployment({ readinessProbe: true }) });
      const [ready] = await waitForWorkloads(kc, [{ kind: 'Deployment', namespace, name: 'probe' }], 120_000);
      expect(ready?.readiness).toEqual({ ready: true, reason: 'ready' });
      const [pod] = (await core.listNamespacedPod({ namespace, labelSelector: 'app=probe' })).items;
      const sidecar = pod?.spec?.containers.find((c) => c.name === 'daprd');
      expect(sidecar?.image).toBe(`${dapr.registry}/daprd:${dapr.version}`);
      expect(sidecar?.env?.find((e) => e.name === 'DAPR_TRUST_ANCHORS')?.value).toMatch(/BEGIN CERTIFICATE/);
      // Ask daprd itself, from inside the pod (its API listens on loopback): its id, its version, what it loaded.
      const out = kubectl(['exec', '-n', namespace, pod!.metadata!.name!, '-c', 'app', '--', '/stack-testapp', 'get', 'http://127.0.0.1:3500/v1.0/metadata']);
      const metadata = JSON.parse(out.slice(out.indexOf('{'))) as { id: string; runtimeVersion: string; components?: Array<{ name: string; type: string }> };
      expect(metadata).toMatchObject({ id: 'probe', runtimeVersion: dapr.version });
      expect(metadata.components).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'envsecrets', type: 'secretstores.local.env' })]));
      expect(kubectl(['logs', '-n', namespace, pod!.metadata!.name!, '-c', 'daprd'])).not.toMatch(/level=fatal/);
    } finally {
      await core.deleteNamespace({ name: namespace }).catch(() => undefined);
    }
  }, 300_000);

  it('a re-run with the same inputs changes nothing, CRDs included, and reports the mTLS certificates', async () => {
    const before = history(system);
    const t0 = Date.now();
    const run = await daprInstall({ components, 'components-namespace': appNs, 'cert-warn-days': '3650' });
    expect(run.code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(run.outputs).toMatchObject({ changed: 'false', 'control-plane': 'unchanged', 'crds-changed': '0', 'components-changed': '0' });
    expect(run.stdout).toContain(`Dapr ${dapr.version} is installed with the same inputs: nothing to change`);
    expect(run.stdout).toContain('no changes: Dapr, its CRDs and every resource were already as declared');
    expect(history(system)).toEqual(before);
    for (const key of ['trust-anchor-expires', 'issuer-expires']) expect(Date.parse(run.outputs[key] ?? '')).toBeGreaterThan(Date.now());
    expect(run.summary).toContain('### mTLS certificates');
    expect(run.stdout).toMatch(/::warning::the Dapr mTLS trust anchor expires \S+, in \d+ days \(cert-warn-days: 3650\)/);
  }, 120_000);

  it('refuses a downgrade, changing nothing', async () => {
    const before = history(system);
    // The chart of the older Dapr (a chart of 1.18.2 asked for 1.17.0 is refused earlier, as a chart mismatch).
    const run = await daprInstall({ 'dapr-version': OLDER, chart: stack.daprChart().previous.chart });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`dapr-version: ${OLDER} is older than the installed Dapr ${dapr.version}. Fix: a downgrade can break apps and CRDs; set allow-downgrade: true if you mean it`);
    expect(history(system)).toEqual(before);
  });

  it('refuses a dapr-version the chart does not install, changing nothing', async () => {
    const before = history(system);
    const run = await daprInstall({ 'dapr-version': '9.9.9' });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`dapr-version: 9.9.9 is not what the chart at ${dapr.chart} installs: Dapr ${dapr.version} (chart version ${dapr.version}). Fix: set dapr-version: ${dapr.version}, or point chart at the chart of Dapr 9.9.9`);
    expect(run.outputs['dapr-version']).toBeUndefined();
    expect(history(system)).toEqual(before);
  });

  it('installs the Dapr CLI through the verified download; the pinned version fails closed on another file', async () => {
    const work = mkdtempSync(join(tmpdir(), 'dapr-cli-'));
    mkdirSync(join(work, 'pkg'));
    writeFileSync(join(work, 'pkg', 'dapr'), '#!/bin/sh\necho "CLI version: 1.18.1"\n', { mode: 0o755 });
    execFileSync('tar', ['-czf', join(work, 'cli.tar.gz'), '-C', join(work, 'pkg'), 'dapr']);
    const archive = readFileSync(join(work, 'cli.tar.gz'));
    const sha = createHash('sha256').update(archive).digest('hex');
    // A stand-in archive (the real release cannot be downloaded here): served as 1.18.1, which is not pinned and
    // takes the user's SHA-256, and as the pinned 1.18.0, whose pinned SHA-256 it does not match.
    const server = await serveFiles({ '/v1.18.1/dapr_linux_amd64.tar.gz': archive, '/v1.18.0/dapr_linux_amd64.tar.gz': archive });
    try {
      const run = await daprInstall({ 'install-cli': 'true', 'cli-version': '1.18.1', 'cli-sha256': sha, 'cli-base-url': server.url, 'allow-insecure-download': 'true' });
      expect(run.code).toBe(0);
      expect(execFileSync(run.outputs['cli-path']!).toString()).toBe('CLI version: 1.18.1\n');
      expect(run.stdout).toContain(`dapr 1.18.1: SHA-256 verified (${sha}, from cli-sha256)`);

      const pinned = await daprInstall({ 'install-cli': 'true', 'cli-base-url': server.url, 'allow-insecure-download': 'true' });
      expect(pinned.code).toBe(1);
      expect(pinned.stdout).toContain(`dapr 1.18.0: SHA-256 mismatch for dapr_linux_amd64.tar.gz: expected ${DAPR_CLI_RELEASES[0]!.sha256['linux-amd64']} (pinned in this action), got ${sha}; the file was not used and nothing was cached`);
      expect(pinned.outputs['cli-path']).toBeUndefined();
      expect(server.requests.some((p) => p.endsWith('.sha256'))).toBe(false);
    } finally {
      await server.close();
    }
  }, 180_000);

  it('names a control-plane container that crash-loops, with its last log lines', async () => {
    const run = await daprInstall({ set: `global.registry=${dapr.registry}\ndapr_sentry.logLevel=nonsense`, timeout: '20s' });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/Deployment\/dapr-system\/dapr-sentry: /);
    expect(run.stdout).toMatch(/dapr-sentry keeps crashing: its last run ended with exit code 1/);
    expect(run.stdout).toMatch(/last log lines of dapr-sentry-\w+-\w+\/dapr-sentry/);
    expect(run.stdout).toMatch(/nonsense/);
    // Put it right again: the next test starts from a healthy control plane.
    expect((await daprInstall()).code).toBe(0);
  }, 300_000);

  it('names the workload that never becomes Ready, and why', async () => {
    const run = await daprInstall({ set: `global.registry=${dapr.registry}\nglobal.nodeSelector.pool=nowhere`, timeout: '15s' });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/the Dapr control plane is not ready after 15 s:/);
    expect(run.stdout).toMatch(/StatefulSet\/dapr-system\/dapr-scheduler-server: /);
    expect(run.stdout).toMatch(/pod dapr-[a-z-]+-\w+(-\w+)?: Unschedulable: 0\/\d+ nodes are available/);
  }, 120_000);

  // Last: a StatefulSet whose pod cannot start is not rolled back by a later good template (Kubernetes' forced
  // rollback needs the pod deleted), so nothing that must become Ready again may follow.
  it('names the images a registry does not hold, per workload', async () => {
    const run = await daprInstall({ set: `global.registry=${dapr.registry}/nothing-here`, timeout: '15s' });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/the Dapr control plane is not ready after 15 s/);
    expect(run.stdout).toMatch(/cannot pull its image localhost:\d+\/nothing-here\/[a-z]+:1\.18\.2/);
  }, 120_000);

});

describe('dapr-install: validation before any change', () => {
  it('an invalid component fails before Helm or the API server is touched', async () => {
    const namespace = `dapr-bad-${randomUUID().slice(0, 6)}`;
    const dir = mkdtempSync(join(tmpdir(), 'bad-components-'));
    writeFileSync(join(dir, 'store.yaml'), 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: store\nspec:\n  type: state.postgresql\n  version: v1\n  metadata:\n    - name: connectionString\n      value: "host=db password=hunter2-secret"\n');
    const run = await daprInstall({ namespace, components: dir, 'components-namespace': 'default' });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${join(dir, 'store.yaml')}:10:14: components (spec.metadata[0].value): metadata "connectionString" holds a plaintext value that looks like a secret`);
    expect(run.everything()).not.toContain('hunter2-secret');
    expect(history(namespace)).toEqual([]);
    await expect(core.readNamespace({ name: namespace })).rejects.toMatchObject({ code: 404 });
  });

  it('HA with the in-memory scheduler is refused before anything changes', async () => {
    const namespace = `dapr-ha-${randomUUID().slice(0, 6)}`;
    const run = await daprInstall({ namespace, ha: 'true' });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('ha: true together with scheduler-storage: in-memory');
    expect(history(namespace)).toEqual([]);
    await expect(core.readNamespace({ name: namespace })).rejects.toMatchObject({ code: 404 });
  });
});
