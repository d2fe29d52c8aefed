import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadedResource } from '../../../src/actions/dapr-install/components.js';
import { parseDaprInstallInputs, type DaprInstallInputs } from '../../../src/actions/dapr-install/inputs.js';
import type { ControlPlaneResult } from '../../../src/actions/dapr-install/install.js';
import type { Restarted, RotationResult, SkewResult } from '../../../src/actions/dapr-install/maintenance.js';
import { run, type DaprCluster, type DaprInstallDeps, type DaprInstallResult } from '../../../src/actions/dapr-install/run.js';
import { outputsOf, renderSummary } from '../../../src/actions/dapr-install/summary.js';
import { ConfigurationError, OperationError } from '../../../src/core/errors.js';
import { Timings } from '../../../src/core/groups.js';
import { Inputs, objectInputs } from '../../../src/core/inputs.js';
import type { TrustBundle } from '../../../src/dapr/certs.js';
import type { SidecarPod } from '../../../src/dapr/sidecars.js';
import type { HelmBinary } from '../../../src/helm/tool.js';
import type { Applied } from '../../../src/kube/apply.js';
import { DAPR_CLI_VERSION } from '../../../src/versions.js';
import { RecordingLogger } from '../../support/recording-logger.js';

/**
 * dapr-install's run with a fake cluster: what it asks the cluster for, in which order, what it decides (no-op,
 * rotation, warnings), and what a failure half-way leaves in the result.
 */
const NOW = new Date('2026-12-01T10:00:00.000Z');
const inDays = (days: number): Date => new Date(NOW.getTime() + days * 86_400_000);
const BINARY: HelmBinary = { path: '/tools/helm', version: 'v4.2.3', major: 4 };
const crd = (name: string, result: Applied['result']): Applied => ({ kind: 'CustomResourceDefinition', name, namespace: '', result });
const controlPlane = (o: Partial<ControlPlaneResult> = {}): ControlPlaneResult => ({ action: 'installed', version: '1.18.2', requested: '1.18.2', changed: true, rows: [{ workload: 'Deployment/dapr-operator', ready: '1/1', version: '1.18.2', image: 'x' }], crds: [crd('components.dapr.io', 'created'), crd('subscriptions.dapr.io', 'created')], ...o });
const bundle = (anchorDays: number, issuerDays = anchorDays): TrustBundle => ({ trustAnchor: { expires: inDays(anchorDays), subject: 'CN=cluster.local' }, issuer: { expires: inDays(issuerDays), subject: 'CN=cluster.local' } });
const ref = (name: string) => ({ kind: 'Deployment' as const, namespace: 'apps', name });
const restarted = (name: string): Restarted => ({ ref: ref(name), ready: true, reason: 'rolled out', seconds: 3 });
const pod = (name: string, owner = true): SidecarPod => ({ namespace: 'apps', pod: `${name}-1`, image: 'daprio/daprd:1.17.0', version: '1.17.0', ...(owner ? { owner: ref(name) } : { ownerNote: 'no controller' }) });
const skew = (o: Partial<SkewResult> = {}): SkewResult => ({ controlPlaneVersion: '1.18.2', found: [], restarted: [], remaining: [], unowned: [], ...o });
const rotation = (): RotationResult => ({ anchorsPem: '', rootExpires: inDays(365), issuerExpires: inDays(365), keptAnchors: 1, restarted: [restarted('dapr-sentry'), restarted('todo-api')], unowned: [] });
const component = (name: string): LoadedResource => ({ file: 'components.yaml', line: 1, resource: { apiVersion: 'dapr.io/v1alpha1', kind: 'Component', metadata: { name, namespace: 'apps' } } });

let home: string;
beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'dapr-install-run-'));
  mkdirSync(join(home, '.kube'));
  writeFileSync(join(home, '.kube', 'config'), '');
});
afterAll(() => rmSync(home, { recursive: true, force: true }));
const parse = (extra: Record<string, string> = {}, components: LoadedResource[] = []): DaprInstallInputs => ({ ...parseDaprInstallInputs(new Inputs(objectInputs({ 'dapr-version': '1.18.2', 'components-namespace': 'apps', ...extra })), { HOME: home, GITHUB_WORKSPACE: home }), components });

interface Script {
  namespaceExists?: boolean;
  controlPlane?: ControlPlaneResult | Error;
  applied?: Applied[] | Error;
  bundles?: TrustBundle[];
  rotation?: RotationResult;
  skew?: SkewResult;
}

