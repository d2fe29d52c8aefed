import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { arch, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { displayUrl } from './download-inputs.js';
import { errorMessage, OperationError } from './errors.js';
import type { Logger } from './log.js';
import { retry, RetryError } from './retry.js';

/** A pinned tool release: where its archive (or bare binary) is and how it unpacks. */
export interface ToolRelease {
  /** Tool-cache name, e.g. "helm". */
  tool: string;
  /** Exact version, e.g. "4.2.3": never a range. */
  version: string;
  /** The archive (or bare binary) to download. */
  url: string;
  /** The archive's file name, as a checksum file lists it. */
  fileName: string;
  archive: 'tar.gz' | 'zip' | 'binary';
  /** Path of the executable inside the extracted archive (or the binary's name). */
  binaryPath: string;
}

/**
 * Where the expected SHA-256 of a download comes from. At least one source is required, and every source given
 * must agree: a checksum from the server that serves the file is only ever used when the user named its URL.
 */
export interface ExpectedDigest {
  /** Pinned in this repository's source (src/versions.ts) for this version and platform. */
  pinned?: string;
  /** Given by the user in an input. */
  given?: { sha256: string; input: string };
  /** A checksum file at a URL the user named in an input. */
  checksumUrl?: { url: string; input: string };
}

/** What installVerifiedTool needs: the release, its expected digest, and whether plain http is allowed. */
export interface VerifiedDownload {
  release: ToolRelease;
  expected: ExpectedDigest;
  /** `allow-insecure-download: true`: http:// URLs are used, with a warning. */
  allowInsecure?: boolean;
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

/** The server answered, but not with the file. 4xx (but 408 and 429) is not worth another attempt. */
export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    statusText = '',
  ) {
    super(`HTTP ${status}${statusText ? ` ${statusText}` : ''}`);
    this.name = 'HttpStatusError';
  }
}

/** The body ended (or the connection broke) before the bytes the server announced had arrived. */
export class IncompleteDownloadError extends Error {
  constructor(
    readonly received: number,
    /** The Content-Length the server sent; undefined when it sent none. */
    readonly expected: number | undefined,
    reason: string,
  ) {
    super(
      expected !== undefined
        ? `the connection closed after ${received} of ${expected} bytes (${reason})`
        : `the connection broke after ${received} bytes, with no Content-Length to tell how many were due (${reason})`,
    );
    this.name = 'IncompleteDownloadError';
  }
}

/**
 * One attempt at a download into a new file under RUNNER_TEMP, through @actions/http-client (the runner's proxy
 * settings apply). Counts the bytes: a body cut short, even one the server closes cleanly, is an
 * IncompleteDownloadError that says how many bytes of how many arrived, and the partial file is removed.
 */
export async function downloadFile(url: string, dir = process.env.RUNNER_TEMP || tmpdir()): Promise<string> {
  await mkdir(dir, { recursive: true });
  const { HttpClient } = await import('@actions/http-client');
  const client = new HttpClient('oke-dapr-actions', [], { allowRetries: false });
  const res = await client.get(url);
  const status = res.message.statusCode ?? 0;
  if (status !== 200) {
    res.message.resume();
    throw new HttpStatusError(status, res.message.statusMessage);
  }
  const header = res.message.headers['content-length'];
  const expected = header !== undefined && /^\d+$/.test(header) ? Number(header) : undefined;
  const dest = join(dir, randomUUID());
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(res.message, counter, createWriteStream(dest, { mode: 0o600 }));
  } catch (err) {
    await rm(dest, { force: true });
    // Not errorMessage: a stream error may come from another realm (not instanceof Error) and read "Error: aborted".
    throw new IncompleteDownloadError(received, expected, String((err as { message?: unknown })?.message ?? err));
  }
  if (expected !== undefined && received !== expected) {
    await rm(dest, { force: true });
    throw new IncompleteDownloadError(received, expected, received < expected ? 'the body ended early' : 'more bytes than announced');
  }
  return dest;
}

/** Worth another attempt: the network and 5xx, 408 and 429; not a 404 or a 403. */
export function retryableDownloadError(err: unknown): boolean {
  return !(err instanceof HttpStatusError) || err.status >= 500 || err.status === 408 || err.status === 429;
}

/**
 * A tool in the runner's tool cache, found as @actions/tool-cache's find() does for an exact version (the
 * <RUNNER_TOOL_CACHE>/<tool>/<version>/<arch> folder and its .complete marker), without loading that library:
 * a cached tool then costs two stat calls at start-up, not @actions/tool-cache and its HTTP client (tens of ms).
 */
