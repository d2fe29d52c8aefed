/**
 * startup: for each built action, bundle bytes and cold start: the median of RUNS runs of its main bundle on
 * Node 24, from process start to the action's first input error with required inputs missing, against a bare
 * `node -e 0` of the same binary measured in the same rounds (interleaved, so load on the machine hits both).
 * Each run gets a fresh RUNNER_TEMP, as a new job does: nothing Node cached in an earlier run (the compile cache
 * runAction keeps there) helps a later one.
 * Goals: every action at most 1.5x the bare start (`ratio`), and every action's dist/ at most 5 MB.
 * Actions that do not exist yet are absent, never faked.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { discoverActions } from '../scripts/actions.js';
import { probeFor, runBundle, smokeProblem } from '../scripts/release-smoke.js';
import type { BenchOutcome } from './run.js';

const GOAL_RATIO = 1.5;
const GOAL_DIST_BYTES = 5e6;
const RUNS = 11;

function dirBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((sum, e) => sum + (e.isDirectory() ? dirBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size), 0);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function run(): Promise<BenchOutcome> {
  const built = discoverActions().flatMap((action) => {
    const main = action.entries.find((e) => e.kind === 'main');
    if (!main) return [];
    try {
      statSync(main.bundle);
    } catch {
      throw new Error(`actions/${action.name} has no bundle: run npm run build first`);
    }
    // The release's smoke run of a main bundle (scripts/release-smoke.ts), timed: no inputs, so the first
    // required input is missing (an action whose inputs all have defaults gets timeout: soon).
    return [{ name: action.name, bundle: main.bundle, dist: join(action.dir, 'dist'), probe: probeFor({ kind: 'main', required: action.required }) }];
  });
  const bare: number[] = [];
  const times = new Map<string, number[]>(built.map((a) => [a.name, []]));
  for (let i = 0; i < RUNS; i++) {
    const once = async (bundle: string, probe: Parameters<typeof runBundle>[2]) => {
      const work = mkdtempSync(join(tmpdir(), 'bench-startup-'));
      try {
        return await runBundle(bundle, work, probe);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    };
    // `node -e 0` the same way (same binary, environment and pipes): the bundle argument is Node's own flag.
    bare.push((await once('-e', { inputs: {}, args: ['0'] })).ms);
    for (const a of built) {
      const r = await once(a.bundle, a.probe);
      const problem = smokeProblem(`actions/${a.name}/dist/main/index.js`, a.probe, r);
      if (problem) throw new Error(problem);
      times.get(a.name)!.push(r.ms);
    }
  }
  const bareMs = median(bare);
  const actions: Record<string, { bundle_bytes: number; dist_bytes: number; cold_start_ms: number; ratio: number }> = {};
  const problems: string[] = [];
  for (const a of built) {
    const ms = median(times.get(a.name)!);
    const entry = { bundle_bytes: dirBytes(dirname(a.bundle)), dist_bytes: dirBytes(a.dist), cold_start_ms: Math.round(ms), ratio: +(ms / bareMs).toFixed(2) };
    actions[a.name] = entry;
    if (entry.ratio > GOAL_RATIO) problems.push(`${a.name} ${entry.ratio}x`);
    if (entry.dist_bytes > GOAL_DIST_BYTES) problems.push(`${a.name} dist ${(entry.dist_bytes / 1e6).toFixed(1)} MB`);
  }
  const parts = Object.entries(actions).map(([n, a]) => `${n} ${a.cold_start_ms} ms (${a.ratio}x)/${(a.dist_bytes / 1e6).toFixed(1)} MB`);
  return {
    result: { node: process.version, runs: RUNS, bare_node_ms: Math.round(bareMs), goal_ratio: GOAL_RATIO, goal_dist_bytes: GOAL_DIST_BYTES, actions },
    summary: parts.length ? `bare node ${Math.round(bareMs)} ms; cold start ${parts.join(', ')}${problems.length ? `; over the goals (${GOAL_RATIO}x, ${GOAL_DIST_BYTES / 1e6} MB): ${problems.join(', ')}` : ''}` : 'no actions built',
    ok: problems.length === 0,
  };
}