/** A cluster that answers from a script and notes every call. */
function fakes(s: Script = {}) {
  const calls: string[] = [];
  const log = new RecordingLogger();
  const bundles = [...(s.bundles ?? [bundle(300)])];
  const cluster: DaprCluster = {
    namespaceExists: async (ns) => (calls.push(`namespaceExists ${ns}`), s.namespaceExists ?? true),
    installControlPlane: async (i, binary) => {
      calls.push(`installControlPlane ${i.daprVersion} with helm ${binary.version}`);
      const r = s.controlPlane ?? controlPlane();
      if (r instanceof Error) throw r;
      return r;
    },
    apply: async (resources) => {
      calls.push(`apply ${resources.map((r) => r.metadata.name).join(',')}`);
      const r = s.applied ?? resources.map((x): Applied => ({ kind: x.kind, name: x.metadata.name, namespace: x.metadata.namespace, result: 'created' }));
      if (r instanceof Error) throw r;
      return r;
    },
    readTrustBundle: async (ns) => (calls.push(`readTrustBundle ${ns}`), bundles.length > 1 ? bundles.shift()! : bundles[0]!),
    rotateCertificates: async (ns, o) => (calls.push(`rotateCertificates ${ns} ${o.validityDays}d`), s.rotation ?? rotation()),
    sidecarSkew: async (ns, o) => (calls.push(`sidecarSkew ${ns} ${o.version} restart=${o.restart}`), s.skew ?? skew()),
  };
  const deps: DaprInstallDeps = {
    log,
    timings: new Timings(),
    resolveHelm: async () => (calls.push('resolveHelm'), BINARY),
    cluster: async (kubeconfig) => (calls.push(`cluster ${kubeconfig ?? '(default)'}`), cluster),
    installCli: async (cli) => (calls.push(`installCli ${cli.version}`), `/tools/dapr/${cli.version}/dapr`),
    now: () => NOW,
  };
  return { calls, log, deps };
}

const FRESH = ['resolveHelm', 'cluster (default)', 'installControlPlane 1.18.2 with helm v4.2.3', 'readTrustBundle dapr-system', 'sidecarSkew dapr-system 1.18.2 restart=false'];

