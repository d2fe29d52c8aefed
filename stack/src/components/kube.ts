/**
 * The local stack's Kubernetes: real etcd, kube-apiserver, kube-controller-manager and kube-scheduler
 * (built from the Go module proxy by stack/kube/build.sh) plus kwok, which plays the kubelet of two fake
 * nodes so that pods are scheduled and become Running/Ready without any container runtime.
 *
 * Every process is spawned by ctx.procs (so the stack owns the pids), binds to 127.0.0.1 only, and keeps
 * its state under <stateDir>/kube: pki/, etcd/, *.kubeconfig. admin.kubeconfig is the file tests use.
 *
 * Measured on the project VM (2 cores, shared with other jobs): first start (new state, PKI included)
 * 4-8 s, restart with state kept 3-7 s; a 2-replica Deployment's pods are Ready ~0.2 s after creation;
 * resident memory ~540 MB in all (apiserver ~270 MB, controller-manager ~105, scheduler ~67, kwok ~55, etcd ~42).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nodeNetwork } from '../config.js';
import { EGRESS_SOCKET } from '../node/host.js';
import type { Component, ComponentStatus, StackContext } from '../types.js';
import { ensurePki, pkiPaths, writeKubeconfig, type ClientName, type Pki } from './kube-pki.js';
import { KubeApi, isNodeReady, probe, type NodeObject, type TlsFiles } from './kube-client.js';

export const KWOK_VERSION = 'v0.7.0';
/** Nodes kwok fakes; kwok manages exactly the nodes carrying this annotation. */
export const FAKE_NODES = ['kwok-node-0', 'kwok-node-1'];
const KWOK_ANNOTATION = 'kwok.x-k8s.io/node';
/**
 * The fake nodes are tainted, so that only pods that ask for them (scale tests with many cheap pods)
 * land there; every other pod runs for real on the stack's node (component `node`).
 */
export const KWOK_TAINT = { key: KWOK_ANNOTATION, value: 'fake', effect: 'NoSchedule' } as const;
const SERVICE_CIDR = nodeNetwork.serviceCidr;
const SERVICE_IP = nodeNetwork.apiServiceIp;
const BINARIES = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'];
const PROCESSES = ['kube-etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'];
const START_DEADLINE_MS = 90_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Versions come from the tools module's go.mod (the one source of truth the build uses). */
export function kubeVersions(ctx: StackContext): { kubernetes: string; etcd: string; kwok: string } {
  const gomod = readFileSync(join(ctx.root, 'stack', 'kube', 'go.mod'), 'utf8');
  const req = (mod: string) => {
    const m = new RegExp(`^\\s*${mod.replace(/[.]/g, '\\.')}\\s+(v\\S+)`, 'm').exec(gomod);
    if (!m?.[1]) throw new Error(`stack/kube/go.mod does not require ${mod}`);
    return m[1];
  };
  return { kubernetes: req('k8s.io/kubernetes'), etcd: req('go.etcd.io/etcd/server/v3'), kwok: KWOK_VERSION };
}

export function kubeBinDir(ctx: StackContext): string {
  const v = kubeVersions(ctx);
  return join(ctx.cacheDir, `kube-${v.kubernetes}-kwok-${v.kwok}`, 'bin');
}

export interface Layout {
  dir: string;
  pki: Pki;
  etcdData: string;
  kubeconfig: (user: ClientName) => string;
  server: string;
  adminTls: TlsFiles;
  /** Kubeconfig-format file telling kube-apiserver where the OKE token webhook is. */
  webhookConfig: string;
  /** EgressSelectorConfiguration: cluster-bound traffic goes through the node's CONNECT proxy. */
  egressConfig: string;
}

/** Where the control plane's files are: PKI, kubeconfigs, the API server's URL and admin credentials. */
export function kubeLayout(ctx: StackContext): Layout {
  const dir = join(ctx.stateDir, 'kube');
  const pki = pkiPaths(join(dir, 'pki'));
  const admin = pki.client('admin');
  return {
    dir,
    pki,
    etcdData: join(dir, 'etcd'),
    kubeconfig: (user) => join(dir, `${user}.kubeconfig`),
    server: `https://127.0.0.1:${ctx.ports.kubeApiserver}`,
    adminTls: { ca: pki.caCert, cert: admin.cert, key: admin.key },
    webhookConfig: join(dir, 'oke-token-webhook.kubeconfig'),
    egressConfig: join(dir, 'egress-selector.yaml'),
  };
}

