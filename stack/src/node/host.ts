/**
 * The real node's footprint on the host, and how it is made and undone.
 *
 * The node is confined like a container of its own:
 * - network: the namespace `nodeNetwork.netns`, joined to the root namespace by one veth (`hostVeth`,
 *   hostIp/30 on the root side, `eth0` nodeIp/30 inside). Nothing else of the root namespace's network is
 *   touched: no sysctl, route or firewall rule. The node's namespace has no default route.
 * - mounts: a private mount namespace kept alive by a bind mount of its nsfs file (`mountNsFile`). Inside
 *   it, tmpfs covers the paths where containerd, CNI and kubelet insist on writing (/run/netns,
 *   /run/containerd, /var/lib/kubelet, /var/lib/cni, /var/log/pods, /var/log/containers), so overlay
 *   rootfs, shm, pod netns and volume mounts never appear in the host's mount table and vanish with the
 *   namespace.
 * - cgroups: kubelet's cgroupRoot `/oke-stack` in each hierarchy under /sys/fs/cgroup.
 *
 * `teardown` undoes all of it, and `footprint` counts what a test compares before `up` and after `down`.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { nodeNetwork } from '../config.js';

const execFileP = promisify(execFile);

/** Directory the stack owns under /run: sockets (short paths) and the mount namespace's file. */
export const RUN_DIR = '/run/oke-stack';
export const mountNsFile = join(RUN_DIR, 'mnt');
export const containerdSocket = join(RUN_DIR, 'containerd.sock');
/** The API server's way into the node's network (its egress selector's "cluster"): a CONNECT proxy's socket. */
export const EGRESS_SOCKET = join(RUN_DIR, 'egress.sock');
export const netnsPath = `/run/netns/${nodeNetwork.netns}`;
export const CGROUP_ROOT = 'oke-stack';
const CGROUP_FS = '/sys/fs/cgroup';

/** Paths covered by a tmpfs inside the node's mount namespace (created on the host only when missing). */
export const PRIVATE_DIRS = ['/run/netns', '/run/containerd', '/var/lib/kubelet', '/var/lib/cni', '/var/log/pods', '/var/log/containers'];
/** Host paths the node may create: removed by teardown when they did not exist before (util-linux's /run/mount). */
const HOST_PATHS = [RUN_DIR, ...PRIVATE_DIRS, '/run/mount'];

