import { configError } from '../../support/config-error.js';
import { envInputs, Inputs, objectInputs, parseDuration } from '../../../src/core/inputs.js';

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
    const err = errorOf(() => inputs({ set: '=hunter2' }).keyValues('set'));
    expect(err.message).toContain('set: line "" is not key=value');
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
