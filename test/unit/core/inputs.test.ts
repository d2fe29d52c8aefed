import { configError } from '../../support/config-error.js';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { checkDnsLabel, checkDnsSubdomain, checkExactVersion, checkPath, checkUrl, clip, envInputs, excerpt, Inputs, objectInputs, parseDuration } from '../../../src/core/inputs.js';

const inputs = (values: Record<string, string>): Inputs => new Inputs(objectInputs(values));

const errorOf = configError;

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['10m', 600_000],
    ['1h30m', 5_400_000],
    ['250ms', 250],
    [' 2m ', 120_000],
    ['1h0m5s', 3_605_000],
  ])('%s -> %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['300', '10 m', '1.5m', '-5s', 'm', '', '10mins', '5d'])('refuses %j', (text) => expect(parseDuration(text)).toBeUndefined());
});

describe('Inputs', () => {
  it('reads INPUT_ variables the way the runner names them', () => {
    const source = envInputs({ INPUT_ALLOW_DELETE: 'x', 'INPUT_CHART-VERSION': '1.2.3' });
    expect(source('allow delete')).toBe('x');
    expect(source('chart-version')).toBe('1.2.3');
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['False', false],
    ['', true],
  ])('boolean %j -> %s (default true)', (value, expected) => expect(inputs({ wait: value }).boolean('wait', true)).toBe(expected));

  it.each(['yes', '1', 'ture', 'on'])('boolean refuses %j, naming the input and the fix', (value) => {
    const err = errorOf(() => inputs({ wait: value }).boolean('wait', true));
    expect(err.message).toBe(`wait: "${value}" is not a boolean. Fix: use true or false`);
  });

  it('duration uses the default when unset and enforces limits', () => {
    expect(inputs({}).duration('timeout', '5m')).toBe(300_000);
    expect(errorOf(() => inputs({ timeout: '1s' }).duration('timeout', '5m', { minMs: 10_000 })).message).toMatch(/^timeout: 1s is shorter than the minimum 10s. Fix: use at least 10s$/);
    expect(errorOf(() => inputs({ timeout: '3h' }).duration('timeout', '5m', { maxMs: 3_600_000 })).message).toMatch(/longer than the maximum 1h/);
    expect(errorOf(() => inputs({ timeout: '300' }).duration('timeout', '5m')).message).toMatch(/^timeout: "300" is not a duration. Fix: write a number with a unit/);
  });

  it.each([
    ['a\nb\n\n# comment\n  c  ', ['a', 'b', 'c']],
    ['- values.yaml\n- values-oke.yaml\r\n', ['values.yaml', 'values-oke.yaml']],
    ['', []],
  ])('list %j', (value, expected) => expect(inputs({ files: value }).list('files')).toEqual(expected));

  it('list with commas splits lines and commas', () => {
    expect(inputs({ brokers: 'a:9092, b:9092\nc:9092' }).list('brokers', { commas: true })).toEqual(['a:9092', 'b:9092', 'c:9092']);
  });

  it('keyValues keeps = in values and refuses lines without a key, without echoing the value', () => {
    expect(inputs({ set: 'image.tag=1.2\nurl=a=b' }).keyValues('set')).toEqual([
      { key: 'image.tag', value: '1.2' },
      { key: 'url', value: 'a=b' },
    ]);
    const err = errorOf(() => inputs({ set: 'a=1\n=hunter2\nno-equals' }).keyValues('set'));
    expect(err.problems.map((p) => p.problem)).toEqual(['line 2 has an empty key (nothing before the =)', 'line 3 ("no-equals") is not key=value (it has no =)']);
    expect(err.message).not.toContain('hunter2');
  });

  it.each([
    ['3', 3],
    ['', 7],
  ])('integer %j', (value, expected) => expect(inputs({ n: value }).integer('n', 7, { min: 1, max: 10 })).toBe(expected));

  it.each([
    ['x', /"x" is not a whole number/],
    ['0', /0 is out of range. Fix: use a number between 1 and 10/],
    ['11', /11 is out of range/],
  ])('integer refuses %j', (value, re) => expect(errorOf(() => inputs({ n: value }).integer('n', 7, { min: 1, max: 10 })).message).toMatch(re));

  it('oneOf returns the canonical spelling and lists the choices on error', () => {
    expect(inputs({ mode: 'APPLY' }).oneOf('mode', ['plan', 'apply'] as const, 'plan')).toBe('apply');
    expect(errorOf(() => inputs({ mode: 'destroy' }).oneOf('mode', ['plan', 'apply'] as const, 'plan')).message).toBe('mode: "destroy" is not one of the allowed values. Fix: use one of: plan, apply');
  });

  it('required names the input', () => {
    expect(errorOf(() => inputs({ release: '  ' }).required('release')).problems[0]).toMatchObject({ input: 'release', problem: 'is required but was empty or not set' });
  });
});

