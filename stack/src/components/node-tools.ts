/**
 * The node's own binaries, built from the Go module proxy by stack/node/build.sh: CoreDNS (slim, no
 * `forward`), the sandbox's pause, the tests' stack-testapp, the API server's connect-proxy, the registry
 * (stack-registry: private repositories behind HTTP Basic) and crane (the registry client).
 * Cached in <cacheDir>/node-tools-<inputs>/bin, <inputs> a digest of what the build reads, so a change to
 * any of those files rebuilds instead of reusing a stale binary.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { StackContext } from '../types.js';

export const NODE_TOOLS = ['coredns', 'pause', 'stack-testapp', 'connect-proxy', 'stack-registry', 'crane'] as const;
export type NodeTool = (typeof NODE_TOOLS)[number];

function inputs(root: string): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const n of readdirSync(dir).sort()) {
      const p = join(dir, n);
      if (statSync(p).isDirectory()) walk(p);
      else files.push(relative(root, p));
    }
  };
  walk(join(root, 'stack', 'node'));
  return [...files, 'stack/go-build.sh'];
}

export function nodeToolsDigest(ctx: Pick<StackContext, 'root'>): string {
  const h = createHash('sha256');
  for (const f of inputs(ctx.root)) h.update(f).update('\0').update(readFileSync(join(ctx.root, f))).update('\0');
  return h.digest('hex').slice(0, 12);
}

export function nodeToolsDir(ctx: StackContext): string {
  return join(ctx.cacheDir, `node-tools-${nodeToolsDigest(ctx)}`);
}

export function nodeTool(ctx: StackContext, tool: NodeTool): string {
  return join(nodeToolsDir(ctx), 'bin', tool);
}

export async function installNodeTools(ctx: StackContext): Promise<void> {
  const bin = join(nodeToolsDir(ctx), 'bin');
  if (NODE_TOOLS.every((t) => existsSync(join(bin, t)))) return;
  mkdirSync(bin, { recursive: true });
  const logPath = join(nodeToolsDir(ctx), 'build.log');
  ctx.log.info(`node: building ${NODE_TOOLS.join(', ')} into ${bin} (cold caches: minutes; log ${logPath})`);
  const fd = openSync(logPath, 'w');
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('bash', [join(ctx.root, 'stack', 'node', 'build.sh'), bin], { stdio: ['ignore', fd, fd], env: process.env });
      child.on('error', reject);
      child.on('exit', resolve);
    });
    if (code !== 0) {
      const tail = readFileSync(logPath, 'utf8').split('\n').slice(-25).join('\n');
      throw new Error(`node: stack/node/build.sh exited ${code}; end of ${logPath}:\n${tail}`);
    }
  } finally {
    closeSync(fd);
  }
  for (const line of readFileSync(logPath, 'utf8').split('\n')) if (line.startsWith('build.sh:')) ctx.log.info(`node: ${line}`);
}
