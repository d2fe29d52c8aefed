import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chartDaprVersion, chartYamlFromTgz, readLocalChart } from '../../../src/dapr/chart.js';
import { configError } from '../../support/config-error.js';

const dir = mkdtempSync(join(tmpdir(), 'dapr-chart-'));

/** A chart directory `<root>/<name>` with a subchart whose Chart.yaml says something else. */
function chart(root: string, name: string, chartYaml: string): string {
  mkdirSync(join(root, name, 'charts', 'dapr_sub'), { recursive: true });
  writeFileSync(join(root, name, 'charts', 'dapr_sub', 'Chart.yaml'), 'name: dapr_sub\nversion: 0.0.1\n');
  writeFileSync(join(root, name, 'Chart.yaml'), chartYaml);
  return join(root, name);
}

/** One ustar header (+ body) as `tar` would write it; type 'x' is a PAX header. */
function tarEntry(name: string, body: string, type = '0'): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0);
  h.write('0000644\0', 100);
  h.write(`${Buffer.byteLength(body).toString(8).padStart(11, '0')}\0`, 124);
  h.write(type, 156);
  h.write('ustar\0', 257);
  const data = Buffer.alloc(Math.ceil(Buffer.byteLength(body) / 512) * 512);
  data.write(body);
  return Buffer.concat([h, data]);
}

describe('readLocalChart', () => {
  it('reads a packaged chart (tar -czf), not its subcharts', () => {
    const root = mkdtempSync(join(dir, 'pkg-'));
    chart(root, 'dapr', "apiVersion: v1\nname: dapr\nversion: '1.18.2'\nappVersion: '1.18.2'\n");
    execFileSync('tar', ['-czf', join(root, 'dapr.tgz'), '-C', root, 'dapr']);
    expect(readLocalChart('chart', join(root, 'dapr.tgz'))).toEqual({ name: 'dapr', version: '1.18.2', appVersion: '1.18.2' });
  });

  it('reads a chart directory', () => {
    expect(readLocalChart('chart', chart(mkdtempSync(join(dir, 'd-')), 'dapr', 'name: dapr\nversion: 1.17.0\n'))).toEqual({ name: 'dapr', version: '1.17.0' });
  });

  it('follows a PAX path record (long names, as Go writes them)', () => {
    const pax = '30 path=dapr/Chart.yaml\n';
    const tgz = gzipSync(Buffer.concat([tarEntry('dapr/charts/x/Chart.yaml', 'name: x\nversion: 9.9.9\n'), tarEntry('PaxHeaders/x', pax, 'x'), tarEntry('dapr/longname-cut', 'name: dapr\nversion: 1.16.0\n'), Buffer.alloc(1024)]));
    expect(chartYamlFromTgz(tgz)).toBe('name: dapr\nversion: 1.16.0\n');
  });

  it.each<[string, (root: string) => string, RegExp]>([
    ['a directory without Chart.yaml', (root) => { mkdirSync(join(root, 'x')); return join(root, 'x'); }, /^chart: \S+ is a directory without Chart\.yaml/],
    ['a text file', (root) => { writeFileSync(join(root, 'x.tgz'), 'a\nb\nc\nd\ne secret-after-three-lines\n'); return join(root, 'x.tgz'); }, /^chart: \S+ is not a packaged chart \(\.tgz: gzip data\); it begins:\n {2}\| a\n {2}\| b\n {2}\| c\n {2}\| … \(2 more lines, 35 characters in all\)/],
    ['gzip that is no tar of a chart', (root) => { writeFileSync(join(root, 'x.tgz'), gzipSync(Buffer.alloc(1024))); return join(root, 'x.tgz'); }, /^chart: \S+ holds no <chart>\/Chart\.yaml/],
    ['broken gzip', (root) => { writeFileSync(join(root, 'x.tgz'), Buffer.from([0x1f, 0x8b, 1, 2, 3])); return join(root, 'x.tgz'); }, /^chart: \S+ is not a readable chart archive/],
    ['a Chart.yaml without version', (root) => chart(root, 'dapr', 'name: dapr\n'), /^chart: the Chart\.yaml of \S+ has no version/],
  ])('refuses %s, showing no more than an excerpt', (_name, make, message) => {
    const path = make(mkdtempSync(join(dir, 'bad-')));
    const err = configError(() => readLocalChart('chart', path));
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain('secret-after-three-lines');
  });

  it('a binary file is shown with its control characters replaced', () => {
    const path = join(mkdtempSync(join(dir, 'bin-')), 'x.tgz');
    writeFileSync(path, Buffer.concat([Buffer.from('PK\x03\x04'), readFileSync(process.execPath).subarray(0, 20_000)]));
    const message = configError(() => readLocalChart('chart', path)).message;
    expect(message.length).toBeLessThan(800);
    expect(message).not.toMatch(/[\x00-\x08]/); // eslint-disable-line no-control-regex
  });
});

describe('chartDaprVersion', () => {
  it.each([
    [{ version: '1.18.2', appVersion: '1.18.2' }, '1.18.2'],
    [{ version: '0.1.0', appVersion: 'v1.17.0' }, '1.17.0'],
    [{ version: '1.16.1' }, '1.16.1'],
  ])('%j installs Dapr %s', (meta, version) => expect(chartDaprVersion(meta)).toBe(version));
});
