/**
 * startup: for each built action, bundle bytes and cold start (median of 5 runs of the bundle on
 * Node 24, from process start to the action's first input error with required inputs missing).
 * Goal: every action under 250 ms. Actions that do not exist yet are absent, never faked.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { discoverActions } from '../scripts/actions.js';
import type { BenchOutcome } from './run.js';

const GOAL_MS = 250;
const RUNS = 5;

function dirBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((sum, e) => sum + (e.isDirectory() ? dirBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size), 0);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Runs the bundle with the given inputs; resolves with wall time and what it printed. */
function once(bundle: string, work: string, inputs: Record<string, string>): Promise<{ ms: number; code: number | null; out: string }> {
  const env: NodeJS.ProcessEnv = {
    ...inputs, PATH: process.env.PATH, HOME: process.env.HOME, RUNNER_TEMP: work, GITHUB_OUTPUT: join(work, 'output'), GITHUB_STEP_SUMMARY: join(work, 'summary'), GITHUB_STATE: join(work, 'state'), GITHUB_ENV: join(work, 'env') };
  for (const f of ['output', 'summary', 'state', 'env']) writeFileSync(join(work, f), '');
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [bundle], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ ms: performance.now() - t0, code, out }));
  });
}

export async function run(): Promise<BenchOutcome> {
  const actions: Record<string, { bundle_bytes: number; cold_start_ms: number }> = {};
  const problems: string[] = [];
  for (const action of discoverActions()) {
    const main = action.entries.find((e) => e.kind === 'main');
    if (!main) continue;
    try {
      statSync(main.bundle);
    } catch {
      throw new Error(`actions/${action.name} has no bundle: run npm run build first`);
    }
    const work = mkdtempSync(join(tmpdir(), 'bench-startup-'));
    // No inputs: the first required input is missing. An action whose inputs all have defaults gets one
    // malformed input instead (timeout), so it too stops at its first input error.
    const probe: { inputs: Record<string, string>; error: RegExp } = action.required.length ? { inputs: {}, error: /is required/ } : { inputs: { INPUT_TIMEOUT: 'soon' }, error: /timeout: "soon" is not a duration/ };
    try {
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const r = await once(main.bundle, work, probe.inputs);
        if (r.code === 0 || !probe.error.test(r.out)) throw new Error(`actions/${action.name}: expected its first input error, got exit ${r.code}: ${r.out.slice(0, 400)}`);
        times.push(r.ms);
      }
      actions[action.name] = { bundle_bytes: dirBytes(dirname(main.bundle)), cold_start_ms: Math.round(median(times)) };
      if (actions[action.name]!.cold_start_ms >= GOAL_MS) problems.push(`${action.name} ${actions[action.name]!.cold_start_ms} ms`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  const parts = Object.entries(actions).map(([n, a]) => `${n} ${a.cold_start_ms} ms/${(a.bundle_bytes / 1e6).toFixed(1)} MB`);
  return {
    result: { node: process.version, runs: RUNS, goal_ms: GOAL_MS, actions },
    summary: parts.length ? `cold start ${parts.join(', ')}${problems.length ? `; over ${GOAL_MS} ms: ${problems.join(', ')}` : ''}` : 'no actions built',
    ok: problems.length === 0,
  };
}
