/**
 * The download inputs every action that installs a tool shares: `<tool>-version`, `<tool>-sha256`,
 * `<tool>-checksum-url`, `<tool>-base-url` and `allow-insecure-download`. The rule they enforce:
 * - a pinned version (src/versions.ts) is checked against the SHA-256 pinned in the source for this platform;
 * - any other version, or a platform without a pin, needs the user's SHA-256 or the URL of a checksum file the
 *   user names; a checksum is never taken from the server the file comes from unless the user said so;
 * - every URL is https, unless `allow-insecure-download: true` (then http is used, with a warning).
 */
import type { ExpectedDigest, ToolRelease } from './download.js';
import type { ProblemList } from './errors.js';
import type { Inputs } from './inputs.js';
import type { PinnedRelease } from '../versions.js';

export const ALLOW_INSECURE_INPUT = 'allow-insecure-download';

/** A downloadable tool as its inputs and its release layout name it. */
export interface DownloadSpec {
  /** As messages name it, e.g. "Helm". */
  title: string;
  releases: readonly PinnedRelease[];
  inputs: { version: string; sha256: string; checksumUrl: string; baseUrl: string };
  defaultBaseUrl: string;
  /** For messages: the release file (e.g. `helm-v4.2.3-linux-amd64.tar.gz`) and its published checksum file at the official base URL. */
  published(version: string, platform: string): { file: string; checksumUrl: string };
}

/** How a tool is published: what toolDownload derives a DownloadSpec from. */
export interface ToolLayout {
  title: string;
  releases: readonly PinnedRelease[];
  /** The inputs' prefix: `helm` names helm-version, helm-sha256, helm-checksum-url and helm-base-url. */
  inputPrefix: string;
  defaultBaseUrl: string;
  /** The release file of a version for a platform, under a base URL. */
  release(version: string, baseUrl: string, platform: { os: string; arch: string }): ToolRelease;
  /** The published checksum file's suffix, appended to the release file's URL at the official base URL. */
  checksumSuffix: string;
  /** How messages name the file (default: its file name). */
  describeFile?(release: ToolRelease, platform: string): string;
}

/** A DownloadSpec from a tool's layout: input names from the prefix, the published checksum file from the release URL. */
export function toolDownload(layout: ToolLayout): DownloadSpec {
  const p = layout.inputPrefix;
  return {
    title: layout.title,
    releases: layout.releases,
    inputs: { version: `${p}-version`, sha256: `${p}-sha256`, checksumUrl: `${p}-checksum-url`, baseUrl: `${p}-base-url` },
    defaultBaseUrl: layout.defaultBaseUrl,
    published: (version, platform) => {
      const [os = '', arch = ''] = platform.split('-');
      const release = layout.release(version, layout.defaultBaseUrl, { os, arch });
      return { file: layout.describeFile?.(release, platform) ?? release.fileName, checksumUrl: `${release.url}${layout.checksumSuffix}` };
    },
  };
}

/** A tool download as the inputs decided it, validated before anything runs. */
export interface DownloadChoice {
  version: string;
  baseUrl: string;
  expected: ExpectedDigest;
  allowInsecure: boolean;
}

export function parseAllowInsecure(inputs: Inputs, problems: ProblemList): boolean {
  return problems.collect(() => inputs.boolean(ALLOW_INSECURE_INPUT, false)) ?? false;
}

/** The URL without credentials, for messages and logs. */
export function displayUrl(value: string): string {
  try {
    const url = new URL(value);
    if (!url.username && !url.password) return value;
    url.username = '***';
    url.password = '';
    return url.toString();
  } catch {
    return value;
  }
}

/** An https URL (http only with allow-insecure-download: true), trailing slashes removed; problems are collected. */
export function downloadUrl(problems: ProblemList, input: string, value: string | undefined, allowInsecure: boolean): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.add({ input, problem: `"${displayUrl(value)}" is not a URL`, fix: 'write an absolute https:// URL' });
    return undefined;
  }
  if (url.protocol === 'http:' && !allowInsecure) {
    problems.add({ input, problem: `"${displayUrl(value)}" uses plain http, which anyone on the path can change`, fix: `use https://, or set ${ALLOW_INSECURE_INPUT}: true for a mirror that only speaks http (the SHA-256 check still applies, and the step warns)` });
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    problems.add({ input, problem: `"${displayUrl(value)}" is not an https URL`, fix: 'write an absolute https:// URL' });
    return undefined;
  }
  return value.replace(/\/+$/, '');
}

