import { toolDownload, type DownloadSpec } from '../core/download-inputs.js';
import type { ToolRelease } from '../core/download.js';
import { DAPR_CLI_RELEASES } from '../versions.js';

export const DAPR_CLI_BASE_URL = 'https://github.com/dapr/cli/releases/download';

function cliFile(os: string, arch: string): string {
  return `dapr_${os}_${arch}.${os === 'windows' ? 'zip' : 'tar.gz'}`;
}

/** The Dapr CLI's release layout: <base>/v<V>/dapr_<os>_<arch>.tar.gz (.zip on windows). */
export function daprCliRelease(version: string, baseUrl: string, platform: { os: string; arch: string }): ToolRelease {
  const fileName = cliFile(platform.os, platform.arch);
  const url = `${baseUrl.replace(/\/+$/, '')}/v${version}/${fileName}`;
  return { tool: 'dapr', version, url, fileName, archive: platform.os === 'windows' ? 'zip' : 'tar.gz', binaryPath: platform.os === 'windows' ? 'dapr.exe' : 'dapr' };
}

export const DAPR_CLI_DOWNLOAD: DownloadSpec = toolDownload({ title: 'the Dapr CLI', releases: DAPR_CLI_RELEASES, inputPrefix: 'cli', defaultBaseUrl: DAPR_CLI_BASE_URL, release: daprCliRelease, checksumSuffix: '.sha256' });
