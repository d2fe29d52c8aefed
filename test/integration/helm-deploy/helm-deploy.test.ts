import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadKubeConfig } from '../../../src/kube/client.js';
import { waitForWorkloads } from '../../../src/kube/wait.js';
import { runActionBundle, type ActionRun } from '../../support/action-harness.js';
import { helmMirror, type HelmMirror } from '../../support/helm-mirror.js';
import { getFromPod } from '../../support/pods.js';
import { stack } from '../../support/stack.js';
import { tempDir } from '../../support/temp.js';

const chart = resolve(import.meta.dirname, '..', '..', 'fixtures', 'charts', 'hello');
const kubeconfig = stack.kubeconfig();
const kc = loadKubeConfig(kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const toolCache = tempDir('helm-deploy-toolcache-');
let mirror: HelmMirror;

beforeAll(async () => {
  mirror = await helmMirror();
});
afterAll(async () => {
  await mirror.close();
});

/** Namespaces this file made: removed when it ends (their pods would otherwise run, and probe, through later tests). */
const made: string[] = [];
const newNamespace = async (): Promise<string> => {
  const name = `hd-${randomUUID().slice(0, 8)}`;
  await core.createNamespace({ body: { metadata: { name } } });
  made.push(name);
  return name;
};
afterAll(async () => {
  await Promise.all(made.map((name) => core.deleteNamespace({ name }).catch(() => undefined)));
});

/** The chart's pods run on the stack's real node, from the test image the stack pushed to its registry. */
function deployAction(inputs: Record<string, string>, helmVersion: string, extraEnv: Record<string, string> = {}): Promise<ActionRun> {
  const set = [`image=${stack.node().images.testapp}`, inputs.set].filter(Boolean).join('\n');
  return runActionBundle('helm-deploy', 'main', { chart, ...mirror.inputs(helmVersion), timeout: '60s', ...inputs, set }, { env: { KUBECONFIG: kubeconfig, GITHUB_WORKSPACE: process.cwd(), RUNNER_TOOL_CACHE: toolCache, ...extraEnv } });
}

/** The release's history read with helm itself (an independent view); [] when there is no release. */
function helmHistory(helmPath: string, release: string, namespace: string): Array<{ revision: number; status: string }> {
  try {
    return JSON.parse(execFileSync(helmPath, ['history', release, '-n', namespace, '-o', 'json'], { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] }).toString()) as Array<{ revision: number; status: string }>;
  } catch (err) {
    if (String((err as { stderr?: Buffer }).stderr).includes('release: not found')) return [];
    throw err;
  }
}