export function findCached(tool: string, version: string, root = process.env.RUNNER_TOOL_CACHE, machine = arch()): string {
  if (!root) throw new Error('RUNNER_TOOL_CACHE is not set: run this action on a GitHub Actions runner (or act)');
  const dir = join(root, tool, version, machine);
  return existsSync(dir) && existsSync(`${dir}.complete`) ? dir : '';
}

/** The library itself only once a tool must be downloaded and cached. */
const toolCache = () => import('@actions/tool-cache');

export const actionsToolCache: ToolCache = {
  find: (tool, version) => findCached(tool, version),
  downloadTool: (url) => downloadFile(url),
  extractTar: async (file) => (await toolCache()).extractTar(file),
  extractZip: async (file) => (await toolCache()).extractZip(file),
  cacheDir: async (dir, tool, version) => (await toolCache()).cacheDir(dir, tool, version),
  cacheFile: async (file, target, tool, version) => (await toolCache()).cacheFile(file, target, tool, version),
};

export type Fetcher = (url: string) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

/** Written into a cached tool's directory: the SHA-256 its archive was verified against. */
export const CACHE_MARKER = '.oke-dapr-actions-sha256';

const SHA256 = /^[a-f0-9]{64}$/;

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
  /** Between download attempts (tests pass one that does not wait). */
  sleep?: (ms: number) => Promise<void>;
}

/** Download attempts, and the first pause between them (doubled each time). */
export const DOWNLOAD_ATTEMPTS = 3;
const DOWNLOAD_RETRY_DELAY_MS = 2000;

function label(r: ToolRelease): string {
  return `${r.tool} ${r.version}`;
}

/** Refuses plain http unless allowed, and warns when it is used. */
function checkScheme(r: ToolRelease, url: string, what: string, allowInsecure: boolean, log: Logger): void {
  const scheme = new URL(url).protocol;
  if (scheme === 'https:') return;
  if (scheme === 'http:' && allowInsecure) {
    log.warning(`${label(r)}: the ${what} ${displayUrl(url)} is fetched over plain http (allow-insecure-download: true); only its SHA-256 protects it`);
    return;
  }
  throw new OperationError(`${label(r)}: refusing to fetch the ${what} ${displayUrl(url)}: only https is allowed`, { hint: 'use an https:// URL, or set allow-insecure-download: true for a mirror that only speaks http' });
}

/** The one expected digest every source agrees on; throws when they disagree or none is given. */
async function expectedDigest(download: VerifiedDownload, fetcher: Fetcher, log: Logger): Promise<{ sha256: string; source: string }> {
  const { release: r, expected } = download;
  const found: Array<{ sha256: string; source: string }> = [];
  if (expected.pinned) found.push({ sha256: expected.pinned, source: 'pinned in this action' });
  if (expected.given) found.push({ sha256: expected.given.sha256, source: `from ${expected.given.input}` });
  if (expected.checksumUrl) {
    const { url, input } = expected.checksumUrl;
    checkScheme(r, url, 'checksum file', download.allowInsecure ?? false, log);
    let text: string;
    try {
      const res = await fetcher(url);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      text = await res.text();
    } catch (err) {
      throw new OperationError(`${label(r)}: cannot read the checksum file ${displayUrl(url)} (${input}): ${errorMessage(err)}`, { hint: `check ${input}; nothing was downloaded` });
    }
    const sha256 = parseChecksum(text, r.fileName);
    if (!sha256) throw new OperationError(`${label(r)}: the checksum file ${displayUrl(url)} (${input}) lists no SHA-256 for ${r.fileName}`, { hint: `point ${input} at the checksum file of ${r.fileName}; nothing was downloaded` });
    found.push({ sha256, source: `from ${displayUrl(url)}` });
  }
  const [first] = found;
  if (!first) throw new Error(`bug: ${label(r)} has no expected SHA-256 (the inputs must require one)`);
  for (const f of found) {
    if (!SHA256.test(f.sha256)) throw new Error(`bug: ${label(r)}: "${f.sha256}" (${f.source}) is not a SHA-256`);
  }
  const other = found.find((f) => f.sha256 !== first.sha256);
  if (other) {
    throw new OperationError(`${label(r)}: the expected SHA-256 of ${r.fileName} differs between sources: ${first.sha256} (${first.source}) and ${other.sha256} (${other.source}); nothing was downloaded`, {
      hint: 'check which value is right; a pinned version needs no other checksum input',
    });
  }
  return first;
}

