/**
 * Runs one of the stack's build scripts (stack/<tool>/build.sh, which source stack/go-build.sh) with its output
 * in a log file: on failure the error carries the end of that log; on success the script's own `build.sh:`
 * summary lines go to the stack's log, prefixed with the component's name.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { StackContext } from './types.js';

export interface BuildScript {
  /** The component that builds (prefixes log lines and errors). */
  component: string;
  /** The script, relative to the repository root, e.g. stack/prometheus/build.sh. */
  script: string;
  args: string[];
  logPath: string;
  env?: NodeJS.ProcessEnv;
}

export async function runBuildScript(ctx: Pick<StackContext, 'root' | 'log'>, b: BuildScript): Promise<void> {
  mkdirSync(dirname(b.logPath), { recursive: true });
  const fd = openSync(b.logPath, 'w');
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('bash', [join(ctx.root, b.script), ...b.args], { stdio: ['ignore', fd, fd], env: { ...process.env, ...b.env } });
      child.on('error', reject);
      child.on('exit', resolve);
    });
    if (code !== 0) {
      const tail = readFileSync(b.logPath, 'utf8').split('\n').slice(-25).join('\n');
      throw new Error(`${b.component}: ${relative(ctx.root, join(ctx.root, b.script))} exited ${code}; end of ${b.logPath}:\n${tail}`);
    }
  } finally {
    closeSync(fd);
  }
  for (const line of readFileSync(b.logPath, 'utf8').split('\n')) if (line.startsWith('build.sh:')) ctx.log.info(`${b.component}: ${line}`);
}
