import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { arch, tmpdir } from 'node:os';
import * as tc from '@actions/tool-cache';
import { join } from 'node:path';
import { CACHE_MARKER, downloadFile, findCached, goPlatform, hostPlatform, IncompleteDownloadError, installVerifiedTool, parseChecksum, type ExpectedDigest, type ToolRelease } from '../../../src/core/download.js';
import { OperationError } from '../../../src/core/errors.js';
import { serveFiles } from '../../support/http.js';
import { RecordingLogger } from '../../support/recording-logger.js';

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

describe('parseChecksum', () => {
  const h1 = 'a'.repeat(64);
  const h2 = 'B'.repeat(64);
  it.each([
    [`${h1}  tool-linux-amd64.tar.gz\n${'c'.repeat(64)}  other.tar.gz\n`, 'tool-linux-amd64.tar.gz', h1],
    [`${h2} *tool.zip`, 'tool.zip', 'b'.repeat(64)],
    [`${h1}\n`, 'kubectl', h1],
    [`${h1}  ./dist/tool.tar.gz`, 'tool.tar.gz', h1],
    [`${h1}  other.tar.gz`, 'tool.tar.gz', undefined],
    ['not a checksum', 'tool.tar.gz', undefined],
    [`${h1}\n${h2}\n`, 'tool', undefined],
  ])('%#', (text, file, expected) => expect(parseChecksum(text, file)).toBe(expected));
});

describe('goPlatform, hostPlatform', () => {
  it.each([
    ['linux', 'x64', { os: 'linux', arch: 'amd64' }, 'linux-amd64'],
    ['darwin', 'arm64', { os: 'darwin', arch: 'arm64' }, 'darwin-arm64'],
    ['win32', 'x64', { os: 'windows', arch: 'amd64' }, 'windows-amd64'],
    ['win32', 'arm64', { os: 'windows', arch: 'arm64' }, 'windows-arm64'],
  ] as const)('%s/%s', (p, a, expected, key) => {
    expect(goPlatform(p, a)).toEqual(expected);
    expect(hostPlatform(p, a)).toBe(key);
  });
});

