import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { load } from 'js-yaml';
import { ConfigurationError } from '../core/errors.js';
import { excerpt } from '../core/inputs.js';

/** What a chart's Chart.yaml says of itself. */
export interface ChartMetadata {
  name: string;
  version: string;
  appVersion?: string;
}

/** The Dapr release a chart installs: its appVersion (the images' tag), else its chart version; without a leading v. */
export function chartDaprVersion(meta: { version: string; appVersion?: string }): string {
  return (meta.appVersion || meta.version).replace(/^v/, '');
}

const MAX_ARCHIVE = 64 * 1024 * 1024;

/**
 * The top-level Chart.yaml of a packaged chart (`<name>/Chart.yaml` in a gzipped tar, as `helm package` writes
 * it); subcharts (`<name>/charts/x/Chart.yaml`) are skipped. Reads ustar names (with prefix) and PAX `path`
 * records; no other tar feature is needed for it.
 */
export function chartYamlFromTgz(archive: Buffer): string | undefined {
  const tar = gunzipSync(archive, { maxOutputLength: MAX_ARCHIVE });
  let paxPath: string | undefined;
  for (let off = 0; off + 512 <= tar.length; ) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const str = (from: number, len: number): string => header.subarray(from, from + len).toString('utf8').replace(/\0.*$/s, '');
    const size = Number.parseInt(str(124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156] ?? 0);
    const body = tar.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1];
      continue;
    }
    const prefix = str(345, 155);
    const name = paxPath ?? (prefix ? `${prefix}/${str(0, 100)}` : str(0, 100));
    paxPath = undefined;
    if ((type === '0' || type === '\0') && /^[^/]+\/Chart\.yaml$/.test(name.replace(/^\.\//, ''))) return body.toString('utf8');
  }
  return undefined;
}

/**
 * Chart.yaml of a local chart: a directory or a packaged .tgz. A ConfigurationError naming `input` when the path
 * is no chart; a file that is not a chart archive is shown as a short excerpt, never whole.
 */
export function readLocalChart(input: string, path: string, shown = path): ChartMetadata {
  let text: string | undefined;
  if (statSync(path).isDirectory()) {
    try {
      text = readFileSync(join(path, 'Chart.yaml'), 'utf8');
    } catch {
      throw new ConfigurationError({ input, problem: `${shown} is a directory without Chart.yaml`, fix: 'point chart at the Dapr chart\'s directory (the one holding Chart.yaml) or its packaged .tgz' });
    }
  } else {
    const data = readFileSync(path);
    if (data[0] !== 0x1f || data[1] !== 0x8b) {
      throw new ConfigurationError({ input, problem: `${shown} is not a packaged chart (.tgz: gzip data); it begins:\n${excerpt(data.subarray(0, 4096).toString('utf8'))}`, fix: 'point chart at a chart .tgz (helm package / helm pull) or a chart directory' });
    }
    try {
      text = chartYamlFromTgz(data);
    } catch (err) {
      throw new ConfigurationError({ input, problem: `${shown} is not a readable chart archive (${(err as Error).message.split('\n')[0]})`, fix: 'download or package the chart again (helm pull / helm package)' });
    }
    if (text === undefined) throw new ConfigurationError({ input, problem: `${shown} holds no <chart>/Chart.yaml`, fix: 'point chart at a chart .tgz made by helm package or helm pull' });
  }
  let doc: unknown;
  try {
    doc = load(text);
  } catch {
    doc = undefined;
  }
  const meta = (doc && typeof doc === 'object' && !Array.isArray(doc) ? doc : {}) as Record<string, unknown>;
  const version = meta.version === undefined ? '' : String(meta.version);
  if (!version) throw new ConfigurationError({ input, problem: `the Chart.yaml of ${shown} has no version`, fix: 'point chart at a released Dapr chart (helm pull dapr/dapr --version <x.y.z>)' });
  return { name: String(meta.name ?? ''), version, ...(meta.appVersion !== undefined && meta.appVersion !== null ? { appVersion: String(meta.appVersion) } : {}) };
}
