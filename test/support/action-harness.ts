import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { tempDir } from './temp.js';

const root = resolve(import.meta.dirname, '..', '..');

export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Parsed from $GITHUB_OUTPUT. */
  outputs: Record<string, string>;
  /** Parsed from $GITHUB_STATE (what the post step receives as STATE_<name>). */
  state: Record<string, string>;
  /** Parsed from $GITHUB_ENV. */
  exported: Record<string, string>;
  summary: string;
  /** The run's RUNNER_TEMP. */
  runnerTemp: string;
  /**
   * Everything the run printed or wrote, for "the secret appears nowhere" checks. `::add-mask::` commands are
   * left out: the runner consumes them and shows them to no one (that is how a value gets masked).
   */
  everything(): string;
  /** The values registered with ::add-mask::. */
  masks(): string[];
}

/** Parses the runner's file-command format: `name=value` lines and `name<<DELIM ... DELIM` blocks. */
export function parseFileCommands(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delim] = heredoc;
      const body: string[] = [];
      for (i++; i < lines.length && lines[i] !== delim; i++) body.push(lines[i]!);
      out[name!] = body.join('\n');
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return out;
}

const stripMasks = (text: string): string => text.replace(/^::add-mask::.*$/gm, '');

export interface RunOptions {
  /** Extra environment (e.g. KUBECONFIG). The parent's PATH and HOME are kept; nothing else leaks in. */
  env?: Record<string, string | undefined>;
  /** State from the main step, for a post step. */
  state?: Record<string, string>;
  /** Reuse a RUNNER_TEMP (main and post share one). */
  runnerTemp?: string;
  timeoutMs?: number;
}

/**
 * Runs a built action bundle the way the runner does: INPUT_<NAME> variables in, file commands out.
 * Drives the real contract (action.yml + dist), so it proves the bundle, not just the sources.
 */
export async function runActionBundle(action: string, entry: 'main' | 'post', inputs: Record<string, string>, options: RunOptions = {}): Promise<ActionRun> {
  const bundle = join(root, 'actions', action, 'dist', entry, 'index.js');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run npm run build -- ${action}`);
  const runnerTemp = options.runnerTemp ?? tempDir(`runner-${action}-`);
  const files = mkdtempSync(join(tmpdir(), `runner-files-`));
  const f = (n: string): string => join(files, n);
  for (const n of ['output', 'state', 'env', 'summary', 'path']) writeFileSync(f(n), '');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    RUNNER_TEMP: runnerTemp,
    RUNNER_TOOL_CACHE: join(runnerTemp, '_toolcache'),
    GITHUB_OUTPUT: f('output'),
    GITHUB_STATE: f('state'),
    GITHUB_ENV: f('env'),
    GITHUB_PATH: f('path'),
    GITHUB_STEP_SUMMARY: f('summary'),
    GITHUB_ACTIONS: 'true',
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.replace(/ /g, '_').toUpperCase()}`, v])),
    ...Object.fromEntries(Object.entries(options.state ?? {}).map(([k, v]) => [`STATE_${k}`, v])),
    ...options.env,
  };
  const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bundle], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
  const read = (n: string): string => readFileSync(f(n), 'utf8');
  // Read now: the files directory is removed below, so nothing may read lazily.
  const [output, state, exportedText, summary] = [read('output'), read('state'), read('env'), read('summary')];
  const everything = [stripMasks(result.stdout), stripMasks(result.stderr), output, state, exportedText, summary].join('\n');
  const masks = [...result.stdout.matchAll(/^::add-mask::(.*)$/gm)].map((m) => m[1]!.replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%'));
  const run: ActionRun = {
    ...result,
    outputs: parseFileCommands(output),
    state: parseFileCommands(state),
    exported: parseFileCommands(exportedText),
    summary,
    runnerTemp,
    everything: () => everything,
    masks: () => masks,
  };
  rmSync(files, { recursive: true, force: true });
  return run;
}
