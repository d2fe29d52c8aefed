/**
 * Prometheus, built from the Go module proxy (`github.com/prometheus/prometheus`, commands `prometheus` and
 * `promtool`) by stack/prometheus/build.sh at PROMETHEUS_MODULE, into
 * <cacheDir>/prometheus-<version>-<inputs>/bin (<inputs> a digest of the build script, so changed build tags
 * rebuild). No web UI assets (see build.sh): the HTTP API, /metrics and the lifecycle endpoints.
 *
 * It runs as a stack process inside the real node's network namespace (like the API server's egress proxy),
 * where pod addresses route, and listens on the node's address, which this machine reaches through the
 * stack's veth: http://<nodeIp>:<ports.prometheus>. Nothing of the root namespace's network changes.
 * Kubernetes service discovery reaches the API server through the node's forwarder on hostIp with the token
 * of the ServiceAccount kube-system/oke-stack-prometheus (ClusterRole: read endpointslices, services, pods,
 * nodes), the way an in-cluster Prometheus would.
 *
 * The stack's own config (<stateDir>/prometheus/prometheus.yml) scrapes Prometheus itself and includes
 * scrape.d/*.yml and rules.d/*.yml: an app adds its targets and rules there with `applyMonitoring` (the local
 * deploy does so from the chart's rendered ServiceMonitor and PrometheusRule: app/scripts/monitoring.ts),
 * checked by promtool first, then hot-reloaded (POST /-/reload). Data: <stateDir>/prometheus/data, 1 day.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { dump } from 'js-yaml';
import { runBuildScript } from '../build-script.js';
import { nodeNetwork } from '../config.js';
import { inNode, netnsExists } from '../node/host.js';
import { prometheusBaseConfig, type KubernetesSdAccess, type PromConfig, type RuleGroup } from '../prometheus-config.js';
import type { Component, ComponentStatus, StackContext } from '../types.js';
import { call, KubeApi } from './kube-client.js';
import { kubeLayout } from './kube.js';

const exec = promisify(execFile);

/** The module version (Prometheus 3.16.0: the module's v0.3XX.Y is release 3.XX.Y). */
export const PROMETHEUS_MODULE = 'v0.316.0';
export const PROMETHEUS_VERSION = '3.16.0';
const BUILD_INPUTS = ['stack/prometheus/build.sh', 'stack/go-build.sh'];
const PROCESS = 'prometheus';
const START_DEADLINE_MS = 60_000;
/** Global defaults; a ServiceMonitor's endpoint interval overrides the scrape interval of its targets. */
const SCRAPE_INTERVAL = '15s';
const EVALUATION_INTERVAL = '5s';
const SD = { namespace: 'kube-system', name: 'oke-stack-prometheus' } as const;

export interface PrometheusPaths {
  bin: string;
  prometheus: string;
  promtool: string;
  buildLog: string;
  dir: string;
  config: string;
  scrapeDir: string;
  rulesDir: string;
  data: string;
  tokenFile: string;
}

export function prometheusPaths(ctx: Pick<StackContext, 'root' | 'cacheDir' | 'stateDir'>): PrometheusPaths {
  const h = createHash('sha256');
  for (const f of BUILD_INPUTS) h.update(f).update('\0').update(readFileSync(join(ctx.root, f))).update('\0');
  const base = join(ctx.cacheDir, `prometheus-${PROMETHEUS_VERSION}-${h.digest('hex').slice(0, 12)}`);
  const dir = join(ctx.stateDir, 'prometheus');
  return {
    bin: join(base, 'bin'),
    prometheus: join(base, 'bin', 'prometheus'),
    promtool: join(base, 'bin', 'promtool'),
    buildLog: join(base, 'build.log'),
    dir,
    config: join(dir, 'prometheus.yml'),
    scrapeDir: join(dir, 'scrape.d'),
    rulesDir: join(dir, 'rules.d'),
    data: join(dir, 'data'),
    tokenFile: join(dir, 'sd-token'),
  };
}

/** Where Prometheus listens (inside the node's namespace) and this machine reaches it. */
export function prometheusUrl(ctx: Pick<StackContext, 'ports'>): string {
  return `http://${nodeNetwork.nodeIp}:${ctx.ports.prometheus}`;
}

/** What a ServiceMonitor translation needs to reach the API server from inside the node's namespace. */
export function kubernetesSdAccess(ctx: StackContext): KubernetesSdAccess {
  return {
    apiServer: `https://${nodeNetwork.hostIp}:${ctx.ports.kubeApiserver}`,
    caFile: kubeLayout(ctx).pki.caCert,
    tokenFile: prometheusPaths(ctx).tokenFile,
  };
}

