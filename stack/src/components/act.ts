/**
 * The workflow tools: act (runs .github/workflows on this machine, host mode) and actionlint (validates them).
 *
 * Source: the Go module proxy (the machines reach no GitHub releases), built by stack/act/build.sh with
 * `go install <module>@<version>`, pinned here. Neither module has replace directives.
 * Install-only: no processes; status reports the binaries' paths (tests read them through test/support/stack.ts).
 *
 * Layout: <cacheDir>/act-<version>/bin/act and <cacheDir>/actionlint-<version>/bin/actionlint.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Component, ComponentStatus, StackContext } from '../types.js';

const exec = promisify(execFile);

/** act v0.2.89: the newest act the module proxy lists here; builds with go1.26 (it asks for >= 1.25). */
export const ACT_VERSION = '0.2.89';
export const ACTIONLINT_VERSION = '1.7.12';

interface Tool {
  name: 'act' | 'actionlint';
  version: string;
  /** Arguments that print the version, and the text the output must contain. */
  versionArgs: string[];
}

const tools: readonly Tool[] = [
  { name: 'act', version: ACT_VERSION, versionArgs: ['--version'] },
  { name: 'actionlint', version: ACTIONLINT_VERSION, versionArgs: ['-version'] },
];

function toolPath(ctx: StackContext, t: Tool): string {
  return join(ctx.cacheDir, `${t.name}-${t.version}`, 'bin', t.name);
}

async function build(ctx: StackContext, t: Tool): Promise<void> {
  const bin = join(ctx.cacheDir, `${t.name}-${t.version}`, 'bin');
  mkdirSync(bin, { recursive: true });
  const logPath = join(bin, '..', 'build.log');
  ctx.log.info(`act: building ${t.name} v${t.version} from the Go module proxy (cold caches: ~1-3 min on 2 cores; log ${logPath})`);
  const fd = openSync(logPath, 'w');
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('bash', [join(ctx.root, 'stack', 'act', 'build.sh'), t.name, `v${t.version}`, bin], { stdio: ['ignore', fd, fd] });
      child.on('error', reject);
      child.on('exit', resolve);
    });
    if (code !== 0) {
      const tail = readFileSync(logPath, 'utf8').split('\n').slice(-25).join('\n');
      throw new Error(`act: stack/act/build.sh ${t.name} exited ${code}; end of ${logPath}:\n${tail}`);
    }
  } finally {
    closeSync(fd);
  }
  for (const line of readFileSync(logPath, 'utf8').split('\n')) if (line.startsWith('build.sh:')) ctx.log.info(`act: ${line}`);
}

async function install(ctx: StackContext): Promise<void> {
  for (const t of tools) if (!existsSync(toolPath(ctx, t))) await build(ctx, t);
}

async function versionOf(path: string, args: string[]): Promise<string> {
  const { stdout } = await exec(path, args, { timeout: 20_000 });
  return stdout.split('\n')[0]!.trim();
}

export const act: Component = {
  name: 'act',
  install,
  start: install,

  async status(ctx): Promise<ComponentStatus> {
    const endpoints = { act: toolPath(ctx, tools[0]!), actionlint: toolPath(ctx, tools[1]!) };
    const missing = tools.filter((t) => !existsSync(toolPath(ctx, t))).map((t) => `${t.name}-${t.version}`);
    if (missing.length) return { healthy: false, endpoints, problem: `not installed: ${missing.join(', ')}` };
    try {
      const [actVersion, actionlintVersion] = await Promise.all(tools.map((t) => versionOf(toolPath(ctx, t), t.versionArgs)));
      const details = { actVersion, actionlintVersion };
      const wrong = tools.filter((t, i) => ![actVersion, actionlintVersion][i]!.includes(t.version));
      if (wrong.length) return { healthy: false, endpoints, details, problem: `unexpected versions: ${JSON.stringify(details)} (want ${wrong.map((t) => `${t.name} ${t.version}`).join(', ')})` };
      return { healthy: true, endpoints, details };
    } catch (err) {
      return { healthy: false, endpoints, problem: `running the binaries failed: ${(err as Error).message}` };
    }
  },

  processes() {
    return [];
  },
};
