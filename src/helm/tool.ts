import { ConfigurationError } from '../core/errors.js';
import { goPlatform, installVerifiedTool, type InstallDeps, type ToolRelease } from '../core/download.js';
import type { CommandRunner } from '../core/exec.js';

/** The Helm version the actions use unless told otherwise; both majors are supported. */
export const DEFAULT_HELM_VERSION = '4.1.4';
export const DEFAULT_HELM_BASE_URL = 'https://get.helm.sh';

/** Helm's published release layout: <base>/helm-v<V>-<os>-<arch>.tar.gz and a .sha256sum beside it. */
export function helmRelease(version: string, baseUrl = DEFAULT_HELM_BASE_URL, platform = goPlatform()): ToolRelease {
  const base = baseUrl.replace(/\/+$/, '');
  const ext = platform.os === 'windows' ? 'zip' : 'tar.gz';
  const fileName = `helm-v${version}-${platform.os}-${platform.arch}.${ext}`;
  return {
    tool: 'helm',
    version,
    url: `${base}/${fileName}`,
    checksumUrl: `${base}/${fileName}.sha256sum`,
    fileName,
    archive: ext,
    binaryPath: `${platform.os}-${platform.arch}/helm${platform.os === 'windows' ? '.exe' : ''}`,
  };
}

/** `preinstalled`, or an exact x.y.z (a leading v is accepted). Ranges are refused: downloads are pinned. */
export function parseHelmVersion(value: string | undefined, input = 'helm-version'): string | 'preinstalled' {
  const v = (value ?? DEFAULT_HELM_VERSION).trim();
  if (v === 'preinstalled') return v;
  const m = /^v?(\d+\.\d+\.\d+)$/.exec(v);
  if (!m) throw new ConfigurationError({ input, problem: `"${v}" is not an exact Helm version`, fix: `use an exact version such as ${DEFAULT_HELM_VERSION} (no ranges), or preinstalled to use helm from PATH` });
  return m[1]!;
}

export interface HelmBinary {
  path: string;
  /** e.g. "v3.17.3" */
  version: string;
  major: 3 | 4;
}

/**
 * Installs the pinned Helm (SHA-256 verified, so its version is known) or finds the preinstalled one and
 * asks it for its version. The major decides the flags (Helm 4 renamed --atomic).
 */
export async function resolveHelm(version: string | 'preinstalled', baseUrl: string | undefined, runner: CommandRunner, deps: InstallDeps): Promise<HelmBinary> {
  if (version !== 'preinstalled') {
    const path = await installVerifiedTool(helmRelease(version, baseUrl), deps);
    const major = Number(version.split('.')[0]);
    if (major !== 3 && major !== 4) throw new ConfigurationError({ input: 'helm-version', problem: `Helm ${version} is not supported`, fix: 'use Helm 3 or Helm 4' });
    return { path, version: `v${version}`, major };
  }
  const path = 'helm';
  const { stdout } = await runner.run(path, ['version', '--template', '{{.Version}}']);
  const detected = stdout.trim();
  const major = Number(/^v(\d+)\./.exec(detected)?.[1]);
  if (major !== 3 && major !== 4) throw new ConfigurationError({ input: 'helm-version', problem: `helm reports version "${detected}", which this action does not support`, fix: 'use Helm 3 or Helm 4' });
  return { path, version: detected, major };
}
