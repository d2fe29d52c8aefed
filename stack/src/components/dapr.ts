/**
 * Dapr: the Scheduler service (the Jobs API's backend, with embedded etcd) as a stack process, plus the
 * slim daprd binary that stack/src/dapr-sidecar.ts starts next to a local app process.
 *
 * Binaries: stack/dapr/build.sh compiles them from the Go module proxy into
 * <cacheDir>/dapr-<version>-<inputs>/bin, <inputs> a digest of what the build reads (the daprd command
 * with its list of components, go.mod, go.sum, the build scripts), so changing the components rebuilds
 * instead of reusing a stale binary (daprd: Kafka pub/sub, PostgreSQL state and binding, local
 * file/env and Kubernetes secret stores, mdns).
 * The version is stack/dapr/go.mod's `github.com/dapr/dapr` require; src/versions.ts repeats it.
 *
 * The scheduler runs in standalone mode without mTLS (no sentry): gRPC on 127.0.0.1:<ports.daprScheduler>,
 * healthz on <ports.daprSchedulerHealthz>, embedded etcd on <ports.daprSchedulerEtcdClient> (client) and
 * <ports.daprSchedulerEtcdPeer> (peer), data in <stateDir>/dapr/scheduler, metrics off.
 * Healthy = its healthz answers 200 (the server and its etcd are ready) and its gRPC port accepts.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Component, ComponentStatus, StackContext } from '../types.js';

const SCHEDULER = 'dapr-scheduler';
/** Sidecars started by dapr-sidecar.ts are stack processes named `daprd-<app-id>`. */
export const SIDECAR_PREFIX = 'daprd-';
const START_DEADLINE_MS = 60_000;

/** The `github.com/dapr/dapr vX.Y.Z` require of a go.mod, without the leading v. */
export function daprVersionFromGoMod(goMod: string): string {
  const m = /^\s*(?:require\s+)?github\.com\/dapr\/dapr\s+v(\d+\.\d+\.\d+\S*)/m.exec(goMod);
  if (!m?.[1]) throw new Error('dapr: no `github.com/dapr/dapr vX.Y.Z` require in stack/dapr/go.mod');
  return m[1];
}

/** Which Dapr the stack builds: the pinned version (stack/dapr/go.mod) or the previous minor (go.prev.mod). */
export type DaprRelease = 'current' | 'previous';
/** The go.mod of stack/dapr each release builds from (`go ... -modfile=<it>`). */
export const MODFILE: Record<DaprRelease, string> = { current: 'go.mod', previous: 'go.prev.mod' };

export function daprVersion(ctx: Pick<StackContext, 'root'>, release: DaprRelease = 'current'): string {
  return daprVersionFromGoMod(readFileSync(join(ctx.root, 'stack', 'dapr', MODFILE[release]), 'utf8'));
}

export const CONTROL_PLANE = ['operator', 'sentry', 'injector', 'placement', 'scheduler'] as const;
export type ControlPlaneBinary = (typeof CONTROL_PLANE)[number];

export interface DaprPaths {
  bin: string;
  daprd: string;
  scheduler: string;
  /** The control plane's commands, packed into images for Dapr's chart on the real node (dapr-chart component). */
  controlPlane: Record<ControlPlaneBinary, string>;
  buildLog: string;
  schedulerData: string;
}

/** The files stack/dapr/build.sh builds a release from, relative to the repository root. */
export function daprBuildInputs(release: DaprRelease = 'current'): string[] {
  const d = 'stack/dapr';
  const mod = release === 'current' ? [`${d}/go.mod`, `${d}/go.sum`, `${d}/cmd/daprd/fields.go`] : [`${d}/go.prev.mod`, `${d}/go.prev.sum`, `${d}/cmd/daprd/fields_prev.go`];
  return [`${d}/cmd/daprd/main.go`, `${d}/tools.go`, ...mod, `${d}/build.sh`, 'stack/go-build.sh'];
}