async function install(ctx: StackContext): Promise<void> {
  const p = prometheusPaths(ctx);
  if (existsSync(p.prometheus) && existsSync(p.promtool)) return;
  ctx.log.info(`prometheus: building prometheus and promtool ${PROMETHEUS_MODULE} into ${p.bin} (cold caches: ~5 min on 2 cores; log ${p.buildLog})`);
  await runBuildScript(ctx, { component: 'prometheus', script: 'stack/prometheus/build.sh', args: [PROMETHEUS_MODULE, p.bin], logPath: p.buildLog });
}

/** The ServiceAccount, its read-only ClusterRole and binding, and a token Secret the token controller fills. */
function sdObjects(): Array<{ path: string; body: Record<string, unknown> }> {
  const meta = { name: SD.name, namespace: SD.namespace, labels: { 'app.kubernetes.io/managed-by': 'oke-stack' } };
  const ns = `/api/v1/namespaces/${SD.namespace}`;
  const rbac = '/apis/rbac.authorization.k8s.io/v1';
  return [
    { path: `${ns}/serviceaccounts/${SD.name}`, body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta } },
    {
      path: `${rbac}/clusterroles/${SD.name}`,
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: SD.name, labels: meta.labels },
        rules: [
          { apiGroups: [''], resources: ['services', 'endpoints', 'pods', 'nodes'], verbs: ['get', 'list', 'watch'] },
          { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
        ],
      },
    },
    {
      path: `${rbac}/clusterrolebindings/${SD.name}`,
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: SD.name, labels: meta.labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: SD.name },
        subjects: [{ kind: 'ServiceAccount', name: SD.name, namespace: SD.namespace }],
      },
    },
    {
      path: `${ns}/secrets/${SD.name}-token`,
      body: { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token', metadata: { ...meta, name: `${SD.name}-token`, annotations: { 'kubernetes.io/service-account.name': SD.name } } },
    },
  ];
}

/** Applies the discovery identity and writes its token (0600) where the scrape configs point. */
async function ensureSdToken(ctx: StackContext, deadline: number): Promise<void> {
  const kube = kubeLayout(ctx);
  const api = new KubeApi(kube.server, kube.adminTls);
  const objects = sdObjects();
  for (const o of objects) await api.apply(o.path, o.body);
  const secretPath = objects[objects.length - 1]!.path;
  for (;;) {
    const secret = await api.get<{ data?: { token?: string } }>(secretPath);
    const token = secret?.data?.token ? Buffer.from(secret.data.token, 'base64').toString('utf8') : '';
    if (token) {
      const file = prometheusPaths(ctx).tokenFile;
      if (!existsSync(file) || readFileSync(file, 'utf8') !== token) writeAtomic(file, token, 0o600);
      return;
    }
    if (Date.now() > deadline) throw new Error(`prometheus: the token controller did not fill ${secretPath} (is kube-controller-manager running? see ${ctx.procs.logFile('kube-controller-manager')})`);
    await sleep(250);
  }
}

function writeAtomic(file: string, text: string, mode = 0o644): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, file);
}

const yaml = (o: unknown): string => dump(o, { lineWidth: -1, noRefs: true });

function baseConfigText(ctx: StackContext): string {
  const p = prometheusPaths(ctx);
  const header = '# Written by the stack (stack/src/components/prometheus.ts) at every start; apps add files to scrape.d/ and rules.d/.\n';
  return header + yaml(prometheusBaseConfig({
    listen: `${nodeNetwork.nodeIp}:${ctx.ports.prometheus}`,
    scrapeConfigFiles: join(p.scrapeDir, '*.yml'),
    ruleFiles: join(p.rulesDir, '*.yml'),
    scrapeInterval: SCRAPE_INTERVAL,
    evaluationInterval: EVALUATION_INTERVAL,
  }));
}

async function ready(ctx: StackContext): Promise<boolean> {
  try {
    return (await call(`${prometheusUrl(ctx)}/-/ready`, { timeoutMs: 2000 })).status === 200;
  } catch {
    return false;
  }
}

/** Asks the running Prometheus to load its config and rule files again; throws with its answer when it refuses. */
export async function reloadPrometheus(ctx: StackContext): Promise<void> {
  const r = await call(`${prometheusUrl(ctx)}/-/reload`, { method: 'POST', timeoutMs: 30_000 });
  if (r.status !== 200) throw new Error(`prometheus: reload refused (HTTP ${r.status}): ${r.body.trim().slice(0, 500)}`);
}