async function install(ctx: StackContext): Promise<void> {
  const bin = kubeBinDir(ctx);
  if (BINARIES.every((b) => existsSync(join(bin, b)))) return;
  await mkdir(bin, { recursive: true });
  const logPath = join(bin, '..', 'build.log');
  ctx.log.info(`kube: building ${BINARIES.join(', ')} into ${bin} (cold caches: ~8 min on 2 cores; log ${logPath})`);
  const log = await open(logPath, 'w');
  try {
    const script = join(ctx.root, 'stack', 'kube', 'build.sh');
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('bash', [script, bin], {
        stdio: ['ignore', log.fd, log.fd],
        env: { ...process.env, KWOK_VERSION },
      });
      child.on('error', reject);
      child.on('exit', resolve);
    });
    if (code !== 0) {
      const tail = readFileSync(logPath, 'utf8').split('\n').slice(-25).join('\n');
      throw new Error(`kube: stack/kube/build.sh exited ${code}; end of ${logPath}:\n${tail}`);
    }
  } finally {
    await log.close();
  }
  for (const line of readFileSync(logPath, 'utf8').split('\n')) if (line.startsWith('build.sh:')) ctx.log.info(`kube: ${line}`);
}

interface Step {
  name: string;
  binary: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  health: string;
  tls?: TlsFiles;
  /** Arguments computed only when the process is spawned. */
  spawnArgs?: () => string[];
}

/**
 * kwok hands out pod IPs from an in-memory pool and, after a restart, does not mark the IPs of pods that
 * are already Running, so it would hand them out again. Each kwok run therefore gets its own /16:
 * 10.(128 + n mod 64).0.0/16 for the n-th start, recorded in <stateDir>/kube/kwok-runs.
 */
function nextPodCidr(dir: string): string {
  const file = join(dir, 'kwok-runs');
  const n = existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) + 1 || 0 : 0;
  writeFileSync(file, `${n}\n`);
  return `10.${128 + (n % 64)}.0.1/16`;
}

