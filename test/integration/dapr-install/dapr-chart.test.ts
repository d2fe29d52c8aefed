import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKubeConfig } from '../../../src/kube/client.js';
import { waitForWorkloads } from '../../../src/kube/wait.js';
import { runActionBundle, type ActionRun } from '../../support/action-harness.js';
import { helmMirror, type HelmMirror } from '../../support/helm-mirror.js';
import { stack } from '../../support/stack.js';

/**
 * dapr-install with Dapr's own Helm chart (from the github.com/dapr/dapr module, packaged as Dapr releases it)
 * and images built from the same module, on the stack's real node: real pods, the real sentry, the real
 * sidecar injector.
 */
const kubeconfig = stack.kubeconfig();
const kc = loadKubeConfig(kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const toolCache = mkdtempSync(join(tmpdir(), 'dapr-chart-tc-'));
const dapr = stack.daprChart();
/**
 * Dapr's chart has cluster-scoped parts (the injector's webhook, cluster roles): one installation per cluster.
 * The tests and the bench use this namespace, and start from a clean one.
 */
const REAL_DAPR_NAMESPACE = 'dapr-real';
const system = REAL_DAPR_NAMESPACE;
let mirror: HelmMirror;

beforeAll(async () => {
  mirror = await helmMirror();
  await removeDapr(system);
}, 180_000);
afterAll(async () => {
  await mirror.close();
  // Its webhook and cluster roles are cluster-wide: leave the cluster as the other tests expect it.
  await removeDapr(system);
}, 180_000);

function install(inputs: Record<string, string> = {}): Promise<ActionRun> {
  return runActionBundle('dapr-install', 'main', {
    chart: dapr.chart, 'dapr-version': dapr.version, namespace: system, 'scheduler-storage': 'in-memory', timeout: '240s',
    set: `global.registry=${dapr.registry}`, 'helm-version': mirror.versions.helm4, 'helm-base-url': mirror.url, ...inputs,
  }, { env: { KUBECONFIG: kubeconfig, RUNNER_TOOL_CACHE: toolCache, GITHUB_WORKSPACE: process.cwd() } });
}

async function removeDapr(namespace: string): Promise<void> {
  try {
    execFileSync(stack.helm().helm4, ['uninstall', 'dapr', '-n', namespace, '--wait', '--timeout', '120s'], { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: 'pipe' });
  } catch {
    // not installed
  }
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  for (let i = 0; i < 240; i++) {
    if (!(await core.readNamespace({ name: namespace }).then(() => true, () => false))) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`namespace ${namespace} is still there after 120 s`);
}

const kubectl = (args: string[], input?: string): string => execFileSync(stack.helm().kubectl, args, { env: { ...process.env, KUBECONFIG: kubeconfig }, encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });

describe("dapr-install with Dapr's own chart and images on the real node", () => {
  it('installs: every CRD of the chart applied and Established, every workload Ready for real', async () => {
    const run = await install();
    expect(run.stdout).not.toMatch(/::error::/);
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ 'dapr-version': dapr.version, 'control-plane': 'installed', changed: 'true' });
    const crds = Object.fromEntries(run.outputs.crds!.split(',').map((x) => x.split('=')));
    expect(Object.keys(crds).sort()).toEqual([
      'components.dapr.io', 'configurations.dapr.io', 'httpendpoints.dapr.io', 'mcpservers.dapr.io', 'resiliencies.dapr.io', 'subscriptions.dapr.io', 'workflowaccesspolicies.dapr.io',
    ]);
    for (const w of ['Deployment/dapr-operator', 'Deployment/dapr-sentry', 'Deployment/dapr-sidecar-injector', 'StatefulSet/dapr-placement-server', 'StatefulSet/dapr-scheduler-server']) {
      // Dapr 1.18's chart runs 3 scheduler replicas even without HA; every one must be Ready.
      expect(run.summary).toMatch(new RegExp(`\\| ${w} \\| (\\d+)/\\1 \\| ${dapr.version.replaceAll('.', '\\.')} \\|`));
    }
    const pods = await core.listNamespacedPod({ namespace: system });
    expect(pods.items.length).toBeGreaterThanOrEqual(5);
    for (const p of pods.items) {
      expect(p.spec?.nodeName).toBe(stack.node().name);
      expect(p.status?.containerStatuses?.every((c) => c.ready && c.image.startsWith(`${dapr.registry}/`))).toBe(true);
    }
  }, 300_000);

  it('runs mTLS through the real sentry: the trust bundle is issued', async () => {
    const bundle = await core.readNamespacedConfigMap({ name: 'dapr-trust-bundle', namespace: system });
    expect(bundle.data?.['ca.crt']).toMatch(/-----BEGIN CERTIFICATE-----/);
    const config = kubectl(['get', 'configurations.dapr.io', 'daprsystem', '-n', system, '-o', 'jsonpath={.spec.mtls.enabled}']);
    expect(config).toBe('true');
  });

  it('injects daprd into an annotated pod, which gets its identity from sentry and its components from the operator', async () => {
    const namespace = `dapr-app-${randomUUID().slice(0, 6)}`;
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    // A component the slim daprd has and that needs no server: the operator must hand it to the sidecar.
    kubectl(['apply', '-n', namespace, '-f', '-'], 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: envsecrets\nspec:\n  type: secretstores.local.env\n  version: v1\n  metadata: []\n');
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'probe' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'probe' } },
          template: {
            metadata: { labels: { app: 'probe' }, annotations: { 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'probe', 'dapr.io/app-port': '8080', 'dapr.io/control-plane-namespace': system } },
            spec: { containers: [{ name: 'app', image: stack.node().images.testapp, ports: [{ containerPort: 8080 }], readinessProbe: { httpGet: { path: '/readyz', port: 8080 } } }] },
          },
        },
      },
    });
    const [ready] = await waitForWorkloads(kc, [{ kind: 'Deployment', namespace, name: 'probe' }], 120_000);
    expect(ready?.readiness).toEqual({ ready: true, reason: 'ready' });
    const [pod] = (await core.listNamespacedPod({ namespace, labelSelector: 'app=probe' })).items;
    const sidecar = pod?.spec?.containers.find((c) => c.name === 'daprd');
    expect(sidecar?.image).toBe(`${dapr.registry}/daprd:${dapr.version}`);
    expect(sidecar?.env?.find((e) => e.name === 'DAPR_TRUST_ANCHORS')?.value).toMatch(/BEGIN CERTIFICATE/);
    // Ask daprd itself, from inside the pod (its API listens on loopback): its id, its version, what it loaded.
    const metadata = JSON.parse(kubectl(['exec', '-n', namespace, pod!.metadata!.name!, '-c', 'app', '--', '/stack-testapp', 'get', 'http://127.0.0.1:3500/v1.0/metadata']).replace(/^[^{]*/, '')) as { id: string; runtimeVersion: string; components?: Array<{ name: string; type: string }> };
    expect(metadata).toMatchObject({ id: 'probe', runtimeVersion: dapr.version });
    expect(metadata.components).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'envsecrets', type: 'secretstores.local.env' })]));
    const logs = kubectl(['logs', '-n', namespace, pod!.metadata!.name!, '-c', 'daprd']);
    expect(logs).not.toMatch(/level=fatal/);
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  }, 300_000);

  it('names the images a registry does not hold, per workload', async () => {
    const run = await install({ set: `global.registry=${dapr.registry}/nothing-here`, timeout: '25s' });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/the Dapr control plane is not ready after 25 s/);
    expect(run.stdout).toMatch(/Deployment\/dapr-[a-z-]+: .*\n\s+pod dapr-[a-z-]+-\w+-\w+: .*cannot pull its image localhost:\d+\/nothing-here\/[a-z]+:1\.18\.2/);
  }, 120_000);

  it('names a control-plane container that crash-loops, with its last log lines', async () => {
    const run = await install({ set: `global.registry=${dapr.registry}\ndapr_sentry.logLevel=nonsense`, timeout: '30s' });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/Deployment\/dapr-sentry: /);
    expect(run.stdout).toMatch(/dapr-sentry keeps crashing: its last run ended with exit code 1/);
    expect(run.stdout).toMatch(/last log lines of dapr-sentry-\w+-\w+\/dapr-sentry/);
    expect(run.stdout).toMatch(/nonsense/);
    // Put it right again for the re-run below.
    expect((await install()).code).toBe(0);
  }, 180_000);

  it('a re-run with the same inputs changes nothing, CRDs included', async () => {
    const t0 = Date.now();
    const run = await install({ 'cert-warn-days': '3650' });
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ changed: 'false', 'control-plane': 'unchanged', 'crds-changed': '0' });
    expect(Date.now() - t0).toBeLessThan(30_000);
    // Sentry's certificates: their expiry in outputs and summary, and a warning inside cert-warn-days.
    for (const key of ['trust-anchor-expires', 'issuer-expires']) {
      expect(Date.parse(run.outputs[key] ?? '')).toBeGreaterThan(Date.now());
    }
    expect(run.summary).toContain('### mTLS certificates');
    expect(run.stdout).toMatch(/::warning::the Dapr mTLS trust anchor expires \S+, in \d+ days \(cert-warn-days: 3650\)/);
  }, 120_000);
});
