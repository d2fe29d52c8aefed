import * as tc from '@actions/tool-cache';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage, OperationError } from './errors.js';
import type { Logger } from './log.js';

/** A pinned tool release: where the archive and its published checksum file are. */
export interface ToolRelease {
  /** Tool-cache name, e.g. "helm". */
  tool: string;
  /** Exact version, e.g. "3.17.3": never a range. */
  version: string;
  /** The archive (or bare binary) to download. */
  url: string;
  /** The published checksum file: "<sha256>  <file>" lines, or a bare hash. */
  checksumUrl: string;
  /** The archive's file name as listed in the checksum file. */
  fileName: string;
  archive: 'tar.gz' | 'zip' | 'binary';
  /** Path of the executable inside the extracted archive (or the binary's name). */
  binaryPath: string;
}

/** The parts of @actions/tool-cache used here, injectable for tests. */
export interface ToolCache {
  find(tool: string, version: string): string;
  downloadTool(url: string): Promise<string>;
  extractTar(file: string): Promise<string>;
  extractZip(file: string): Promise<string>;
  cacheDir(dir: string, tool: string, version: string): Promise<string>;
  cacheFile(file: string, target: string, tool: string, version: string): Promise<string>;
}

export const actionsToolCache: ToolCache = {
  find: (tool, version) => tc.find(tool, version),
  downloadTool: (url) => tc.downloadTool(url),
  extractTar: (file) => tc.extractTar(file),
  extractZip: (file) => tc.extractZip(file),
  cacheDir: (dir, tool, version) => tc.cacheDir(dir, tool, version),
  cacheFile: (file, target, tool, version) => tc.cacheFile(file, target, tool, version),
};

export type Fetcher = (url: string) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Finds fileName's hash in a checksum file: `<hash>  <name>` / `<hash> *<name>` lines, or one bare hash. */
export function parseChecksum(text: string, fileName: string): string | undefined {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  for (const line of lines) {
    const m = /^([a-fA-F0-9]{64})\s+\*?(\S+)$/.exec(line);
    if (m && (m[2] === fileName || m[2]!.endsWith(`/${fileName}`))) return m[1]!.toLowerCase();
  }
  if (lines.length === 1 && /^[a-fA-F0-9]{64}$/.test(lines[0]!)) return lines[0]!.toLowerCase();
  return undefined;
}

export interface InstallDeps {
  log: Logger;
  cache?: ToolCache;
  fetch?: Fetcher;
}

/**
 * Installs a pinned tool: from the tool cache when present, else downloaded, checked against the
 * published SHA-256 before anything is extracted or run, and cached. Fails closed: no checksum, or a
 * mismatch, is an error; there is no fallback to another version or source.
 * Returns the absolute path of the executable.
 */
export async function installVerifiedTool(release: ToolRelease, deps: InstallDeps): Promise<string> {
  const { log, cache = actionsToolCache, fetch: fetcher = globalThis.fetch } = deps;
  if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(release.version)) throw new Error(`bug: ${release.tool} version "${release.version}" is not an exact version`);
  const cached = cache.find(release.tool, release.version);
  if (cached) {
    log.info(`${release.tool} ${release.version}: found in the tool cache`);
    return join(cached, release.binaryPath);
  }

  log.info(`${release.tool} ${release.version}: downloading ${release.url}`);
  let expected: string | undefined;
  try {
    const res = await fetcher(release.checksumUrl);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    expected = parseChecksum(await res.text(), release.fileName);
  } catch (err) {
    throw new OperationError(`${release.tool} ${release.version}: cannot read the checksum file ${release.checksumUrl}: ${errorMessage(err)}`, {
      hint: 'the download is refused without its published checksum; check the base URL (a mirror must serve the .sha256 files too)',
    });
  }
  if (!expected) throw new OperationError(`${release.tool} ${release.version}: the checksum file ${release.checksumUrl} lists no SHA-256 for ${release.fileName}`, { hint: 'check the base URL and version' });

  let file: string;
  try {
    file = await cache.downloadTool(release.url);
  } catch (err) {
    throw new OperationError(`${release.tool} ${release.version}: download of ${release.url} failed: ${errorMessage(err)}`, { hint: 'check the base URL, the version and the runner\'s network access' });
  }
  const actual = await sha256File(file);
  if (actual !== expected) {
    await rm(file, { force: true });
    throw new OperationError(`${release.tool} ${release.version}: SHA-256 mismatch for ${release.fileName}: expected ${expected}, got ${actual}; the file was not used`, {
      hint: 'the download was corrupted or tampered with; check the mirror or proxy between the runner and the base URL',
    });
  }
  log.info(`${release.tool} ${release.version}: SHA-256 verified (${actual})`);

  let dir: string;
  if (release.archive === 'binary') {
    await chmod(file, 0o755);
    dir = await cache.cacheFile(file, release.binaryPath, release.tool, release.version);
  } else {
    const extracted = release.archive === 'zip' ? await cache.extractZip(file) : await cache.extractTar(file);
    dir = await cache.cacheDir(extracted, release.tool, release.version);
  }
  const binary = join(dir, release.binaryPath);
  await chmod(binary, 0o755);
  return binary;
}


/** Go-style platform names for download URLs. */
export function goPlatform(platform: NodeJS.Platform = process.platform, arch: string = process.arch): { os: string; arch: string } {
  const os = platform === 'win32' ? 'windows' : platform;
  const goArch = arch === 'x64' ? 'amd64' : arch === 'ia32' ? '386' : arch;
  return { os, arch: goArch };
}