describe('shared validators', () => {
  it.each([
    ['dapr-system', true],
    ['a', true],
    ['a'.repeat(63), true],
    ['a'.repeat(64), false],
    ['Dapr', false],
    ['-dapr', false],
    ['dapr-', false],
    ['da_pr', false],
    ['da.pr', false],
    ['', false],
  ])('checkDnsLabel %j -> %s', (value, ok) => {
    if (ok) expect(checkDnsLabel('namespace', value, 'namespace name')).toBe(value);
    else expect(errorOf(() => checkDnsLabel('namespace', value, 'namespace name')).message).toMatch(/^namespace: .*(not a valid namespace name|at most 63)/);
  });

  it.each([
    ['todo', true],
    ['todo.app-1', true],
    ['a'.repeat(53), true],
    ['a'.repeat(54), false],
    ['Todo', false],
    ['todo..app', false],
  ])('checkDnsSubdomain %j (max 53) -> %s', (value, ok) => {
    const check = (): string => checkDnsSubdomain('release', value, 'release name', 53);
    if (ok) expect(check()).toBe(value);
    else expect(errorOf(check).problems[0]!.input).toBe('release');
  });

  it.each([
    ['1.18.2', '1.18.2'],
    ['v1.18.2', '1.18.2'],
    ['1.18.0-rc.1', '1.18.0-rc.1'],
  ])('checkExactVersion %j -> %j', (value, expected) => expect(checkExactVersion('dapr-version', value, '1.18.2')).toBe(expected));

  it.each(['1.18', 'latest', '^1.18.2', '1.18.x', '1.18.2 ', '>=1.0.0', ''])('checkExactVersion refuses %j', (value) => {
    expect(errorOf(() => checkExactVersion('dapr-version', value, '1.18.2')).message).toBe(`dapr-version: "${value}" is not an exact version. Fix: write an exact release version such as 1.18.2 (no ranges, no "latest")`);
  });

  it.each([
    ['https://dapr.github.io/helm-charts/', undefined],
    ['http://localhost:8080/charts', undefined],
    ['ftp://example.com/charts', /uses ftp:\/\/, which is not supported/],
    ['dapr.github.io/helm-charts', /is not a URL/],
    ['https:example.com', /has no host/],
    ['https://', /is not a URL/],
    ['https://example.com:99999/', /has port 99999, above the highest port 65535/],
    ['https://example.com:0/', /has port 0/],
    ['https://exa mple.com/', /is not a URL/],
  ])('checkUrl %j', (value, refused) => {
    const check = (): URL => checkUrl('repo', value, { schemes: ['http', 'https'], example: 'https://dapr.github.io/helm-charts/' });
    if (refused === undefined) expect(check().href).toContain(new URL(value).host);
    else expect(errorOf(check).message).toMatch(refused);
  });

  describe('checkPath', () => {
    let workspace: string;
    let outside: string;
    beforeEach(() => {
      workspace = mkdtempSync(join(tmpdir(), 'ws-'));
      outside = mkdtempSync(join(tmpdir(), 'out-'));
      mkdirSync(join(workspace, 'chart'));
      writeFileSync(join(workspace, 'values.yaml'), 'a: 1\n');
      writeFileSync(join(outside, 'secret.txt'), 'x\n');
      symlinkSync(join(outside, 'secret.txt'), join(workspace, 'link.txt'));
    });
    afterEach(() => {
      rmSync(workspace, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    });
    const policy = (allowOutside = false, runnerTemp?: string) => ({ workspace, runnerTemp, allowOutside, allowInput: 'allow-outside-workspace' });

    it('resolves relative paths from the workspace', () => {
      expect(checkPath('values-files', 'values.yaml', policy())).toBe(join(workspace, 'values.yaml'));
      expect(checkPath('chart', 'chart', policy(), 'directory')).toBe(join(workspace, 'chart'));
    });

    it.each([
      ['missing.yaml', 'file', /does not exist \(looked at .*missing\.yaml\)/],
      ['chart', 'file', /is a directory/],
      ['values.yaml', 'directory', /is not a directory/],
    ] as const)('%s as %s is refused', (value, kind, message) => {
      expect(errorOf(() => checkPath('values-files', value, policy(), kind)).message).toMatch(message);
    });

    it('refuses a path that leaves the workspace, directly or through a symlink, naming the input that allows it', () => {
      const up = relative(workspace, join(outside, 'secret.txt'));
      for (const value of [up, join(outside, 'secret.txt'), 'link.txt']) {
        const err = errorOf(() => checkPath('set-file', value, policy()));
        expect(err.problems[0]!.input).toBe('set-file');
        expect(err.message).toMatch(/is outside the workspace/);
        expect(err.message).toContain('allow-outside-workspace: true');
      }
    });

    it('accepts RUNNER_TEMP and, when allowed, any path', () => {
      expect(checkPath('kubeconfig', join(outside, 'secret.txt'), policy(false, outside))).toBe(join(outside, 'secret.txt'));
      expect(checkPath('set-file', join(outside, 'secret.txt'), policy(true))).toBe(join(outside, 'secret.txt'));
    });
  });

  it('clip keeps short values and cuts long or multi-line ones', () => {
    expect(clip('abc')).toBe('abc');
    expect(clip('a\nb')).toBe('a\\nb');
    expect(clip('x'.repeat(500))).toBe(`${'x'.repeat(120)}… (500 characters)`);
  });
});

describe('excerpt', () => {
  it('shows at most three clipped lines and counts the rest', () => {
    const text = ['root:x:0:0:root:/root:/bin/bash', 'daemon:x:1:1', 'bin:x:2:2', ...Array.from({ length: 40 }, (_, i) => `user${i}`)].join('\n');
    const out = excerpt(text);
    expect(out.split('\n')).toHaveLength(4);
    expect(out).toContain('root:x:0:0');
    expect(out).not.toContain('user0');
    expect(out).toMatch(/ {2}\| … \(40 more lines, \d+ characters in all\)$/);
    expect(out.split('\n').every((l) => l.startsWith('  | '))).toBe(true);
  });

  it('replaces control bytes and clips a long binary line', () => {
    const out = excerpt(`\u0000\u0001${'z'.repeat(1_000_000)}`);
    expect(out.length).toBeLessThan(200);
    expect(out.startsWith('  | ??z')).toBe(true);
  });
});
