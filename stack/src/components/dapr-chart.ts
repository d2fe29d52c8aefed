/**
 * Dapr's own Helm chart and images for the stack's real node, at the version the stack builds (stack/dapr).
 *
 * - Chart: `charts/dapr` of the `github.com/dapr/dapr` module (subcharts and `crds/` included), made into the
 *   package Dapr publishes the way Dapr's release does it: every `'edge'` becomes the version as image tag and
 *   every `'0.0.0'` the version as chart version, then one .tgz, cached at
 *   <cacheDir>/dapr-chart-<version>/dapr-<version>.tgz. Nothing else of the chart is changed.
 * - Images: one per binary, named as the chart names them (`<global.registry>/<name>:<version>`): operator,
 *   sentry, injector, placement, scheduler from the module's commands and daprd (the stack's slim build, whose
 *   components cover the sample app's: Kafka pub/sub, PostgreSQL state and binding, Kubernetes and local
 *   secret stores), each on the files a distroless static:nonroot base gives, pushed to the stack's registry.
 *   So the chart deploys unchanged with only `global.registry=localhost:<registry port>`.
 * - Both for the pinned version (stack/dapr/go.mod) and the previous minor (go.prev.mod): the upgrade test and
 *   the bench install that one first, then upgrade with dapr-install. Status details name both.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { writeTar, type TarEntry } from '../archive.js';
import { buildImageLayout, NONROOT_BASE } from '../oci-image.js';
import type { Component, ComponentStatus, StackContext } from '../types.js';
import { buildDapr, CONTROL_PLANE, daprPaths, daprVersion, MODFILE, type DaprRelease } from './dapr.js';
import { forgetNodeImage } from './node.js';
import { nodeTool } from './node-tools.js';
import { registryAddress, registryName } from './registry.js';

const exec = promisify(execFile);
export const DAPR_IMAGES = [...CONTROL_PLANE, 'daprd'] as const;
const RELEASES: DaprRelease[] = ['current', 'previous'];

/** Where `go` keeps the module's files (read-only), which hold charts/dapr. */
async function moduleDir(ctx: StackContext, release: DaprRelease): Promise<string> {
  const v = daprVersion(ctx, release);
  const { stdout } = await exec('go', ['mod', 'download', `-modfile=${MODFILE[release]}`, '-json', `github.com/dapr/dapr@v${v}`], { cwd: join(ctx.root, 'stack', 'dapr'), maxBuffer: 8 * 1024 * 1024 });
  const dir = (JSON.parse(stdout) as { Dir?: string }).Dir;
  if (!dir || !existsSync(join(dir, 'charts', 'dapr', 'Chart.yaml'))) throw new Error(`dapr-chart: the module github.com/dapr/dapr@v${v} has no charts/dapr (go mod download said ${stdout.slice(0, 200)})`);
  return dir;
}

/** Dapr's release step for its chart: `'edge'` -> the version (image tags), `'0.0.0'` -> the version (chart versions). */
export function releaseChartFile(text: string, version: string): string {
  return text.replaceAll("'edge'", `'${version}'`).replaceAll("'0.0.0'", `'${version}'`);
}

/** The chart directory as a Helm package (.tgz whose entries sit under `dapr/`), deterministic. */
export function packageChart(chartDir: string, version: string): Buffer {
  const entries: TarEntry[] = [];
  const walk = (dir: string): void => {
    for (const n of readdirSync(dir).sort()) {
      const p = join(dir, n);
      const rel = `dapr/${relative(chartDir, p)}`;
      if (statSync(p).isDirectory()) {
        entries.push({ path: rel, mode: 0o755 });
        walk(p);
      } else if (!n.endsWith('.go')) {
        entries.push({ path: rel, mode: 0o644, data: Buffer.from(releaseChartFile(readFileSync(p, 'utf8'), version)) });
      }
    }
  };
  walk(chartDir);
  return gzipSync(writeTar(entries));
}

function chartPath(ctx: StackContext, release: DaprRelease): string {
  const v = daprVersion(ctx, release);
  return join(ctx.cacheDir, `dapr-chart-${v}`, `dapr-${v}.tgz`);
}

function imagesDir(ctx: StackContext, release: DaprRelease): string {
  return join(daprPaths(ctx, release).bin, '..', 'images');
}