describe('dapr-install run', () => {
  it.each<{ name: string; inputs?: Record<string, string>; components?: LoadedResource[]; script?: Script; calls: string[]; changed: boolean; outputs: Record<string, unknown>; logs?: RegExp[] }>([
    {
      name: 'a fresh install: changed, certificates read, no sidecars to look at',
      calls: FRESH,
      changed: true,
      outputs: { 'dapr-version': '1.18.2', changed: true, 'control-plane': 'installed', 'components-applied': 0, 'crds-changed': 2, 'certificates-rotated': false, 'outdated-sidecars': 0, 'restarted-workloads': '' },
      logs: [/^changed: control plane installed, 2 CRDs and 0 resources created or configured$/m],
    },
    {
      name: 'nothing differs: no changes, said once',
      script: { controlPlane: controlPlane({ action: 'unchanged', changed: false, crds: [crd('components.dapr.io', 'unchanged')] }) },
      calls: FRESH,
      changed: false,
      outputs: { changed: false, 'control-plane': 'unchanged', 'crds-changed': 0, crds: 'components.dapr.io=unchanged' },
      logs: [/^no changes: Dapr, its CRDs and every resource were already as declared$/m],
    },
    {
      name: 'components: the namespace checked before anything changes, then applied after the control plane',
      components: [component('pubsub'), component('statestore')],
      calls: ['resolveHelm', 'cluster (default)', 'namespaceExists apps', 'installControlPlane 1.18.2 with helm v4.2.3', 'apply pubsub,statestore', 'readTrustBundle dapr-system', 'sidecarSkew dapr-system 1.18.2 restart=false'],
      changed: true,
      outputs: { 'components-applied': 2, 'components-changed': 2 },
      logs: [/^Component\/pubsub: created$/m],
    },
    {
      name: 'install-cli: the CLI installed and put on PATH',
      inputs: { 'install-cli': 'true' },
      calls: ['resolveHelm', 'cluster (default)', 'installControlPlane 1.18.2 with helm v4.2.3', `installCli ${DAPR_CLI_VERSION}`, 'readTrustBundle dapr-system', 'sidecarSkew dapr-system 1.18.2 restart=false'],
      changed: true,
      outputs: { 'cli-path': `/tools/dapr/${DAPR_CLI_VERSION}/dapr` },
    },
    {
      name: 'rotate-certificates: expiring, with the issuer inside cert-warn-days: renewed, the bundle read again',
      inputs: { 'rotate-certificates': 'expiring' },
      script: { controlPlane: controlPlane({ action: 'unchanged', changed: false }), bundles: [bundle(300, 10), bundle(365)] },
      calls: ['resolveHelm', 'cluster (default)', 'installControlPlane 1.18.2 with helm v4.2.3', 'readTrustBundle dapr-system', 'rotateCertificates dapr-system 365d', 'readTrustBundle dapr-system', 'sidecarSkew dapr-system 1.18.2 restart=false'],
      changed: true,
      outputs: { 'certificates-rotated': true, changed: true, 'issuer-expires': inDays(365).toISOString(), 'restarted-workloads': 'Deployment/apps/dapr-sentry,Deployment/apps/todo-api' },
      logs: [/^renewing the mTLS certificates: the issuer expires .*, within cert-warn-days \(30\)$/m],
    },
    {
      name: 'rotate-certificates: expiring, nothing close to expiry: not renewed, and said why',
      inputs: { 'rotate-certificates': 'expiring' },
      calls: FRESH,
      changed: true,
      outputs: { 'certificates-rotated': false, 'trust-anchor-expires': inDays(300).toISOString() },
      logs: [/^mTLS certificates not renewed: neither certificate expires within cert-warn-days \(30\)$/m],
    },
    {
      name: 'a certificate inside cert-warn-days without rotation: a warning with the fix',
      script: { bundles: [bundle(20)] },
      calls: FRESH,
      changed: true,
      outputs: { 'certificates-rotated': false },
      logs: [/^warning: the Dapr mTLS trust anchor expires .*, in 20 days \(cert-warn-days: 30\): renew it before then/m],
    },
    {
      name: 'outdated sidecars left alone: counted, listed, and a warning that says how to roll them',
      script: { skew: skew({ found: [pod('todo-api')], remaining: [pod('todo-api')] }) },
      calls: FRESH,
      changed: true,
      outputs: { 'outdated-sidecars': 1, 'outdated-sidecar-pods': JSON.stringify([{ namespace: 'apps', pod: 'todo-api-1', version: '1.17.0', image: 'daprio/daprd:1.17.0', workload: 'Deployment/apps/todo-api' }]) },
      logs: [/^warning: 1 pods run daprd 1\.17\.0 while the control plane runs 1\.18\.2: set restart-outdated-sidecars: true/m],
    },
    {
      name: 'restart-outdated-sidecars: restarted workloads count as a change',
      inputs: { 'restart-outdated-sidecars': 'true' },
      script: { controlPlane: controlPlane({ action: 'unchanged', changed: false }), skew: skew({ found: [pod('todo-api')], restarted: [restarted('todo-api')] }) },
      calls: ['resolveHelm', 'cluster (default)', 'installControlPlane 1.18.2 with helm v4.2.3', 'readTrustBundle dapr-system', 'sidecarSkew dapr-system 1.18.2 restart=true'],
      changed: true,
      outputs: { changed: true, 'outdated-sidecars': 0, 'restarted-workloads': 'Deployment/apps/todo-api' },
    },
  ])('$name', async ({ inputs, components, script, calls, changed, outputs, logs }) => {
    const f = fakes(script);
    const r = await run(parse(inputs, components), f.deps);
    expect(r.failure).toBeUndefined();
    expect(f.calls).toEqual(calls);
    expect(r.changed).toBe(changed);
    expect(outputsOf(r)).toMatchObject(outputs);
    for (const re of logs ?? []) expect(f.log.text()).toMatch(re);
  });

  it.each<{ name: string; components?: LoadedResource[]; script: Script; failure: RegExp; calls: string[]; outputs: Record<string, unknown> }>([
    {
      name: 'the components namespace missing: refused before any change',
      components: [component('pubsub')],
      script: { namespaceExists: false },
      failure: /^components-namespace: namespace "apps" does not exist/,
      calls: ['resolveHelm', 'cluster (default)', 'namespaceExists apps'],
      outputs: { 'dapr-version': undefined, changed: undefined, 'components-applied': undefined },
    },
    {
      name: 'the control plane fails: nothing after it runs, nothing reported as done',
      script: { controlPlane: new OperationError('helm upgrade failed: timed out', { hint: 'read the Diagnostics group' }) },
      failure: /^helm upgrade failed: timed out$/,
      calls: ['resolveHelm', 'cluster (default)', 'installControlPlane 1.18.2 with helm v4.2.3'],
      outputs: { 'dapr-version': undefined, 'control-plane': undefined, changed: undefined },
    },
    {
      name: 'the components fail after the control plane: the control plane is still reported',
      components: [component('pubsub')],
      script: { applied: new OperationError('applying Component/pubsub: forbidden') },
      failure: /^applying Component\/pubsub: forbidden$/,
      calls: ['resolveHelm', 'cluster (default)', 'namespaceExists apps', 'installControlPlane 1.18.2 with helm v4.2.3', 'apply pubsub'],
      outputs: { 'dapr-version': '1.18.2', 'control-plane': 'installed', crds: 'components.dapr.io=created,subscriptions.dapr.io=created', 'components-applied': undefined, changed: undefined },
    },
  ])('$name', async ({ components, script, failure, calls, outputs }) => {
    const f = fakes(script);
    const r = await run(parse({}, components), f.deps);
    expect((r.failure as Error).message).toMatch(failure);
    expect(f.calls).toEqual(calls);
    expect(outputsOf(r)).toMatchObject(outputs);
    expect(r.changed).toBeUndefined();
  });

  it('the missing namespace is a ConfigurationError: the user must change something', async () => {
    const r = await run(parse({}, [component('pubsub')]), fakes({ namespaceExists: false }).deps);
    expect(r.failure).toBeInstanceOf(ConfigurationError);
  });
});

