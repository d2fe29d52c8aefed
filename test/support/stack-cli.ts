import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');

export interface StackCliRun {
  /** The exit code (1 when it could not run or was stopped at the timeout). */
  code: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, and why it did not finish, if it did not. */
  out: string;
}

/** The stack CLI as a user runs it (`npm run stack -- <args>`), from the repository root, without blocking the test's event loop. */
export function stackCli(args: string[], options: { timeoutMs?: number } = {}): Promise<StackCliRun> {
  return new Promise((done) => {
    execFile(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), join(root, 'stack/src/cli.ts'), ...args], { cwd: root, maxBuffer: 16 * 1024 * 1024, timeout: options.timeoutMs ?? 0 }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number | string; killed?: boolean }) | null;
      const code = !e ? 0 : typeof e.code === 'number' ? e.code : 1;
      const why = e && typeof e.code !== 'number' ? `\n(${e.killed ? `stopped after ${options.timeoutMs} ms` : e.message})` : '';
      done({ code, stdout, stderr, out: `${stdout}${stderr}${why}` });
    });
  });
}