async function installRelease(ctx: StackContext, release: DaprRelease): Promise<void> {
  const v = daprVersion(ctx, release);
  const tgz = chartPath(ctx, release);
  if (!existsSync(tgz)) {
    const dir = await moduleDir(ctx, release);
    mkdirSync(join(tgz, '..'), { recursive: true });
    writeFileSync(`${tgz}.tmp`, packageChart(join(dir, 'charts', 'dapr'), v));
    renameSync(`${tgz}.tmp`, tgz);
    ctx.log.info(`dapr-chart: packaged Dapr's chart ${v} from ${dir}/charts/dapr into ${tgz}`);
  }
  // Layouts are built once per build of the binaries (they live beside them) and pushed at every start.
  const paths = await buildDapr(ctx, release);
  const bins = { ...paths.controlPlane, daprd: paths.daprd };
  mkdirSync(imagesDir(ctx, release), { recursive: true });
  for (const name of DAPR_IMAGES) {
    if (existsSync(join(imagesDir(ctx, release), name, 'index.json'))) continue;
    buildImageLayout({
      files: [...NONROOT_BASE.files, { path: name, data: readFileSync(bins[name]), mode: 0o755 }],
      dirs: NONROOT_BASE.dirs,
      entrypoint: [`/${name}`],
      user: '65532:65532',
      labels: { 'org.opencontainers.image.version': v, 'org.opencontainers.image.source': 'github.com/dapr/dapr (built by the oke-dapr stack)' },
    }, imagesDir(ctx, release), name);
  }
}

async function install(ctx: StackContext): Promise<void> {
  for (const r of RELEASES) await installRelease(ctx, r);
}

function imageRef(ctx: StackContext, name: string, release: DaprRelease): string {
  return `${registryName(ctx)}/${name}:${daprVersion(ctx, release)}`;
}

/** The manifest digest an image layout holds. */
function layoutDigest(ctx: StackContext, name: string, release: DaprRelease): string {
  return (JSON.parse(readFileSync(join(imagesDir(ctx, release), name, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> }).manifests[0]?.digest ?? '';
}

async function registryDigest(ctx: StackContext, name: string, release: DaprRelease): Promise<string> {
  try {
    return (await exec(nodeTool(ctx, 'crane'), ['digest', `${registryAddress(ctx)}/${name}:${daprVersion(ctx, release)}`])).stdout.trim();
  } catch {
    return '';
  }
}

async function start(ctx: StackContext): Promise<void> {
  await install(ctx);
  await Promise.all(RELEASES.flatMap((r) => DAPR_IMAGES.map(async (name) => {
    const before = await registryDigest(ctx, name, r);
    if (before === layoutDigest(ctx, name, r)) return;
    await exec(nodeTool(ctx, 'crane'), ['push', join(imagesDir(ctx, r), name), `${registryAddress(ctx)}/${name}:${daprVersion(ctx, r)}`], { maxBuffer: 8 * 1024 * 1024 });
    ctx.log.info(`dapr-chart: pushed ${imageRef(ctx, name, r)}`);
    // The tag now names other content (a rebuild): the node must not keep starting the old one (the chart
    // pulls IfNotPresent).
    if (before) await forgetNodeImage(imageRef(ctx, name, r));
  })));
}

function releaseDetails(ctx: StackContext, r: DaprRelease): Record<string, unknown> {
  return { version: daprVersion(ctx, r), chart: chartPath(ctx, r), images: Object.fromEntries(DAPR_IMAGES.map((n) => [n, imageRef(ctx, n, r)])) };
}

async function status(ctx: StackContext): Promise<ComponentStatus> {
  const endpoints = { chart: chartPath(ctx, 'current'), previousChart: chartPath(ctx, 'previous'), registry: registryName(ctx) };
  const details: Record<string, unknown> = {
    ...releaseDetails(ctx, 'current'),
    helmValues: { 'global.registry': registryName(ctx), 'global.tag': daprVersion(ctx) },
    previous: releaseDetails(ctx, 'previous'),
  };
  const missing: string[] = [];
  for (const r of RELEASES) {
    if (!existsSync(chartPath(ctx, r))) return { healthy: false, endpoints, details, problem: `the chart of Dapr ${daprVersion(ctx, r)} is not packaged yet` };
    for (const name of DAPR_IMAGES) {
      if (!existsSync(join(imagesDir(ctx, r), name, 'index.json')) || (await registryDigest(ctx, name, r)) !== layoutDigest(ctx, name, r)) missing.push(imageRef(ctx, name, r));
    }
  }
  if (missing.length) return { healthy: false, endpoints, details, problem: `images not in the registry: ${missing.join(', ')}` };
  return { healthy: true, endpoints, details };
}

export const daprChart: Component = {
  name: 'dapr-chart',
  dependsOn: ['dapr', 'registry'],
  install,
  start,
  status,
  processes: () => [],
};
