/**
 * Runs the app on the local stack: the API and the worker as processes, each with its own daprd (the
 * stack's slim build) wired to the stack's Kafka (SCRAM listener), PostgreSQL and Dapr scheduler, all
 * configured from the chart rendered with values-host.yaml. Processes are stack processes (pid files
 * and logs under the stack's state dir): `app-<app-id>` and `daprd-<app-id>`.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sidecarProcessName, startSidecar, type SidecarOptions } from '../../stack/src/dapr-sidecar.js';
import { logTail } from '../../stack/src/components/dapr.js';
import { statusOf } from '../../stack/src/stack.js';
import type { StackContext } from '../../stack/src/types.js';
import { renderLocal, type RenderedRole } from './render.js';
import { declaredTopics, ensureTopics } from './topics.js';

export interface StackEndpoints {
  kafka: { sasl: string; username: string; password: string };
  postgresUrl: string;
  helm: string;
  daprd: string;
  scheduler: string;
}

/** The stack's endpoints from its live status; fails (saying what to run) when a needed server is down. */
export async function stackEndpoints(ctx: StackContext): Promise<StackEndpoints> {
  const status = await statusOf(ctx);
  const bad = ['postgres', 'kafka', 'dapr', 'helm'].filter((n) => !status.components[n]?.healthy);
  if (bad.length) throw new Error(`the local stack is not healthy (${bad.map((n) => `${n}: ${status.components[n]?.problem ?? 'missing'}`).join('; ')}). Run: npm run stack -- up`);
  const c = status.components;
  return {
    kafka: { sasl: c.kafka!.endpoints.sasl!, username: String(c.kafka!.details?.username), password: String(c.kafka!.details?.password) },
    postgresUrl: c.postgres!.endpoints.url!,
    helm: c.helm!.endpoints.helm4!,
    daprd: String(c.dapr!.details?.daprd),
    scheduler: c.dapr!.endpoints.scheduler!,
  };
}

