import { AppsV1Api, ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, type V1Pod } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { mintDaprBundle } from '../../../src/dapr/mint.js';
import { daprdContainer } from '../../../src/dapr/sidecars.js';
import { loadKubeConfig } from '../../../src/kube/client.js';
import { waitForWorkloads } from '../../../src/kube/wait.js';
import type { ActionRun } from '../../support/action-harness.js';
import { daprProbeDeployment, DAPR_NAMESPACE, kubectl, removeDapr, runDaprInstall } from '../../support/dapr-cluster.js';
import { helmMirror, type HelmMirror } from '../../support/helm-mirror.js';
import { stack } from '../../support/stack.js';
import { tempDir } from '../../support/temp.js';

/**
 * Upgrading Dapr with dapr-install, on the real node: the previous minor (its own chart and images, built from
 * the github.com/dapr/dapr module like the pinned one) is installed first, with a trust bundle that expires
 * within minutes; an annotated app runs on it. Then dapr-install upgrades to the pinned version (CRDs first),
 * lists the sidecars left on the old daprd, restarts them, and renews the certificates, while a client outside
 * Dapr keeps calling the app through its sidecar and records every answer.
 *
 * The cluster holds one Dapr (cluster-wide webhook and roles): this file starts from none, with no Dapr CRDs
 * (so the old chart's CRDs are what the cluster has), and leaves none.
 */