export async function run(cmd: string, args: string[], opts: { allowFail?: boolean } = {}): Promise<{ code: number; out: string }> {
  try {
    const r = await execFileP(cmd, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, out: `${r.stdout}${r.stderr}` };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
    const out = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim() || e.message;
    if (opts.allowFail) return { code: typeof e.code === 'number' ? e.code : 1, out };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${out}`, { cause: err });
  }
}

/** `nsenter` into the node's network (and, once made, mount) namespace. */
export function inNode(args: string[], withMounts = true): string[] {
  return [`--net=${netnsPath}`, ...(withMounts ? [`--mount=${mountNsFile}`] : []), '--', ...args];
}

interface MountEntry {
  mountPoint: string;
  fsType: string;
  root: string;
}

export function mounts(pid: number | 'self' = 'self'): MountEntry[] {
  return readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').filter(Boolean).map((line) => {
    const [left = '', right = ''] = line.split(' - ');
    const f = left.split(' ');
    return { root: unescapeMount(f[3] ?? ''), mountPoint: unescapeMount(f[4] ?? ''), fsType: right.split(' ')[0] ?? '' };
  });
}

const unescapeMount = (s: string): string => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
const isMountPoint = (path: string): boolean => mounts().some((m) => m.mountPoint === path);

/** Cgroup hierarchies mounted under /sys/fs/cgroup (v1 controllers, the named systemd one, unified). */
export function cgroupHierarchies(): string[] {
  if (!existsSync(CGROUP_FS)) return [];
  return mounts().filter((m) => (m.fsType === 'cgroup' || m.fsType === 'cgroup2') && m.mountPoint.startsWith(`${CGROUP_FS}`)).map((m) => m.mountPoint);
}

/** What the node would need from the kernel and the system: problems as sentences, [] when all is there. */
export function preflight(binaries: Record<string, string>): string[] {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('the node needs root (network and mount namespaces, cgroups): run the stack as root');
  for (const [what, path] of Object.entries(binaries)) {
    if (!existsSync(path)) problems.push(`${what} is missing (${path}): run bash stack/install-system.sh`);
  }
  const fs = existsSync('/proc/filesystems') ? readFileSync('/proc/filesystems', 'utf8') : '';
  if (!/\boverlay\b/.test(fs)) problems.push('the kernel has no overlay file system (containerd\'s overlayfs snapshotter needs it): load the overlay module');
  if (!existsSync('/proc/self/ns/net') || !existsSync('/proc/self/ns/mnt')) problems.push('the kernel has no network or mount namespaces');
  const hierarchies = cgroupHierarchies();
  const v1 = ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids'].filter((c) => !hierarchies.some((h) => h.endsWith(`/${c}`) || h.split(',').includes(c)));
  const v2 = hierarchies.some((h) => h === CGROUP_FS) && readFileSync(join(CGROUP_FS, 'cgroup.controllers'), 'utf8').includes('memory');
  if (v1.length && !v2) problems.push(`cgroup controllers not mounted under ${CGROUP_FS}: ${v1.join(', ')} (kubelet needs cpu, cpuacct, cpuset, memory and pids)`);
  return problems;
}

/** What the stack found before it first made anything, so teardown removes only what it made. */
interface Baseline {
  runNetnsWasMount: boolean;
  createdDirs: string[];
  /** When this node was made (ms since the epoch): containers started before it belong to an older node. */
  madeAt: number;
}

function baselineFile(stateDir: string): string {
  return join(stateDir, 'node', 'baseline.json');
}

function readBaseline(stateDir: string): Baseline | undefined {
  try {
    return JSON.parse(readFileSync(baselineFile(stateDir), 'utf8')) as Baseline;
  } catch {
    return undefined;
  }
}

export function netnsExists(): boolean {
  return existsSync(netnsPath) && isMountPoint(netnsPath);
}

export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

/**
 * A node left by a stack that is gone (its processes were killed, its state directory deleted or another
 * clone's): the namespace or veth exists, this state directory did not make it, and no process uses it.
 */
export function isStaleLeftover(stateDir: string): boolean {
  if (readBaseline(stateDir) !== undefined) return false;
  if (!existsSync(netnsPath) && !linkExists(nodeNetwork.hostVeth) && !existsSync(mountNsFile)) return false;
  return namespacePids().length === 0 && cgroupPids().length === 0;
}

/**
 * Fails, before anything is made, when a name or address the node needs is taken by something that is
 * not the stack's: the namespace, the veth, or the /30 routed elsewhere.
 */
export async function checkFree(stateDir: string): Promise<string[]> {
  const ours = readBaseline(stateDir) !== undefined;
  const problems: string[] = [];
  if (!ours && existsSync(netnsPath)) problems.push(`network namespace ${nodeNetwork.netns} already exists and was not made by this stack (state ${stateDir}): remove it with \`ip netns del ${nodeNetwork.netns}\` or stop the other stack with \`npm run stack -- down\``);
  if (!ours && linkExists(nodeNetwork.hostVeth)) problems.push(`network interface ${nodeNetwork.hostVeth} already exists and was not made by this stack: remove it with \`ip link del ${nodeNetwork.hostVeth}\``);
  const route = await run('ip', ['-o', 'route', 'get', nodeNetwork.nodeIp], { allowFail: true });
  // A route without a gateway is a network this machine is on: the node's range would shadow part of it.
  if (route.code === 0 && !linkExists(nodeNetwork.hostVeth) && !/ via /.test(route.out) && !/ dev lo\b/.test(route.out)) {
    problems.push(`${nodeNetwork.nodeIp}/${nodeNetwork.prefixLength} is already on this machine's network (${route.out.trim()}); the node needs that range for its veth`);
  }
  return problems;
}

/**
 * Makes (or completes) the node's namespaces: idempotent, so `up` after a crash repairs what is missing.
 * Records the baseline first, so a failure half-way still lets teardown undo exactly what was made.
 */
