/**
 * A real Kubernetes node: containerd + runc + CNI plugins (Debian), kubelet and kube-proxy (built from the
 * same Kubernetes tools module as the API server), CoreDNS as a pod, all in namespaces of its own
 * (stack/src/node/host.ts). Pods really run: images are pulled from the stack's registry, probes are real
 * HTTP requests, crashes, OOM kills and pull failures are the kernel's and containerd's.
 *
 * Start order: namespaces and veth -> forwarders (hostIp:port -> 127.0.0.1:port for the API server and the
 * registry, socat) -> the node's images pushed to the registry -> containerd -> kubelet (registers the node)
 * -> kube-proxy -> the `kubernetes` Service's endpoints and CoreDNS. Any failure on the way tears the node
 * down again, so a failed `up` leaves nothing half-started. `down` stops the processes, then kills what is
 * left in the node's cgroups and namespaces, removes the namespaces, the veth and the cgroups.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { nodeNetwork } from '../config.js';
import { listening } from '../net.js';
import { buildImageLayout, removeLayout, type ImageSpec } from '../oci-image.js';
import { apiServerEndpoints, containerdConfig, corednsManifests, cniConflist, kubeletConfig, kubeProxyConfig, registryHostsToml, registryNames, type NodePaths } from '../node/configs.js';
import { checkFree, containerdSocket, EGRESS_SOCKET, ensureNamespaces, inNode, isStaleLeftover, preflight, run, teardown } from '../node/host.js';
import type { Component, ComponentStatus, StackContext } from '../types.js';
import { KubeApi, isNodeReady, probe, type NodeObject } from './kube-client.js';
import { writeKubeconfig } from './kube-pki.js';
import { kubeBinDir, kubeLayout, kubeVersions } from './kube.js';
import { installNodeTools, nodeTool } from './node-tools.js';
import { listenOnNodeNetwork } from './postgres.js';
import { hasManifest, registryAddress, registryName } from './registry.js';

const START_DEADLINE_MS = 180_000;
const SYSTEM = {
  containerd: '/usr/bin/containerd',
  'containerd-shim-runc-v2': '/usr/bin/containerd-shim-runc-v2',
  ctr: '/usr/bin/ctr',
  runc: '/usr/sbin/runc',
  'CNI bridge plugin': '/usr/lib/cni/bridge',
  'CNI host-local plugin': '/usr/lib/cni/host-local',
  'CNI loopback plugin': '/usr/lib/cni/loopback',
  'CNI portmap plugin': '/usr/lib/cni/portmap',
  iptables: '/usr/sbin/iptables',
  socat: '/usr/bin/socat',
  nsenter: '/usr/bin/nsenter',
  unshare: '/usr/bin/unshare',
  ip: '/usr/bin/ip',
};

/**
 * Ports of the stack's servers that the node's namespace reaches on hostIp through a forwarder: the API server,
 * the registry, and for the app's pods Kafka's NODE listener (which advertises hostIp). PostgreSQL listens on
 * hostIp itself (postgres.ts, listenOnNodeNetwork): the app's every query went through its forwarder.
 */
function forwardedPorts(ctx: StackContext): Record<string, number> {
  return { apiserver: ctx.ports.kubeApiserver, registry: ctx.ports.registry, kafka: ctx.ports.kafkaNode };
}
const fwdName = (what: string) => `node-fwd-${what}`;
/** Forwarders of earlier versions, stopped wherever a stack still runs one (PostgreSQL's held hostIp:port). */
const RETIRED_FORWARDERS = [fwdName('postgres')];
const PROCESSES = ['node-egress', 'containerd', 'kubelet', 'kube-proxy'];

