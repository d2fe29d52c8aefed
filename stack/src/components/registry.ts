/**
 * A real OCI registry on this machine: go-containerregistry's registry (`crane registry serve`, built from
 * the Go module proxy by stack/node/build.sh), blobs on disk in <stateDir>/registry. It listens on
 * 127.0.0.1:<ports.registry>; the node pulls from it through the node component's forwarder on hostIp.
 * Images reach it by a standard push (crane push); pods name them `localhost:<port>/<repo>@sha256:...`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { probe } from './kube-client.js';
import { installNodeTools, nodeTool } from './node-tools.js';
import type { Component, ComponentStatus, StackContext } from '../types.js';

const PROCESS = 'registry';

export function registryAddress(ctx: StackContext): string {
  return `127.0.0.1:${ctx.ports.registry}`;
}

/** How image references name the registry (containerd on the node maps this name to the forwarder). */
export function registryName(ctx: StackContext): string {
  return `localhost:${ctx.ports.registry}`;
}

async function start(ctx: StackContext): Promise<void> {
  if ((await status(ctx)).healthy) return;
  await installNodeTools(ctx);
  const dir = join(ctx.stateDir, 'registry');
  mkdirSync(dir, { recursive: true });
  if (!ctx.procs.isRunning(PROCESS)) {
    await ctx.procs.spawn(PROCESS, nodeTool(ctx, 'crane'), ['registry', 'serve', '--address', registryAddress(ctx), '--disk', dir]);
  }
  const deadline = Date.now() + 20_000;
  while (!(await probe(`http://${registryAddress(ctx)}/v2/`))) {
    if (!ctx.procs.isRunning(PROCESS)) throw new Error(`registry: crane registry exited; see ${ctx.procs.logFile(PROCESS)}`);
    if (Date.now() > deadline) throw new Error(`registry: no answer on http://${registryAddress(ctx)}/v2/ after 20 s; see ${ctx.procs.logFile(PROCESS)}`);
    await sleep(100);
  }
}

async function status(ctx: StackContext): Promise<ComponentStatus> {
  const endpoints = { registry: registryName(ctx), url: `http://${registryAddress(ctx)}` };
  const details = { crane: nodeTool(ctx, 'crane'), storage: join(ctx.stateDir, 'registry') };
  if (!ctx.procs.isRunning(PROCESS)) return { healthy: false, endpoints, details, problem: 'crane registry is not running' };
  if (!(await probe(`http://${registryAddress(ctx)}/v2/`))) return { healthy: false, endpoints, details, problem: `no answer on http://${registryAddress(ctx)}/v2/` };
  return { healthy: true, endpoints, details };
}

export const registry: Component = {
  name: 'registry',
  install: installNodeTools,
  start,
  status,
  processes: () => [PROCESS],
};
