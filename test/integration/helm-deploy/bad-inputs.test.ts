/**
 * Issue 22: bad inputs and faults. Each case runs the built bundle (npm run build -- helm-deploy) with one bad input
 * set against the real cluster, and proves: the step fails (exit 1), its ::error:: line names the input, no secret
 * appears in anything the run printed or wrote, and nothing changed in the cluster (the release keeps its revision,
 * no release of another name appeared, no namespace was created).
 */
import { CoreV1Api } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadKubeConfig } from '../../../src/kube/client.js';
import { runActionBundle } from '../../support/action-harness.js';
import { helmMirror, type HelmMirror } from '../../support/helm-mirror.js';
import { stack } from '../../support/stack.js';
import { badInputCases, badInputWorkspace, MEGABYTE_MARKER } from './bad-input-cases.js';
import { tempDir } from '../../support/temp.js';

const chart = resolve(import.meta.dirname, '..', '..', 'fixtures', 'charts', 'hello');
const kubeconfig = stack.kubeconfig();
const core = loadKubeConfig(kubeconfig).makeApiClient(CoreV1Api);
const toolCache = tempDir('helm-deploy-bad-toolcache-');
let mirror: HelmMirror;
let workspace: string;
let namespace: string;

/** helm's own view of a release: [] when it does not exist. */
function history(release: string, ns: string): Array<{ revision: number; status: string }> {
  try {
    return JSON.parse(execFileSync(stack.helm().helm4, ['history', release, '-n', ns, '-o', 'json'], { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] }).toString()) as Array<{ revision: number; status: string }>;
  } catch (err) {
    if (String((err as { stderr?: Buffer }).stderr).includes('release: not found')) return [];
    throw err;
  }
}

const releases = (ns: string): string[] => {
  const out = execFileSync(stack.helm().helm4, ['list', '-q', '-n', ns], { env: { ...process.env, KUBECONFIG: kubeconfig } }).toString();
  return out.split('\n').filter(Boolean).sort();
};

const deploy = (inputs: Record<string, string>) =>
  runActionBundle('helm-deploy', 'main', { release: 'stable', chart: 'chart', namespace, timeout: '60s', ...mirror.inputs(mirror.versions.helm4), ...inputs }, { env: { KUBECONFIG: kubeconfig, GITHUB_WORKSPACE: workspace, RUNNER_TOOL_CACHE: toolCache } });

beforeAll(async () => {
  mirror = await helmMirror();
  workspace = badInputWorkspace(chart);
  namespace = `hd-bad-${randomUUID().slice(0, 8)}`;
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  const first = await deploy({ set: `image=${stack.node().images.testapp}` });
  expect(first.code).toBe(0);
  expect(history('stable', namespace)).toEqual([expect.objectContaining({ revision: 1, status: 'deployed' })]);
});

afterAll(async () => {
  await mirror.close();
  rmSync(workspace, { recursive: true, force: true });
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
});

describe('helm-deploy refuses bad inputs before any change', () => {
  it(`has at least 25 cases (${badInputCases.length})`, () => expect(badInputCases.length).toBeGreaterThanOrEqual(25));

  it.each(badInputCases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const secret = `s3cret-${randomUUID()}`;
    const fresh = `hd-fresh-${randomUUID().slice(0, 8)}`;
    const inputs: Record<string, string> = { ...c.inputs };
    if (c.secret) inputs['secret-values'] = `secret:\n  password: "${secret}"\n`;
    if (c.freshNamespace) inputs.namespace = fresh;
    const mirrorRequests = mirror.requests.length;
    const run = await deploy(inputs);

    expect(run.code).toBe(1);
    const errors = run.stdout.split('\n').filter((l) => l.startsWith('::error::'));
    expect(errors).toHaveLength(1);
    for (const name of c.names) expect(errors[0]).toMatch(new RegExp(`(^::error::|%0A- |: )${name.replace(/-/g, '\\-')}: `));
    expect(errors[0]).toContain('Fix: ');
    if (c.names.length > 1) expect(errors[0]).toContain(`${c.names.length} problems:`);
    // Input problems are found before Helm is downloaded or run.
    expect(mirror.requests.length).toBe(mirrorRequests);
    expect(run.stdout).not.toMatch(/^\$ .*helm /m);

    const everything = run.everything();
    if (c.secret) expect(everything).not.toContain(secret);
    for (const leak of ['unterminated-s3cret-value', 's3cret-in-a-list', 'secret-user', MEGABYTE_MARKER]) expect(everything).not.toContain(leak);
    expect(everything.match(/lorem ipsum/g)?.length ?? 0).toBeLessThanOrEqual(6);

    expect(history('stable', namespace)).toEqual([expect.objectContaining({ revision: 1, status: 'deployed' })]);
    expect(releases(namespace)).toEqual(['stable']);
    await expect(core.readNamespace({ name: fresh })).rejects.toMatchObject({ code: 404 });
    for (const ns of ['bad', 'bad-ns', 'n'.repeat(63)]) await expect(core.readNamespace({ name: ns })).rejects.toMatchObject({ code: 404 });
  });
});
