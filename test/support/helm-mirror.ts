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
  /** SHA-256 of each version's archive as the mirror serves it (the tampered mirror serves other bytes). */
  sha256: Record<string, string>;
  /**
   * The download inputs of helm-deploy and dapr-install for a version from this mirror: its SHA-256 as the user's
   * own (the stack's Helm releases are not the pinned ones, and the archives are made here), and plain http,
   * which only allow-insecure-download permits.
   */
  inputs(version: string): Record<string, string>;
  requests: string[];
  close(): Promise<void>;
}

function versionOf(binary: string): string {
  return execFileSync(binary, ['version', '--template', '{{.Version}}']).toString().trim().replace(/^v/, '').split('+')[0]!;
}

/**
 * A loopback mirror of get.helm.sh serving the stack's real helm 3 and 4 binaries in Helm's release layout,
 * with .sha256sum files beside them (which the actions never read unless named in helm-checksum-url).
 * `tamper` serves an archive with one byte more than the one `sha256` names.
 */
export async function helmMirror(options: { tamper?: boolean } = {}): Promise<HelmMirror> {
  const { helm3, helm4 } = stack.helm();
  const work = mkdtempSync(join(tmpdir(), 'helm-mirror-'));
  const files: Record<string, Buffer> = {};
  const versions = { helm3: versionOf(helm3), helm4: versionOf(helm4) };
  const sha256: Record<string, string> = {};
  for (const [binary, version] of [[helm3, versions.helm3], [helm4, versions.helm4]] as const) {
    const dir = join(work, version, 'linux-amd64');
    mkdirSync(dir, { recursive: true });
    copyFileSync(binary, join(dir, 'helm'));
    const name = `helm-v${version}-linux-amd64.tar.gz`;
    execFileSync('tar', ['-czf', join(work, name), '-C', join(work, version), 'linux-amd64']);
    const archive = readFileSync(join(work, name));
    const sum = createHash('sha256').update(archive).digest('hex');
    sha256[version] = sum;
    files[`/${name}`] = options.tamper ? Buffer.concat([archive, Buffer.from('x')]) : archive;
    files[`/${name}.sha256sum`] = Buffer.from(`${sum}  ${name}\n`);
  }
  rmSync(work, { recursive: true, force: true });
  const server = await serveFiles(files);
  const inputs = (version: string): Record<string, string> => ({ 'helm-version': version, 'helm-base-url': server.url, 'helm-sha256': sha256[version]!, 'allow-insecure-download': 'true' });
  return { url: server.url, versions, sha256, inputs, requests: server.requests, close: server.close };
}
