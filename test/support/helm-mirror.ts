import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveFiles } from './http.js';
import { stack } from './stack.js';

export interface HelmMirror {
  url: string;
  versions: { helm3: string; helm4: string };
  requests: string[];
  close(): Promise<void>;
}

function versionOf(binary: string): string {
  return execFileSync(binary, ['version', '--template', '{{.Version}}']).toString().trim().replace(/^v/, '').split('+')[0]!;
}

/**
 * A loopback mirror of get.helm.sh serving the stack's real helm 3 and 4 binaries in Helm's release layout,
 * with .sha256sum files beside them. `tamper` serves a checksum that does not match.
 */
export async function helmMirror(options: { tamper?: boolean } = {}): Promise<HelmMirror> {
  const { helm3, helm4 } = stack.helm();
  const work = mkdtempSync(join(tmpdir(), 'helm-mirror-'));
  const files: Record<string, Buffer> = {};
  const versions = { helm3: versionOf(helm3), helm4: versionOf(helm4) };
  for (const [binary, version] of [[helm3, versions.helm3], [helm4, versions.helm4]] as const) {
    const dir = join(work, version, 'linux-amd64');
    mkdirSync(dir, { recursive: true });
    copyFileSync(binary, join(dir, 'helm'));
    const name = `helm-v${version}-linux-amd64.tar.gz`;
    execFileSync('tar', ['-czf', join(work, name), '-C', join(work, version), 'linux-amd64']);
    const archive = readFileSync(join(work, name));
    const sum = createHash('sha256').update(options.tamper ? Buffer.concat([archive, Buffer.from('x')]) : archive).digest('hex');
    files[`/${name}`] = archive;
    files[`/${name}.sha256sum`] = Buffer.from(`${sum}  ${name}\n`);
  }
  rmSync(work, { recursive: true, force: true });
  const server = await serveFiles(files);
  return { url: server.url, versions, requests: server.requests, close: server.close };
}