/** A SHA-256 in hex (64 characters; `sha256:` prefix and upper case accepted), lower-cased. */
export function parseSha256(problems: ProblemList, input: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const hex = value.replace(/^sha256:/i, '').toLowerCase();
  if (/^[a-f0-9]{64}$/.test(hex)) return hex;
  problems.add({ input, problem: `"${value.slice(0, 80)}" is not a SHA-256 (64 hexadecimal characters)`, fix: 'copy the hash of the release file from its published checksum file' });
  return undefined;
}

export function pinnedDigest(releases: readonly PinnedRelease[], version: string, platform: string): string | undefined {
  return releases.find((r) => r.version === version)?.sha256[platform as keyof PinnedRelease['sha256']];
}

/**
 * Parses a tool's base URL, SHA-256 and checksum URL inputs for an exact version (undefined when the version
 * itself was wrong: the other inputs are still checked). Returns undefined when a problem was collected.
 */
export function parseDownload(
  inputs: Inputs,
  problems: ProblemList,
  spec: DownloadSpec,
  version: string | undefined,
  ctx: { platform: string; allowInsecure: boolean },
): DownloadChoice | undefined {
  const before = problems.length;
  const names = spec.inputs;
  const baseUrl = downloadUrl(problems, names.baseUrl, inputs.string(names.baseUrl, spec.defaultBaseUrl), ctx.allowInsecure);
  const given = parseSha256(problems, names.sha256, inputs.string(names.sha256));
  const checksumUrl = downloadUrl(problems, names.checksumUrl, inputs.string(names.checksumUrl), ctx.allowInsecure);
  if (version === undefined) return undefined;

  const pinned = pinnedDigest(spec.releases, version, ctx.platform);
  const { file, checksumUrl: publishedAt } = spec.published(version, ctx.platform);
  const howTo = `set ${names.sha256} to the SHA-256 of ${file} (published in ${publishedAt}; check it against a source you trust), or ${names.checksumUrl} to the URL of a checksum file you trust`;
  if (pinned && given && given !== pinned) {
    problems.add({ input: names.sha256, problem: `is ${given}, but the SHA-256 pinned in this action for ${file} is ${pinned}`, fix: `remove ${names.sha256} (a pinned version needs none), or check which file your value is for` });
  } else if (!pinned && !given && !checksumUrl) {
    const release = spec.releases.find((r) => r.version === version);
    const pinnedHere = spec.releases.filter((r) => r.sha256[ctx.platform as keyof PinnedRelease['sha256']]).map((r) => r.version);
    const alternative = pinnedHere.length ? `; or use ${pinnedHere.join(' or ')}, pinned for ${ctx.platform}` : '';
    problems.add({
      input: release ? names.sha256 : names.version,
      problem: release
        ? `is required: ${spec.title} ${version} has no SHA-256 pinned for ${ctx.platform} (none could be confirmed from a published source)`
        : `${spec.title} ${version} is not pinned in this action (pinned: ${spec.releases.map((r) => r.version).join(', ')}), so its SHA-256 must come from you`,
      fix: `${howTo}${alternative}`,
    });
  }
  if (problems.length > before || !baseUrl) return undefined;
  const expected: ExpectedDigest = {
    ...(pinned ? { pinned } : {}),
    ...(given ? { given: { sha256: given, input: names.sha256 } } : {}),
    ...(checksumUrl ? { checksumUrl: { url: checksumUrl, input: names.checksumUrl } } : {}),
  };
  return { version, baseUrl, expected, allowInsecure: ctx.allowInsecure };
}

/** For a choice that downloads nothing (preinstalled, or resolved later): the checksum inputs must be empty. */
export function refuseChecksumInputs(inputs: Inputs, problems: ProblemList, spec: DownloadSpec, why: string): void {
  for (const input of [spec.inputs.sha256, spec.inputs.checksumUrl]) {
    if (inputs.raw(input) !== undefined) problems.add({ input, problem: `is set, but ${why}`, fix: `remove ${input}, or set ${spec.inputs.version} to an exact version` });
  }
}

/** Go-style platform names for download URLs. */
export function goPlatform(platform: NodeJS.Platform = process.platform, arch: string = process.arch): { os: string; arch: string } {
  const os = platform === 'win32' ? 'windows' : platform;
  const goArch = arch === 'x64' ? 'amd64' : arch === 'ia32' ? '386' : arch;
  return { os, arch: goArch };
}

/** This runner's `<os>-<arch>` (e.g. linux-amd64), the key of the pinned SHA-256 tables. */
export function hostPlatform(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string {
  const p = goPlatform(platform, arch);
  return `${p.os}-${p.arch}`;
}