export interface LocalOptions {
  /** Names the app ids (<instance>-api, <instance>-worker) and the state folder. Default "todo". */
  instance?: string;
  /** The API's public port (the UI URL); default a free one. */
  apiPort?: number;
  /** false: the worker's task-events subscription has no probe route (verify-events' failure case). */
  probeRoute?: boolean;
  /** How node runs the app (default: app/src/main.ts through tsx); tests run the image's bundle with it. */
  appArgs?: string[];
  /** Extra environment for both app processes. */
  env?: Record<string, string>;
  /** More chart values, e.g. a shorter retry budget for a test (strings as --set-string, the rest as --set). */
  set?: Record<string, string | number | boolean>;
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface RoleInfo {
  appId: string;
  port: number;
  callbackPort: number;
  daprHttpPort: number;
  logFile: string;
  sidecarLogFile: string;
  /** How the app process was started (its environment on top of this process's), for restartApp. */
  launch: { args: string[]; env: Record<string, string> };
}

export interface LocalInstance {
  instance: string;
  url: string;
  api: RoleInfo;
  worker: RoleInfo;
  secretsFile: string;
  resourcesDir: string;
  /** Resources handed to daprd (kind/name), for the report. */
  resources: string[];
}

export const SECRET_NAME = 'todo-secrets';
export const JWT_KEY_FIELD = 'jwt-signing-key';
export const appProcessName = (appId: string): string => `app-${appId}`;
const repoRoot = (ctx: StackContext): string => ctx.root;
export const instanceDir = (ctx: StackContext, instance: string): string => join(ctx.stateDir, 'app', instance);

/** The JWT signing key of an instance: made once, kept (0600) so tokens outlive restarts. */
export function jwtKey(ctx: StackContext, instance: string): string {
  const dir = instanceDir(ctx, instance);
  const file = join(dir, 'jwt-signing-key');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

export function readInstance(ctx: StackContext, instance: string): LocalInstance | undefined {
  const file = join(instanceDir(ctx, instance), 'instance.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as LocalInstance) : undefined;
}

/**
 * n distinct free loopback ports: all listening at once while the OS picks them (so no two are the same),
 * then released for the processes about to bind them.
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
      });
    }
    return servers.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

async function ready(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/** Whether the instance's processes run and the API and worker answer ready. */
export async function isRunning(ctx: StackContext, info: LocalInstance): Promise<boolean> {
  const names = [info.api.appId, info.worker.appId].flatMap((id) => [appProcessName(id), sidecarProcessName(id)]);
  return names.every((n) => ctx.procs.isRunning(n)) && (await ready(info.api.port)) && (await ready(info.worker.port));
}

/** Stops the instance's apps (gracefully), then their sidecars. Returns the process names it stopped. */
export async function stopLocal(ctx: StackContext, instance: string): Promise<string[]> {
  const ids = [`${instance}-api`, `${instance}-worker`];
  const names = [...ids.map(appProcessName), ...ids.map(sidecarProcessName)];
  const running = names.filter((n) => ctx.procs.isRunning(n));
  for (const n of names) await ctx.procs.stop(n);
  rmSync(join(instanceDir(ctx, instance), 'instance.json'), { force: true });
  return running;
}

interface RoleLaunch {
  paths: { resourcesDir: string; configFile: string };
  requestedPort: number | undefined;
  deadline: number;
  appArgs: string[];
  env: Record<string, string>;
}

/** The chart's app health check (dapr.io/enable-app-health-check and friends), as daprd in a pod would get it. */
export function appHealthCheckOf(role: RenderedRole): SidecarOptions['appHealthCheck'] {
  const d = role.dapr;
  if (d['enable-app-health-check'] !== 'true') return undefined;
  return {
    path: d['app-health-check-path'] ?? '/healthz',
    intervalSeconds: Number(d['app-health-probe-interval'] ?? 5),
    timeoutMs: Number(d['app-health-probe-timeout'] ?? 500),
    threshold: Number(d['app-health-threshold'] ?? 3),
  };
}

async function startRole(ctx: StackContext, stack: StackEndpoints, role: RenderedRole, launch: RoleLaunch): Promise<RoleInfo> {
  const { paths, requestedPort, deadline } = launch;
  const appId = role.appId;
  const [free, callbackPort, daprHttpPort, daprGrpcPort] = (await freePorts(4)) as [number, number, number, number];
  const port = requestedPort ?? free;
  const name = appProcessName(appId);
  const logFile = ctx.procs.logFile(name);
  const mark = existsSync(logFile) ? readFileSync(logFile).length : 0;
  const appEnv = { ...role.env, ...launch.env, HOST: '127.0.0.1', PORT: String(port), APP_CALLBACK_PORT: String(callbackPort), APP_CALLBACK_HOST: '127.0.0.1', DAPR_HTTP_PORT: String(daprHttpPort) };
  const appArgs = ['--enable-source-maps', '--disable-warning=DEP0040', '--disable-warning=DEP0169', ...launch.appArgs];
  // The app first: daprd waits for the app's (callback) port before it reports healthy.
  await ctx.procs.spawn(name, process.execPath, appArgs, { env: { ...process.env, ...appEnv }, cwd: repoRoot(ctx) });
  const sidecar = await startSidecar(ctx, {
    appId,
    appPort: callbackPort,
    httpPort: daprHttpPort,
    grpcPort: daprGrpcPort,
    resourcesPath: paths.resourcesDir,
    config: paths.configFile,
    logLevel: (role.dapr['log-level'] as 'info') ?? 'info',
    daprd: stack.daprd,
    schedulerAddress: stack.scheduler,
    timeoutMs: Math.max(5_000, deadline - Date.now()),
    appHealthCheck: appHealthCheckOf(role),
  }).catch((err: Error) => {
    throw new Error(`${err.message}${logTail(logFile, mark, 15)}`);
  });
  while (!(await ready(port))) {
    if (!ctx.procs.isRunning(name)) throw new Error(`${appId} exited during start-up${logTail(logFile, mark, 30)}`);
    if (Date.now() > deadline) throw new Error(`${appId} not ready (GET /readyz on ${port})${logTail(logFile, mark, 30)}${logTail(sidecar.logFile, 0, 15)}`);
    await sleep(200);
  }
  return { appId, port, callbackPort, daprHttpPort, logFile, sidecarLogFile: sidecar.logFile, launch: { args: appArgs, env: appEnv } };
}

/** Stops one role's app process (SIGTERM, as Kubernetes would) and leaves its daprd running. */
export async function stopApp(ctx: StackContext, role: RoleInfo): Promise<void> {
  await ctx.procs.stop(appProcessName(role.appId));
}

/** Starts one role's app process again, as it was started (same ports and environment), and waits until it is ready. */
export async function restartApp(ctx: StackContext, role: RoleInfo, timeoutMs = 60_000): Promise<void> {
  const name = appProcessName(role.appId);
  await ctx.procs.stop(name);
  const mark = existsSync(role.logFile) ? readFileSync(role.logFile).length : 0;
  await ctx.procs.spawn(name, process.execPath, role.launch.args, { env: { ...process.env, ...role.launch.env }, cwd: repoRoot(ctx) });
  const deadline = Date.now() + timeoutMs;
  while (!(await ready(role.port))) {
    if (!ctx.procs.isRunning(name) || Date.now() > deadline) throw new Error(`${role.appId} did not become ready again${logTail(role.logFile, mark, 30)}`);
    await sleep(200);
  }
}

/** Starts (or restarts) an instance; when it already runs healthy, returns it as it is. */
export async function startLocal(ctx: StackContext, stack: StackEndpoints, options: LocalOptions = {}): Promise<LocalInstance> {
  const instance = options.instance ?? 'todo';
  const log = options.log ?? (() => undefined);
  const existing = readInstance(ctx, instance);
  if (existing && (await isRunning(ctx, existing)) && (options.apiPort === undefined || options.apiPort === existing.api.port)) {
    log(`${instance} is already running`);
    return existing;
  }
  await stopLocal(ctx, instance);
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  const dir = instanceDir(ctx, instance);
  mkdirSync(dir, { recursive: true, mode: 0o700 });

  const created = await ensureTopics({ broker: stack.kafka.sasl, username: stack.kafka.username, password: stack.kafka.password }, declaredTopics(repoRoot(ctx)));
  if (created.length) log(`created topics: ${created.join(', ')}`);

  // Shaped like the Kubernetes Secret the chart's components reference (local.file, multiValued).
  const secretsFile = join(dir, 'secrets.json');
  const secrets = { [SECRET_NAME]: { 'kafka-password': stack.kafka.password, 'postgres-connection-string': stack.postgresUrl, [JWT_KEY_FIELD]: jwtKey(ctx, instance) } };
  writeFileSync(secretsFile, JSON.stringify(secrets, null, 2), { mode: 0o600 });

  const rendered = await renderLocal({
    helm: stack.helm,
    chartDir: join(repoRoot(ctx), 'chart'),
    outDir: join(dir, 'rendered'),
    release: instance,
    appIds: { api: `${instance}-api`, worker: `${instance}-worker` },
    brokers: stack.kafka.sasl,
    saslUsername: stack.kafka.username,
    secretsFile,
    probeRoute: options.probeRoute,
    // Each instance its own tables: a test's or the benchmark's tasks never show up in the developer's app.
    set: { 'stateStore.tableName': `${instance.replace(/-/g, '_')}_state`, 'stateStore.metadataTableName': `${instance.replace(/-/g, '_')}_dapr_metadata`, ...Object.fromEntries(Object.entries(options.set ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string')) },
    values: Object.fromEntries(Object.entries(options.set ?? {}).filter((e): e is [string, number | boolean] => typeof e[1] !== 'string')),
  });
  log(`rendered chart/ with values-host.yaml: ${rendered.resources.join(', ')}`);

  try {
    const launch = {
      paths: { resourcesDir: rendered.resourcesDir, configFile: rendered.configFile },
      deadline,
      appArgs: options.appArgs ?? ['--import', 'tsx', join(repoRoot(ctx), 'app', 'src', 'main.ts')],
      env: options.env ?? {},
    };
    // One after the other: ports are picked free just before each role binds them.
    const worker = await startRole(ctx, stack, rendered.roles.worker, { ...launch, requestedPort: undefined });
    const api = await startRole(ctx, stack, rendered.roles.api, { ...launch, requestedPort: options.apiPort });
    const info: LocalInstance = { instance, url: `http://127.0.0.1:${api.port}/`, api, worker, secretsFile, resourcesDir: rendered.resourcesDir, resources: rendered.resources };
    writeFileSync(join(dir, 'instance.json'), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
    return info;
  } catch (err) {
    await stopLocal(ctx, instance);
    throw err;
  }
}