describe.each([
  ['Helm 3', 'helm3'],
  ['Helm 4', 'helm4'],
] as const)('helm-deploy with %s', (_label, major) => {
  let namespace: string;
  const version = (): string => mirror.versions[major];

  beforeAll(async () => {
    namespace = await newNamespace();
  });

  it('installs (revision 1), downloading helm through the verified mirror', async () => {
    const run = await deployAction({ release: 'hello', namespace }, version());
    expect(run.stderr + run.stdout).not.toMatch(/::error::/);
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ revision: '1', status: 'deployed', 'chart-version': '0.1.0', 'app-version': '1.0.0', 'rolled-back': 'false', 'helm-version': `v${version()}` });
    expect(run.stdout).toContain(`helm ${version()}: SHA-256 verified (${mirror.sha256[version()]}, from helm-sha256)`);
    // The checksum comes from the input, never from the server the archive comes from.
    expect(mirror.requests.filter((p) => p.endsWith('.sha256sum'))).toEqual([]);
    expect(run.stdout).toContain(`warning::helm ${version()}: the download ${mirror.url}/helm-v${version()}-linux-amd64.tar.gz is fetched over plain http (allow-insecure-download: true)`);
    expect(run.summary).toContain('## helm-deploy: hello deployed');
    expect(run.summary).toContain('**Outcome:** revision 1 is live');
  });

  it('upgrades (revision 2) and its pods are Ready', async () => {
    const run = await deployAction({ release: 'hello', namespace, set: 'message=second' }, version());
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ revision: '2', status: 'deployed' });
    const [r] = await waitForWorkloads(kc, [{ kind: 'Deployment', namespace, name: 'hello' }], 5_000);
    expect(r?.readiness.ready).toBe(true);
  });

  it('rolls back an upgrade whose pods never become Ready, fails with diagnostics, and the previous revision stays live', async () => {
    const run = await deployAction({ release: 'hello', namespace, set: 'message=third\nnodeSelector.pool=does-not-exist', timeout: '12s' }, version());
    expect(run.code).toBe(1);
    expect(run.outputs['rolled-back']).toBe('true');
    expect(run.outputs.revision).toBe('4');
    expect(run.stdout).toMatch(/::group::Diagnostics/);
    expect(run.stdout).toMatch(/Unschedulable|FailedScheduling/);
    expect(run.stdout).toMatch(/didn't match Pod's node affinity\/selector/);
    expect(run.stdout).toMatch(/::error::helm upgrade --install hello failed: .*/);
    expect(run.stdout).toContain('Next: read the Diagnostics group above');
    expect(run.summary).toContain('### Diagnostics');
    expect(run.summary).toMatch(/rolled back: revision 4 \(Rollback to 2\) is live; revision 3 failed/);
    const deployment = await apps.readNamespacedDeployment({ name: 'hello', namespace });
    expect(deployment.spec?.template.spec?.nodeSelector).toBeUndefined();
    expect(deployment.spec?.template.spec?.containers[0]?.env?.[0]?.value).toBe('second');
    const [r] = await waitForWorkloads(kc, [{ kind: 'Deployment', namespace, name: 'hello' }], 30_000);
    expect(r?.readiness.ready).toBe(true);
  });

  it('refuses a release stuck in pending-upgrade unless recover-pending is on, then recovers it', async () => {
    const helmPath = major === 'helm3' ? stack.helm().helm3 : stack.helm().helm4;
    // A cancelled run: helm killed mid-upgrade leaves the release pending-upgrade.
    const child = spawn(helmPath, ['upgrade', 'hello', chart, '-n', namespace, '--set', 'nodeSelector.pool=nowhere', '--timeout', '120s', major === 'helm3' ? '--wait' : '--wait=watcher'], { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: 'ignore' });
    for (let i = 0; i < 100 && helmHistory(helmPath, 'hello', namespace).at(-1)?.status !== 'pending-upgrade'; i++) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGKILL');
    const stuck = helmHistory(helmPath, 'hello', namespace);
    expect(stuck.at(-1)?.status).toBe('pending-upgrade');

    const refused = await deployAction({ release: 'hello', namespace }, version());
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/release hello in hd-\w+ is pending-upgrade at revision 5/);
    expect(refused.stdout).toMatch(/set recover-pending: true to roll back to revision 4 first/);
    expect(helmHistory(helmPath, 'hello', namespace)).toEqual(stuck);

    const recovered = await deployAction({ release: 'hello', namespace, 'recover-pending': 'true' }, version());
    expect(recovered.code).toBe(0);
    expect(recovered.stdout).toMatch(/recover-pending: release was pending-upgrade at revision 5; rolled back to revision 4/);
    expect(recovered.outputs).toMatchObject({ revision: '7', status: 'deployed' });
  });
});

describe('helm-deploy with Helm 4: a field changed outside Helm (server-side apply conflict)', () => {
  it('fails naming the object, field and field manager, changes nothing more, then takes the field back with force-conflicts', async () => {
    const namespace = await newNamespace();
    const version = mirror.versions.helm4;
    const installed = await deployAction({ release: 'hello', namespace }, version);
    expect(installed.code).toBe(0);
    // Someone scales the Deployment by hand: kubectl's merge patch makes "kubectl-patch" the owner of .spec.replicas.
    execFileSync(stack.helm().kubectl, ['--kubeconfig', kubeconfig, '-n', namespace, 'patch', 'deployment', 'hello', '-p', '{"spec":{"replicas":2}}']);

    const refused = await deployAction({ release: 'hello', namespace, set: 'message=second' }, version);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(`.spec.replicas of Deployment ${namespace}/hello was last set outside Helm, by field manager "kubectl-patch"`);
    expect(refused.stdout).toMatch(/let Helm take the field back with force-conflicts: true/);
    expect((await apps.readNamespacedDeployment({ name: 'hello', namespace })).spec?.replicas).toBe(2);

    const forced = await deployAction({ release: 'hello', namespace, set: 'message=second', 'force-conflicts': 'true' }, version);
    expect(forced.stdout).not.toMatch(/::error::/);
    expect(forced.code).toBe(0);
    const deployment = await apps.readNamespacedDeployment({ name: 'hello', namespace });
    expect(deployment.spec?.replicas).toBe(1);
    expect(deployment.spec?.template.spec?.containers[0]?.env?.[0]?.value).toBe('second');
  }, 240_000);
});

