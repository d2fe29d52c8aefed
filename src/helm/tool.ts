import { ConfigurationError, type ProblemList } from '../core/errors.js';
import { goPlatform, parseDownload, refuseChecksumInputs, toolDownload, type DownloadChoice, type DownloadSpec } from '../core/download-inputs.js';
import type { InstallDeps, ToolRelease } from '../core/download.js';
import type { CommandRunner } from '../core/exec.js';
import type { Inputs } from '../core/inputs.js';
import { HELM3_VERSION, HELM_RELEASES, HELM_VERSION } from '../versions.js';

/** The Helm version the actions use unless told otherwise (pinned with its SHA-256); both majors are supported. */
export const DEFAULT_HELM_VERSION = HELM_VERSION;
export const DEFAULT_HELM_BASE_URL = 'https://get.helm.sh';

function helmFile(version: string, os: string, arch: string): string {
  return `helm-v${version}-${os}-${arch}.${os === 'windows' ? 'zip' : 'tar.gz'}`;
}

/** Helm's published release layout: <base>/helm-v<V>-<os>-<arch>.tar.gz (.zip on windows). */
export function helmRelease(version: string, baseUrl: string, platform: { os: string; arch: string }): ToolRelease {
  const fileName = helmFile(version, platform.os, platform.arch);
  return {
    tool: 'helm',
    version,
    url: `${baseUrl.replace(/\/+$/, '')}/${fileName}`,
    fileName,
    archive: platform.os === 'windows' ? 'zip' : 'tar.gz',
    binaryPath: `${platform.os}-${platform.arch}/helm${platform.os === 'windows' ? '.exe' : ''}`,
  };
}

export const HELM_DOWNLOAD: DownloadSpec = toolDownload({ title: 'Helm', releases: HELM_RELEASES, inputPrefix: 'helm', defaultBaseUrl: DEFAULT_HELM_BASE_URL, release: helmRelease, checksumSuffix: '.sha256sum' });

/**
 * `preinstalled`, an exact x.y.z (a leading v is accepted), or a major alone (`3`, `4`: the version of that
 * major pinned in this action). Ranges are refused: downloads are pinned.
 */
export function parseHelmVersion(value: string | undefined, input = 'helm-version'): string | 'preinstalled' {
  const v = (value ?? DEFAULT_HELM_VERSION).trim();
  if (v === 'preinstalled') return v;
  const major = /^v?([34])$/.exec(v)?.[1];
  if (major) return major === '3' ? HELM3_VERSION : HELM_VERSION;
  const m = /^v?(\d+\.\d+\.\d+)$/.exec(v);
  if (!m) throw new ConfigurationError({ input, problem: `"${v}" is not an exact Helm version`, fix: `use an exact version such as ${DEFAULT_HELM_VERSION} (no ranges), 3 or 4 for the pinned ${HELM3_VERSION} or ${HELM_VERSION}, or preinstalled to use helm from PATH` });
  const major2 = Number(m[1]!.split('.')[0]);
  if (major2 !== 3 && major2 !== 4) throw new ConfigurationError({ input, problem: `Helm ${m[1]} is not supported`, fix: `use Helm 3 or Helm 4 (pinned: ${HELM3_VERSION}, ${HELM_VERSION})` });
  return m[1]!;
}

/** Helm as the inputs chose it: the one on PATH, or a verified download. */
export type HelmChoice = { version: 'preinstalled' } | DownloadChoice;

/** Parses helm-version, helm-sha256, helm-checksum-url and helm-base-url; problems are collected. */
export function parseHelmInputs(inputs: Inputs, problems: ProblemList, ctx: { platform: string; allowInsecure: boolean }): HelmChoice | undefined {
  const version = problems.collect(() => parseHelmVersion(inputs.string(HELM_DOWNLOAD.inputs.version)));
  if (version === 'preinstalled') {
    refuseChecksumInputs(inputs, problems, HELM_DOWNLOAD, 'helm-version is preinstalled: nothing is downloaded');
    return { version };
  }
  return parseDownload(inputs, problems, HELM_DOWNLOAD, version, ctx);
}

export interface HelmBinary {
  path: string;
  /** e.g. "v4.2.3" */
  version: string;
  major: 3 | 4;
}

/**
 * Installs the chosen Helm (SHA-256 verified, so its version is known) or finds the preinstalled one and asks it
 * for its version. The major decides the flags (Helm 4 renamed --atomic).
 */
export async function resolveHelm(choice: HelmChoice, runner: CommandRunner, deps: InstallDeps & { platform?: { os: string; arch: string } }): Promise<HelmBinary> {
  if ('expected' in choice) {
    const { installVerifiedTool } = await import('../core/download.js');
    const release = helmRelease(choice.version, choice.baseUrl, deps.platform ?? goPlatform());
    const path = await installVerifiedTool({ release, expected: choice.expected, allowInsecure: choice.allowInsecure }, deps);
    const major = Number(choice.version.split('.')[0]);
    if (major !== 3 && major !== 4) throw new ConfigurationError({ input: 'helm-version', problem: `Helm ${choice.version} is not supported`, fix: 'use Helm 3 or Helm 4' });
    return { path, version: `v${choice.version}`, major };
  }
  const path = 'helm';
  const { stdout } = await runner.run(path, ['version', '--template', '{{.Version}}']);
  const detected = stdout.trim();
  const major = Number(/^v(\d+)\./.exec(detected)?.[1]);
  if (major !== 3 && major !== 4) throw new ConfigurationError({ input: 'helm-version', problem: `helm reports version "${detected}", which this action does not support`, fix: 'use Helm 3 or Helm 4' });
  return { path, version: detected, major };
}
