/**
 * helm: on the same chart and cluster, the wall time of helm-deploy's upgrade (the built bundle, as a runner
 * runs it) against plain `helm upgrade --install --wait --rollback-on-failure` (median of pairs), the time to
 * collect diagnostics on a failing release, and whether the failing upgrade left the previous revision live.
 * Goals: overhead_ratio <= 1.15, diagnostics_s < 3, rollback_ok, and (issue 19) instant.overhead_ms <= 100.
 *
 * The pods run for real on the stack's node (the stack's test image, an HTTP readiness probe every second),
 * so a plain upgrade takes a few seconds. `overhead_ratio` is measured with the chart's pods counting as
 * available only after 5 s Ready (minReadySeconds: 5, as production charts set it).
 * `instant` (issue 19's goal, `diff: false`): upgrades of a release whose pods are Ready at once, because the upgrade
 * changes only the release's Secret (no pod is replaced): helm's wait finds everything ready, so each pair differs by
 * what the action adds (Node start-up, loading, preflight reads, the pod recorder, the summary) and little else.
 * `instant_rollout` reports the same with a rollout (minReadySeconds 0): those pairs scatter by whole kubelet ticks
 * (probes and pod status every 1 s, +-0.4 s a pair), so they are context, not a goal. The bench also measures the
 * action's own time directly: its wall time minus that of the helm process it ran (a wrapper around the cached helm
 * notes both ends), median over all instant runs (`instant.action_own_ms_median`); both must meet the +100 ms goal.
 * The diff (on by default: a server-side dry run and a comparison) is a step of its own; its median time from the
 * summary's step table is reported as `diff_s_median`.
 */
import { CoreV1Api } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadKubeConfig } from '../src/kube/client.js';
import { createContext, statusOf } from '../stack/src/stack.js';
import { runActionBundle } from '../test/support/action-harness.js';
import { helmMirror } from '../test/support/helm-mirror.js';
import type { BenchOutcome } from './run.js';

const PAIRS = 7;
/** Pairs for the instant goal (no pod is replaced: little scatter). */
const INSTANT_PAIRS = 11;
/** Pairs with a rollout and minReadySeconds 0 (reported, not a goal: they scatter by kubelet ticks). */
const ROLLOUT_PAIRS = 7;
/** Issue 19: what helm-deploy may add to plain helm on a release whose pods are Ready at once (median of the pairs). */
const GOAL_INSTANT_OVERHEAD_MS = 100;
const chart = resolve(import.meta.dirname, '..', 'test', 'fixtures', 'charts', 'hello');

