/**
 * Smoke runs of the actions' bundles: each bundle is started the way the runner starts it (node, a bare
 * environment with the runner's files, no inputs) and must get as far as its first check of what it was
 * given, which proves it loads: every module it imports at start is in it and evaluates.
 *   - main: stops at its first input error (a required input is missing; an action whose inputs all have
 *     defaults gets one malformed input, timeout: soon);
 *   - post: with no state from a main step, has nothing to clean up and exits 0;
 *   - a helper the action ships (dist/<tool>/index.js, e.g. oke-login's credential helper): run without
 *     arguments, prints its usage and exits 2.
 * Used by scripts/release.ts (nothing is published whose bundles fail this) and bench/startup.ts (which
 * times the same main run).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';

export type BundleKind = 'main' | 'post' | 'helper';

export interface Bundle {
  action: string;
  kind: BundleKind;
  /** Repository-relative: actions/<name>/dist/<dir>/index.js. */
  file: string;
  /** Absolute. */
  path: string;
  /** Names of the inputs action.yml marks required. */
  required: string[];
}

export interface Probe {
  /** INPUT_* variables. */
  inputs: Record<string, string>;
  args: string[];
  /** What the bundle must do, in words (for the error). */
  expected: string;
  ok: (run: BundleRun) => boolean;
}

export interface BundleRun {
  ms: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  timedOut: boolean;
}

/** The probe for a bundle: what to give it and what it must answer. */
export function probeFor(bundle: { kind: BundleKind; required: string[] }): Probe {
  switch (bundle.kind) {
    case 'main':
      return bundle.required.length
        ? { inputs: {}, args: [], expected: 'its first input error (a required input is missing)', ok: (r) => r.code !== 0 && /is required/.test(r.out) }
        : { inputs: { INPUT_TIMEOUT: 'soon' }, args: [], expected: 'its first input error (timeout: "soon" is not a duration)', ok: (r) => r.code !== 0 && /timeout: "soon" is not a duration/.test(r.out) };
    case 'post':
      return { inputs: {}, args: [], expected: 'exit 0 (no state from a main step: nothing to clean up)', ok: (r) => r.code === 0 };
    case 'helper':
      return { inputs: {}, args: [], expected: 'its usage and exit 2 (run without arguments)', ok: (r) => r.code === 2 && /usage/i.test(r.out) };
  }
}

/**
 * Runs a bundle with `node` (default: this process's) in a bare environment: PATH, HOME and the runner's
 * files under `work`, plus the probe's inputs; none of this process's variables (tokens) reach it.
 */
export function runBundle(bundle: string, work: string, probe: Pick<Probe, 'inputs' | 'args'>, options: { node?: string; timeoutMs?: number } = {}): Promise<BundleRun> {
  const env: NodeJS.ProcessEnv = {
    ...probe.inputs,
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    RUNNER_TEMP: work,
    GITHUB_OUTPUT: join(work, 'output'),
    GITHUB_STEP_SUMMARY: join(work, 'summary'),
    GITHUB_STATE: join(work, 'state'),
    GITHUB_ENV: join(work, 'env'),
  };
  for (const f of ['output', 'summary', 'state', 'env']) writeFileSync(join(work, f), '');
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(options.node ?? process.execPath, [bundle, ...probe.args], { env, cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 30_000);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ ms: performance.now() - t0, code, signal, out, timedOut });
    });
  });
}

/** Why a run does not pass its probe, or undefined when it does. */
export function smokeProblem(file: string, probe: Probe, run: BundleRun): string | undefined {
  if (!run.timedOut && probe.ok(run)) return undefined;
  const got = run.timedOut ? 'it did not stop within the time limit' : `exit ${run.code ?? run.signal}`;
  const output = run.out.trim().split('\n').slice(0, 6).join('\n    ').slice(0, 800);
  return `${file}: expected ${probe.expected}, got ${got}${output ? `:\n    ${output}` : ' and no output'}`;
}

interface ActionYaml {
  inputs?: Record<string, { required?: boolean }>;
  runs?: Record<string, unknown>;
}

/** Every bundle under actions/<name>/dist/ of a repository: dist/<dir>/index.js, its kind from action.yml's runs. */
export function listBundles(repo: string): Bundle[] {
  const base = join(repo, 'actions');
  const bundles: Bundle[] = [];
  for (const action of existsSync(base) ? readdirSync(base).sort() : []) {
    const yml = join(base, action, 'action.yml');
    const dist = join(base, action, 'dist');
    if (!existsSync(yml) || !existsSync(dist)) continue;
    const parsed = (load(readFileSync(yml, 'utf8')) ?? {}) as ActionYaml;
    const required = Object.entries(parsed.inputs ?? {}).filter(([, i]) => i?.required === true).map(([n]) => n);
    for (const dir of readdirSync(dist, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
      const file = `actions/${action}/dist/${dir}/index.js`;
      if (!existsSync(join(repo, file))) continue;
      const target = `dist/${dir}/index.js`;
      const kind: BundleKind = parsed.runs?.main === target ? 'main' : parsed.runs?.post === target ? 'post' : 'helper';
      bundles.push({ action, kind, file, path: join(repo, file), required });
    }
  }
  return bundles;
}

/** Smoke-runs every bundle (one at a time: the runner has two cores); returns the problems, empty when all pass. */
export async function smokeRun(bundles: Bundle[], options: { node?: string; timeoutMs?: number; log?: (line: string) => void } = {}): Promise<string[]> {
  const problems: string[] = [];
  const work = mkdtempSync(join(tmpdir(), 'smoke-'));
  try {
    for (const bundle of bundles) {
      const probe = probeFor(bundle);
      const run = await runBundle(bundle.path, work, probe, options);
      const problem = smokeProblem(bundle.file, probe, run);
      if (problem) problems.push(problem);
      options.log?.(`${bundle.file}: ${problem ? "FAILED" : `ok, ${probe.expected} in ${Math.round(run.ms)} ms`}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return problems;
}
