/**
 * Minimal readers for the two archive formats the stack unpacks: the gzipped tarballs that
 * `npm pack` writes and the zip files inside some of them. Only what is needed to pull a few
 * named entries into memory; anything unusual (zip64, encryption, odd methods) fails loudly.
 */
import { gunzipSync, inflateRawSync } from 'node:zlib';

/** Every regular file of a .tgz with its mode, in archive order (pax `path` records honoured). */
export function tarGzFiles(tgz: Buffer): Array<{ path: string; mode: number; data: Buffer }> {
  const tar = gunzipSync(tgz);
  const files: Array<{ path: string; mode: number; data: Buffer }> = [];
  let offset = 0;
  let paxPath: string | undefined;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseOctal(header.subarray(124, 136));
    const mode = parseOctal(header.subarray(100, 108));
    const type = String.fromCharCode(header[156] ?? 0);
    const name = cString(header.subarray(0, 100));
    const prefix = header.subarray(257, 262).toString('latin1') === 'ustar' ? cString(header.subarray(345, 500)) : '';
    const body = tar.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1];
      continue;
    }
    const path = paxPath ?? (prefix ? `${prefix}/${name}` : name);
    paxPath = undefined;
    if (type === '0' || type === '\0') files.push({ path, mode, data: Buffer.from(body) });
  }
  return files;
}

/** Returns the contents of the entries of a .tgz whose paths are in `wanted` (path -> bytes). */
export function readTarGz(tgz: Buffer, wanted: string[]): Map<string, Buffer> {
  return new Map(tarGzFiles(tgz).filter((f) => wanted.includes(f.path)).map((f) => [f.path, f.data]));
}

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end === -1 ? bytes.length : end).toString('utf8');
}

function parseOctal(bytes: Buffer): number {
  if ((bytes[0] ?? 0) & 0x80) throw new Error('tar: base-256 sizes (entries over 8 GiB) are not supported');
  const text = cString(bytes).trim();
  return text ? Number.parseInt(text, 8) : 0;
}

/** Returns the contents of the zip entries whose names are in `wanted` (name -> bytes). */
export function readZip(zip: Buffer, wanted: string[]): Map<string, Buffer> {
  const eocd = findEndOfCentralDirectory(zip);
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  if (p === 0xffffffff || count === 0xffff) throw new Error('zip: zip64 archives are not supported');
  const found = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error(`zip: bad central directory entry at ${p}`);
    const flags = zip.readUInt16LE(p + 8);
    const method = zip.readUInt16LE(p + 10);
    const compressedSize = zip.readUInt32LE(p + 20);
    const size = zip.readUInt32LE(p + 24);
    const nameLength = zip.readUInt16LE(p + 28);
    const extraLength = zip.readUInt16LE(p + 30);
    const commentLength = zip.readUInt16LE(p + 32);
    const localOffset = zip.readUInt32LE(p + 42);
    const name = zip.subarray(p + 46, p + 46 + nameLength).toString('utf8');
    p += 46 + nameLength + extraLength + commentLength;
    if (!wanted.includes(name)) continue;
    if (flags & 0x1) throw new Error(`zip: ${name} is encrypted`);
    if (zip.readUInt32LE(localOffset) !== 0x04034b50) throw new Error(`zip: bad local header for ${name}`);
    const start = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    const raw = zip.subarray(start, start + compressedSize);
    let data: Buffer;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) data = inflateRawSync(raw);
    else throw new Error(`zip: ${name} uses compression method ${method} (only stored and deflate are supported)`);
    if (data.length !== size) throw new Error(`zip: ${name} inflated to ${data.length} bytes, expected ${size}`);
    found.set(name, data);
  }
  return found;
}

function findEndOfCentralDirectory(zip: Buffer): number {
  const lowest = Math.max(0, zip.length - 22 - 0xffff);
  for (let p = zip.length - 22; p >= lowest; p--) {
    if (zip.readUInt32LE(p) === 0x06054b50) return p;
  }
  throw new Error('zip: end of central directory not found (not a zip file?)');
}

/** One entry of a tar written by writeTar: a directory (no data, no link), a regular file or a symlink. */
export interface TarEntry {
  path: string;
  mode: number;
  /** Absent for a directory or a symlink. */
  data?: Buffer;
  /** A symbolic link to this target. */
  link?: string;
}

/**
 * A ustar archive of `entries` in the order given, every entry owned by 0:0 with mtime 0, so the same
 * entries always give the same bytes (and the same layer digest). Paths are relative (no leading /);
 * directories end without a slash and are written with one. Names over 100 bytes use the ustar prefix.
 */
export function writeTar(entries: TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const isDir = e.data === undefined && e.link === undefined;
    let name = e.path.replace(/^\/+/, '') + (isDir ? '/' : '');
    let prefix = '';
    if (Buffer.byteLength(name) > 100) {
      const cut = name.lastIndexOf('/', name.length - (isDir ? 2 : 1));
      prefix = name.slice(0, cut);
      name = name.slice(cut + 1);
      if (cut < 0 || Buffer.byteLength(name) > 100 || Buffer.byteLength(prefix) > 155) throw new Error(`tar: path too long: ${e.path}`);
    }
    const size = e.data?.length ?? 0;
    const h = Buffer.alloc(512);
    h.write(name, 0, 100, 'utf8');
    h.write(`${(e.mode & 0o7777).toString(8).padStart(7, '0')}\0`, 100, 'latin1');
    h.write('0000000\0', 108, 'latin1');
    h.write('0000000\0', 116, 'latin1');
    h.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
    h.write('00000000000\0', 136, 'latin1');
    h.write('        ', 148, 'latin1');
    h.write(isDir ? '5' : e.link !== undefined ? '2' : '0', 156, 'latin1');
    if (e.link !== undefined) {
      if (Buffer.byteLength(e.link) > 100) throw new Error(`tar: link target too long: ${e.link}`);
      h.write(e.link, 157, 100, 'utf8');
    }
    h.write('ustar\0' + '00', 257, 'latin1');
    h.write(prefix, 345, 155, 'utf8');
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    blocks.push(h);
    if (e.data) {
      blocks.push(e.data);
      const pad = (512 - (size % 512)) % 512;
      if (pad) blocks.push(Buffer.alloc(pad));
    }
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
