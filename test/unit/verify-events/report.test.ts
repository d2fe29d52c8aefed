import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkReportPath, prepareReport, writeReport } from '../../../src/actions/verify-events/report.js';
import { OperationError } from '../../../src/core/errors.js';
import { pathPolicy } from '../../../src/core/inputs.js';
import { configError } from '../../support/config-error.js';

/** report-path: checked with the inputs, its folder made before the first probe, written after the outputs. */
let root: string;
let workspace: string;
let runnerTemp: string;
let outside: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 've-report-'));
  [workspace, runnerTemp, outside] = [join(root, 'ws'), join(root, 'rt'), join(root, 'elsewhere')];
  for (const d of [workspace, runnerTemp, outside]) mkdirSync(d);
  mkdirSync(join(workspace, 'out'));
  writeFileSync(join(workspace, 'a-file'), 'x');
  symlinkSync(outside, join(workspace, 'link-out'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const policy = (allowOutside = false) => pathPolicy({ GITHUB_WORKSPACE: workspace, RUNNER_TEMP: runnerTemp }, allowOutside);

describe('checkReportPath', () => {
  it.each<[string, (r: string) => string, string]>([
    ['relative, in the workspace', () => 'reports/ve.json', 'ws/reports/ve.json'],
    ['absolute, in RUNNER_TEMP, folders to make', (r) => join(r, 'rt', 'a', 'b', 've.json'), 'rt/a/b/ve.json'],
    ['an existing file', () => 'a-file', 'ws/a-file'],
  ])('accepts %s', (_n, value, expected) => expect(checkReportPath(value(root), policy())).toBe(join(root, expected)));

  it.each<[string, (r: string) => string, boolean, RegExp]>([
    ['a folder', () => 'out', false, /^report-path: out is a folder\. Fix: name a file inside it, e\.g\. out\/verify-events-report\.json$/],
    ['a name ending in /', () => 'reports/', false, /report-path: reports\/ ends with "\/": it names a folder, not a file/],
    ['a folder under a file', () => 'a-file/ve.json', false, /report-path: its folder cannot be created: .*a-file is a file, not a folder/],
    ['outside the workspace', (r) => join(r, 'elsewhere', 've.json'), false, /report-path: .*elsewhere\/ve\.json is outside the workspace .*Fix: .*set allow-outside-workspace: true/],
    ['outside through a symlink', () => 'link-out/ve.json', false, /report-path: link-out\/ve\.json is outside the workspace \(.*link-out\/ve\.json -> .*elsewhere\/ve\.json/],
    ['/proc without allow-outside-workspace', () => '/proc/verify-events/report.json', false, /report-path: \/proc\/verify-events\/report\.json is outside the workspace/],
    ['/ as a folder, even when allowed', () => '/', true, /report-path: \/ ends with "\/"/],
  ])('refuses %s', (_n, value, allow, re) => expect(configError(() => checkReportPath(value(root), policy(allow))).message).toMatch(re));

  it('accepts a path outside the workspace with allow-outside-workspace: true', () => {
    expect(checkReportPath(join(outside, 've.json'), policy(true))).toBe(join(outside, 've.json'));
  });
});

describe('prepareReport', () => {
  it('makes the folders one by one and leaves an empty file', () => {
    const path = join(runnerTemp, 'a', 'b', 've.json');
    prepareReport(path);
    expect(readFileSync(path, 'utf8')).toBe('');
  });

  it('fails at once under /proc (a recursive mkdir there never returns)', () => {
    const t0 = Date.now();
    const err = configError(() => prepareReport('/proc/verify-events-test/x/report.json'));
    expect(err.message).toMatch(/^report-path: \/proc\/verify-events-test\/x\/report\.json cannot be written \(E[A-Z]+ on \/proc\/verify-events-test\)/);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });
});

describe('writeReport', () => {
  it('writes the report as JSON, making the folders it needs', () => {
    const path = join(runnerTemp, 'x', 'y', 've.json');
    writeReport(path, { ok: true, sent: 3, probes: [{ id: 'p-1' }] });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ ok: true, sent: 3, probes: [{ id: 'p-1' }] });
  });

  it('says which file could not be written, as an OperationError', () => {
    const dir = join(runnerTemp, 'gone');
    writeFileSync(dir, 'now a file');
    expect(() => writeReport(join(dir, 've.json'), {})).toThrow(OperationError);
    expect(() => writeReport(join(dir, 've.json'), {})).toThrow(/^writing the report to .*gone\/ve\.json failed \(E[A-Z]+/);
  });
});
