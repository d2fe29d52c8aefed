import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { waitForReplacedPods } from '../../../src/actions/verify-events/rollback.js';
import { silentLogger } from '../../../src/core/log.js';
import { loadKubeConfig } from '../../../src/kube/client.js';
import { runActionBundle, type ActionRun } from '../../support/action-harness.js';
import { helmMirror, type HelmMirror } from '../../support/helm-mirror.js';
import { stack } from '../../support/stack.js';
import { tempDir } from '../../support/temp.js';

/**
 * verify-events' rollback-on-failure on the real node, against the `todo` release (chart/) that the local deploy made
 * (registered by test/integration/deploy/local-pipeline.test.ts after its own tests: one local deploy serves both): a new
 * revision made by helm-deploy whose worker drops the probes (subscriptions.probeRoute: false), then
 * verify-events with rollback-on-failure: the first verdict fails, the release goes back to helm-deploy's
 * previous-revision, the second verdict passes. Then a rollback that fails (a revision that does not exist):
 * said, naming the release and the revision, and the release left as it was. Leaves `todo` on the revision it
 * found, proven by a last round trip.
 */
const root = resolve(import.meta.dirname, '..', '..', '..');
const RELEASE = 'todo';
const NS = 'todo';
const kubeconfig = stack.kubeconfig();
const core = loadKubeConfig(kubeconfig).makeApiClient(CoreV1Api);
const helmPath = stack.helm().helm4;
const kafka = stack.kafka();
const toolCache = tempDir('ve-rollback-toolcache-');
const work = mkdtempSync(join(tmpdir(), 've-rollback-'));
const runEnv = { KUBECONFIG: kubeconfig, GITHUB_WORKSPACE: root, RUNNER_TOOL_CACHE: toolCache };
let mirror: HelmMirror;
let original: number;
let valuesFile: string;

interface HistoryEntry { revision: number; status: string; description: string }
function history(): HistoryEntry[] {
  try {
    return JSON.parse(execFileSync(helmPath, ['history', RELEASE, '-n', NS, '-o', 'json', '--max', '50'], { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] }).toString()) as HistoryEntry[];
  } catch (err) {
    if (/release: not found/.test(String((err as { stderr?: Buffer }).stderr ?? err))) return [];
    throw err;
  }
}
const live = (): HistoryEntry | undefined => history().filter((h) => h.status === 'deployed').at(-1);
const probeRouteOf = (revision: number): unknown =>
  (JSON.parse(execFileSync(helmPath, ['get', 'values', RELEASE, '-n', NS, '--revision', String(revision), '-o', 'json'], { env: { ...process.env, KUBECONFIG: kubeconfig } }).toString()) as { subscriptions?: { probeRoute?: unknown } }).subscriptions?.probeRoute;

/** Until the pods a rollout replaced are gone (verify-events' own wait): a worker still stopping would answer (or eat) probes meant for the new one. */
async function replacedPodsGone(): Promise<void> {
  const stopping = async (): Promise<string[]> => (await core.listNamespacedPod({ namespace: NS })).items.filter((p) => p.metadata?.deletionTimestamp).map((p) => p.metadata?.name ?? '');
  if (!(await waitForReplacedPods(stopping, silentLogger, { timeoutMs: 120_000 }))) throw new Error(`pods in ${NS} still stopping after 120 s: ${(await stopping()).join(', ')}`);
}

/** helm-deploy (the action's bundle) of chart/ with the live revision's values, the worker's probe route as given. */
async function deployProbeRoute(probeRoute: boolean): Promise<ActionRun> {
  const run = await runActionBundle(
    'helm-deploy',
    'main',
    { release: RELEASE, namespace: NS, chart: join(root, 'chart'), 'values-files': valuesFile, set: `subscriptions.probeRoute=${probeRoute}`, diff: 'false', timeout: '180s', 'allow-outside-workspace': 'true', ...mirror.inputs(mirror.versions.helm4) },
    // Longer than helm's wait plus its own rollback: a helm-deploy killed mid-rollback leaves the release pending-rollback.
    { env: runEnv, timeoutMs: 600_000 },
  );
  if (run.code !== 0) throw new Error(`helm-deploy failed:\n${run.stdout}\n${run.stderr}`);
  await replacedPodsGone();
  return run;
}

function verifyEvents(inputs: Record<string, string>): Promise<ActionRun> {
  return runActionBundle(
    'verify-events',
    'main',
    { brokers: kafka.sasl, username: kafka.username, password: kafka.password, tls: 'false', 'app-id': 'todo-worker', 'probe-topic': 'task-events', 'reply-topic': 'task-updates', 'dead-letter-topic': 'task-events-dlq', probes: '3', timeout: '60s', ...inputs },
    { env: runEnv, timeoutMs: 600_000 },
  );
}