function paths(ctx: StackContext): NodePaths & { dir: string } {
  const dir = join(ctx.stateDir, 'node');
  const kube = kubeLayout(ctx);
  return {
    dir,
    containerdRoot: join(dir, 'containerd'),
    containerdConfig: join(dir, 'containerd.toml'),
    registryHosts: join(dir, 'registry-hosts'),
    cniConfDir: join(dir, 'cni'),
    cniBinDir: '/usr/lib/cni',
    runc: SYSTEM.runc,
    kubeletConfig: join(dir, 'kubelet.json'),
    kubeletKubeconfig: join(dir, 'kubelet.kubeconfig'),
    kubeProxyConfig: join(dir, 'kube-proxy.json'),
    kubeProxyKubeconfig: join(dir, 'kube-proxy.kubeconfig'),
    resolvConf: join(dir, 'resolv.conf'),
    caCert: kube.pki.caCert,
    socket: containerdSocket,
  };
}

/** The images the node and the tests use, built from the node tools. */
function imageSpecs(ctx: StackContext): Record<string, { repo: string; version: string; spec: ImageSpec }> {
  const file = (tool: 'pause' | 'coredns' | 'stack-testapp') => ({ path: tool, data: readFileSync(nodeTool(ctx, tool)), mode: 0o755 });
  return {
    pause: { repo: 'oke-stack/pause', version: '3.10', spec: { files: [file('pause')], entrypoint: ['/pause'], user: '65535:65535' } },
    coredns: { repo: 'oke-stack/coredns', version: 'v1.15.0', spec: { files: [file('coredns')], entrypoint: ['/coredns'], exposedPorts: [53, 9153] } },
    testapp: { repo: 'oke-stack/testapp', version: '1', spec: { files: [file('stack-testapp')], entrypoint: ['/stack-testapp'], exposedPorts: [8080] } },
  };
}

/**
 * Drops a tag from the node's containerd (k8s.io namespace), so that the next pod using it pulls what the
 * registry holds now. Nothing to do when no node runs or the node never pulled it.
 */
export async function forgetNodeImage(ref: string): Promise<void> {
  if (!existsSync(containerdSocket)) return;
  await run(SYSTEM.ctr, ['--address', containerdSocket, '-n', 'k8s.io', 'images', 'rm', ref], { allowFail: true });
}