export async function run(): Promise<BenchOutcome> {
  const status = await statusOf(createContext({ info: () => undefined, warn: () => undefined }));
  const kube = status.components.kube;
  const helm = status.components.helm;
  if (!kube?.healthy || !helm?.healthy) throw new Error('the stack is not up: run npm run stack -- up');
  const node = status.components.node;
  const image = (node?.details?.images as Record<string, string> | undefined)?.testapp;
  if (!node?.healthy || !image) throw new Error('the stack\'s node is not up: run npm run stack -- up');
  const kubeconfig = kube.endpoints.kubeconfig!;
  const helmPath = helm.endpoints.helm4!;
  const env = { ...process.env, KUBECONFIG: kubeconfig };
  const namespace = `bench-helm-${randomUUID().slice(0, 6)}`;
  const core = loadKubeConfig(kubeconfig).makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  const toolCache = mkdtempSync(join(tmpdir(), 'bench-helm-tc-'));
  // The action downloads the same helm 4 binary through a verified loopback mirror (once; then the tool cache).
  const mirror = await helmMirror();
  const actionEnv = { KUBECONFIG: kubeconfig, RUNNER_TOOL_CACHE: toolCache };
  const action = (release: string, set: string, extra: Record<string, string> = {}) =>
    runActionBundle('helm-deploy', 'main', { release, chart, namespace, set: `image=${image}\n${set}`, ...mirror.inputs(mirror.versions.helm4), timeout: '60s', ...extra }, { env: actionEnv });
  const plain = (release: string, set: string): void => {
    execFileSync(helmPath, ['upgrade', release, chart, '--install', '-n', namespace, '--set', `image=${image},${set}`, '--wait=watcher', '--rollback-on-failure', '--timeout', '60s'], { env, stdio: 'ignore' });
  };
  const time = async (fn: () => unknown): Promise<number> => {
    const t0 = performance.now();
    await fn();
    return (performance.now() - t0) / 1000;
  };

  try {
    // First installs, so every measured pair is an upgrade that rolls out new pods.
    const first = await action('ours', 'message=0');
    if (first.code !== 0) throw new Error(`helm-deploy failed: ${first.stdout.slice(-2000)}`);
    plain('theirs', 'message=0');
    // The pairs above scatter by the kubelet's 1 s probe ticks. To see what the action itself adds, the cached helm
    // binary (already verified and cached by the first run) is wrapped: the wrapper notes when helm started and
    // ended, and the action's wall time minus helm's is its own time (Node start-up, loading, preflight, reports).
    const helmTimes = join(toolCache, 'helm-times');
    const cachedHelm = join(toolCache, 'helm', mirror.versions.helm4, 'x64', 'linux-amd64', 'helm');
    renameSync(cachedHelm, `${cachedHelm}.real`);
    writeFileSync(cachedHelm, `#!/bin/sh\necho "start $(date +%s%N)" >> '${helmTimes}'\n'${cachedHelm}.real' "$@"\nrc=$?\necho "end $(date +%s%N)" >> '${helmTimes}'\nexit $rc\n`, { mode: 0o755 });
    const helmMs = (): number | undefined => {
      const t = readFileSync(helmTimes, 'utf8').trim().split('\n').map((l) => Number(l.split(' ')[1]) / 1e6);
      return t.length === 2 ? t[1]! - t[0]! : undefined;
    };
    const addedMs: number[] = [];
    let round = 0;
    const diffSeconds: number[] = [];
    /** `set` gives each pair's values (a pair's two runs set the same). */
    const measure = async (set: (round: number) => string, pairsCount: number, extraInputs: Record<string, string> = {}, ownTime = false) => {
      const ratios: number[] = [];
      const extra: number[] = [];
      const pairs: Array<{ action_s: number; plain_s: number }> = [];
      for (let i = 1; i <= pairsCount; i++) {
        const values = set(++round);
        // Real pods turn Ready on the kubelet's 1 s probe ticks: two runs started back to back keep the same
        // phase against those ticks, which biased every pair by a whole tick. A random pause before each run
        // (not timed) and alternating the order remove that bias.
        const jitter = () => new Promise((r) => setTimeout(r, Math.random() * 1000));
        let code = 0;
        const runAction = async () => {
          await jitter();
          writeFileSync(helmTimes, '');
          const wall = await time(async () => {
            const r = await action('ours', values, extraInputs);
            code = r.code ?? 1;
            // The summary's step table: "| Diff | ok | 0.3 s |" (the server-side dry run and the comparison).
            const diff = /\| Diff \| ok \| ([\d.]+) s \|/.exec(r.summary);
            if (diff) diffSeconds.push(Number(diff[1]));
          });
          const h = helmMs();
          if (h !== undefined && ownTime) addedMs.push(wall * 1000 - h);
          return wall;
        };
        const runPlain = async () => {
          await jitter();
          return time(() => plain('theirs', values.replaceAll('\n', ',')));
        };
        let a: number;
        let p: number;
        if (i % 2 === 0) {
          p = await runPlain();
          a = await runAction();
        } else {
          a = await runAction();
          p = await runPlain();
        }
        if (code !== 0) throw new Error('helm-deploy upgrade failed during the benchmark');
        pairs.push({ action_s: +a.toFixed(3), plain_s: +p.toFixed(3) });
        ratios.push(a / p);
        extra.push((a - p) * 1000);
      }
      const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
      return { ratio: +median(ratios).toFixed(3), overhead_ms: Math.round(median(extra)), pairs };
    }
    // Realistic pairs run the action as users get it (the diff is on by default); the instant pairs measure what
    // issue 19 bounds, the deploy itself, with `diff: false`; the diff's own time is reported beside it.
    const realistic = await measure((n) => `message=${n}\nminReadySeconds=5`, PAIRS);
    const rollout = await measure((n) => `message=${n}\nminReadySeconds=0`, ROLLOUT_PAIRS, { diff: 'false' }, true);
    // One rollout onto the template the instant pairs keep (the Secret's envFrom), not timed; then only the Secret changes.
    const instantValues = (n: number) => `message=instant\nminReadySeconds=0\nsecret.round=${n}`;
    if ((await action('ours', instantValues(0))).code !== 0) throw new Error('helm-deploy failed before the instant pairs');
    plain('theirs', instantValues(0).replaceAll('\n', ','));
    const instant = await measure(instantValues, INSTANT_PAIRS, { diff: 'false' }, true);
    const added_ms = addedMs.length ? Math.round([...addedMs].sort((x, y) => x - y)[Math.floor(addedMs.length / 2)]!) : Number.NaN;
    const diff_s = diffSeconds.length ? +[...diffSeconds].sort((x, y) => x - y)[Math.floor(diffSeconds.length / 2)]!.toFixed(1) : Number.NaN;
    const overhead = realistic.ratio;

    const failing = await action('ours', 'message=bad\nnodeSelector.pool=none', { timeout: '10s' });
    const collected = /\(collected in (\d+) ms\)/.exec(failing.stdout);
    const diagnostics_s = collected ? Number(collected[1]) / 1000 : Number.NaN;
    const history = JSON.parse(execFileSync(helmPath, ['history', 'ours', '-n', namespace, '-o', 'json'], { env }).toString()) as Array<{ revision: number; status: string; description: string }>;
    const live = [...history].reverse().find((r) => r.status === 'deployed');
    const rollback_ok = failing.code === 1 && failing.outputs['rolled-back'] === 'true' && live !== undefined && new RegExp(`Rollback to ${PAIRS + ROLLOUT_PAIRS + INSTANT_PAIRS + 2}`).test(live.description);

    const result = { overhead_ratio: overhead, overhead_ms: realistic.overhead_ms, diagnostics_s, rollback_ok, pairs: realistic.pairs, instant: { inputs: 'diff: false', upgrade: 'only the release Secret changes: no pod is replaced', overhead_ratio: instant.ratio, overhead_ms: instant.overhead_ms, action_own_ms_median: added_ms, goal_overhead_ms: GOAL_INSTANT_OVERHEAD_MS, pairs: instant.pairs }, instant_rollout: { inputs: 'diff: false', upgrade: 'a rollout, minReadySeconds 0 (scatters by kubelet ticks: not a goal)', overhead_ratio: rollout.ratio, overhead_ms: rollout.overhead_ms, pairs: rollout.pairs }, diff_s_median: diff_s, helm: `v${mirror.versions.helm4}`, chart: 'test/fixtures/charts/hello (minReadySeconds 5; instant: 0)' };
    const ok = overhead <= 1.15 && diagnostics_s < 3 && rollback_ok && instant.overhead_ms <= GOAL_INSTANT_OVERHEAD_MS && added_ms <= GOAL_INSTANT_OVERHEAD_MS;
    return { result, ok, summary: `overhead_ratio ${result.overhead_ratio} (goal <= 1.15; +${result.overhead_ms} ms; instant (pods Ready, diff off) ${instant.ratio}, +${instant.overhead_ms} ms, the action's own time around helm ${added_ms} ms, goal <= +${GOAL_INSTANT_OVERHEAD_MS} ms; with a rollout +${rollout.overhead_ms} ms; the default diff ${diff_s} s), diagnostics ${diagnostics_s} s (goal < 3), rollback_ok ${rollback_ok}` };
  } finally {
    await mirror.close();
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  }
}
