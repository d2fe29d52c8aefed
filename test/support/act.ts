import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { stack } from './stack.js';

const root = resolve(import.meta.dirname, '..', '..');

export interface ActRun {
  code: number | null;
  /** act's whole log (stdout and stderr interleaved as printed). */
  log: string;
  /** Seconds per step, from act's "Success|Failure - <stage> <step> [duration]" lines. */
  steps: Record<string, number>;
}

export interface ActOptions {
  /** The repository whose workflow runs (act's working directory). */
  cwd: string;
  workflow: string;
  event?: string;
  /** The event payload (workflow_dispatch: { inputs: {...} }). */
  payload?: Record<string, unknown>;
  job?: string;
  /** Passed through an --env-file. */
  env?: Record<string, string>;
  /** `owner/repo@ref` -> local folder (act's --local-repository); implies --action-offline-mode. */
  localRepositories?: Record<string, string>;
  /** Directories put first on the PATH act is started with (after Node 24's node_modules/.bin). */
  path?: string[];
  timeoutMs?: number;
}

/**
 * `npm run local` as a developer runs it (scripts/local.sh: install checks, stack up, then deploy.yml's local job
 * through act): its exit code, its output (stdout and stderr as printed) and its wall time. Killed after
 * `timeoutMs`.
 */
export function runLocalDeploy(timeoutMs = 900_000): Promise<{ code: number | null; stdout: string; seconds: number }> {
  const t0 = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', [join(root, 'scripts', 'local.sh')], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stdout += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

/** Parses act's step lines, e.g. "[W/job]   ✅  Success - Main Build the bundles [1m6.59s]". */
export function actStepSeconds(log: string): Record<string, number> {
  const steps: Record<string, number> = {};
  for (const m of log.matchAll(/(?:✅|❌)\s+(?:Success|Failure) - (Main|Post|Pre) (.+?) \[((?:\d+h)?(?:\d+m)?[\d.]+(?:µs|ms|s))\]/g)) {
    const [, stage, name, d] = m;
    const parts = /^(?:(\d+)h)?(?:(\d+)m)?([\d.]+)(µs|ms|s)$/.exec(d!);
    if (!parts) continue;
    const unit = { µs: 1e-6, ms: 1e-3, s: 1 }[parts[4] as 'µs' | 'ms' | 's'];
    const seconds = Number(parts[1] ?? 0) * 3600 + Number(parts[2] ?? 0) * 60 + Number(parts[3]) * unit;
    steps[stage === 'Main' ? name! : `${stage} ${name}`] = Math.round(seconds * 1000) / 1000;
  }
  return steps;
}

/**
 * Runs a workflow with the stack's act in host mode (-P ubuntu-latest=-self-hosted), never interactively:
 * event, env, secrets and vars come from files, stdin is closed, no notice fetch, no cache server, its own
 * action cache. Node 24 (node_modules/.bin) is first on act's PATH: act runs JavaScript actions with it.
 */
export function runAct(o: ActOptions): Promise<ActRun> {
  const dir = mkdtempSync(join(tmpdir(), 'act-run-'));
  const file = (name: string, text: string): string => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const args = [
    o.event ?? 'workflow_dispatch',
    '--workflows', o.workflow,
    '-P', 'ubuntu-latest=-self-hosted',
    '--eventpath', file('event.json', JSON.stringify(o.payload ?? {})),
    '--env-file', file('act.env', Object.entries(o.env ?? {}).map(([k, v]) => `${k}=${v}\n`).join('')),
    '--secret-file', file('act.secrets', ''),
    '--var-file', file('act.vars', ''),
    '--input-file', file('act.input', ''),
    '--action-cache-path', join(dir, 'action-cache'),
    '--no-cache-server',
    ...(o.job ? ['--job', o.job] : []),
  ];
  const locals = Object.entries(o.localRepositories ?? {});
  if (locals.length) args.push('--action-offline-mode', ...locals.flatMap(([k, v]) => ['--local-repository', `${k}=${v}`]));
  const env = {
    ...process.env,
    PATH: [join(root, 'node_modules', '.bin'), ...(o.path ?? []), process.env.PATH ?? ''].join(delimiter),
    ACT_DISABLE_VERSION_CHECK: '1',
  };
  return new Promise((resolvePromise, reject) => {
    const child = spawn(stack.act().act, args, { cwd: o.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), o.timeoutMs ?? 300_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, log, steps: actStepSeconds(log) });
    });
  });
}