/** Builds each image and pushes it unless the registry already has that digest. Returns references by digest. */
async function pushImages(ctx: StackContext): Promise<Record<string, string>> {
  const refs: Record<string, string> = {};
  const tmp = await mkdtemp(join(ctx.stateDir, 'node', 'images-'));
  try {
    for (const [key, img] of Object.entries(imageSpecs(ctx))) {
      const built = buildImageLayout(img.spec, tmp);
      const tag = `${img.version}-${built.digest.slice(7, 19)}`;
      if (!(await hasManifest(ctx, img.repo, built.digest))) {
        await run(nodeTool(ctx, 'crane'), ['push', built.layout, `${registryAddress(ctx)}/${img.repo}:${tag}`]);
      }
      removeLayout(built);
      refs[key] = `${registryName(ctx)}/${img.repo}:${tag}@${built.digest}`;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  writeFileSync(join(ctx.stateDir, 'node', 'images.json'), `${JSON.stringify(refs, null, 2)}\n`);
  return refs;
}

function readImages(ctx: StackContext): Record<string, string> {
  try {
    return JSON.parse(readFileSync(join(ctx.stateDir, 'node', 'images.json'), 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

async function writeConfigs(ctx: StackContext, p: NodePaths & { dir: string }, images: Record<string, string>): Promise<void> {
  mkdirSync(p.dir, { recursive: true });
  mkdirSync(p.cniConfDir, { recursive: true });
  const sandbox = images.pause?.split('@')[0] ?? '';
  writeFileSync(p.containerdConfig, containerdConfig(p, sandbox));
  const { name } = registryNames(ctx.ports.registry);
  mkdirSync(join(p.registryHosts, name), { recursive: true });
  writeFileSync(join(p.registryHosts, name, 'hosts.toml'), registryHostsToml(ctx.ports.registry));
  writeFileSync(join(p.cniConfDir, '10-oke-stack.conflist'), JSON.stringify(cniConflist(), null, 2));
  // Pods with dnsPolicy Default (CoreDNS itself) get no upstream: nothing resolves beyond the cluster.
  writeFileSync(p.resolvConf, '# oke-stack node: no upstream DNS (pods resolve cluster names through CoreDNS only)\n');
  writeFileSync(p.kubeletConfig, JSON.stringify(kubeletConfig(p), null, 2));
  writeFileSync(p.kubeProxyConfig, JSON.stringify(kubeProxyConfig(p), null, 2));
  const kube = kubeLayout(ctx);
  const server = `https://${nodeNetwork.hostIp}:${ctx.ports.kubeApiserver}`;
  await writeKubeconfig(p.kubeletKubeconfig, server, kube.pki, 'kubelet');
  await writeKubeconfig(p.kubeProxyKubeconfig, server, kube.pki, 'kube-proxy');
}

function tailOf(ctx: StackContext, name: string, lines = 8): string {
  const f = ctx.procs.logFile(name);
  if (!existsSync(f)) return '';
  return readFileSync(f, 'utf8').split('\n').filter(Boolean).slice(-lines).join('\n');
}

async function until(ctx: StackContext, what: string, check: () => Promise<boolean>, deadline: number, proc?: string): Promise<void> {
  let last = '';
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      last = ` (last error: ${(err as Error).message})`;
    }
    if (proc && !ctx.procs.isRunning(proc)) {
      throw new Error(`node: ${proc} exited while waiting for ${what}${last}; end of ${ctx.procs.logFile(proc)}:\n${tailOf(ctx, proc, 15)}`);
    }
    if (Date.now() > deadline) throw new Error(`node: timed out waiting for ${what}${last}${proc ? `; see ${ctx.procs.logFile(proc)}` : ''}`);
    await sleep(200);
  }
}

const kubeletHealth = `http://${nodeNetwork.nodeIp}:10248/healthz`;
const kubeProxyHealth = `http://${nodeNetwork.nodeIp}:10256/healthz`;

async function bringUp(ctx: StackContext): Promise<void> {
  const t0 = Date.now();
  const deadline = t0 + START_DEADLINE_MS;
  const p = paths(ctx);
  const bin = kubeBinDir(ctx);
  const step = (m: string) => ctx.log.info(`node: ${m} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);

  const { madeAt } = await ensureNamespaces(ctx.stateDir);
  step(`namespace ${nodeNetwork.netns}, veth ${nodeNetwork.hostVeth} ${nodeNetwork.hostIp} <-> ${nodeNetwork.nodeIp}`);

  for (const [what, port] of Object.entries(forwardedPorts(ctx))) {
    if (ctx.procs.isRunning(fwdName(what))) continue;
    await ctx.procs.spawn(fwdName(what), SYSTEM.socat, [`TCP-LISTEN:${port},bind=${nodeNetwork.hostIp},fork,reuseaddr,backlog=256`, `TCP:127.0.0.1:${port}`]);
  }

  for (const [what, port] of Object.entries(forwardedPorts(ctx))) {
    await until(ctx, `the ${what} forwarder on ${nodeNetwork.hostIp}:${port}`, () => listening(nodeNetwork.hostIp, port), Date.now() + 5000, fwdName(what))
      .catch((err: Error) => {
        throw new Error(`node: port ${port} on ${nodeNetwork.hostIp} cannot be used for the ${what} forwarder (is another process listening on it, or on 0.0.0.0:${port}?): ${err.message.split('\n')[0]}; end of ${ctx.procs.logFile(fwdName(what))}:\n${tailOf(ctx, fwdName(what), 5)}`);
      });
  }

  for (const name of RETIRED_FORWARDERS) await ctx.procs.stop(name, 5_000);
  await listenOnNodeNetwork(ctx);

  if (!ctx.procs.isRunning('node-egress')) {
    // In the node's network namespace only (the socket is a file on the host).
    await ctx.procs.spawn('node-egress', SYSTEM.nsenter, inNode([nodeTool(ctx, 'connect-proxy'), '-unix', EGRESS_SOCKET], false));
  }
  await until(ctx, `the API server's egress proxy (${EGRESS_SOCKET})`, async () => existsSync(EGRESS_SOCKET), Date.now() + 5000, 'node-egress');

  const images = await pushImages(ctx);
  step('images in the registry');
  await writeConfigs(ctx, p, images);

  if (!ctx.procs.isRunning('containerd')) {
    mkdirSync(p.containerdRoot, { recursive: true });
    await ctx.procs.spawn('containerd', SYSTEM.nsenter, inNode([SYSTEM.containerd, '--config', p.containerdConfig]));
  }
  await until(ctx, 'containerd', async () => (await run(SYSTEM.ctr, ['--address', p.socket, 'version'], { allowFail: true })).code === 0, deadline, 'containerd');
  step('containerd ready');

  let kubeletStarted: number | undefined;
  if (!ctx.procs.isRunning('kubelet')) {
    kubeletStarted = Date.now();
    await ctx.procs.spawn('kubelet', SYSTEM.nsenter, inNode([
      join(bin, 'kubelet'), `--config=${p.kubeletConfig}`, `--kubeconfig=${p.kubeletKubeconfig}`,
      `--hostname-override=${nodeNetwork.nodeName}`, `--node-ip=${nodeNetwork.nodeIp}`,
      '--root-dir=/var/lib/kubelet', '--cert-dir=/var/lib/kubelet/pki',
      '--node-labels=node.kubernetes.io/instance-type=oke-stack',
    ]));
  }
  const kube = kubeLayout(ctx);
  const api = new KubeApi(kube.server, kube.adminTls);
  await until(ctx, `node ${nodeNetwork.nodeName} Ready`, async () => {
    const node = await api.get<NodeObject>(`/api/v1/nodes/${nodeNetwork.nodeName}`);
    return node !== undefined && isNodeReady(node, kubeletStarted) && (await probe(kubeletHealth));
  }, deadline, 'kubelet');
  step('kubelet registered the node, Ready');

  if (!ctx.procs.isRunning('kube-proxy')) {
    await ctx.procs.spawn('kube-proxy', SYSTEM.nsenter, inNode([join(bin, 'kube-proxy'), `--config=${p.kubeProxyConfig}`]));
  }
  await until(ctx, 'kube-proxy healthz', () => probe(kubeProxyHealth), deadline, 'kube-proxy');
  step('kube-proxy ready');

  for (const obj of [...apiServerEndpoints(ctx.ports.kubeApiserver), ...corednsManifests(images.coredns ?? '')]) {
    await api.apply(objectPath(obj), obj);
  }
  // The API may still show the pod Ready from before a `down`: only a container started by this node counts
  // (after a repair, one that kept running since the node was made).
  const since = madeAt - 2000;
  await until(ctx, 'CoreDNS Ready', async () => (await corednsReadySince(api)) >= since, deadline);
  step('CoreDNS Ready');
}


/** When the newest Ready CoreDNS container started (ms since the epoch), 0 when none is Ready. */
async function corednsReadySince(api: KubeApi): Promise<number> {
  type Pod = { status?: { conditions?: Array<{ type: string; status: string }>; containerStatuses?: Array<{ ready?: boolean; state?: { running?: { startedAt?: string } } }> } };
  const pods = (await api.get<{ items: Pod[] }>('/api/v1/namespaces/kube-system/pods?labelSelector=k8s-app%3Dkube-dns'))?.items ?? [];
  let newest = 0;
  for (const p of pods) {
    const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    const started = Date.parse(p.status?.containerStatuses?.[0]?.state?.running?.startedAt ?? '');
    if (ready && p.status?.containerStatuses?.[0]?.ready && Number.isFinite(started)) newest = Math.max(newest, started);
  }
  return newest;
}

/** The REST path of a namespaced or cluster-scoped object (for server-side apply). */
export function objectPath(obj: Record<string, unknown>): string {
  const apiVersion = String(obj.apiVersion);
  const kind = String(obj.kind);
  const meta = obj.metadata as { name: string; namespace?: string };
  const plural = { EndpointSlice: 'endpointslices', ServiceAccount: 'serviceaccounts', ClusterRole: 'clusterroles', ClusterRoleBinding: 'clusterrolebindings', ConfigMap: 'configmaps', Deployment: 'deployments', Service: 'services' }[kind];
  if (!plural) throw new Error(`node: no REST path known for kind ${kind}`);
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return `${base}${meta.namespace ? `/namespaces/${meta.namespace}` : ''}/${plural}/${meta.name}`;
}

async function start(ctx: StackContext): Promise<void> {
  if ((await status(ctx)).healthy) {
    // The node tools may have been rebuilt since (a new testapp): the registry gets the images they make now.
    await pushImages(ctx);
    ctx.log.info('node: already healthy; images up to date in the registry');
    return;
  }
  if (isStaleLeftover(ctx.stateDir)) {
    ctx.log.info(`node: removing the leftovers of a node whose stack is gone (namespace ${nodeNetwork.netns}, veth ${nodeNetwork.hostVeth}; no process uses them)`);
    await teardown(ctx.stateDir, (m) => ctx.log.info(m));
  }
  const problems = [...preflight({ ...SYSTEM, kubelet: join(kubeBinDir(ctx), 'kubelet'), 'kube-proxy': join(kubeBinDir(ctx), 'kube-proxy') }), ...(await checkFree(ctx.stateDir))];
  if (problems.length) throw new Error(`node: cannot start; nothing was changed:\n  - ${problems.join('\n  - ')}`);
  try {
    await bringUp(ctx);
  } catch (err) {
    ctx.log.warn(`node: start failed; removing what was started (${(err as Error).message.split('\n')[0]})`);
    await stop(ctx).catch((e: Error) => ctx.log.warn(`node: teardown after the failure also failed: ${e.message}`));
    throw err;
  }
}

/** Stops the node and removes every trace of it (namespaces, veth, mounts, cgroups, containers). */
async function stop(ctx: StackContext): Promise<string[]> {
  const stopped: string[] = [];
  for (const name of ['kube-proxy', 'kubelet', 'containerd', 'node-egress', ...Object.keys(forwardedPorts(ctx)).map(fwdName), ...RETIRED_FORWARDERS]) {
    if (ctx.procs.isRunning(name)) stopped.push(name);
    await ctx.procs.stop(name, 5_000);
  }
  await teardown(ctx.stateDir, (m) => ctx.log.info(m));
  // Containers and snapshots of the stopped pods would only be garbage at the next start.
  rmSync(paths(ctx).containerdRoot, { recursive: true, force: true });
  return stopped;
}

async function status(ctx: StackContext): Promise<ComponentStatus> {
  const versions = kubeVersions(ctx);
  const endpoints: Record<string, string> = {
    kubelet: `https://${nodeNetwork.nodeIp}:10250`,
    containerd: `unix://${containerdSocket}`,
    dns: `${nodeNetwork.clusterDnsIp}:53`,
    apiserverFromPods: `https://${nodeNetwork.hostIp}:${ctx.ports.kubeApiserver}`,
  };
  const details: Record<string, unknown> = {
    nodeName: nodeNetwork.nodeName,
    netns: nodeNetwork.netns,
    hostVeth: `${nodeNetwork.hostVeth} ${nodeNetwork.hostIp}/${nodeNetwork.prefixLength}`,
    nodeIp: nodeNetwork.nodeIp,
    podCidr: nodeNetwork.podCidr,
    serviceCidr: nodeNetwork.serviceCidr,
    kubeletVersion: versions.kubernetes,
    kubeProxyVersion: versions.kubernetes,
    images: readImages(ctx),
  };
  const problems: string[] = [];
  for (const name of [...PROCESSES, ...Object.keys(forwardedPorts(ctx)).map(fwdName)]) {
    if (!ctx.procs.isRunning(name)) {
      const last = tailOf(ctx, name, 1);
      problems.push(`${name} is not running${last ? ` (last log line: ${last.slice(0, 300)})` : ''}`);
    }
  }
  if (problems.length === PROCESSES.length + Object.keys(forwardedPorts(ctx)).length) {
    return { healthy: false, endpoints, details, problem: 'not started' };
  }
  const ctrVersion = await run(SYSTEM.ctr, ['--address', containerdSocket, 'version'], { allowFail: true });
  const runtime = /Server:\s*\n\s*Version:\s*(\S+)/.exec(ctrVersion.out)?.[1];
  if (ctrVersion.code !== 0) problems.push('containerd does not answer on its socket');
  else details.runtimeVersion = `containerd://${runtime ?? 'unknown'}`;
  if (ctx.procs.isRunning('kubelet') && !(await probe(kubeletHealth))) problems.push(`kubelet healthz (${kubeletHealth}) does not answer 200`);
  if (ctx.procs.isRunning('kube-proxy') && !(await probe(kubeProxyHealth))) problems.push(`kube-proxy healthz (${kubeProxyHealth}) does not answer 200`);
  try {
    const kube = kubeLayout(ctx);
    const api = new KubeApi(kube.server, kube.adminTls);
    const node = await api.get<NodeObject>(`/api/v1/nodes/${nodeNetwork.nodeName}`);
    if (!node) problems.push(`node ${nodeNetwork.nodeName} is not registered`);
    else {
      details.kubeletVersion = node.status?.nodeInfo?.kubeletVersion ?? versions.kubernetes;
      details.runtimeVersion = node.status?.nodeInfo?.containerRuntimeVersion ?? details.runtimeVersion;
      details.kernelVersion = node.status?.nodeInfo?.kernelVersion;
      if (!isNodeReady(node)) {
        const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
        problems.push(`node ${nodeNetwork.nodeName} is not Ready (${ready?.reason ?? 'no Ready condition'}${ready?.message ? `: ${ready.message}` : ''})`);
      }
    }
    // crane's registry keeps manifests in memory: after it restarts, the node's images must be pushed again.
    for (const [key, ref] of Object.entries(details.images as Record<string, string>)) {
      const [name = '', digest = ''] = ref.split('@');
      const repo = name.slice(name.indexOf('/') + 1).replace(/:[^:/]+$/, '');
      if (!(await hasManifest(ctx, repo, digest))) problems.push(`image ${key} (${ref}) is missing from the registry (restarted?)`);
    }
    const dns = await api.get<{ status?: { readyReplicas?: number } }>('/apis/apps/v1/namespaces/kube-system/deployments/coredns');
    if ((dns?.status?.readyReplicas ?? 0) < 1) problems.push('CoreDNS (kube-system/coredns) has no Ready pod');
  } catch (err) {
    problems.push(`API server: ${(err as Error).message}`);
  }
  return problems.length === 0 ? { healthy: true, endpoints, details } : { healthy: false, endpoints, details, problem: problems.join('; ') };
}

async function install(ctx: StackContext): Promise<void> {
  await installNodeTools(ctx);
}

export const node: Component = {
  name: 'node',
  dependsOn: ['kube', 'registry'],
  install,
  start,
  stop,
  status,
  processes: (ctx) => [...Object.keys(forwardedPorts(ctx)).map(fwdName), ...PROCESSES],
};