/** 12 hex digits naming the build inputs' contents. */
export function daprBuildDigest(ctx: Pick<StackContext, 'root'>, release: DaprRelease = 'current'): string {
  const h = createHash('sha256');
  for (const f of daprBuildInputs(release)) h.update(f).update('\0').update(readFileSync(join(ctx.root, f))).update('\0');
  return h.digest('hex').slice(0, 12);
}

export function daprPaths(ctx: StackContext, release: DaprRelease = 'current'): DaprPaths {
  const base = join(ctx.cacheDir, `dapr-${daprVersion(ctx, release)}-${daprBuildDigest(ctx, release)}`);
  const bin = join(base, 'bin');
  return {
    bin,
    daprd: join(bin, 'daprd'),
    scheduler: join(bin, 'scheduler'),
    controlPlane: Object.fromEntries(CONTROL_PLANE.map((b) => [b, join(bin, b)])) as Record<ControlPlaneBinary, string>,
    buildLog: join(base, 'build.log'),
    schedulerData: join(ctx.stateDir, 'dapr', 'scheduler'),
  };
}

function goBinary(): string {
  const onPath = (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, 'go')));
  return onPath ? 'go' : '/usr/local/go/bin/go';
}

/** Builds daprd and the control plane's commands of a release (nothing to do when they are there). */
export async function buildDapr(ctx: StackContext, release: DaprRelease = 'current'): Promise<DaprPaths> {
  const p = daprPaths(ctx, release);
  if ([p.daprd, ...Object.values(p.controlPlane)].every((f) => existsSync(f))) return p;
  mkdirSync(p.bin, { recursive: true });
  const v = daprVersion(ctx, release);
  ctx.log.info(`dapr: building daprd and the control plane ${v}${release === 'previous' ? ' (the previous minor, for upgrades)' : ''} into ${p.bin} (cold caches: minutes on 2 cores; log ${p.buildLog})`);
  const fd = openSync(p.buildLog, 'w');
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('bash', [join(ctx.root, 'stack', 'dapr', 'build.sh'), p.bin, MODFILE[release]], {
        stdio: ['ignore', fd, fd],
        env: { ...process.env, GO: process.env.GO ?? goBinary() },
      });
      child.on('error', reject);
      child.on('exit', resolve);
    });
    if (code !== 0) {
      const tail = readFileSync(p.buildLog, 'utf8').split('\n').slice(-25).join('\n');
      throw new Error(`dapr: stack/dapr/build.sh (${MODFILE[release]}) exited ${code}; end of ${p.buildLog}:\n${tail}`);
    }
  } finally {
    closeSync(fd);
  }
  for (const line of readFileSync(p.buildLog, 'utf8').split('\n')) if (line.startsWith('build.sh:')) ctx.log.info(`dapr: ${line}`);
  return p;
}

async function install(ctx: StackContext): Promise<void> {
  await buildDapr(ctx, 'current');
}

function schedulerArgs(ctx: StackContext, p: DaprPaths): string[] {
  const { daprScheduler, daprSchedulerHealthz, daprSchedulerEtcdClient, daprSchedulerEtcdPeer } = ctx.ports;
  const id = 'dapr-scheduler-server-0';
  return [
    '--mode', 'standalone',
    '--id', id,
    '--port', String(daprScheduler),
    '--listen-address', '127.0.0.1',
    '--override-broadcast-host-port', `127.0.0.1:${daprScheduler}`,
    '--healthz-port', String(daprSchedulerHealthz),
    '--healthz-listen-address', '127.0.0.1',
    '--tls-enabled=false',
    '--enable-metrics=false',
    '--etcd-embed=true',
    '--etcd-data-dir', p.schedulerData,
    '--etcd-client-port', String(daprSchedulerEtcdClient),
    '--etcd-client-listen-address', '127.0.0.1',
    '--etcd-initial-cluster', `${id}=http://127.0.0.1:${daprSchedulerEtcdPeer}`,
    // The chart's default is a 16Gi volume; a local stack needs little. Quota as a resource quantity.
    '--etcd-space-quota', '2Gi',
    // 2048 job workers by default; a handful serve a laptop's jobs and save goroutines.
    '--workers', '64',
    '--log-level', 'info',
  ];
}

