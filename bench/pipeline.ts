/**
 * pipeline: the README's first command (`npm run local` = scripts/local.sh: stack up, then deploy.yml's
 * `local` job through act in host mode), warm. One unmeasured run first (installs, builds, first deploy), then
 * the measured run: its exit code, whether verify-events verified the round trip, its wall time, and seconds
 * per workflow step (from act's step lines; "before act" is local.sh's own part: install checks, stack up).
 * Goals: act_exit 0, verified true, warm_s < 180.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { actStepSeconds } from '../test/support/act.js';
import type { BenchOutcome } from './run.js';

const root = resolve(import.meta.dirname, '..');
const out = join(root, '.stack', 'deploy', 'local');
const GOAL_S = 180;

function local(): Promise<{ code: number | null; seconds: number; stdout: string }> {
  const t0 = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', [join(root, 'scripts', 'local.sh')], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', () => undefined);
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, seconds: (performance.now() - t0) / 1000, stdout }));
  });
}

export async function run(): Promise<BenchOutcome> {
  const warmup = await local();
  console.error(`pipeline: warm-up run exited ${warmup.code} in ${warmup.seconds.toFixed(1)} s`);
  const r = await local();
  const actLine = /local: act exited (\d+) after (\d+) s/.exec(r.stdout);
  const act_exit = actLine ? Number(actLine[1]) : (r.code ?? -1);
  const report = existsSync(join(out, 'report.json')) ? (JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { verified?: boolean; verdict?: string; appUrl?: string }) : {};
  const verified = report.verified === true;
  const warm_s = +r.seconds.toFixed(1);
  const steps: Record<string, number> = {};
  if (actLine) steps['before act'] = +(r.seconds - Number(actLine[2])).toFixed(1);
  Object.assign(steps, actStepSeconds(existsSync(join(out, 'act.log')) ? readFileSync(join(out, 'act.log'), 'utf8') : ''));
  const ok = act_exit === 0 && verified && warm_s < GOAL_S;
  return {
    result: { act_exit, verified, warm_s, steps, warmup_s: +warmup.seconds.toFixed(1), verdict: report.verdict ?? null, app_url: report.appUrl ?? null },
    ok,
    summary: `act_exit ${act_exit}, verified ${verified}, warm ${warm_s} s (goal < ${GOAL_S}); slowest step: ${Object.entries(steps).sort((a, b) => b[1] - a[1])[0]?.join(' ') ?? 'none'} s`,
  };
}