/** A cached copy counts only when it was verified against the same SHA-256 (the marker file says which). */
async function verifiedCacheHit(cache: ToolCache, r: ToolRelease, sha256: string, log: Logger): Promise<string | undefined> {
  const dir = cache.find(r.tool, r.version);
  if (!dir) return undefined;
  const marker = await readFile(join(dir, CACHE_MARKER), 'utf8').then((t) => t.trim(), () => '');
  if (marker === sha256) return dir;
  log.info(`${label(r)}: the tool cache holds a copy ${marker ? `verified against another SHA-256 (${marker})` : 'with no record of its SHA-256'}; downloading again`);
  return undefined;
}

/**
 * Installs a pinned tool: from the tool cache when a copy verified against the same SHA-256 is there, else
 * downloaded, checked against the expected SHA-256 before anything is extracted or run, and cached. Fails
 * closed: no expected digest, sources that disagree, or a mismatch (reported with both digests) is an error,
 * the downloaded file is removed and nothing is cached; there is no fallback to another version or source.
 * Returns the absolute path of the executable.
 */
export async function installVerifiedTool(download: VerifiedDownload, deps: InstallDeps): Promise<string> {
  const { release: r } = download;
  const { log, cache = actionsToolCache, fetch: fetcher = globalThis.fetch } = deps;
  if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(r.version)) throw new Error(`bug: ${r.tool} version "${r.version}" is not an exact version`);
  checkScheme(r, r.url, 'download', download.allowInsecure ?? false, log);
  const expected = await expectedDigest(download, fetcher, log);

  const cached = await verifiedCacheHit(cache, r, expected.sha256, log);
  if (cached) {
    log.info(`${label(r)}: found in the tool cache (verified against ${expected.sha256}, ${expected.source})`);
    return join(cached, r.binaryPath);
  }

  log.info(`${label(r)}: downloading ${displayUrl(r.url)}`);
  let file: string;
  try {
    file = await retry(() => cache.downloadTool(r.url), { label: `${label(r)}: download`, attempts: DOWNLOAD_ATTEMPTS, initialDelayMs: DOWNLOAD_RETRY_DELAY_MS, retryable: retryableDownloadError, log, ...(deps.sleep ? { sleep: deps.sleep } : {}) });
  } catch (err) {
    const last = err instanceof RetryError ? err.cause : err;
    const tries = err instanceof RetryError ? ` after ${err.attempts} attempts` : '';
    const hint =
      last instanceof IncompleteDownloadError
        ? 'the connection was cut mid-transfer: a proxy or firewall limit, or an unstable mirror; run the job again, or point the base URL at another mirror'
        : last instanceof HttpStatusError && last.status === 404
          ? 'the file is not there: check the version and the base URL (the mirror must keep the official layout)'
          : "check the base URL, the version and the runner's network access";
    throw new OperationError(`${label(r)}: download of ${displayUrl(r.url)} failed${tries}: ${errorMessage(last)}`, { cause: err, hint });
  }
  const actual = await sha256File(file);
  if (actual !== expected.sha256) {
    await rm(file, { force: true });
    throw new OperationError(`${label(r)}: SHA-256 mismatch for ${r.fileName}: expected ${expected.sha256} (${expected.source}), got ${actual}; the file was not used and nothing was cached`, {
      hint: 'the download was corrupted or tampered with, or the expected SHA-256 is for another file; check the mirror or proxy between the runner and the base URL',
    });
  }
  log.info(`${label(r)}: SHA-256 verified (${actual}, ${expected.source})`);

  let dir: string;
  try {
    if (r.archive === 'binary') {
      await chmod(file, 0o755);
      dir = await cache.cacheFile(file, r.binaryPath, r.tool, r.version);
    } else {
      const extracted = r.archive === 'zip' ? await cache.extractZip(file) : await cache.extractTar(file);
      dir = await cache.cacheDir(extracted, r.tool, r.version);
    }
  } finally {
    await rm(file, { force: true });
  }
  await writeFile(join(dir, CACHE_MARKER), `${actual}\n`);
  const binary = join(dir, r.binaryPath);
  await chmod(binary, 0o755);
  return binary;
}

export { goPlatform, hostPlatform } from './download-inputs.js';
