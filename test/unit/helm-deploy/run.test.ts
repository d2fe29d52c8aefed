import type { KubeRest } from '../../../src/kube/rest.js';
import type { DeployDeps, DeployRequest, DeployResult } from '../../../src/actions/helm-deploy/deploy.js';
import { parseHelmDeployInputs, type HelmDeployInputs } from '../../../src/actions/helm-deploy/inputs.js';
import { run, type HelmDeployDeps, type HelmDeployResult } from '../../../src/actions/helm-deploy/run.js';
import { outputsOf, renderSummary } from '../../../src/actions/helm-deploy/summary.js';
import { ConfigurationError, OperationError } from '../../../src/core/errors.js';
import { Timings } from '../../../src/core/groups.js';
import { Inputs, objectInputs } from '../../../src/core/inputs.js';
import { Secrets } from '../../../src/core/secrets.js';
import type { Helm } from '../../../src/helm/helm.js';
import type { Revision } from '../../../src/helm/release.js';
import type { HelmBinary } from '../../../src/helm/tool.js';
import { RecordingLogger } from '../../support/recording-logger.js';

/** helm-deploy's run with fakes for Helm's resolution, the cluster, the deploy and the private values file. */
const base = { release: 'hello', chart: 'oci://registry.example.com/charts/hello', namespace: 'apps' };
const parse = (extra: Record<string, string> = {}): HelmDeployInputs => parseHelmDeployInputs(new Inputs(objectInputs({ ...base, ...extra })), new Secrets(), { GITHUB_WORKSPACE: '/ws' }, 'linux-amd64');
const BINARY: HelmBinary = { path: '/tools/helm/4.2.3/helm', version: 'v4.2.3', major: 4 };
const rev = (revision: number, status: Revision['status']): Revision => ({ revision, status, chart: 'hello-0.1.0', appVersion: '1.0.0', updated: '', description: '' });
const deployed: DeployResult = { ok: true, live: rev(2, 'deployed'), latest: rev(2, 'deployed'), rolledBack: false, outcome: 'revision 2 is live' };
const rolledBack: DeployResult = { ok: false, live: rev(1, 'deployed'), latest: rev(3, 'deployed'), rolledBack: true, failure: 'Error: UPGRADE FAILED: context deadline exceeded', outcome: 'rolled back: revision 3 (Rollback to 1) is live; revision 2 failed' };

interface Fakes {
  binary?: HelmBinary;
  resolveFails?: Error;
  clientsFail?: Error;
  deploy?: DeployResult | Error;
}

function fakes(o: Fakes = {}) {
  const calls: string[] = [];
  const requests: DeployRequest[] = [];
  const log = new RecordingLogger();
  const kube = { fake: 'kube' } as unknown as KubeRest;
  let deployDeps: DeployDeps | undefined;
  const deps: HelmDeployDeps = {
    log,
    timings: new Timings(),
    resolveHelm: async (choice) => {
      calls.push(`resolveHelm ${choice.version}`);
      if (o.resolveFails) throw o.resolveFails;
      return o.binary ?? BINARY;
    },
    clients: async (kubeconfig) => {
      calls.push(`clients ${kubeconfig ?? '(KUBECONFIG)'}`);
      if (o.clientsFail) throw o.clientsFail;
      return { kube, helm: (binary) => ({ binary }) as unknown as Helm };
    },
    deploy: async (request, d) => {
      calls.push('deploy');
      requests.push(request);
      deployDeps = d;
      const r = o.deploy ?? deployed;
      if (r instanceof Error) throw r;
      return r;
    },
    writeSecretValues: (yaml) => (calls.push(`writeSecretValues ${yaml.length} chars`), '/rt/helm-deploy-x/secret-values.yaml'),
  };
  return { calls, requests, log, deps, kube, deployDeps: () => deployDeps };
}