export async function ensureNamespaces(stateDir: string): Promise<{ madeAt: number }> {
  mkdirSync(join(stateDir, 'node'), { recursive: true });
  let baseline = readBaseline(stateDir);
  if (!baseline) {
    const createdDirs = HOST_PATHS.filter((d) => !existsSync(d));
    baseline = { runNetnsWasMount: isMountPoint('/run/netns'), createdDirs, madeAt: Date.now() };
    writeFileSync(baselineFile(stateDir), `${JSON.stringify(baseline, null, 2)}\n`);
  }
  for (const d of [RUN_DIR, ...PRIVATE_DIRS]) mkdirSync(d, { recursive: true });

  const { netns, hostVeth, hostIp, nodeIp, prefixLength } = nodeNetwork;
  if (!netnsExists()) {
    if (existsSync(netnsPath)) rmSync(netnsPath, { force: true });
    await run('ip', ['netns', 'add', netns]);
  }
  if (!linkExists(hostVeth)) {
    await run('ip', ['link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
  }
  const hostAddr = await run('ip', ['-o', '-4', 'addr', 'show', 'dev', hostVeth]);
  if (!hostAddr.out.includes(`${hostIp}/${prefixLength}`)) await run('ip', ['addr', 'add', `${hostIp}/${prefixLength}`, 'dev', hostVeth]);
  await run('ip', ['link', 'set', hostVeth, 'up']);
  const nsenter = (args: string[]) => run('nsenter', [`--net=${netnsPath}`, '--', ...args]);
  const nodeAddr = await nsenter(['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0']);
  if (!nodeAddr.out.includes(`${nodeIp}/${prefixLength}`)) await nsenter(['ip', 'addr', 'add', `${nodeIp}/${prefixLength}`, 'dev', 'eth0']);
  await nsenter(['ip', 'link', 'set', 'eth0', 'up']);
  await nsenter(['ip', 'link', 'set', 'lo', 'up']);
  // Service addresses must route for the node's own processes (the API server's egress proxy dials
  // ClusterIPs): a locally made packet is routed before kube-proxy's OUTPUT rules rewrite it. Inside the
  // node's namespace only; kube-proxy rejects addresses without endpoints.
  await nsenter(['ip', 'route', 'replace', nodeNetwork.serviceCidr, 'dev', 'eth0']);
  // Inside the node's namespace only (these sysctls are per network namespace): bridged pod traffic
  // passes iptables (Service DNAT between pods on the bridge), and the node routes between its pods.
  await nsenter(['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
  if (existsSync('/proc/sys/net/bridge')) {
    await nsenter(['sysctl', '-q', '-w', 'net.bridge.bridge-nf-call-iptables=1']).catch(() => undefined);
  }

  if (!isMountPoint(mountNsFile)) {
    // The file that keeps the mount namespace must sit on a private mount (a shared one would loop).
    if (!isMountPoint(RUN_DIR)) {
      await run('mount', ['--bind', RUN_DIR, RUN_DIR]);
      await run('mount', ['--make-private', RUN_DIR]);
    }
    writeFileSync(mountNsFile, '');
    await run('unshare', [`--mount=${mountNsFile}`, '--propagation', 'private', 'true']);
    const inMnt = (args: string[]) => run('nsenter', [`--mount=${mountNsFile}`, '--', ...args]);
    // Shared inside the namespace (kubelet's mount propagation), private towards the host.
    await inMnt(['mount', '--make-rshared', '/']);
    for (const d of PRIVATE_DIRS) await inMnt(['mount', '-t', 'tmpfs', '-o', 'mode=0755', 'tmpfs', d]);
  }

  for (const h of cgroupHierarchies()) {
    const dir = join(h, CGROUP_ROOT);
    if (existsSync(dir)) continue;
    mkdirSync(dir);
    if (h.endsWith('/cpuset')) {
      for (const f of ['cpuset.cpus', 'cpuset.mems']) writeFileSync(join(dir, f), readFileSync(join(h, f), 'utf8').trim() || '0');
    }
  }
  return { madeAt: baseline.madeAt ?? 0 };
}

/** Every pid in the node's cgroups (containers, pause processes). */
export function cgroupPids(): number[] {
  const pids = new Set<number>();
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    try {
      for (const l of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (l) pids.add(Number(l));
    } catch {
      // gone meanwhile
    }
    for (const n of names) {
      const p = join(dir, n);
      try {
        if (statSync(p).isDirectory()) walk(p);
      } catch {
        // gone meanwhile
      }
    }
  };
  for (const h of cgroupHierarchies()) walk(join(h, CGROUP_ROOT));
  return [...pids];
}

function nsInode(pid: number | 'self', ns: 'net' | 'mnt'): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/${ns}`);
  } catch {
    return undefined;
  }
}

function fileInode(path: string): string | undefined {
  try {
    return `[${statSync(path).ino}]`;
  } catch {
    return undefined;
  }
}

/** Pids whose network namespace is the node's, or whose mount namespace is the node's. */
export function namespacePids(): number[] {
  const net = fileInode(netnsPath);
  const mnt = fileInode(mountNsFile);
  const self = process.pid;
  const found: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const pid = Number(d);
    if (pid === self) continue;
    const n = nsInode(pid, 'net');
    const m = nsInode(pid, 'mnt');
    if ((net && n?.endsWith(net)) || (mnt && m?.endsWith(mnt))) found.push(pid);
  }
  return found;
}

async function killAll(list: () => number[], what: string, log: (m: string) => void): Promise<void> {
  for (let round = 0; round < 50; round++) {
    const pids = list();
    if (pids.length === 0) return;
    if (round === 0) log(`node: stopping ${pids.length} ${what}`);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await sleep(100);
  }
  throw new Error(`node: ${what} still running after SIGKILL: ${list().join(', ')}`);
}

/**
 * Undoes everything ensureNamespaces and the node's processes made. The caller has already stopped the
 * node's own processes (by pid); what is left are containers, shims and anything else inside the node's
 * namespaces. Idempotent: a second call finds nothing to do.
 */
export async function teardown(stateDir: string, log: (m: string) => void): Promise<void> {
  await killAll(cgroupPids, 'container process(es)', log);
  await killAll(namespacePids, 'process(es) left in the node\'s namespaces (containerd shims)', log);

  // The private mount namespace dies with its last process and its last reference: the bind-mounted file.
  if (isMountPoint(mountNsFile)) await run('umount', [mountNsFile]);
  if (isMountPoint(RUN_DIR)) await run('umount', [RUN_DIR]);

  if (linkExists(nodeNetwork.hostVeth)) await run('ip', ['link', 'del', nodeNetwork.hostVeth]);
  if (existsSync(netnsPath)) await run('ip', ['netns', 'del', nodeNetwork.netns], { allowFail: true });

  for (const h of cgroupHierarchies()) removeCgroupTree(join(h, CGROUP_ROOT));

  const baseline = readBaseline(stateDir);
  if (baseline) {
    // `ip netns add` made /run/netns a mount point; undo that only when no other namespace lives there.
    if (!baseline.runNetnsWasMount && isMountPoint('/run/netns') && readdirSync('/run/netns').length === 0) {
      await run('umount', ['/run/netns'], { allowFail: true });
    }
    for (const d of [...baseline.createdDirs].reverse()) {
      try {
        // Our own directory goes whole; the others only when empty (something else may use them by now).
        if (d === RUN_DIR || d === '/run/mount') rmSync(d, { recursive: true, force: true });
        else if (existsSync(d)) rmdirSync(d);
      } catch {
        // not empty: something else uses it now; leave it
      }
    }
    rmSync(baselineFile(stateDir), { force: true });
  }
  // The stack's own run directory goes whatever the baseline says: a node torn down by an older checkout, or
  // interrupted before it wrote its baseline, may have left it, and then no later baseline counts it as created.
  if (!isMountPoint(RUN_DIR)) rmSync(RUN_DIR, { recursive: true, force: true });
}

function removeCgroupTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    try {
      if (statSync(p).isDirectory()) removeCgroupTree(p);
    } catch {
      // gone meanwhile
    }
  }
  for (let i = 0; i < 20; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      // EBUSY while the kernel finishes reaping the last task
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }
  rmdirSync(dir);
}

/**
 * What the node leaves on the host, counted the way the leak test compares them: network namespaces
 * (named and in use), mounts, the node's cgroups, the stack's veth and processes of the node's binaries.
 */
export interface Footprint {
  netns: number;
  mounts: number;
  cgroups: number;
  veths: number;
  nodeProcesses: number;
  /** Paths the node creates on the host (its run directory, the paths it covers with tmpfs) that exist. */
  hostPaths: string[];
}

const NODE_BINARIES = /^(containerd|containerd-shim|containerd-shim-runc-v2|runc|kubelet|kube-proxy|coredns|pause|stack-testapp|socat|connect-proxy)$/;

export function footprint(): Footprint {
  const netnsIds = new Set<string>();
  let nodeProcesses = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const n = nsInode(Number(d), 'net');
    if (n) netnsIds.add(n);
    try {
      // A zombie is already dead (it only waits for pid 1 to reap it, which this VM's init does lazily).
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (NODE_BINARIES.test(comm) && stat[stat.lastIndexOf(')') + 2] !== 'Z') nodeProcesses++;
    } catch {
      // gone
    }
  }
  const named = existsSync('/run/netns') ? readdirSync('/run/netns').length : 0;
  let cgroups = 0;
  for (const h of cgroupHierarchies()) if (existsSync(join(h, CGROUP_ROOT))) cgroups++;
  return {
    netns: netnsIds.size + named,
    mounts: mounts().length,
    cgroups,
    veths: linkExists(nodeNetwork.hostVeth) ? 1 : 0,
    nodeProcesses,
    hostPaths: HOST_PATHS.filter((p) => existsSync(p)),
  };
}