/** GET http://127.0.0.1:<port><path> answered with a 2xx within timeoutMs. */
export async function httpOk(port: number, path: string, timeoutMs = 2_000): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

export function tcpOpen(port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, timeout: timeoutMs });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

async function probe(ctx: StackContext): Promise<string | undefined> {
  const { daprSchedulerHealthz, daprScheduler } = ctx.ports;
  if (!(await httpOk(daprSchedulerHealthz, '/healthz'))) return `scheduler healthz http://127.0.0.1:${daprSchedulerHealthz}/healthz is not answering 200`;
  if (!(await tcpOpen(daprScheduler))) return `scheduler gRPC 127.0.0.1:${daprScheduler} refuses connections`;
  return undefined;
}

/** The last lines of a process log written after byte offset `from`. */
export function logTail(file: string, from = 0, lines = 20): string {
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8').slice(from);
  return `\n--- ${file} ---\n${text.trimEnd().split('\n').slice(-lines).join('\n')}`;
}

async function start(ctx: StackContext): Promise<void> {
  const p = daprPaths(ctx);
  if (!existsSync(p.scheduler)) await install(ctx);
  if (ctx.procs.isRunning(SCHEDULER) && (await probe(ctx)) === undefined) return;
  const logFile = ctx.procs.logFile(SCHEDULER);
  const mark = existsSync(logFile) ? statSync(logFile).size : 0;
  if (!ctx.procs.isRunning(SCHEDULER)) {
    for (const port of [ctx.ports.daprScheduler, ctx.ports.daprSchedulerHealthz, ctx.ports.daprSchedulerEtcdClient, ctx.ports.daprSchedulerEtcdPeer]) {
      if (await tcpOpen(port, 500)) throw new Error(`dapr: 127.0.0.1:${port} is already in use by a process the stack did not start`);
    }
    mkdirSync(p.schedulerData, { recursive: true, mode: 0o700 });
    await ctx.procs.spawn(SCHEDULER, p.scheduler, schedulerArgs(ctx, p), { cwd: p.schedulerData });
  }
  const started = Date.now();
  let problem: string | undefined;
  while (Date.now() - started < START_DEADLINE_MS) {
    problem = await probe(ctx);
    if (problem === undefined) {
      ctx.log.info(`dapr: scheduler healthy in ${((Date.now() - started) / 1000).toFixed(1)} s on 127.0.0.1:${ctx.ports.daprScheduler}`);
      return;
    }
    if (!ctx.procs.isRunning(SCHEDULER)) throw new Error(`dapr: the scheduler exited during start-up (${problem})${logTail(logFile, mark)}`);
    await sleep(200);
  }
  throw new Error(`dapr: scheduler not healthy after ${START_DEADLINE_MS / 1000} s: ${problem}${logTail(logFile, mark)}`);
}

async function status(ctx: StackContext): Promise<ComponentStatus> {
  const p = daprPaths(ctx);
  const endpoints = { scheduler: `127.0.0.1:${ctx.ports.daprScheduler}` };
  const details: Record<string, unknown> = {
    version: daprVersion(ctx),
    daprd: p.daprd,
    scheduler: p.scheduler,
    schedulerHealthz: `http://127.0.0.1:${ctx.ports.daprSchedulerHealthz}/healthz`,
    schedulerData: p.schedulerData,
  };
  let problem: string | undefined;
  if (!existsSync(p.daprd) || !existsSync(p.scheduler)) problem = `not installed (no binaries in ${p.bin})`;
  else if (!ctx.procs.isRunning(SCHEDULER)) problem = 'the scheduler is not running';
  else problem = await probe(ctx);
  return problem === undefined ? { healthy: true, endpoints, details } : { healthy: false, endpoints, details, problem };
}

export const dapr: Component = {
  name: 'dapr',
  // Neither the scheduler nor daprd needs Kafka or PostgreSQL to start; sidecars' components do.
  install,
  start,
  status,
  // Sidecars first on `down dapr` (processes stop in reverse order), then the scheduler.
  processes: (ctx) => [SCHEDULER, ...ctx.procs.list().filter((n) => n.startsWith(SIDECAR_PREFIX))],
};