describe('helm-deploy run', () => {
  it.each<{ name: string; inputs: Record<string, string>; upgrade: Record<string, unknown> }>([
    { name: 'an oci:// chart', inputs: {}, upgrade: { release: 'hello', chart: 'oci://registry.example.com/charts/hello', repo: undefined, namespace: 'apps', valuesFiles: [] } },
    { name: 'a chart from a repository, with its version', inputs: { chart: 'hello', repo: 'https://charts.example.com', 'chart-version': '0.1.0' }, upgrade: { chart: 'hello', repo: 'https://charts.example.com', chartVersion: '0.1.0' } },
    { name: 'secret values: written to the private file, passed last', inputs: { 'secret-values': 'password: s3cret-value-1' }, upgrade: { valuesFiles: ['/rt/helm-deploy-x/secret-values.yaml'] } },
    { name: 'the flags as given', inputs: { 'create-namespace': 'true', 'dry-run': 'true', timeout: '90s', 'history-max': '3', set: 'a=1' }, upgrade: { createNamespace: true, dryRun: true, timeoutMs: 90_000, historyMax: 3, set: [{ key: 'a', value: '1' }], forceConflicts: false } },
    { name: 'force-conflicts with Helm 4', inputs: { 'force-conflicts': 'true' }, upgrade: { forceConflicts: true } },
  ])('deploys $name', async ({ inputs, upgrade }) => {
    const f = fakes();
    const r = await run(parse(inputs), f.deps);
    expect(r.failure).toBeUndefined();
    expect(r.deploy).toBe(deployed);
    expect(r.helmVersion).toBe('v4.2.3');
    expect(f.requests).toHaveLength(1);
    expect(f.requests[0]!.upgrade).toMatchObject(upgrade);
    expect(f.requests[0]!.recoverPending).toBe(false);
    expect(f.deployDeps()).toMatchObject({ kube: f.kube, helm: { binary: BINARY }, log: f.log });
    expect(f.calls.filter((c) => c.startsWith('writeSecretValues'))).toEqual(inputs['secret-values'] ? ['writeSecretValues 24 chars'] : []);
    expect(f.log.text()).toContain('hello: revision 2 is live');
    expect(f.deps.timings.steps.map((s) => [s.name, s.ok])).toEqual([['Helm', true]]);
  });

  it.each<{ name: string; fakes: Fakes; failure: RegExp; hint?: string; helmVersion?: string; deployed: boolean; calls: string[] }>([
    {
      name: 'a failed deploy: the result kept, the failure says what helm said and what runs now',
      fakes: { deploy: rolledBack },
      failure: /^helm upgrade --install hello failed: Error: UPGRADE FAILED: context deadline exceeded\nOutcome: rolled back: revision 3 \(Rollback to 1\) is live; revision 2 failed$/,
      hint: 'read the Diagnostics group above (events, pod states, logs) and the job summary',
      helmVersion: 'v4.2.3',
      deployed: true,
      calls: ['resolveHelm 4.2.3', 'clients (KUBECONFIG)', 'deploy'],
    },
    {
      name: 'a failed deploy with its own hint',
      fakes: { deploy: { ...rolledBack, hint: 'set recover-pending: true' } },
      failure: /^helm upgrade --install hello failed/,
      hint: 'set recover-pending: true',
      helmVersion: 'v4.2.3',
      deployed: true,
      calls: ['resolveHelm 4.2.3', 'clients (KUBECONFIG)', 'deploy'],
    },
    {
      name: 'Helm cannot be resolved: no deploy, no helm version',
      fakes: { resolveFails: new OperationError('downloading helm failed: SHA-256 mismatch', { hint: 'check helm-sha256' }) },
      failure: /^downloading helm failed: SHA-256 mismatch$/,
      hint: 'check helm-sha256',
      deployed: false,
      calls: ['resolveHelm 4.2.3', 'clients (KUBECONFIG)'],
    },
    {
      name: 'the kubeconfig cannot be loaded: no deploy',
      fakes: { clientsFail: new ConfigurationError({ input: 'kubeconfig', problem: 'has no current context', fix: 'run oke-login first' }) },
      failure: /^kubeconfig: has no current context/,
      deployed: false,
      calls: ['resolveHelm 4.2.3', 'clients (KUBECONFIG)'],
    },
    {
      name: 'the preflight refuses (namespace missing): the helm version is known',
      fakes: { deploy: new ConfigurationError({ input: 'namespace', problem: 'namespace "apps" does not exist in the cluster', fix: 'create it first' }) },
      failure: /^namespace: namespace "apps" does not exist/,
      helmVersion: 'v4.2.3',
      deployed: false,
      calls: ['resolveHelm 4.2.3', 'clients (KUBECONFIG)', 'deploy'],
    },
  ])('$name', async ({ fakes: o, failure, hint, helmVersion, deployed: hasDeploy, calls }) => {
    const f = fakes(o);
    const r = await run(parse(), f.deps);
    expect((r.failure as Error).message).toMatch(failure);
    if (hint) expect((r.failure as OperationError).hint).toBe(hint);
    expect(r.helmVersion).toBe(helmVersion);
    expect(r.deploy !== undefined).toBe(hasDeploy);
    expect(f.calls.map((c) => c.replace(/^resolveHelm .*/, 'resolveHelm 4.2.3'))).toEqual(calls);
    expect(f.log.text()).not.toContain('hello: ');
  });
});