describe('dapr-install summary', () => {
  const done = async (script: Script = {}, inputs: Record<string, string> = {}, components: LoadedResource[] = []): Promise<DaprInstallResult> => run(parse(inputs, components), fakes(script).deps);

  it.each<[string, () => Promise<DaprInstallResult>, string[], string[]]>([
    ['a fresh install', () => done(), ['## dapr-install: Dapr 1.18.2 ready (changed)', 'Control plane in `dapr-system`: installed, scheduler storage persistent.', '| Deployment/dapr-operator | 1/1 | 1.18.2 |', '2 created or configured', '| Trust anchor | 2027-09-27T10:00:00.000Z | 300 days |'], ['What failed', 'Sidecars on another Dapr version']],
    ['no changes', () => done({ controlPlane: controlPlane({ action: 'unchanged', changed: false, crds: [] }) }), ['## dapr-install: Dapr 1.18.2 ready (no changes)', 'already installed with the same inputs'], []],
    ['a renewal', () => done({ bundles: [bundle(300, 10), bundle(365)] }, { 'rotate-certificates': 'expiring' }), ['### mTLS certificates', 'Trust anchor and issuer renewed in place (the issuer expires', '`Deployment/apps/dapr-sentry`, `Deployment/apps/todo-api`'], []],
    ['a certificate to renew soon', () => done({ bundles: [bundle(20)] }), ['| Trust anchor | 2026-12-21T10:00:00.000Z | 20 days (renew soon) |'], []],
    ['outdated sidecars', () => done({ skew: skew({ found: [pod('todo-api'), pod('job', false)], remaining: [pod('todo-api'), pod('job', false)] }) }), ['### Sidecars on another Dapr version', "2 pod(s) still run a daprd other than the control plane's 1.18.2 (restart-outdated-sidecars: true rolls them):", '| apps | todo-api-1 | 1.17.0 | Deployment/todo-api |', '| apps | job-1 | 1.17.0 | no controller |'], []],
    ['components', () => done({}, {}, [component('pubsub')]), ['### Dapr resources', '| Component | pubsub | apps | created |'], []],
    ['a failure before the control plane', () => done({ controlPlane: new OperationError('helm upgrade failed', { hint: 'read the Diagnostics group' }) }), ['## dapr-install: failed', '### What failed', 'helm upgrade failed', '**Next:** read the Diagnostics group'], ['CRDs', 'mTLS']],
    ['a failure after the control plane', () => done({ applied: new OperationError('applying failed') }, {}, [component('pubsub')]), ['## dapr-install: Dapr 1.18.2 control plane ready, then failed', '### What failed', '| Deployment/dapr-operator | 1/1 | 1.18.2 |'], ['Dapr resources']],
    ['a refused input found on the cluster', () => done({ namespaceExists: false }, {}, [component('pubsub')]), ['## dapr-install: failed', '### Invalid input', 'components-namespace: namespace "apps" does not exist'], []],
  ])('%s', async (_, result, contains, absent) => {
    const md = renderSummary(await result(), [{ name: 'Helm', ms: 100, ok: true }]).toMarkdown();
    for (const text of [...contains, '| Helm | ok | 0.1 s |']) expect(md).toContain(text);
    for (const text of absent) expect(md).not.toContain(text);
  });
});
