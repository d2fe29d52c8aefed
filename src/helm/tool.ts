import { ConfigurationError, type ProblemList } from '../core/errors.js';
import { goPlatform, parseDownload, refuseChecksumInputs, toolDownload, type DownloadChoice, type DownloadSpec } from '../core/download-inputs.js';
import type { InstallDeps, ToolRelease } from '../core/download.js';
import type { CommandRunner } from '../core/exec.js';
import { checkExactVersion, clip, type Inputs } from '../core/inputs.js';
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

/** The Helm majors this project runs (the flags differ: Helm 4 renamed --atomic); Helm 2 needs Tiller and is refused. */
export const SUPPORTED_HELM_MAJORS = [3, 4] as const;
export type HelmMajor = (typeof SUPPORTED_HELM_MAJORS)[number];

const supported = (): string => `Helm ${SUPPORTED_HELM_MAJORS.join(' or Helm ')} (pinned: ${HELM3_VERSION}, ${HELM_VERSION})`;

/** The major of an exact version, or a ConfigurationError naming `input` when it is not one this project runs. */
export function checkHelmMajor(version: string, input = 'helm-version'): HelmMajor {
  const major = Number(/^v?(\d+)(\.|$)/.exec(version)?.[1]);
  if ((SUPPORTED_HELM_MAJORS as readonly number[]).includes(major)) return major as HelmMajor;
  const shown = version.replace(/^v/, '');
  const why = major < 3 ? `Helm ${shown} is not supported: Helm ${major} needs Tiller in the cluster, and its flags and release storage differ` : `Helm ${shown} is not supported: this action knows Helm ${SUPPORTED_HELM_MAJORS.join(' and ')} only`;
  throw new ConfigurationError({ input, problem: why, fix: `use ${supported()}, e.g. helm-version: ${HELM_VERSION} or helm-version: 3` });
}

/**
 * `preinstalled`, an exact x.y.z (a leading v and a pre-release such as -rc.1 are accepted), or a major alone
 * (`3`, `4`: the version of that major pinned in this action). Ranges are refused: downloads are pinned. Helm
 * below 3 is refused here, before anything is fetched.
 */
export function parseHelmVersion(value: string | undefined, input = 'helm-version'): string | 'preinstalled' {
  const v = (value ?? DEFAULT_HELM_VERSION).trim();
  if (v === 'preinstalled') return v;
  if (/^v?3$/.test(v)) return HELM3_VERSION;
  if (/^v?4$/.test(v)) return HELM_VERSION;
  // A major this action does not run (2, 2.17, 2.17.0, 5) is said to be one, whatever else is wrong with the value.
  if (/^v?\d+(\.|$)/.test(v)) checkHelmMajor(v, input);
  let exact: string;
  try {
    exact = checkExactVersion(input, v, DEFAULT_HELM_VERSION);
  } catch {
    throw new ConfigurationError({ input, problem: `"${clip(v)}" is not an exact Helm version`, fix: `use an exact version such as ${DEFAULT_HELM_VERSION} (no ranges), 3 or 4 for the pinned ${HELM3_VERSION} or ${HELM_VERSION}, or preinstalled to use helm from PATH` });
  }
  checkHelmMajor(exact, input);
  return exact;
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
  major: HelmMajor;
}

/**
 * Installs the chosen Helm (SHA-256 verified, so its version is known) or finds the preinstalled one and asks it
 * for its version. The major decides the flags (Helm 4 renamed --atomic).
 */
export async function resolveHelm(choice: HelmChoice, runner: CommandRunner, deps: InstallDeps & { platform?: { os: string; arch: string } }): Promise<HelmBinary> {
  if ('expected' in choice) {
    // Before anything is fetched: a Helm 2 must not cost a download (or a checksum request) to be refused.
    const major = checkHelmMajor(choice.version);
    const { installVerifiedTool } = await import('../core/download.js');
    const release = helmRelease(choice.version, choice.baseUrl, deps.platform ?? goPlatform());
    const path = await installVerifiedTool({ release, expected: choice.expected, allowInsecure: choice.allowInsecure }, deps);
    return { path, version: `v${choice.version}`, major };
  }
  const path = 'helm';
  const { stdout } = await runner.run(path, ['version', '--template', '{{.Version}}']);
  const detected = stdout.trim();
  if (!/^v?\d+\./.test(detected)) throw new ConfigurationError({ input: 'helm-version', problem: `is preinstalled, but helm on PATH reports version "${clip(detected)}", which is not a Helm version`, fix: `install ${supported()} on the runner, or set helm-version to ${HELM_VERSION} to download the pinned one` });
  const major = checkHelmMajor(detected);
  return { path, version: detected, major };
}