describe('helm-deploy outputs and summary', () => {
  const result = (extra: Partial<HelmDeployResult> = {}): HelmDeployResult => ({ release: 'hello', namespace: 'apps', chart: { kind: 'oci', ref: 'oci://r/hello' }, dryRun: false, helmVersion: 'v4.2.3', deploy: deployed, ...extra });

  it.each<[string, HelmDeployResult, Record<string, unknown>]>([
    ['deployed', result(), { revision: 2, status: 'deployed', 'chart-version': '0.1.0', 'app-version': '1.0.0', 'rolled-back': false, 'helm-version': 'v4.2.3' }],
    ['rolled back', result({ deploy: rolledBack }), { revision: 1, status: 'deployed', 'chart-version': '0.1.0', 'app-version': '1.0.0', 'rolled-back': true, 'helm-version': 'v4.2.3' }],
    ['nothing installed (a failed first install removed)', result({ deploy: { ok: false, rolledBack: false, outcome: 'nothing is live' } }), { revision: undefined, status: 'none', 'chart-version': undefined, 'app-version': undefined, 'rolled-back': false, 'helm-version': 'v4.2.3' }],
    ['failed before the deploy: only what is known', result({ deploy: undefined, helmVersion: undefined, failure: new Error('x') }), { revision: undefined, status: undefined, 'chart-version': undefined, 'app-version': undefined, 'rolled-back': undefined, 'helm-version': undefined }],
  ])('outputs: %s', (_, r, expected) => expect(outputsOf(r)).toEqual(expected));

  it.each<[string, HelmDeployResult, string[], string[]]>([
    ['deployed', result(), ['## helm-deploy: hello deployed', '| hello | apps | oci://r/hello | 0.1.0 | 1.0.0 | 2 | deployed | v4.2.3 |', '**Outcome:** revision 2 is live'], ['What failed', 'Helm said']],
    ['a dry run', result({ dryRun: true }), ['## helm-deploy: hello dry run ok'], []],
    ['rolled back', result({ deploy: rolledBack, failure: new Error('helm upgrade --install hello failed') }), ['## helm-deploy: hello FAILED', '**Helm said:**', 'Error: UPGRADE FAILED: context deadline exceeded'], ['What failed']],
    [
      'failed before the deploy: what failed and what next, the chart from its repository',
      result({ chart: { kind: 'repo', name: 'hello', repo: 'https://charts.example.com' }, chartVersion: '0.2.0', deploy: undefined, helmVersion: undefined, failure: new OperationError('downloading helm failed', { hint: 'check helm-sha256' }) }),
      ['## helm-deploy: hello FAILED', '| hello | apps | hello from https://charts.example.com | 0.2.0 |  |  |  |  |', '### What failed', 'downloading helm failed', '**Next:** check helm-sha256'],
      ['Outcome'],
    ],
  ])('summary: %s', (_, r, contains, absent) => {
    const md = renderSummary(r, [{ name: 'Helm', ms: 2500, ok: true }]).toMarkdown();
    for (const text of [...contains, '| Helm | ok | 2.5 s |']) expect(md).toContain(text);
    for (const text of absent) expect(md).not.toContain(text);
  });
});

describe('helm-deploy run: force-conflicts', () => {
  it('is refused with Helm 3 before any deploy, naming the input and the fix', async () => {
    const f = fakes({ binary: { path: '/tools/helm/3.17.3/helm', version: 'v3.17.3', major: 3 } });
    const r = await run(parse({ 'force-conflicts': 'true' }), f.deps);
    expect(r.failure).toBeInstanceOf(ConfigurationError);
    expect((r.failure as Error).message).toMatch(/force-conflicts: is true, but Helm v3\.17\.3 applies client-side .* remove force-conflicts, or set helm-version to a Helm 4 release/);
    expect(f.calls).not.toContain('deploy');
  });

  it('is not a problem with Helm 3 when off', async () => {
    const f = fakes({ binary: { path: '/tools/helm/3.17.3/helm', version: 'v3.17.3', major: 3 } });
    const r = await run(parse(), f.deps);
    expect(r.failure).toBeUndefined();
    expect(f.requests[0]!.upgrade).toMatchObject({ forceConflicts: false });
  });
});