function steps(ctx: StackContext, l: Layout, bin: string): Step[] {
  const p = ctx.ports;
  const loop = '127.0.0.1';
  const etcdUrl = `http://${loop}:${p.etcdClient}`;
  const peerUrl = `http://${loop}:${p.etcdPeer}`;
  const kc = (user: ClientName) => l.kubeconfig(user);
  const delegated = (user: ClientName) => [
    `--kubeconfig=${kc(user)}`, `--authentication-kubeconfig=${kc(user)}`, `--authorization-kubeconfig=${kc(user)}`,
  ];
  return [
    {
      name: 'kube-etcd',
      binary: join(bin, 'etcd'),
      args: [
        '--name=kube', `--data-dir=${l.etcdData}`,
        `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=kube=${peerUrl}`, '--initial-cluster-state=new',
        // A throwaway test cluster: no fsync (much faster on a VM disk), 2 GiB quota, hourly compaction.
        '--unsafe-no-fsync', '--quota-backend-bytes=2147483648', '--auto-compaction-retention=1',
        '--log-level=warn',
      ],
      health: `${etcdUrl}/health`,
    },
    {
      name: 'kube-apiserver',
      binary: join(bin, 'kube-apiserver'),
      args: [
        `--bind-address=${loop}`, `--advertise-address=${loop}`, `--secure-port=${p.kubeApiserver}`,
        `--etcd-servers=${etcdUrl}`,
        `--client-ca-file=${l.pki.caCert}`,
        `--tls-cert-file=${l.pki.apiserverCert}`, `--tls-private-key-file=${l.pki.apiserverKey}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${l.pki.saPub}`, `--service-account-signing-key-file=${l.pki.saKey}`,
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        '--authorization-mode=Node,RBAC',
        // Bearer tokens no built-in authenticator knows go to a TokenReview webhook on loopback: oke-login's
        // tests serve it there to accept or refuse the OKE tokens its credential helper mints. Nothing else
        // is affected (certificates and service-account tokens never reach it); no caching, so refusals are honest.
        `--authentication-token-webhook-config-file=${l.webhookConfig}`, '--authentication-token-webhook-version=v1',
        '--authentication-token-webhook-cache-ttl=0s',
        // Front-proxy (request-header) auth: controller-manager and scheduler read this CA from
        // kube-system/extension-apiserver-authentication, and aggregated APIs (metrics-server) need it.
        `--requestheader-client-ca-file=${l.pki.caCert}`, '--requestheader-allowed-names=front-proxy-client',
        '--requestheader-username-headers=X-Remote-User', '--requestheader-group-headers=X-Remote-Group',
        '--requestheader-extra-headers-prefix=X-Remote-Extra-',
        `--proxy-client-cert-file=${l.pki.client('front-proxy-client').cert}`,
        `--proxy-client-key-file=${l.pki.client('front-proxy-client').key}`,
        '--allow-privileged=true',
        // Logs, exec and port-forward reach the real node's kubelet at its InternalIP (inside the node's
        // network namespace, through the stack's veth) with this client certificate.
        `--kubelet-client-certificate=${l.pki.client('apiserver-kubelet-client').cert}`,
        `--kubelet-client-key=${l.pki.client('apiserver-kubelet-client').key}`,
        '--kubelet-preferred-address-types=InternalIP',
        // The API server runs on the host, which has no route to Service or pod addresses (they exist only in
        // the node's network namespace). Its cluster-bound traffic (webhooks served by pods, such as Dapr's
        // sidecar injector and CRD conversion; the kubelet) goes through the node's CONNECT proxy, whose unix
        // socket the node component serves from inside that namespace. The control plane's own traffic
        // (etcd, the OKE token webhook) is not affected.
        `--egress-selector-config-file=${l.egressConfig}`,
        // The "kubernetes" Service would get a loopback endpoint, which endpoint validation refuses.
        '--endpoint-reconciler-type=none',
        '--profiling=false',
      ],
      env: { GOMEMLIMIT: '768MiB' },
      health: `${l.server}/readyz`,
      tls: l.adminTls,
    },
    {
      name: 'kube-controller-manager',
      binary: join(bin, 'kube-controller-manager'),
      args: [
        ...delegated('kube-controller-manager'),
        `--bind-address=${loop}`, `--secure-port=${p.kubeControllerManager}`,
        '--leader-elect=false', '--use-service-account-credentials=true',
        `--service-account-private-key-file=${l.pki.saKey}`, `--root-ca-file=${l.pki.caCert}`,
        `--cluster-signing-cert-file=${l.pki.caCert}`, `--cluster-signing-key-file=${l.pki.caKey}`,
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        '--kube-api-qps=100', '--kube-api-burst=200', '--profiling=false',
        // kwok's fake nodes renew their leases from a process that competes for 2 cores with builds and
        // brokers; a late heartbeat must not mark nodes NotReady (and every pod on them not Ready).
        '--node-monitor-grace-period=5m',
      ],
      health: `https://${loop}:${p.kubeControllerManager}/healthz`,
    },
    {
      name: 'kube-scheduler',
      binary: join(bin, 'kube-scheduler'),
      args: [
        ...delegated('kube-scheduler'),
        `--bind-address=${loop}`, `--secure-port=${p.kubeScheduler}`,
        '--leader-elect=false', '--kube-api-qps=100', '--kube-api-burst=200', '--profiling=false',
      ],
      health: `https://${loop}:${p.kubeScheduler}/healthz`,
    },
    {
      name: 'kwok',
      binary: join(bin, 'kwok'),
      args: [
        `--kubeconfig=${kc('kwok')}`,
        '--manage-all-nodes=false', `--manage-nodes-with-annotation-selector=${KWOK_ANNOTATION}=fake`,
        // No --enable-crds=Stage and no config file: kwok uses its built-in node/pod stages (node init +
        // lease heartbeat, pod ready/complete/delete), which make pods Running and Ready.
        `--server-address=${loop}:${p.kwok}`, `--node-ip=${loop}`, `--node-port=${p.kwok}`,
        // Node leases, as kwokctl sets them (40 s, renewed every 10 s). Without this flag kwok v0.7.0 uses its
        // lease-less heartbeat stage, whose selector (.status.phase Running) never matches our nodes: no
        // heartbeat at all, so every node-monitor-grace-period the controller marks both nodes NotReady,
        // which sets every pod's Ready condition False for good (kwok re-readies the node, not the pods):
        // a workload older than 5 minutes then never counts as ready again (seen by dapr-install's wait).
        '--node-lease-duration-seconds=40',
      ],
      spawnArgs: () => [`--cidr=${nextPodCidr(l.dir)}`],
      // KWOK_WORKDIR (an empty directory) keeps a developer's ~/.kwok/kwok.yaml out of the stack.
      env: { KWOK_WORKDIR: join(l.dir, 'kwok') },
      health: `http://${loop}:${p.kwok}/healthz`,
    },
  ];
}