const kubeconfig = stack.kubeconfig();
const kc = loadKubeConfig(kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const ext = kc.makeApiClient(ApiextensionsV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const toolCache = tempDir('dapr-upgrade-tc-');
const dapr = stack.daprChart();
const prev = dapr.previous;
const system = DAPR_NAMESPACE;
/** The trust bundle the old install starts with expires this soon ("within minutes"). */
const SHORT_LIVED_MS = 20 * 60_000;
let mirror: HelmMirror;
let appNs: string;
let shortLived: ReturnType<typeof mintDaprBundle>;

function daprInstall(chart: { chart: string; version: string }, inputs: Record<string, string> = {}): Promise<ActionRun> {
  // The stack's charts live in its cache, outside the workspace.
  return runDaprInstall(chart, mirror, toolCache, { 'allow-outside-workspace': 'true', ...inputs });
}

async function daprCrds(): Promise<string[]> {
  return (await ext.listCustomResourceDefinition()).items.map((c) => c.metadata!.name!).filter((n) => n.endsWith('.dapr.io'));
}

async function deleteCrds(names: string[]): Promise<void> {
  for (const name of names) await ext.deleteCustomResourceDefinition({ name }).catch(() => undefined);
  for (let i = 0; i < 120 && (await daprCrds()).some((n) => names.includes(n)); i++) await new Promise((r) => setTimeout(r, 500));
}

/** A Configuration using a field only the newer CRDs know, created with strict field validation. */
function strictConfiguration(name: string): Promise<unknown> {
  return custom.createNamespacedCustomObject({
    group: 'dapr.io', version: 'v1alpha1', namespace: appNs, plural: 'configurations', fieldValidation: 'Strict',
    body: { apiVersion: 'dapr.io/v1alpha1', kind: 'Configuration', metadata: { name }, spec: { workflow: { globalMaxConcurrentWorkflowInvocations: 10 } } },
  });
}

async function probePods(): Promise<V1Pod[]> {
  return (await core.listNamespacedPod({ namespace: appNs, labelSelector: 'app=probe' })).items.filter((p) => !p.metadata?.deletionTimestamp);
}

function sidecarImage(p: V1Pod): string | undefined {
  return daprdContainer(p)?.image;
}

/** GET through daprd inside a probe pod (its API listens on the pod's addresses here). */
function fromProbe(pod: V1Pod, url: string): string {
  return kubectl(['exec', '-n', appNs, pod.metadata!.name!, '-c', 'app', '--', '/stack-testapp', 'get', url]);
}

interface OutdatedPod { namespace: string; pod: string; version: string; workload?: string }

/** The outdated sidecars a run reports in this file's namespace (other Dapr apps may share the cluster). */
function outdatedHere(run: ActionRun): OutdatedPod[] {
  return (JSON.parse(run.outputs['outdated-sidecar-pods'] ?? '[]') as OutdatedPod[]).filter((p) => p.namespace === appNs);
}

interface PollLine { at: number; ok: boolean; text: string }

async function pollLines(): Promise<PollLine[]> {
  const log = String(await core.readNamespacedPodLog({ name: 'poller', namespace: appNs, container: 'poll' }));
  return log.split('\n').map((l) => /^(\d+) (ok|fail) ?(.*)$/.exec(l)).filter((m) => m !== null).map((m) => ({ at: Number(m[1]), ok: m[2] === 'ok', text: m[3] ?? '' }));
}

/** The answers between two instants: how many, how many failed, and the longest time without a good one. */
function window(lines: PollLine[], from: number, to: number): { attempts: number; failed: PollLine[]; longestGapMs: number } {
  const inside = lines.filter((l) => l.at >= from && l.at <= to);
  let lastOk = from;
  let longestGapMs = 0;
  for (const l of inside) {
    if (l.ok) {
      longestGapMs = Math.max(longestGapMs, l.at - lastOk);
      lastOk = l.at;
    }
  }
  longestGapMs = Math.max(longestGapMs, to - lastOk);
  return { attempts: inside.length, failed: inside.filter((l) => !l.ok), longestGapMs };
}

beforeAll(async () => {
  mirror = await helmMirror();
  await removeDapr(kubeconfig);
  await deleteCrds(await daprCrds());
  appNs = `dapr-upgrade-${randomUUID().slice(0, 6)}`;
  await core.createNamespace({ body: { metadata: { name: appNs } } });
  // A trust bundle that expires within minutes, in place before the chart is installed (as a cluster whose
  // certificates are about to lapse has it). Labelled for Helm to adopt; the chart's Secret carries no data.
  shortLived = mintDaprBundle({ namespace: system, validForMs: SHORT_LIVED_MS, keyType: 'ecdsa-p256' });
  const helmOwned = { labels: { 'app.kubernetes.io/managed-by': 'Helm', app: 'dapr-sentry' }, annotations: { 'meta.helm.sh/release-name': 'dapr', 'meta.helm.sh/release-namespace': system } };
  await core.createNamespace({ body: { metadata: { name: system } } });
  await core.createNamespacedSecret({ namespace: system, body: { metadata: { name: 'dapr-trust-bundle', ...helmOwned }, stringData: { 'ca.crt': shortLived.rootCertPem, 'issuer.crt': shortLived.issuerCertPem, 'issuer.key': shortLived.issuerKeyPem } } });
  await core.createNamespacedConfigMap({ namespace: system, body: { metadata: { name: 'dapr-trust-bundle', ...helmOwned }, data: { 'ca.crt': shortLived.rootCertPem } } });
}, 240_000);

afterAll(async () => {
  await mirror.close();
  await core.deleteNamespace({ name: appNs }).catch(() => undefined);
  await removeDapr(kubeconfig);
}, 240_000);

describe('dapr-install upgrades Dapr on the real node', () => {
  it('a CRD that can never become Established fails at once, naming it and what to do; Helm never runs', async () => {
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name: 'shadowcomponents.dapr.io' },
        spec: {
          group: 'dapr.io', scope: 'Namespaced',
          names: { kind: 'Component', listKind: 'ComponentList', plural: 'shadowcomponents', singular: 'shadowcomponent' },
          versions: [{ name: 'v1alpha1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } } }],
        },
      },
    });
    try {
      const t0 = Date.now();
      const run = await daprInstall(prev);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/CRDs that can never become Established: components\.dapr\.io: the API server refused its names \((List)?KindConflict/);
      expect(run.stdout).toMatch(/delete or rename that CRD, then run again/);
      expect(Date.now() - t0).toBeLessThan(60_000);
      expect(kubectl(['get', 'secrets', '-n', system, '-l', 'owner=helm', '-o', 'name'])).toBe('');
    } finally {
      await deleteCrds(['shadowcomponents.dapr.io', 'components.dapr.io']);
    }
  }, 180_000);

  it(`installs the previous minor from its own chart and images, on a trust bundle that expires within minutes`, async () => {
    const run = await daprInstall(prev);
    expect(run.stdout).not.toMatch(/::error::/);
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ 'dapr-version': prev.version, 'control-plane': 'installed', 'certificates-rotated': 'false' });
    expect(outdatedHere(run)).toEqual([]);
    // sentry took the bundle that was there: the action reports it, and warns.
    expect(Date.parse(run.outputs['issuer-expires']!)).toBeLessThan(Date.now() + SHORT_LIVED_MS);
    expect(run.stdout).toMatch(/::warning::the Dapr mTLS issuer certificate expires \S+, in 0 days/);
    expect(await daprCrds()).not.toContain('mcpservers.dapr.io');

    kubectl(['apply', '-n', appNs, '-f', '-'], 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: envsecrets\nspec:\n  type: secretstores.local.env\n  version: v1\n  metadata: []\n');
    // daprd's API on the pod's addresses, so a client outside Dapr can call the app through it.
    await apps.createNamespacedDeployment({ namespace: appNs, body: daprProbeDeployment({ readinessProbe: true, replicas: 2, annotations: { 'dapr.io/sidecar-listen-addresses': '0.0.0.0' } }) });
    await core.createNamespacedService({ namespace: appNs, body: { metadata: { name: 'probe-api' }, spec: { selector: { app: 'probe' }, ports: [{ name: 'dapr-http', port: 3500, targetPort: 3500 }] } } });
    // A Dapr app without a controller: nothing can roll it, so it must be reported, never silently skipped.
    await core.createNamespacedPod({
      namespace: appNs,
      body: {
        metadata: { name: 'straggler', annotations: { 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'straggler', 'dapr.io/app-port': '8080' } },
        spec: { containers: [{ name: 'app', image: stack.node().images.testapp, ports: [{ containerPort: 8080 }] }] },
      },
    });
    const [ready] = await waitForWorkloads(kc, [{ kind: 'Deployment', namespace: appNs, name: 'probe' }], 180_000);
    expect(ready?.readiness.ready).toBe(true);
    for (const p of await probePods()) expect(sidecarImage(p)).toBe(`${dapr.registry}/daprd:${prev.version}`);
    await expect(strictConfiguration('too-new')).rejects.toThrow(/strict decoding error: unknown field \W{0,12}spec\.workflow\.globalMaxConcurrentWorkflowInvocations/);

    await core.createNamespacedPod({
      namespace: appNs,
      body: {
        metadata: { name: 'poller' },
        spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'poll', image: stack.node().images.testapp, args: ['poll', `http://probe-api.${appNs}.svc.cluster.local:3500/v1.0/invoke/probe/method/healthz`, '250ms'] }] },
      },
    });
    for (let i = 0; i < 120 && !(await pollLines().catch(() => [])).some((l) => l.ok); i++) await new Promise((r) => setTimeout(r, 500));
    expect((await pollLines()).some((l) => l.ok)).toBe(true);
  }, 420_000);

  it('upgrades to the pinned version: CRDs applied first, the new field accepted, the app answering throughout, outdated sidecars listed', async () => {
    const t0 = Date.now();
    const run = await daprInstall(dapr);
    const t1 = Date.now();
    expect(run.stdout).not.toMatch(/::error::/);
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ 'dapr-version': dapr.version, 'control-plane': 'upgraded', changed: 'true' });
    expect(run.summary).toContain(`upgraded from ${prev.version}`);
    const crds = Object.fromEntries(run.outputs.crds!.split(',').map((x) => x.split('=')));
    expect(crds).toMatchObject({ 'configurations.dapr.io': 'configured', 'mcpservers.dapr.io': 'created', 'workflowaccesspolicies.dapr.io': 'created' });
    await expect(strictConfiguration('new-field')).resolves.toBeDefined();

    // The sidecars still run the old daprd: listed (output and summary), not touched.
    const outdated = outdatedHere(run);
    expect(Number(run.outputs['outdated-sidecars'])).toBeGreaterThanOrEqual(3);
    expect(outdated.map((o) => o.version)).toEqual([prev.version, prev.version, prev.version]);
    expect(outdated.filter((o) => o.workload === `Deployment/${appNs}/probe`)).toHaveLength(2);
    expect(outdated.find((o) => o.pod === 'straggler')?.workload).toBeUndefined();
    expect(run.summary).toContain('### Sidecars on another Dapr version');
    expect(run.stdout).toMatch(new RegExp(`::warning::\\d+ pods run daprd [^:]*${prev.version.replaceAll('.', '\\.')}[^:]* while the control plane runs ${dapr.version.replaceAll('.', '\\.')}`));

    const w = window(await pollLines(), t0, t1);
    // One attempt every 250 ms: at least half of them recorded (the poller ran the whole time).
    expect(w.attempts).toBeGreaterThan((t1 - t0) / 500);
    expect(w.failed).toEqual([]);
  }, 420_000);

  it('restart-outdated-sidecars rolls the outdated workloads, which load their components on the new daprd; a pod without a controller stays listed', async () => {
    const t0 = Date.now();
    const run = await daprInstall(dapr, { 'restart-outdated-sidecars': 'true' });
    const t1 = Date.now();
    expect(run.stdout).not.toMatch(/::error::/);
    expect(run.code).toBe(0);
    expect(run.outputs['control-plane']).toBe('unchanged');
    expect(run.outputs['restarted-workloads']!.split(',')).toContain(`Deployment/${appNs}/probe`);
    expect(outdatedHere(run)).toEqual([expect.objectContaining({ namespace: appNs, pod: 'straggler', version: prev.version })]);
    expect(run.stdout).toMatch(/straggler.*no controller/);

    const pods = await probePods();
    expect(pods).toHaveLength(2);
    for (const p of pods) {
      expect(sidecarImage(p)).toBe(`${dapr.registry}/daprd:${dapr.version}`);
      const out = fromProbe(p, 'http://127.0.0.1:3500/v1.0/metadata');
      const metadata = JSON.parse(out.slice(out.indexOf('{'))) as { runtimeVersion: string; components?: Array<{ name: string; type: string }> };
      expect(metadata.runtimeVersion).toBe(dapr.version);
      expect(metadata.components).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'envsecrets', type: 'secretstores.local.env' })]));
    }

    const w = window(await pollLines(), t0, t1);
    // One attempt every 250 ms: at least half of them recorded (the poller ran the whole time).
    expect(w.attempts).toBeGreaterThan((t1 - t0) / 500);
    expect(w.longestGapMs).toBeLessThan(3_000);
  }, 420_000);

  it('rotate-certificates: expiring renews the trust anchor and issuer in place; the apps roll onto them and keep answering; no key in any output', async () => {
    const t0 = Date.now();
    const run = await daprInstall(dapr, { 'rotate-certificates': 'expiring', 'cert-warn-days': '1' });
    const t1 = Date.now();
    expect(run.stdout).not.toMatch(/::error::/);
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ 'certificates-rotated': 'true', changed: 'true' });
    const year = Date.now() + 360 * 86_400_000;
    expect(Date.parse(run.outputs['issuer-expires']!)).toBeGreaterThan(year);
    expect(Date.parse(run.outputs['trust-anchor-expires']!)).toBeGreaterThan(year);
    expect(run.outputs['restarted-workloads']).toContain(`Deployment/${appNs}/probe`);
    expect(run.summary).toContain('renewed');

    const secret = await core.readNamespacedSecret({ name: 'dapr-trust-bundle', namespace: system });
    const key = Buffer.from(secret.data!['issuer.key']!, 'base64').toString('utf8');
    expect(key).not.toBe(shortLived.issuerKeyPem);
    // Masked the moment it was minted (every line), and in nothing the run printed or wrote.
    expect(run.masks()).toContain(key);
    for (const line of key.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))) {
      expect(run.masks()).toContain(line);
      expect(run.everything()).not.toContain(line);
    }
    // Both anchors while old workload certificates live; the configmap mirrors the secret (or sentry would mint its own).
    const anchors = Buffer.from(secret.data!['ca.crt']!, 'base64').toString('utf8');
    expect(anchors.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(anchors).toContain(shortLived.rootCertPem.trim());
    expect((await core.readNamespacedConfigMap({ name: 'dapr-trust-bundle', namespace: system })).data?.['ca.crt']).toBe(anchors);

    // New pods got certificates from the new issuer (they are Ready), and their daprd trusts the new anchor.
    const pods = await probePods();
    expect(pods).toHaveLength(2);
    for (const p of pods) {
      const env = daprdContainer(p)?.env?.find((e) => e.name === 'DAPR_TRUST_ANCHORS')?.value ?? '';
      expect(env.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    }
    const w = window(await pollLines(), t0, t1);
    // One attempt every 250 ms: at least half of them recorded (the poller ran the whole time).
    expect(w.attempts).toBeGreaterThan((t1 - t0) / 500);
    expect(w.longestGapMs).toBeLessThan(3_000);

    // Nothing expires soon any more: the same inputs leave the certificates alone.
    const again = await daprInstall(dapr, { 'rotate-certificates': 'expiring', 'cert-warn-days': '30' });
    expect(again.code).toBe(0);
    expect(again.outputs).toMatchObject({ 'certificates-rotated': 'false', changed: 'false' });
  }, 600_000);
});