describe('helm-deploy on the real node: broken releases are diagnosed and rolled back', () => {
  const cases: Array<[label: string, set: string, why: RegExp, evidence: RegExp]> = [
    // Dies 300 ms after it starts and never reports ready before: an app that fails at start-up. (Ready for a
    // moment between restarts, it could let the rollout pass as available, which is not this case.)
    ['a crash-looping container', 'env.CRASH_AFTER=300ms\nenv.READY=false', /-> keeps crashing: its last run ended with exit code 1 \(Error\); restarted \d+ times?/, /stack-testapp: fatal: connection refused/],
    ['an image that cannot be pulled', 'image=localhost:16460/oke-stack/does-not-exist:1', /-> cannot pull its image localhost:16460\/oke-stack\/does-not-exist:1/, /Failed to pull image "localhost:16460\/oke-stack\/does-not-exist:1".*not found/],
    ['a container killed for memory under its limit', 'env.ALLOC_MB=256\nresources.limits.memory=64Mi', /-> was killed for using more memory than its limit \(64Mi\) \(OOMKilled\)/, /allocating 256 MiB/],
    ['a readiness probe that never passes', 'env.READY=false', /-> runs but is not ready: its readiness probe \(HTTP GET :http\/readyz\) does not pass/, /Readiness probe failed: HTTP probe failed with statuscode: 503/],
  ];
  // Each case in a namespace of its own with a good release `web`, and the four broken upgrades run at once: each
  // waits out helm's 20 s timeout, so one after the other they took 95 s of the suite.
  const namespaces = new Map<string, string>();
  const serves = (namespace: string, name: string): Promise<string> => getFromPod(kc, namespace, name, stack.node().images.testapp, `http://web.${namespace}.svc.cluster.local:8080/`);
  let runs: Map<string, ActionRun>;

  beforeAll(async () => {
    const good = async ([label]: (typeof cases)[number]): Promise<void> => {
      const namespace = await newNamespace();
      namespaces.set(label, namespace);
      const run = await deployAction({ release: 'web', namespace, set: 'message=good\nreplicas=2' }, mirror.versions.helm4);
      if (run.code !== 0) throw new Error(`the good release for "${label}" failed:\n${run.stdout.slice(-3000)}`);
      expect(await serves(namespace, 'client-0')).toContain('"message":"good"');
    };
    // The first alone: it puts helm in the tool cache (when this describe runs by itself), which the others then share.
    await good(cases[0]!);
    await Promise.all(cases.slice(1).map(good));
    const done = await Promise.all(cases.map(async ([label, set]) => [label, await deployAction({ release: 'web', namespace: namespaces.get(label)!, set: `message=broken\nreplicas=2\n${set}`, timeout: '20s' }, mirror.versions.helm4)] as const));
    runs = new Map(done);
  }, 300_000);

  it.each(cases)('%s', async (label, _set, why, evidence) => {
    const run = runs.get(label)!;
    const namespace = namespaces.get(label)!;
    expect(run.code).toBe(1);
    expect(run.outputs['rolled-back']).toBe('true');
    expect(run.stdout).toMatch(/::group::Diagnostics/);
    // The pod, the container and the cause in words, and the evidence (last log lines or the event).
    expect(run.stdout).toMatch(/^ {2}web-[a-z0-9]+-[a-z0-9]{5}( \(deleted\))? \[\w+\]/m);
    expect(run.stdout).toMatch(/container hello: /);
    expect(run.stdout).toMatch(why);
    expect(run.stdout).toMatch(evidence);
    expect(run.summary).toContain('### Diagnostics');
    // The previous revision is live again and its pods keep serving through the Service.
    const deployment = await apps.readNamespacedDeployment({ name: 'web', namespace });
    expect(deployment.spec?.template.spec?.containers[0]?.env?.find((e) => e.name === 'MESSAGE')?.value).toBe('good');
    const [r] = await waitForWorkloads(kc, [{ kind: 'Deployment', namespace, name: 'web' }], 30_000);
    expect(r?.readiness.ready).toBe(true);
    expect(await serves(namespace, 'client-1')).toContain('"message":"good"');
  });
});

