import { goPlatform, type ToolRelease } from '../core/download.js';

export const DAPR_CLI_BASE_URL = 'https://github.com/dapr/cli/releases/download';

/** The Dapr CLI's release layout: <base>/v<V>/dapr_<os>_<arch>.tar.gz with a .sha256 file beside it. */
export function daprCliRelease(version: string, baseUrl = DAPR_CLI_BASE_URL, platform = goPlatform()): ToolRelease {
  const ext = platform.os === 'windows' ? 'zip' : 'tar.gz';
  const fileName = `dapr_${platform.os}_${platform.arch}.${ext}`;
  const url = `${baseUrl.replace(/\/+$/, '')}/v${version}/${fileName}`;
  return { tool: 'dapr', version, url, checksumUrl: `${url}.sha256`, fileName, archive: ext, binaryPath: platform.os === 'windows' ? 'dapr.exe' : 'dapr' };
}
