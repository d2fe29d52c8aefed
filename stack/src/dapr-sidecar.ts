/**
 * Starts the stack's slim daprd as the sidecar of a local app process, the way `dapr run` would, but with
 * the stack's binary, the stack's scheduler and no placement, sentry or metrics:
 *
 *   const sidecar = await startSidecar(ctx, { appId: 'orders', appPort: 8080, resourcesPath: dir });
 *   // the app talks to http://127.0.0.1:<sidecar.httpPort>; Dapr calls the app on 127.0.0.1:8080
 *   await sidecar.stop();
 *
 * The sidecar is a stack process named `daprd-<app-id>` (pid file, log in <stateDir>/logs/daprd-<app-id>.log),
 * so `npm run stack -- down` stops one a test or a developer forgot. Ports not given are free ones picked
 * on 127.0.0.1. daprd waits for the app's port before it reports healthy, so start the app first (or
 * pass `wait: 'outbound'`, which only waits for the components to load).
 */
import { existsSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { daprPaths, httpOk, logTail, SIDECAR_PREFIX } from './components/dapr.js';
import type { StackContext } from './types.js';

export interface SidecarOptions {
  appId: string;
  /** The port the app listens on (HTTP); omit for an app that only calls Dapr. */
  appPort?: number;
  /** Directory (or directories) of Component, Subscription, Configuration and Resiliency YAMLs. */
  resourcesPath: string | string[];
  httpPort?: number;
  grpcPort?: number;
  /** Extra environment for daprd (e.g. values a secretKeyRef or env secret store reads). */
  env?: NodeJS.ProcessEnv;
  /** A Configuration YAML (`--config`). */
  config?: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** 'healthz' (default): fully initialised, app reached, subscriptions made. 'outbound': components loaded. */
  wait?: 'healthz' | 'outbound';
  timeoutMs?: number;
  /** daprd binary; default: the stack's build for this checkout's Dapr version. */
  daprd?: string;
  /** Scheduler host:port; default: the stack's scheduler (127.0.0.1:<ports.daprScheduler>). */
  schedulerAddress?: string;
  /**
   * Dapr's app health check (the dapr.io/enable-app-health-check annotations): daprd probes GET <path> on the
   * app port and pauses subscriptions while the app fails it. Needs appPort.
   */
  appHealthCheck?: { path: string; intervalSeconds: number; timeoutMs: number; threshold: number };
}

export interface Sidecar {
  appId: string;
  pid: number;
  httpPort: number;
  grpcPort: number;
  /** Dapr's HTTP API base, e.g. http://127.0.0.1:3500. */
  httpEndpoint: string;
  logFile: string;
  /** Milliseconds from spawn to healthy. */
  startMs: number;
  stop(): Promise<void>;
}

/** A port nothing listens on right now (the OS picks it; a tiny race remains until daprd binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not pick a free port'))));
    });
  });
}

export function sidecarProcessName(appId: string): string {
  return `${SIDECAR_PREFIX}${appId}`;
}

const APP_ID = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export async function startSidecar(ctx: StackContext, options: SidecarOptions): Promise<Sidecar> {
  const { appId } = options;
  if (!APP_ID.test(appId)) throw new Error(`dapr: app id "${appId}" must be a DNS label (lower-case letters, digits, '-')`);
  const daprd = options.daprd ?? daprPaths(ctx).daprd;
  if (!existsSync(daprd)) throw new Error(`dapr: no daprd at ${daprd}; run: npm run stack -- up dapr`);
  const name = sidecarProcessName(appId);
  if (ctx.procs.isRunning(name)) throw new Error(`dapr: a sidecar for "${appId}" is already running; stop it with: npm run stack -- dapr ${appId} --stop`);

  const httpPort = options.httpPort ?? (await freePort());
  const grpcPort = options.grpcPort ?? (await freePort());
  const internalPort = await freePort();
  const resources = Array.isArray(options.resourcesPath) ? options.resourcesPath : [options.resourcesPath];
  const args = [
    '--mode', 'standalone',
    '--app-id', appId,
    '--dapr-http-port', String(httpPort),
    '--dapr-grpc-port', String(grpcPort),
    '--dapr-listen-addresses', '127.0.0.1',
    '--dapr-internal-grpc-port', String(internalPort),
    '--dapr-internal-grpc-listen-address', '127.0.0.1',
    '--scheduler-host-address', options.schedulerAddress ?? `127.0.0.1:${ctx.ports.daprScheduler}`,
    '--placement-host-address', '',
    '--enable-mtls=false',
    '--enable-metrics=false',
    '--log-level', options.logLevel ?? 'info',
    ...resources.flatMap((r) => ['--resources-path', r]),
    ...(options.appPort !== undefined ? ['--app-port', String(options.appPort), '--app-channel-address', '127.0.0.1'] : []),
    ...(options.config ? ['--config', options.config] : []),
    ...(options.appHealthCheck && options.appPort !== undefined
      ? ['--enable-app-health-check', '--app-health-check-path', options.appHealthCheck.path, '--app-health-probe-interval', String(options.appHealthCheck.intervalSeconds), '--app-health-probe-timeout', String(options.appHealthCheck.timeoutMs), '--app-health-threshold', String(options.appHealthCheck.threshold)]
      : []),
  ];

  const logFile = ctx.procs.logFile(name);
  const mark = existsSync(logFile) ? statSync(logFile).size : 0;
  const t0 = performance.now();
  const pid = await ctx.procs.spawn(name, daprd, args, { env: { ...process.env, ...options.env } });
  const stop = (): Promise<void> => ctx.procs.stop(name);

  const path = options.wait === 'outbound' ? '/v1.0/healthz/outbound' : '/v1.0/healthz';
  const timeoutMs = options.timeoutMs ?? 60_000;
  for (;;) {
    if (await httpOk(httpPort, path, 1_000)) break;
    if (!ctx.procs.isRunning(name)) {
      await stop(); // only drops the pid file: the process is gone
      throw new Error(`dapr: daprd for "${appId}" exited during start-up${logTail(logFile, mark, 30)}`);
    }
    if (performance.now() - t0 > timeoutMs) {
      await stop();
      throw new Error(`dapr: daprd for "${appId}" not healthy (${path}) after ${timeoutMs / 1000} s${logTail(logFile, mark, 30)}`);
    }
    await sleep(100);
  }
  const startMs = Math.round(performance.now() - t0);
  return { appId, pid, httpPort, grpcPort, httpEndpoint: `http://127.0.0.1:${httpPort}`, logFile, startMs, stop };
}

export const SIDECAR_USAGE =
  'usage: npm run stack -- dapr <app-id> --resources <dir> [--app-port N] [--dapr-http-port N] [--dapr-grpc-port N] [--config file] [--log-level L]\n' +
  '       npm run stack -- dapr <app-id> --stop';

/** `npm run stack -- dapr ...`: starts (detached) or stops a sidecar; prints where it listens. Returns the exit code. */
export async function sidecarCommand(ctx: StackContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'app-port': { type: 'string' },
      resources: { type: 'string', multiple: true },
      'resources-path': { type: 'string', multiple: true },
      'dapr-http-port': { type: 'string' },
      'dapr-grpc-port': { type: 'string' },
      config: { type: 'string' },
      'log-level': { type: 'string' },
      stop: { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  const [appId, ...extra] = positionals;
  if (!appId || extra.length > 0) {
    console.error(SIDECAR_USAGE);
    return 2;
  }
  if (values.stop) {
    const name = sidecarProcessName(appId);
    const was = ctx.procs.isRunning(name);
    await ctx.procs.stop(name);
    console.log(was ? `stopped daprd for ${appId}` : `no daprd for ${appId} was running`);
    return 0;
  }
  const resources = [...(values.resources ?? []), ...(values['resources-path'] ?? [])].map((r) => resolve(r));
  if (resources.length === 0) {
    console.error(`dapr: --resources <dir> is required\n${SIDECAR_USAGE}`);
    return 2;
  }
  const port = (flag: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`dapr: --${flag} must be a port number, got "${v}"`);
    return n;
  };
  const logLevel = values['log-level'];
  if (logLevel !== undefined && !['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    throw new Error(`dapr: --log-level must be debug, info, warn or error, got "${logLevel}"`);
  }
  const sidecar = await startSidecar(ctx, {
    appId,
    appPort: port('app-port', values['app-port']),
    resourcesPath: resources,
    httpPort: port('dapr-http-port', values['dapr-http-port']),
    grpcPort: port('dapr-grpc-port', values['dapr-grpc-port']),
    config: values.config === undefined ? undefined : resolve(values.config),
    logLevel: logLevel as SidecarOptions['logLevel'],
  });
  const info = { appId, pid: sidecar.pid, httpPort: sidecar.httpPort, grpcPort: sidecar.grpcPort, log: sidecar.logFile, startMs: sidecar.startMs };
  if (values.json) console.log(JSON.stringify(info, null, 2));
  else {
    console.log(
      `daprd for ${appId} healthy in ${(sidecar.startMs / 1000).toFixed(1)} s (pid ${sidecar.pid}): ` +
        `DAPR_HTTP_PORT=${sidecar.httpPort} DAPR_GRPC_PORT=${sidecar.grpcPort}; log ${sidecar.logFile}\n` +
        `stop it with: npm run stack -- dapr ${appId} --stop`,
    );
  }
  return 0;
}
