import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { errorMessage, OperationError } from './errors.js';
import { monotonicMs } from './groups.js';
import type { Logger } from './log.js';
import { Secrets } from './secrets.js';

export interface CommandResult {
  /** The exit code; for a program killed by a signal, 128 + the signal's number, as shells report it (SIGKILL: 137). */
  exitCode: number;
  /** The signal that killed the program (SIGKILL, SIGTERM, ...), when one did. */
  signal?: NodeJS.Signals;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to the command's stdin (never logged). */
  input?: string;
  /** Stream the command's output lines to the log (redacted). Default false: output is returned only. */
  stream?: boolean;
  /** Return non-zero exits instead of throwing. */
  allowFailure?: boolean;
}

/** The one way the project runs external programs: injectable, so logic can be tested with a fake. */
export interface CommandRunner {
  run(command: string, args: readonly string[], options?: RunOptions): Promise<CommandResult>;
}

/**
 * Runs commands without ever echoing a secret: the command line and every output line pass through
 * Secrets.redact before they reach the log or an error message. Built on node:child_process rather than
 * @actions/exec, which reports a program killed by a signal as exit code null and drops the signal's name.
 */
export class SafeRunner implements CommandRunner {
  constructor(
    private readonly log: Logger,
    private readonly secrets: Secrets = new Secrets(),
  ) {}

  async run(command: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    const shown = this.secrets.redact([command, ...args.map(quote)].join(' '));
    this.log.info(`$ ${shown}`);
    const t0 = monotonicMs();
    let result: { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };
    try {
      result = await spawnCollect(command, args, options, options.stream ? (line) => this.log.info(this.secrets.redact(line)) : undefined);
    } catch (err) {
      throw new OperationError(`could not run ${command}: ${this.secrets.redact(errorMessage(err))}`, { hint: `check that ${command} is installed and on PATH` });
    }
    const signal = result.signal ?? undefined;
    const out: CommandResult = {
      exitCode: result.code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1),
      ...(signal ? { signal } : {}),
      stdout: this.secrets.redact(result.stdout),
      stderr: this.secrets.redact(result.stderr),
      durationMs: Math.round(monotonicMs() - t0),
    };
    if (out.exitCode !== 0 && !options.allowFailure) {
      const tail = lastLines(out.stderr || out.stdout, 20);
      throw new OperationError(`${shown} ${exitText(out)}${tail ? `:\n${tail}` : ''}`);
    }
    return out;
  }
}

/** "exited with code 2", or "was killed by SIGKILL" for a program a signal stopped. */
export function exitText(result: Pick<CommandResult, 'exitCode' | 'signal'>): string {
  return result.signal ? `was killed by ${result.signal}` : `exited with code ${result.exitCode}`;
}

function spawnCollect(command: string, args: readonly string[], options: RunOptions, onLine?: (line: string) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = options.env ? (Object.fromEntries(Object.entries(options.env).filter(([, v]) => v !== undefined)) as Record<string, string>) : process.env;
    const child = spawn(command, [...args], { env, cwd: options.cwd, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], windowsHide: true });
    const chunks: { stdout: Buffer[]; stderr: Buffer[] } = { stdout: [], stderr: [] };
    const partial = { stdout: '', stderr: '' };
    for (const name of ['stdout', 'stderr'] as const) {
      child[name]!.on('data', (d: Buffer) => {
        chunks[name].push(d);
        if (!onLine) return;
        const lines = (partial[name] + d.toString()).split(/\r?\n/);
        partial[name] = lines.pop()!;
        lines.forEach(onLine);
      });
    }
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (onLine) for (const rest of [partial.stdout, partial.stderr]) if (rest) onLine(rest);
      resolve({ code, signal, stdout: Buffer.concat(chunks.stdout).toString(), stderr: Buffer.concat(chunks.stderr).toString() });
    });
    if (options.input !== undefined) {
      child.stdin!.on('error', () => undefined); // a program that exits without reading its input: its exit code tells
      child.stdin!.end(options.input);
    }
  });
}

export function lastLines(text: string, n: number): string {
  return text.trimEnd().split(/\r?\n/).slice(-n).join('\n');
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
