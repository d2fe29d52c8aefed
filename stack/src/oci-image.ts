/**
 * Container images the stack builds itself, from binaries it compiled: no base image, nothing pulled from
 * the internet. An image here is one or more layers of files (a deterministic tar, gzipped) plus an OCI
 * config, written as an OCI image layout directory (oci-layout, index.json, blobs/sha256/*) and pushed to
 * the stack's registry by crane, a standard registry client. The same inputs give the same digest, so a
 * push of an unchanged image is a no-op and the digest can name the image in manifests.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeTar, type TarEntry } from './archive.js';

/** The config part of an image (what `docker inspect` shows under Config). */
export interface ImageConfig {
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  /** "uid:gid"; default 65532:65532 (non-root, as distroless images). */
  user?: string;
  workingDir?: string;
  exposedPorts?: number[];
  labels?: Record<string, string>;
}

/** One layer of files on no base, plus its config. The entrypoint is required: there is no base to give one. */
export interface ImageSpec extends ImageConfig {
  /** Files of the single layer; parent directories are added (0755). */
  files: Array<{ path: string; data: Buffer; mode?: number }>;
  /** Directories with a mode of their own (e.g. tmp, 01777). */
  dirs?: Array<{ path: string; mode: number }>;
  entrypoint: string[];
  architecture?: 'amd64' | 'arm64';
}

export interface BuiltImage {
  /** sha256:<hex> of the manifest: what a reference @digest names. */
  digest: string;
  layout: string;
}

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** The layer's entries: every parent directory once (0755 unless given), then the files, sorted by path. */
export function layerEntries(files: ImageSpec['files'], extraDirs: ImageSpec['dirs'] = []): TarEntry[] {
  const dirs = new Map<string, number>();
  for (const f of files) {
    const parts = f.path.replace(/^\/+/, '').split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) dirs.set(parts.slice(0, i).join('/'), 0o755);
  }
  for (const d of extraDirs) dirs.set(d.path.replace(/^\/+/, ''), d.mode);
  const entries: TarEntry[] = [...dirs].map(([d, mode]) => ({ path: d, mode }));
  for (const f of files) entries.push({ path: f.path.replace(/^\/+/, ''), mode: f.mode ?? 0o755, data: f.data });
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** One platform's image: its layers (uncompressed tars, bottom first) and config. */
export interface PlatformImage {
  architecture: 'amd64' | 'arm64';
  layers: Buffer[];
  config: ImageConfig;
}

/**
 * Writes an OCI layout holding `images` (one manifest per platform, all listed in index.json) into
 * `parent/name` (or a new temporary directory). Returns it and the manifest digest of the first image.
 * Deterministic: the same layers and config give the same digests.
 */
export function writeImageLayout(images: PlatformImage[], parent: string, name?: string): BuiltImage & { digests: string[] } {
  const layout = name ? join(parent, name) : mkdtempSync(join(parent, 'oci-'));
  rmSync(layout, { recursive: true, force: true });
  const blobs = join(layout, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (data: Buffer | string): { digest: string; size: number } => {
    const hex = sha256(data);
    writeFileSync(join(blobs, hex), data);
    return { digest: `sha256:${hex}`, size: Buffer.byteLength(data) };
  };
  const manifests = images.map((img) => {
    // mtime 0 and no file name in the gzip header: the compressed layer is as deterministic as the tar.
    const layers = img.layers.map((tar) => put(gzipSync(tar, { level: 6 })));
    const c = img.config;
    const config = put(JSON.stringify({
      architecture: img.architecture,
      os: 'linux',
      created: '1970-01-01T00:00:00Z',
      config: {
        ...(c.entrypoint ? { Entrypoint: c.entrypoint } : {}),
        ...(c.cmd ? { Cmd: c.cmd } : {}),
        Env: c.env ?? ['PATH=/usr/local/bin:/usr/bin:/bin'],
        User: c.user ?? '65532:65532',
        ...(c.workingDir ? { WorkingDir: c.workingDir } : {}),
        ...(c.exposedPorts ? { ExposedPorts: Object.fromEntries(c.exposedPorts.map((p) => [`${p}/tcp`, {}])) } : {}),
        ...(c.labels ? { Labels: c.labels } : {}),
      },
      rootfs: { type: 'layers', diff_ids: img.layers.map((tar) => `sha256:${sha256(tar)}`) },
      history: img.layers.map(() => ({ created: '1970-01-01T00:00:00Z', created_by: 'oke-dapr-stack oci-image.ts' })),
    }));
    const manifest = put(JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...l })),
    }));
    return { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, platform: { architecture: img.architecture, os: 'linux' } };
  });
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
  const digests = manifests.map((m) => m.digest);
  return { digest: digests[0] ?? '', digests, layout };
}

/** Writes the OCI layout of `spec` (one layer, one platform) into a new directory under `parent`. */
export function buildImageLayout(spec: ImageSpec, parent: string, name?: string): BuiltImage {
  const { files, dirs, architecture, ...config } = spec;
  const { digest, layout } = writeImageLayout([{ architecture: architecture ?? 'amd64', layers: [writeTar(layerEntries(files, dirs))], config }], parent, name);
  return { digest, layout };
}

export function removeLayout(image: BuiltImage): void {
  rmSync(image.layout, { recursive: true, force: true });
}

/** What a distroless "static:nonroot" base gives a static binary: users, groups, a writable /tmp. */
export const NONROOT_BASE: Pick<ImageSpec, 'files' | 'dirs'> = {
  files: [
    { path: 'etc/passwd', data: Buffer.from('root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n'), mode: 0o644 },
    { path: 'etc/group', data: Buffer.from('root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n'), mode: 0o644 },
  ],
  dirs: [{ path: 'tmp', mode: 0o1777 }],
};
