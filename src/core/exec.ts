import { getExecOutput } from '@actions/exec';
import { errorMessage, OperationError } from './errors.js';
import type { Logger } from './log.js';
import { Secrets } from './secrets.js';

export interface CommandResult {
  exitCode: number;
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
 * Runs commands without ever echoing a secret: @actions/exec runs silent, and the command line and
 * every output line pass through Secrets.redact before they reach the log or an error message.
 */
export class SafeRunner implements CommandRunner {
  constructor(
    private readonly log: Logger,
    private readonly secrets: Secrets = new Secrets(),
  ) {}

  async run(command: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    const shown = this.secrets.redact([command, ...args.map(quote)].join(' '));
    this.log.info(`$ ${shown}`);
    const t0 = performance.now();
    let result: { exitCode: number; stdout: string; stderr: string };
    try {
      result = await getExecOutput(command, [...args], {
        silent: true,
        ignoreReturnCode: true,
        env: options.env ? (Object.fromEntries(Object.entries(options.env).filter(([, v]) => v !== undefined)) as Record<string, string>) : undefined,
        cwd: options.cwd,
        input: options.input === undefined ? undefined : Buffer.from(options.input),
        listeners: options.stream
          ? {
              stdline: (line: string) => this.log.info(this.secrets.redact(line)),
              errline: (line: string) => this.log.info(this.secrets.redact(line)),
            }
          : {},
      });
    } catch (err) {
      throw new OperationError(`could not run ${command}: ${this.secrets.redact(errorMessage(err))}`, { hint: `check that ${command} is installed and on PATH` });
    }
    const out: CommandResult = {
      exitCode: result.exitCode,
      stdout: this.secrets.redact(result.stdout),
      stderr: this.secrets.redact(result.stderr),
      durationMs: Math.round(performance.now() - t0),
    };
    if (out.exitCode !== 0 && !options.allowFailure) {
      const tail = lastLines(out.stderr || out.stdout, 20);
      throw new OperationError(`${shown} exited with code ${out.exitCode}${tail ? `:\n${tail}` : ''}`);
    }
    return out;
  }
}

export function lastLines(text: string, n: number): string {
  return text.trimEnd().split(/\r?\n/).slice(-n).join('\n');
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