describe('helm-deploy: safety', () => {
  it('keeps secret values out of every output, summary and leftover file', async () => {
    const namespace = await newNamespace();
    const secret = `s3cret-${randomUUID()}`;
    const pem = `-----BEGIN KEY-----\nline-${randomUUID()}\n-----END KEY-----`;
    const run = await deployAction({ release: 'secrets', namespace, 'secret-values': `secret:\n  password: "${secret}"\n  key: |\n${pem.split('\n').map((l) => `    ${l}`).join('\n')}\n` }, mirror.versions.helm4);
    expect(run.code).toBe(0);
    const main = run.everything();
    expect(run.masks()).toEqual(expect.arrayContaining([secret, pem.split('\n')[1]]));
    expect(main).not.toContain(secret);
    for (const line of pem.split('\n').slice(1, 2)) expect(main).not.toContain(line);
    const dirs = JSON.parse(run.state['cleanup-paths'] ?? '[]') as string[];
    expect(dirs).toHaveLength(1);
    const file = join(dirs[0]!, 'secret-values.yaml');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dirs[0]!).mode & 0o777).toBe(0o700);
    const post = await runActionBundle('helm-deploy', 'post', {}, { state: run.state, runnerTemp: run.runnerTemp });
    expect(post.code).toBe(0);
    expect(existsSync(dirs[0]!)).toBe(false);
    const leftovers = readdirSync(run.runnerTemp, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name));
    for (const f of leftovers.filter((f) => !f.includes('_toolcache'))) expect(readFileSync(f, 'utf8')).not.toContain(secret);
    const k8sSecret = await core.readNamespacedSecret({ name: 'secrets-secret', namespace });
    expect(Buffer.from(k8sSecret.data?.password ?? '', 'base64').toString()).toBe(secret);
  });

  it('refuses to run helm when the download does not match its SHA-256: both digests named, nothing cached', async () => {
    const tampered = await helmMirror({ tamper: true });
    const cache = tempDir('helm-deploy-toolcache-tampered-');
    try {
      const namespace = await newNamespace();
      const version = tampered.versions.helm3;
      const run = await runActionBundle('helm-deploy', 'main', { release: 'hello', chart, namespace, ...tampered.inputs(version) }, { env: { KUBECONFIG: kubeconfig, RUNNER_TOOL_CACHE: cache } });
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(new RegExp(`SHA-256 mismatch for helm-v${version.replace(/\./g, '\\.')}-linux-amd64.tar.gz: expected ${tampered.sha256[version]} \\(from helm-sha256\\), got [0-9a-f]{64}; the file was not used and nothing was cached`));
      expect(readdirSync(cache)).toEqual([]);
      expect(helmHistory(stack.helm().helm3, 'hello', namespace)).toEqual([]);
    } finally {
      await tampered.close();
    }
  });

  it.each<[string, (m: HelmMirror) => Record<string, string>, string]>([
    ['plain http without allow-insecure-download', (m) => ({ ...m.inputs(m.versions.helm4), 'allow-insecure-download': 'false' }), 'uses plain http, which anyone on the path can change'],
    ['a Helm that is not pinned, without a SHA-256', (m) => ({ 'helm-version': m.versions.helm4, 'helm-base-url': m.url, 'allow-insecure-download': 'true' }), 'is not pinned in this action (pinned: 4.2.3, 3.18.0), so its SHA-256 must come from you'],
  ])('refuses %s before downloading anything', async (_name, inputs, message) => {
    const before = mirror.requests.length;
    const run = await runActionBundle('helm-deploy', 'main', { release: 'hello', chart, namespace: 'default', ...inputs(mirror) }, { env: { KUBECONFIG: kubeconfig } });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(message);
    expect(mirror.requests.length).toBe(before);
  });

  it.each([
    [{ chart: 'test/fixtures/charts/missing' }, /chart: test\/fixtures\/charts\/missing does not exist/],
    [{ set: 'replicas' }, /set: line \d+ \("replicas"\) is not key=value/],
    [{ namespace: 'never-created-ns' }, /namespace: namespace "never-created-ns" does not exist in the cluster. Fix: create it first, or set create-namespace: true/],
  ])('fails before any change on bad input %#', async (inputs, message) => {
    const run = await deployAction({ release: 'bad', namespace: 'default', ...inputs }, mirror.versions.helm4);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(message);
    await expect(core.readNamespace({ name: 'never-created-ns' })).rejects.toMatchObject({ code: 404 });
    expect(helmHistory(stack.helm().helm4, 'bad', 'default')).toEqual([]);
  });
});
