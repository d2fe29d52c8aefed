import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { readTarGz, writeTar } from '../../../stack/src/archive.js';
import { buildImageLayout, layerEntries } from '../../../stack/src/oci-image.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oci-image-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('writeTar', () => {
  it('writes a ustar archive that a tar reader reads back, long names included', () => {
    const long = `${'d'.repeat(90)}/${'f'.repeat(60)}`;
    const tar = writeTar([{ path: 'bin', mode: 0o755 }, { path: 'bin/app', mode: 0o755, data: Buffer.from('#!/bin/true\n') }, { path: long, mode: 0o644, data: Buffer.alloc(1000, 7) }]);
    expect(tar.length % 512).toBe(0);
    const read = readTarGz(gzipSync(tar), ['bin/app', long]);
    expect(read.get('bin/app')?.toString()).toBe('#!/bin/true\n');
    expect(read.get(long)).toEqual(Buffer.alloc(1000, 7));
    // Owner 0:0, mtime 0, the mode as given.
    expect(tar.subarray(100, 108).toString('latin1')).toBe('0000755\0');
    expect(tar.subarray(136, 148).toString('latin1')).toBe('00000000000\0');
  });

  it('refuses a path no ustar header can hold', () => {
    expect(() => writeTar([{ path: 'x'.repeat(300), mode: 0o644, data: Buffer.from('') }])).toThrow('tar: path too long');
  });
});

describe('buildImageLayout', () => {
  const spec = { files: [{ path: 'usr/bin/app', data: Buffer.from('binary') }], entrypoint: ['/usr/bin/app'], exposedPorts: [8080] };

  it('adds every parent directory once, before the files, sorted', () => {
    expect(layerEntries(spec.files).map((e) => e.path)).toEqual(['usr', 'usr/bin', 'usr/bin/app']);
  });

  it('makes a valid OCI layout whose digests match their blobs, the same for the same inputs', () => {
    const a = buildImageLayout(spec, dir);
    const b = buildImageLayout(spec, dir);
    expect(a.digest).toBe(b.digest);
    expect(a.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const blob = (d: string) => readFileSync(join(a.layout, 'blobs', 'sha256', d.slice(7)));
    const index = JSON.parse(readFileSync(join(a.layout, 'index.json'), 'utf8'));
    expect(index.manifests).toEqual([expect.objectContaining({ digest: a.digest, platform: { architecture: 'amd64', os: 'linux' } })]);
    expect(JSON.parse(readFileSync(join(a.layout, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    const manifestBytes = blob(a.digest);
    expect(`sha256:${sha(manifestBytes)}`).toBe(a.digest);
    const manifest = JSON.parse(manifestBytes.toString());
    const config = JSON.parse(blob(manifest.config.digest).toString());
    expect(config).toMatchObject({ architecture: 'amd64', os: 'linux', config: { Entrypoint: ['/usr/bin/app'], User: '65532:65532', ExposedPorts: { '8080/tcp': {} } } });
    const layer = blob(manifest.layers[0].digest);
    expect(manifest.layers[0].size).toBe(layer.length);
    // The config names the uncompressed layer (diff id); the manifest the compressed one.
    expect(config.rootfs.diff_ids).toEqual([`sha256:${sha(gunzipSync(layer))}`]);
  });

  it('changes the digest when a file changes', () => {
    const a = buildImageLayout(spec, dir);
    const b = buildImageLayout({ ...spec, files: [{ path: 'usr/bin/app', data: Buffer.from('other') }] }, dir);
    expect(a.digest).not.toBe(b.digest);
  });
});