/** Registers the rollback tests, their beforeAll and afterAll in the caller's describe. */
export function rollbackSuite(): void {
  beforeAll(async () => {
    mirror = await helmMirror();
    const found = live();
    if (!found) throw new Error(`release ${RELEASE} in ${NS} has no deployed revision: the local deploy above did not deploy it (see its test)`);
    original = found.revision;
    // The app must answer before a bad revision is made: otherwise nothing here can pass, whatever the action does.
    // The tests before these stopped and killed the worker: its pods may still be coming back (up to 3 min).
    let notReady: string[] = ['no pods'];
    for (let i = 0; i < 360 && notReady.length; i++) {
      if (i) await new Promise((r) => setTimeout(r, 500));
      const { items } = await core.listNamespacedPod({ namespace: NS, labelSelector: `app.kubernetes.io/instance=${RELEASE}` });
      notReady = items.length ? items.filter((p) => p.metadata?.deletionTimestamp || !(p.status?.containerStatuses ?? []).every((c) => c.ready)).map((p) => `${p.metadata?.name} (${(p.status?.containerStatuses ?? []).filter((c) => !c.ready).map((c) => `${c.name} ${c.state?.waiting?.reason ?? 'not ready'}`).join(', ') || 'stopping'})`) : ['no pods'];
    }
    if (notReady.length) throw new Error(`release ${RELEASE} in ${NS} is not healthy before the rollback tests (after 3 min): ${notReady.join('; ')}`);
    // The live revision's user-supplied values (the local deploy's: image digest, brokers, SASL user), 0600.
    valuesFile = join(work, 'values.yaml');
    writeFileSync(valuesFile, execFileSync(helmPath, ['get', 'values', RELEASE, '-n', NS, '-o', 'yaml'], { env: { ...process.env, KUBECONFIG: kubeconfig } }), { mode: 0o600 });
  }, 1_000_000);

  afterAll(async () => {
    try {
      // Whatever happened above: `todo` back on a revision whose worker answers probes.
      const now = live();
      if (now && probeRouteOf(now.revision) === false) execFileSync(helmPath, ['rollback', RELEASE, String(original), '-n', NS, '--wait=watcher', '--timeout', '300s'], { env: { ...process.env, KUBECONFIG: kubeconfig } });
    } finally {
      // Always: an open mirror keeps jest from exiting.
      await mirror?.close();
      rmSync(work, { recursive: true, force: true });
      rmSync(toolCache, { recursive: true, force: true });
    }
  }, 600_000);

  describe('verify-events rollback-on-failure on the real node', () => {
    it('a revision whose worker drops the probes: first verdict fails, rolled back to the previous revision, second verdict passes', async () => {
      const deployed = await deployProbeRoute(false);
      const bad = Number(deployed.outputs.revision);
      expect(deployed.outputs['previous-revision']).toBe(String(original));
      expect(bad).toBeGreaterThan(original);
      expect(probeRouteOf(bad)).toBe(false);

      const run = await verifyEvents({ release: RELEASE, 'release-namespace': NS, 'rollback-on-failure': 'true', 'rollback-to-revision': deployed.outputs['previous-revision']!, 'rollback-timeout': '300s', kubeconfig, 'allow-outside-workspace': 'true', ...mirror.inputs(mirror.versions.helm4) });
      expect(run.code).toBe(1);
      expect(run.outputs['acknowledged']).toBe('0');
      expect(run.outputs['verdict']).not.toMatch(/made the round trip/);
      expect(run.outputs).toMatchObject({ 'rolled-back': 'true', 'rollback-revision': String(original) });
      expect(run.outputs['second-verdict']).toMatch(/3 of 3 probe\(s\) made the round trip/);
      expect(run.stdout).toMatch(new RegExp(`::error::verify-events: .*\\. rolled back release todo \\(namespace todo\\) to revision ${original} \\(recorded as revision ${bad + 1}\\); after the rollback: 3 of 3`));
      expect(run.summary).toContain('### Rollback');
      expect(run.summary).toContain('### After the rollback: PASSED');
      expect(run.everything()).not.toContain(kafka.password);

      // Helm's own view: the rollback is the newest revision, deployed, made from the original.
      const now = live()!;
      expect(now.revision).toBe(bad + 1);
      expect(now.description).toBe(`Rollback to ${original}`);
      expect(probeRouteOf(now.revision)).not.toBe(false);
    }, 1_500_000);

    it('a rollback that fails (a revision that does not exist): says so, names release and revision, leaves the release as it was', async () => {
      const deployed = await deployProbeRoute(false);
      const bad = Number(deployed.outputs.revision);
      const run = await verifyEvents({ release: RELEASE, 'release-namespace': NS, 'rollback-on-failure': 'true', 'rollback-to-revision': '9999', timeout: '25s', kubeconfig, 'allow-outside-workspace': 'true', ...mirror.inputs(mirror.versions.helm4) });
      expect(run.code).toBe(1);
      expect(run.outputs).toMatchObject({ 'rolled-back': 'false' });
      expect(run.outputs['second-verdict']).toBeUndefined();
      expect(run.stdout).toMatch(/::error::verify-events: .*\. Rolling back release todo \(namespace todo\) to revision 9999 failed: revision 9999 is not in the history of release todo/);
      expect(run.stdout).toMatch(new RegExp(`left as Helm left it \\(unchanged: revision ${bad} is deployed\\)`));
      expect(run.summary).toMatch(/\| todo \| todo \| 9999 \| FAILED: revision 9999 is not in the history/);
      // Left as it was: the bad revision still live, nothing new recorded.
      expect(live()!.revision).toBe(bad);
      expect(history().at(-1)!.revision).toBe(bad);

      // Back to the original by hand (as the hint says), and the round trip works again without a rollback.
      execFileSync(helmPath, ['rollback', RELEASE, String(original), '-n', NS, '--wait=watcher', '--timeout', '300s'], { env: { ...process.env, KUBECONFIG: kubeconfig } });
      await replacedPodsGone();
      const again = await verifyEvents({ release: RELEASE, 'release-namespace': NS, 'rollback-on-failure': 'true', 'rollback-to-revision': String(original), timeout: '60s', 'helm-version': 'preinstalled' });
      expect(run.everything()).not.toContain(kafka.password);
      expect(again.code).toBe(0);
      expect(again.outputs).toMatchObject({ acknowledged: '3', 'rolled-back': 'false' });
    }, 1_500_000);
  });
}