async function start(ctx: StackContext): Promise<void> {
  const p = prometheusPaths(ctx);
  if (!netnsExists()) throw new Error(`prometheus: the node's network namespace ${nodeNetwork.netns} is not there: start the node first (npm run stack -- up node)`);
  const t0 = Date.now();
  const deadline = t0 + START_DEADLINE_MS;
  for (const d of [p.dir, p.scrapeDir, p.rulesDir, p.data]) mkdirSync(d, { recursive: true });
  await ensureSdToken(ctx, deadline);
  const text = baseConfigText(ctx);
  const changed = !existsSync(p.config) || readFileSync(p.config, 'utf8') !== text;
  if (changed) writeAtomic(p.config, text);

  if (ctx.procs.isRunning(PROCESS) && (await ready(ctx))) {
    if (changed) await reloadPrometheus(ctx);
    ctx.log.info(`prometheus: already running at ${prometheusUrl(ctx)}`);
    return;
  }
  if (ctx.procs.isRunning(PROCESS)) await ctx.procs.stop(PROCESS, 10_000);
  await ctx.procs.spawn(PROCESS, '/usr/bin/nsenter', inNode([
    p.prometheus,
    `--config.file=${p.config}`,
    `--storage.tsdb.path=${p.data}`,
    '--storage.tsdb.retention.time=1d',
    `--web.listen-address=${nodeNetwork.nodeIp}:${ctx.ports.prometheus}`,
    // POST /-/reload: an app's deploy adds its targets and rules without a restart.
    '--web.enable-lifecycle',
    '--log.level=warn',
  ], false), { env: { ...process.env, GOMEMLIMIT: '256MiB' } });
  while (!(await ready(ctx))) {
    if (!ctx.procs.isRunning(PROCESS)) {
      const log = ctx.procs.logFile(PROCESS);
      const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-15).join('\n') : '';
      throw new Error(`prometheus: exited during start-up; end of ${log}:\n${tail}`);
    }
    if (Date.now() > deadline) throw new Error(`prometheus: not ready at ${prometheusUrl(ctx)}/-/ready after ${START_DEADLINE_MS / 1000} s; see ${ctx.procs.logFile(PROCESS)}`);
    await sleep(200);
  }
  ctx.log.info(`prometheus: ready at ${prometheusUrl(ctx)} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
}

async function status(ctx: StackContext): Promise<ComponentStatus> {
  const p = prometheusPaths(ctx);
  const endpoints = { url: prometheusUrl(ctx), promtool: p.promtool };
  const details: Record<string, unknown> = { version: PROMETHEUS_VERSION, prometheus: p.prometheus, config: p.config, scrapeDir: p.scrapeDir, rulesDir: p.rulesDir };
  if (!existsSync(p.prometheus) || !existsSync(p.promtool)) return { healthy: false, endpoints, details, problem: `not installed (${p.bin})` };
  if (!ctx.procs.isRunning(PROCESS)) return { healthy: false, endpoints, details, problem: 'not running' };
  try {
    const r = await call(`${prometheusUrl(ctx)}/api/v1/status/buildinfo`, { timeoutMs: 2000 });
    const version = (JSON.parse(r.body) as { data?: { version?: string } }).data?.version;
    if (r.status !== 200 || version !== PROMETHEUS_VERSION) return { healthy: false, endpoints, details, problem: `${prometheusUrl(ctx)} answers HTTP ${r.status}, version ${version ?? 'unknown'} (want ${PROMETHEUS_VERSION})` };
  } catch (err) {
    return { healthy: false, endpoints, details, problem: `${prometheusUrl(ctx)} does not answer: ${(err as Error).message}` };
  }
  return (await ready(ctx)) ? { healthy: true, endpoints, details } : { healthy: false, endpoints, details, problem: `${prometheusUrl(ctx)}/-/ready is not 200` };
}

export interface MonitoringFiles {
  scrapeConfigs: PromConfig[];
  ruleGroups: RuleGroup[];
}

/**
 * Installs an app's scrape configs and rules as scrape.d/<name>.yml and rules.d/<name>.yml, checks the whole
 * configuration with promtool (a bad file is put back as it was, and the error names promtool's complaint),
 * then reloads Prometheus.
 */
export async function applyMonitoring(ctx: StackContext, name: string, files: MonitoringFiles): Promise<void> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error(`prometheus: "${name}" is not a usable name for monitoring files (lower-case letters, digits, -)`);
  const p = prometheusPaths(ctx);
  const targets = [
    { file: join(p.scrapeDir, `${name}.yml`), text: yaml({ scrape_configs: files.scrapeConfigs }) },
    { file: join(p.rulesDir, `${name}.yml`), text: yaml({ groups: files.ruleGroups }) },
  ];
  const before = targets.map((t) => (existsSync(t.file) ? readFileSync(t.file, 'utf8') : undefined));
  for (const t of targets) writeAtomic(t.file, t.text);
  try {
    await exec(p.promtool, ['check', 'config', p.config], { timeout: 30_000 });
  } catch (err) {
    targets.forEach((t, i) => (before[i] === undefined ? rmSync(t.file, { force: true }) : writeAtomic(t.file, before[i])));
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`prometheus: promtool check config refused ${name}'s monitoring (left as it was):\n${`${e.stdout ?? ''}${e.stderr ?? ''}`.trim() || e.message}`, { cause: err });
  }
  await reloadPrometheus(ctx);
}

export const prometheus: Component = {
  name: 'prometheus',
  dependsOn: ['kube', 'node'],
  install,
  start,
  status,
  processes: () => [PROCESS],
};
