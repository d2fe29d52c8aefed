/**
 * pipeline: the README's first command (`npm run local` = scripts/local.sh: stack up, then deploy.yml's
 * `local` job through act in host mode: the app image built with buildah and pushed, Dapr, topics, the chart
 * by digest onto the real node, verify-events through the app's pods), warm. One unmeasured run first
 * (installs, builds, first deploy), then the measured run: its exit code, whether verify-events verified the
 * round trip, whether the verified app ran as pods of the node (`in_cluster`: the api and worker Deployments'
 * pods Ready on the stack's node, with daprd, the image by digest), its wall time, and seconds per workflow step
 * (from act's step lines; "before act" is local.sh's own part: install checks, stack up).
 *
 * cold_s is a cold run (a fresh clone, empty caches: `rm -rf ~/.cache/oke-dapr-stack`, buildah's storage,
 * GOCACHE/GOMODCACHE, ~/.m2, ~/.npm) timed by hand and given as PIPELINE_COLD_S (seconds) with
 * PIPELINE_COLD_DATE (YYYY-MM-DD); without them the previous result's cold figures are kept.
 * Goals (2 cores): act_exit 0, verified and in_cluster true, warm_s < 90, cold_s < 1800.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { actStepSeconds, runLocalDeploy } from '../test/support/act.js';
import { component, stack } from '../test/support/stack.js';
import type { BenchOutcome } from './run.js';

const root = resolve(import.meta.dirname, '..');
const out = join(root, '.stack', 'deploy', 'local');
const GOAL_S = 90;
const COLD_GOAL_S = 1800;

interface PodList { items: Array<{ metadata: { labels?: Record<string, string>; deletionTimestamp?: string }; spec: { nodeName?: string; containers: Array<{ name: string; image: string }> }; status: { containerStatuses?: Array<{ name: string; ready: boolean }> } }> }

/** True when the api and worker pods of the release run Ready on the stack's node, with daprd, by digest. */
function inCluster(): boolean {
  try {
    const nodeName = String(component('node').details?.nodeName ?? '');
    const pods = JSON.parse(execFileSync(stack.helm().kubectl, ['get', 'pods', '-n', 'todo', '-o', 'json'], { env: { ...process.env, KUBECONFIG: stack.kubeconfig() }, encoding: 'utf8' })) as PodList;
    const live = pods.items.filter((p) => !p.metadata.deletionTimestamp);
    return ['api', 'worker'].every((role) => live.some((p) => p.metadata.labels?.['app.kubernetes.io/component'] === role && p.spec.nodeName === nodeName
      && p.spec.containers.some((c) => c.name === 'daprd') && p.spec.containers.some((c) => c.name === role && /@sha256:[a-f0-9]{64}$/.test(c.image))
      && (p.status.containerStatuses ?? []).length === 2 && (p.status.containerStatuses ?? []).every((c) => c.ready)));
  } catch (err) {
    console.error(`pipeline: could not read the app's pods: ${(err as Error).message.split('\n')[0]}`);
    return false;
  }
}

/** The cold run's figures: from the environment, else the previous result. */
function cold(): { cold_s: number | null; cold_measured: string | null } {
  const s = process.env.PIPELINE_COLD_S;
  if (s) {
    const date = process.env.PIPELINE_COLD_DATE ?? '';
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error(`PIPELINE_COLD_DATE must be YYYY-MM-DD (the day of the cold run), got "${date}"`);
    return { cold_s: Number(s), cold_measured: date };
  }
  try {
    const prev = JSON.parse(readFileSync(join(root, 'bench', 'results', 'pipeline.json'), 'utf8')) as { cold_s?: number; cold_measured?: string };
    return { cold_s: prev.cold_s ?? null, cold_measured: prev.cold_measured ?? null };
  } catch {
    return { cold_s: null, cold_measured: null };
  }
}

export async function run(): Promise<BenchOutcome> {
  const warmup = await runLocalDeploy();
  console.error(`pipeline: warm-up run exited ${warmup.code} in ${warmup.seconds.toFixed(1)} s`);
  const r = await runLocalDeploy();
  const actLine = /local: act exited (\d+) after (\d+) s/.exec(r.stdout);
  const act_exit = actLine ? Number(actLine[1]) : (r.code ?? -1);
  const report = existsSync(join(out, 'report.json')) ? (JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { verified?: boolean; verdict?: string; appUrl?: string }) : {};
  const verified = report.verified === true;
  const warm_s = +r.seconds.toFixed(1);
  const steps: Record<string, number> = {};
  if (actLine) steps['before act'] = +(r.seconds - Number(actLine[2])).toFixed(1);
  Object.assign(steps, actStepSeconds(existsSync(join(out, 'act.log')) ? readFileSync(join(out, 'act.log'), 'utf8') : ''));
  const in_cluster = verified && inCluster();
  const { cold_s, cold_measured } = cold();
  const ok = act_exit === 0 && verified && in_cluster && warm_s < GOAL_S && (cold_s === null || cold_s < COLD_GOAL_S);
  return {
    result: { act_exit, verified, in_cluster, warm_s, cold_s, cold_measured, steps, warmup_s: +warmup.seconds.toFixed(1), verdict: report.verdict ?? null, app_url: report.appUrl ?? null },
    ok,
    summary: `act_exit ${act_exit}, verified ${verified}, in_cluster ${in_cluster}, warm ${warm_s} s (goal < ${GOAL_S}), cold ${cold_s ?? '?'} s on ${cold_measured ?? '?'} (goal < ${COLD_GOAL_S}); slowest step: ${Object.entries(steps).sort((a, b) => b[1] - a[1])[0]?.join(' ') ?? 'none'} s`,
  };
}
