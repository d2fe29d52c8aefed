/**
 * kubectl as oke-login installs it: an exact version (pinned, or with the user's SHA-256), or `cluster`, which
 * takes the pinned kubectl of the cluster's minor version, else one a minor away (kubectl's supported skew).
 */
import { toolDownload, type DownloadChoice, type DownloadSpec } from '../core/download-inputs.js';
import type { ToolRelease } from '../core/download.js';
import { ConfigurationError } from '../core/errors.js';
import { KUBECTL_RELEASES, type PinnedRelease } from '../versions.js';

export const DEFAULT_KUBECTL_BASE_URL = 'https://dl.k8s.io/release';

/** dl.k8s.io's layout: <base>/v<V>/bin/<os>/<arch>/kubectl (kubectl.exe on windows), a bare binary. */
export function kubectlRelease(version: string, baseUrl: string, platform: { os: string; arch: string }): ToolRelease {
  const file = platform.os === 'windows' ? 'kubectl.exe' : 'kubectl';
  return { tool: 'kubectl', version, url: `${baseUrl.replace(/\/+$/, '')}/v${version}/bin/${platform.os}/${platform.arch}/${file}`, fileName: file, archive: 'binary', binaryPath: file };
}

export const KUBECTL_DOWNLOAD: DownloadSpec = toolDownload({
  title: 'kubectl',
  releases: KUBECTL_RELEASES,
  inputPrefix: 'kubectl',
  defaultBaseUrl: DEFAULT_KUBECTL_BASE_URL,
  release: kubectlRelease,
  checksumSuffix: '.sha256',
  describeFile: (release, platform) => `${release.fileName} ${release.version} for ${platform}`,
});

/** `kubectl-version: cluster`: the base URL and scheme rule are known; the version comes from the cluster. */
export interface KubectlForCluster {
  version: 'cluster';
  baseUrl: string;
  allowInsecure: boolean;
}

function minorOf(version: string): number | undefined {
  const m = /^v?1\.(\d+)\./.exec(version);
  return m ? Number(m[1]) : undefined;
}

/**
 * The pinned kubectl for a cluster's Kubernetes version (e.g. "v1.34.2") on this platform: the same minor if
 * pinned, else the nearest within one minor (the newer one first). Refused, with the fix, when none is.
 */
export function kubectlForCluster(clusterVersion: string, choice: KubectlForCluster, platform: string, releases: readonly PinnedRelease[] = KUBECTL_RELEASES): DownloadChoice & { note?: string } {
  const minor = minorOf(clusterVersion);
  const candidates = releases
    .map((r) => ({ r, sha256: r.sha256[platform as keyof PinnedRelease['sha256']], skew: minor === undefined ? Infinity : (minorOf(r.version) ?? Infinity) - minor }))
    .filter((c): c is { r: PinnedRelease; sha256: string; skew: number } => c.sha256 !== undefined && Math.abs(c.skew) <= 1)
    .sort((a, b) => Math.abs(a.skew) - Math.abs(b.skew) || b.skew - a.skew);
  const best = candidates[0];
  if (!best) {
    const exact = clusterVersion.replace(/^v/, '').replace(/[+-].*$/, '');
    const pinnedHere = releases.filter((r) => r.sha256[platform as keyof PinnedRelease['sha256']]).map((r) => r.version);
    throw new ConfigurationError({
      input: 'kubectl-version',
      problem: `is cluster, and the cluster runs Kubernetes ${clusterVersion}, but no kubectl within one minor of it is pinned in this action for ${platform} (pinned here: ${pinnedHere.join(', ') || 'none'})`,
      fix: `set kubectl-version: ${exact} with kubectl-sha256 (the hash in ${DEFAULT_KUBECTL_BASE_URL}/v${exact}/bin/${platform.replace('-', '/')}/kubectl.sha256) or kubectl-checksum-url, or install-kubectl: false`,
    });
  }
  const note = best.skew !== 0 ? `kubectl ${best.r.version}: no kubectl of the cluster's minor (${clusterVersion}) is pinned for ${platform}; this one is within kubectl's one-minor skew` : undefined;
  return { version: best.r.version, baseUrl: choice.baseUrl, allowInsecure: choice.allowInsecure, expected: { pinned: best.sha256 }, ...(note ? { note } : {}) };
}