describe('installVerifiedTool (real @actions/tool-cache, loopback server)', () => {
  let work: string;
  let archive: Buffer;
  const saved = { ...process.env };
  const FILE = 'tool-v1.2.3-linux-amd64.tar.gz';

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'download-test-'));
    const src = join(work, 'src', 'linux-amd64');
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, 'tool'), '#!/bin/sh\necho tool v1.2.3\n');
    execFileSync('tar', ['-czf', join(work, 'tool.tar.gz'), '-C', join(work, 'src'), 'linux-amd64']);
    archive = readFileSync(join(work, 'tool.tar.gz'));
  });

  beforeEach(() => {
    const run = mkdtempSync(join(work, 'run-'));
    process.env.RUNNER_TOOL_CACHE = join(run, 'toolcache');
    process.env.RUNNER_TEMP = join(run, 'temp');
    mkdirSync(process.env.RUNNER_TEMP, { recursive: true });
  });

  afterAll(() => {
    process.env = saved;
    rmSync(work, { recursive: true, force: true });
  });

  const release = (base: string, version = '1.2.3'): ToolRelease => ({ tool: 'tool', version, url: `${base}/${FILE}`, fileName: FILE, archive: 'tar.gz', binaryPath: 'linux-amd64/tool' });
  const cached = (): string[] => (existsSync(join(process.env.RUNNER_TOOL_CACHE!, 'tool')) ? readdirSync(join(process.env.RUNNER_TOOL_CACHE!, 'tool')) : []);
  const install = (base: string, expected: ExpectedDigest, log = new RecordingLogger(), allowInsecure = true) => installVerifiedTool({ release: release(base), expected, allowInsecure }, { log });

  it('checks a pinned SHA-256 without asking the server for one, extracts, caches; the second install comes from the cache', async () => {
    const server = await serveFiles({ [`/${FILE}`]: archive, [`/${FILE}.sha256sum`]: `${sha('a tampered file')}  ${FILE}\n` });
    try {
      const log = new RecordingLogger();
      const binary = await install(server.url, { pinned: sha(archive) }, log);
      expect(execFileSync(binary).toString()).toBe('tool v1.2.3\n');
      expect(log.text()).toContain(`SHA-256 verified (${sha(archive)}, pinned in this action)`);
      expect(server.requests).toEqual([`/${FILE}`]);
      expect(readFileSync(join(binary, '..', '..', CACHE_MARKER), 'utf8')).toBe(`${sha(archive)}\n`);
      expect(await install(server.url, { pinned: sha(archive) }, log)).toBe(binary);
      expect(server.requests).toEqual([`/${FILE}`]);
      expect(log.lines.at(-1)).toBe(`tool 1.2.3: found in the tool cache (verified against ${sha(archive)}, pinned in this action)`);
    } finally {
      await server.close();
    }
  });

  it('warns when it uses plain http, and refuses it without allow-insecure-download', async () => {
    const server = await serveFiles({ [`/${FILE}`]: archive });
    try {
      const log = new RecordingLogger();
      await install(server.url, { pinned: sha(archive) }, log);
      expect(log.lines).toContain(`warning: tool 1.2.3: the download ${server.url}/${FILE} is fetched over plain http (allow-insecure-download: true); only its SHA-256 protects it`);
      const before = server.requests.length;
      const err = await install(server.url, { pinned: sha(archive) }, new RecordingLogger(), false).catch((e: unknown) => e);
      expect((err as Error).message).toBe(`tool 1.2.3: refusing to fetch the download ${server.url}/${FILE}: only https is allowed`);
      expect(server.requests.length).toBe(before);
    } finally {
      await server.close();
    }
  });

  it('fails closed on a SHA-256 mismatch, naming both digests: the file is removed and nothing is cached', async () => {
    const server = await serveFiles({ [`/${FILE}`]: archive });
    try {
      const err = await install(server.url, { given: { sha256: sha('something else'), input: 'tool-sha256' } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OperationError);
      expect((err as Error).message).toBe(`tool 1.2.3: SHA-256 mismatch for ${FILE}: expected ${sha('something else')} (from tool-sha256), got ${sha(archive)}; the file was not used and nothing was cached`);
      expect(cached()).toEqual([]);
      expect(readdirSync(process.env.RUNNER_TEMP!, { recursive: true })).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('uses a checksum file only from the URL the user named', async () => {
    const server = await serveFiles({ [`/${FILE}`]: archive, '/mine/SHA256SUMS': `${sha('x')}  other.tar.gz\n${sha(archive)}  ${FILE}\n` });
    try {
      const log = new RecordingLogger();
      await install(server.url, { checksumUrl: { url: `${server.url}/mine/SHA256SUMS`, input: 'tool-checksum-url' } }, log);
      expect(server.requests).toEqual(['/mine/SHA256SUMS', `/${FILE}`]);
      expect(log.text()).toContain(`SHA-256 verified (${sha(archive)}, from ${server.url}/mine/SHA256SUMS)`);
    } finally {
      await server.close();
    }
  });

  it.each<[string, (url: string) => ExpectedDigest, RegExp]>([
    ['a pin and a given SHA-256 that differ', () => ({ pinned: 'a'.repeat(64), given: { sha256: 'b'.repeat(64), input: 'tool-sha256' } }), /the expected SHA-256 of tool-v1.2.3-linux-amd64.tar.gz differs between sources: a{64} \(pinned in this action\) and b{64} \(from tool-sha256\); nothing was downloaded/],
    ['a checksum file that is missing', (url) => ({ checksumUrl: { url: `${url}/nothing.sha256`, input: 'tool-checksum-url' } }), /cannot read the checksum file http:\/\/127.0.0.1:\d+\/nothing.sha256 \(tool-checksum-url\): HTTP 404/],
    ['a checksum file that does not list the file', (url) => ({ checksumUrl: { url: `${url}/other.sha256`, input: 'tool-checksum-url' } }), /the checksum file .*other.sha256 \(tool-checksum-url\) lists no SHA-256 for tool-v1.2.3-linux-amd64.tar.gz/],
  ])('downloads nothing for %s', async (_name, expected, message) => {
    const server = await serveFiles({ [`/${FILE}`]: archive, '/other.sha256': `${sha(archive)}  other.tar.gz\n` });
    try {
      await expect(install(server.url, expected(server.url))).rejects.toThrow(message);
      expect(server.requests).not.toContain(`/${FILE}`);
      expect(cached()).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('does not trust a cached copy verified against another SHA-256 (or none): it downloads and verifies again', async () => {
    const server = await serveFiles({ [`/${FILE}`]: archive });
    try {
      const binary = await install(server.url, { pinned: sha(archive) });
      writeFileSync(join(binary, '..', '..', CACHE_MARKER), `${'f'.repeat(64)}\n`);
      const log = new RecordingLogger();
      expect(await install(server.url, { pinned: sha(archive) }, log)).toBe(binary);
      expect(log.text()).toContain(`the tool cache holds a copy verified against another SHA-256 (${'f'.repeat(64)}); downloading again`);
      expect(server.requests.filter((p) => p === `/${FILE}`)).toHaveLength(2);
    } finally {
      await server.close();
    }
  });

  it('keeps credentials in a URL out of the log', async () => {
    const server = await serveFiles({ [`/${FILE}`]: archive });
    try {
      const log = new RecordingLogger();
      const base = server.url.replace('http://', 'http://mirror-user:s3cret-pass@');
      await install(base, { pinned: sha(archive) }, log);
      expect(log.text()).not.toContain('s3cret-pass');
      expect(log.text()).toContain('http://***@127.0.0.1');
    } finally {
      await server.close();
    }
  });

  /** A server that announces the whole archive in Content-Length, sends `sent` bytes of it and closes the connection. */
  async function cuttingServer(sent: number, options: { contentLength?: boolean } = {}): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
    const requests: string[] = [];
    const server = createServer((req, res) => {
      requests.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/octet-stream', ...(options.contentLength === false ? {} : { 'content-length': String(archive.length) }) });
      res.write(archive.subarray(0, sent), () => res.socket?.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }

  it('says how many bytes of how many arrived when the server cuts the body short, after three attempts; nothing is left or cached', async () => {
    const server = await cuttingServer(100);
    try {
      const log = new RecordingLogger();
      const pauses: number[] = [];
      const err = await installVerifiedTool({ release: release(server.url), expected: { pinned: sha(archive) }, allowInsecure: true }, { log, sleep: async (ms) => void pauses.push(ms) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OperationError);
      expect((err as Error).message).toMatch(new RegExp(`^tool 1\\.2\\.3: download of ${server.url}/${FILE} failed after 3 attempts: the connection closed after 100 of ${archive.length} bytes \\(.+\\)$`));
      expect((err as OperationError).hint).toContain('the connection was cut mid-transfer');
      expect(server.requests).toHaveLength(3);
      expect(pauses).toHaveLength(2);
      expect(log.lines.filter((l) => l.includes('attempt'))).toEqual([
        expect.stringMatching(new RegExp(`^tool 1\\.2\\.3: download: attempt 1 of 3 failed \\(the connection closed after 100 of ${archive.length} bytes`)),
        expect.stringMatching(/attempt 2 of 3 failed/),
      ]);
      expect(cached()).toEqual([]);
      expect(readdirSync(process.env.RUNNER_TEMP!, { recursive: true })).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('downloadFile: a cut body without Content-Length is still an error that counts the bytes', async () => {
    const server = await cuttingServer(64, { contentLength: false });
    try {
      const err = await downloadFile(`${server.url}/x`, process.env.RUNNER_TEMP).catch((e: unknown) => e);
      // Without Content-Length the body is chunked: the missing last chunk shows the connection broke.
      expect(err).toBeInstanceOf(IncompleteDownloadError);
      expect((err as Error).message).toMatch(/^the connection broke after 64 bytes, with no Content-Length to tell how many were due \(.+\)$/);
      expect(readdirSync(process.env.RUNNER_TEMP!)).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('does not try a 404 again, and says so', async () => {
    const server = await serveFiles({});
    try {
      const err = await installVerifiedTool({ release: release(server.url), expected: { pinned: sha(archive) }, allowInsecure: true }, { log: new RecordingLogger(), sleep: async () => undefined }).catch((e: unknown) => e);
      expect((err as Error).message).toBe(`tool 1.2.3: download of ${server.url}/${FILE} failed: HTTP 404 Not Found`);
      expect((err as OperationError).hint).toContain('the file is not there');
      expect(server.requests).toEqual([`/${FILE}`]);
    } finally {
      await server.close();
    }
  });

  it('refuses a version range, and a release without any expected SHA-256 (a bug in the inputs)', async () => {
    await expect(installVerifiedTool({ release: release('https://127.0.0.1:1', '^1.2'), expected: { pinned: 'a'.repeat(64) } }, { log: new RecordingLogger() })).rejects.toThrow('is not an exact version');
    await expect(installVerifiedTool({ release: release('https://127.0.0.1:1'), expected: {} }, { log: new RecordingLogger() })).rejects.toThrow('bug: tool 1.2.3 has no expected SHA-256');
  });
});

/** findCached stands in for @actions/tool-cache's find() on the cache-hit path: the two must agree on every layout. */
describe('findCached (what tc.find finds, without loading @actions/tool-cache)', () => {
  const root = mkdtempSync(join(tmpdir(), 'toolcache-'));
  const before = process.env.RUNNER_TOOL_CACHE;
  beforeAll(() => (process.env.RUNNER_TOOL_CACHE = root));
  afterAll(() => (before === undefined ? delete process.env.RUNNER_TOOL_CACHE : (process.env.RUNNER_TOOL_CACHE = before)));
  const put = (tool: string, version: string, complete: boolean): void => {
    mkdirSync(join(root, tool, version, arch()), { recursive: true });
    if (complete) writeFileSync(join(root, tool, version, `${arch()}.complete`), '');
  };
  put('helm', '4.1.4', true);
  put('helm', '3.17.3', false);
  put('kubectl', '1.34.0-rc.1', true);

  it.each([
    ['helm', '4.1.4'],
    ['helm', '3.17.3'],
    ['helm', '4.1.5'],
    ['kubectl', '1.34.0-rc.1'],
    ['dapr', '1.18.2'],
  ])('%s %s: the same answer as tc.find', (tool, version) => {
    expect(findCached(tool, version)).toBe(tc.find(tool, version));
  });

  it('finds a complete copy and only that', () => {
    expect(findCached('helm', '4.1.4')).toBe(join(root, 'helm', '4.1.4', arch()));
    expect(findCached('helm', '3.17.3')).toBe('');
  });

  it('says what is missing without RUNNER_TOOL_CACHE', () => {
    expect(() => findCached('helm', '4.1.4', '')).toThrow(/RUNNER_TOOL_CACHE is not set/);
  });
});