/** Waits until `check` is true (a throwing check counts as not yet), failing early if the named process died. */
async function waitFor(ctx: StackContext, what: string, check: () => Promise<boolean>, deadline: number, procName?: string): Promise<void> {
  let lastError = '';
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = ` (last error: ${(err as Error).message})`;
    }
    if (procName && !ctx.procs.isRunning(procName)) {
      const logFile = ctx.procs.logFile(procName);
      const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n') : '';
      throw new Error(`kube: ${procName} exited while waiting for ${what}${lastError}; end of ${logFile}:\n${tail}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`kube: timed out waiting for ${what}${lastError}${procName ? `; see ${ctx.procs.logFile(procName)}` : ''}`);
    }
    await sleep(250);
  }
}

function fakeNode(name: string): object {
  const resources = { cpu: '16', memory: '64Gi', pods: '110', 'ephemeral-storage': '100Gi' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    spec: { taints: [KWOK_TAINT] },
    metadata: {
      name,
      annotations: { [KWOK_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/instance-type': 'kwok', type: 'kwok',
      },
    },
    status: {
      allocatable: resources,
      capacity: resources,
      nodeInfo: { architecture: 'amd64', operatingSystem: 'linux', kubeletVersion: 'fake', kubeProxyVersion: 'fake' },
    },
  };
}

async function listNodes(api: KubeApi): Promise<NodeObject[]> {
  return (await api.get<{ items: NodeObject[] }>('/api/v1/nodes'))?.items ?? [];
}

function webhookKubeconfig(port: number): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: oke-token-webhook',
    '  cluster:',
    `    server: http://127.0.0.1:${port}/`,
    'users:',
    '- name: kube-apiserver',
    '  user: {}',
    'contexts:',
    '- name: webhook',
    '  context:',
    '    cluster: oke-token-webhook',
    '    user: kube-apiserver',
    'current-context: webhook',
    '',
  ].join('\n');
}

/** The node's CONNECT proxy socket (stack/src/node/host.ts EGRESS_SOCKET), for cluster-bound traffic only. */
function egressSelectorConfig(): string {
  return [
    'apiVersion: apiserver.k8s.io/v1beta1',
    'kind: EgressSelectorConfiguration',
    'egressSelections:',
    '- name: cluster',
    '  connection:',
    '    proxyProtocol: HTTPConnect',
    '    transport:',
    '      uds:',
    `        udsName: ${EGRESS_SOCKET}`,
    '',
  ].join('\n');
}

