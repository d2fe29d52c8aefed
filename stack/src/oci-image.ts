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

export interface ImageSpec {
  /** Files of the single layer; parent directories are added (0755). */
  files: Array<{ path: string; data: Buffer; mode?: number }>;
  /** Directories with a mode of their own (e.g. tmp, 01777). */
  dirs?: Array<{ path: string; mode: number }>;
  entrypoint: string[];
  cmd?: string[];
  env?: string[];
  /** "uid:gid"; default 65532:65532 (non-root, as distroless images). */
  user?: string;
  workingDir?: string;
  exposedPorts?: number[];
  labels?: Record<string, string>;
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

/** Writes the OCI layout of `spec` into a new directory under `parent`; returns it and the manifest digest. */
export function buildImageLayout(spec: ImageSpec, parent: string, name?: string): BuiltImage {
  const layout = name ? join(parent, name) : mkdtempSync(join(parent, 'oci-'));
  rmSync(layout, { recursive: true, force: true });
  const blobs = join(layout, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (data: Buffer | string): { digest: string; size: number } => {
    const hex = sha256(data);
    writeFileSync(join(blobs, hex), data);
    return { digest: `sha256:${hex}`, size: Buffer.byteLength(data) };
  };
  const tar = writeTar(layerEntries(spec.files, spec.dirs));
  // mtime 0 and no file name in the gzip header: the compressed layer is as deterministic as the tar.
  const layer = put(gzipSync(tar, { level: 6 }));
  const config = put(JSON.stringify({
    architecture: spec.architecture ?? 'amd64',
    os: 'linux',
    created: '1970-01-01T00:00:00Z',
    config: {
      Entrypoint: spec.entrypoint,
      ...(spec.cmd ? { Cmd: spec.cmd } : {}),
      Env: spec.env ?? ['PATH=/usr/local/bin:/usr/bin:/bin'],
      User: spec.user ?? '65532:65532',
      ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
      ...(spec.exposedPorts ? { ExposedPorts: Object.fromEntries(spec.exposedPorts.map((p) => [`${p}/tcp`, {}])) } : {}),
      ...(spec.labels ? { Labels: spec.labels } : {}),
    },
    rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(tar)}`] },
    history: [{ created: '1970-01-01T00:00:00Z', created_by: 'oke-dapr-stack oci-image.ts' }],
  }));
  const manifest = put(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
  }));
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(layout, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, platform: { architecture: spec.architecture ?? 'amd64', os: 'linux' } }],
  }));
  return { digest: manifest.digest, layout };
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
