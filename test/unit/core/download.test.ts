import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goPlatform, installVerifiedTool, parseChecksum, type ToolRelease } from '../../../src/core/download.js';
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

describe('goPlatform', () => {
  it.each([
    ['linux', 'x64', { os: 'linux', arch: 'amd64' }],
    ['darwin', 'arm64', { os: 'darwin', arch: 'arm64' }],
    ['win32', 'x64', { os: 'windows', arch: 'amd64' }],
  ] as const)('%s/%s', (p, a, expected) => expect(goPlatform(p, a)).toEqual(expected));
});

describe('installVerifiedTool (real @actions/tool-cache, loopback server)', () => {
  let work: string;
  let archive: Buffer;
  const saved = { ...process.env };

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

  const release = (base: string, version = '1.2.3'): ToolRelease => ({
    tool: 'tool',
    version,
    url: `${base}/tool-v${version}-linux-amd64.tar.gz`,
    checksumUrl: `${base}/tool-v${version}-linux-amd64.tar.gz.sha256sum`,
    fileName: `tool-v${version}-linux-amd64.tar.gz`,
    archive: 'tar.gz',
    binaryPath: 'linux-amd64/tool',
  });

  it('downloads, verifies, extracts and caches; the second install comes from the cache', async () => {
    const server = await serveFiles({ '/tool-v1.2.3-linux-amd64.tar.gz': archive, '/tool-v1.2.3-linux-amd64.tar.gz.sha256sum': `${sha(archive)}  tool-v1.2.3-linux-amd64.tar.gz\n` });
    try {
      const log = new RecordingLogger();
      const binary = await installVerifiedTool(release(server.url), { log });
      expect(execFileSync(binary).toString()).toBe('tool v1.2.3\n');
      expect(log.text()).toContain(`SHA-256 verified (${sha(archive)})`);
      const before = server.requests.length;
      expect(await installVerifiedTool(release(server.url), { log })).toBe(binary);
      expect(server.requests.length).toBe(before);
      expect(log.lines.at(-1)).toBe('tool 1.2.3: found in the tool cache');
    } finally {
      await server.close();
    }
  });

  it('fails closed on a SHA-256 mismatch: nothing is cached', async () => {
    const server = await serveFiles({ '/tool-v1.2.3-linux-amd64.tar.gz': archive, '/tool-v1.2.3-linux-amd64.tar.gz.sha256sum': `${sha('something else')}  tool-v1.2.3-linux-amd64.tar.gz\n` });
    try {
      const err = await installVerifiedTool(release(server.url), { log: new RecordingLogger() }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OperationError);
      expect((err as Error).message).toMatch(/SHA-256 mismatch for tool-v1.2.3-linux-amd64.tar.gz: expected [0-9a-f]{64}, got [0-9a-f]{64}; the file was not used/);
      expect(existsSync(join(process.env.RUNNER_TOOL_CACHE!, 'tool')) ? readdirSync(join(process.env.RUNNER_TOOL_CACHE!, 'tool')) : []).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('refuses to download without a published checksum, and never tries another version', async () => {
    const server = await serveFiles({ '/tool-v1.2.3-linux-amd64.tar.gz': archive });
    try {
      const err = await installVerifiedTool(release(server.url), { log: new RecordingLogger() }).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/cannot read the checksum file .*sha256sum: HTTP 404/);
      expect((err as OperationError).hint).toMatch(/mirror must serve the .sha256 files/);
      expect(server.requests).toEqual(['/tool-v1.2.3-linux-amd64.tar.gz.sha256sum']);
    } finally {
      await server.close();
    }
  });

  it('refuses a version range', async () => {
    await expect(installVerifiedTool(release('http://127.0.0.1:1', '^1.2'), { log: new RecordingLogger() })).rejects.toThrow('is not an exact version');
  });
});