async function start(ctx: StackContext): Promise<void> {
  if ((await status(ctx)).healthy) {
    ctx.log.info('kube: already healthy');
    return;
  }
  await install(ctx);
  const t0 = Date.now();
  const deadline = t0 + START_DEADLINE_MS;
  const l = kubeLayout(ctx);
  await mkdir(join(l.dir, 'kwok'), { recursive: true });
  // hostIp: the node's kubelet and kube-proxy, and pods through the `kubernetes` Service, reach the API server there.
  await ensurePki(l.pki.dir, SERVICE_IP, [nodeNetwork.hostIp]);
  for (const user of ['admin', 'kube-controller-manager', 'kube-scheduler', 'kwok'] as const) {
    await writeKubeconfig(l.kubeconfig(user), l.server, l.pki, user);
  }
  await writeFile(l.webhookConfig, webhookKubeconfig(ctx.ports.okeTokenWebhook), { mode: 0o600 });
  await writeFile(l.egressConfig, egressSelectorConfig(), { mode: 0o600 });

  for (const s of steps(ctx, l, kubeBinDir(ctx))) {
    const healthy = () => probe(s.health, s.tls);
    if (ctx.procs.isRunning(s.name) && (await healthy())) continue;
    if (!ctx.procs.isRunning(s.name)) {
      const args = [...s.args, ...(s.spawnArgs?.() ?? [])];
      await ctx.procs.spawn(s.name, s.binary, args, { env: { ...process.env, ...s.env }, cwd: l.dir });
    }
    await waitFor(ctx, `${s.name} ${s.health}`, healthy, deadline, s.name);
    ctx.log.info(`kube: ${s.name} healthy after ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  }

  const api = new KubeApi(l.server, l.adminTls);
  for (const name of FAKE_NODES) {
    if (await api.create('/api/v1/nodes', fakeNode(name))) ctx.log.info(`kube: created fake node ${name}`);
    else {
      // A node made by an older stack may lack the taint.
      const node = await api.get<NodeObject>(`/api/v1/nodes/${name}`);
      if (!node?.spec?.taints?.some((t) => t.key === KWOK_TAINT.key)) {
        await api.apply(`/api/v1/nodes/${name}`, { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: { taints: [KWOK_TAINT] } });
      }
    }
  }
  await waitFor(ctx, `fake nodes ${FAKE_NODES.join(', ')} Ready`, async () => {
    const ready = new Set((await listNodes(api)).filter(isNodeReady).map((n) => n.metadata.name));
    return FAKE_NODES.every((n) => ready.has(n));
  }, deadline, 'kwok');
  await waitFor(ctx, 'ServiceAccount default/default', async () =>
    (await api.get('/api/v1/namespaces/default/serviceaccounts/default')) !== undefined, deadline, 'kube-controller-manager');
  ctx.log.info(`kube: ready in ${((Date.now() - t0) / 1000).toFixed(1)}s, kubeconfig ${l.kubeconfig('admin')}`);
}

async function status(ctx: StackContext): Promise<ComponentStatus> {
  const l = kubeLayout(ctx);
  const endpoints = { apiserver: l.server, kubeconfig: l.kubeconfig('admin'), tokenWebhook: `http://127.0.0.1:${ctx.ports.okeTokenWebhook}/` };
  const details: Record<string, unknown> = { binDir: kubeBinDir(ctx), versions: kubeVersions(ctx), etcd: `http://127.0.0.1:${ctx.ports.etcdClient}` };
  if (!existsSync(l.adminTls.cert ?? '')) return { healthy: false, endpoints, details, problem: 'not started (no admin certificate yet)' };

  const problems: string[] = [];
  for (const s of steps(ctx, l, kubeBinDir(ctx))) {
    if (!(await probe(s.health, s.tls))) problems.push(`${s.name} not healthy (${s.health})`);
  }
  if (problems.some((p) => p.startsWith('kube-apiserver'))) return { healthy: false, endpoints, details, problem: problems.join('; ') };

  const api = new KubeApi(l.server, l.adminTls);
  try {
    details.kubernetesVersion = (await api.get<{ gitVersion: string }>('/version'))?.gitVersion;
    const nodes = await listNodes(api);
    details.nodes = nodes.map((n) => ({ name: n.metadata.name, ready: isNodeReady(n), allocatable: n.status?.allocatable }));
    for (const name of FAKE_NODES) {
      const node = nodes.find((n) => n.metadata.name === name);
      if (!node) problems.push(`fake node ${name} missing`);
      else if (!isNodeReady(node)) problems.push(`fake node ${name} not Ready`);
    }
  } catch (err) {
    problems.push(`apiserver: ${(err as Error).message}`);
  }
  return problems.length === 0
    ? { healthy: true, endpoints, details }
    : { healthy: false, endpoints, details, problem: problems.join('; ') };
}

export const kube: Component = {
  name: 'kube',
  install,
  start,
  status,
  processes: () => [...PROCESSES],
};
