import { Secrets } from '../../../src/core/secrets.js';
import { setOutputs } from '../../../src/core/outputs.js';

const PEM = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n-----END PRIVATE KEY-----';

describe('Secrets', () => {
  it('masks the whole value and every line of a multi-line value', () => {
    const masked: string[] = [];
    const s = new Secrets((v) => masked.push(v));
    s.add(PEM);
    expect(masked).toContain(PEM);
    expect(masked).toContain('MIIEvQIBADANBgkqhkiG9w0BAQEFAASC');
    expect(masked).toContain('BKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj');
    expect(masked).toContain('-----END PRIVATE KEY-----');
  });

  it('does not mask tiny lines or empty values', () => {
    const masked: string[] = [];
    const s = new Secrets((v) => masked.push(v));
    s.add('{\n}\n');
    s.add('');
    s.add(undefined);
    expect(masked).toEqual(['{\n}\n']);
  });

  it('redacts every occurrence, longest value first', () => {
    const s = new Secrets();
    s.add('hunter2-long-password');
    s.add('hunter2');
    expect(s.redact('a hunter2-long-password b hunter2 c')).toBe('a *** b *** c');
  });

  it('refuses an output that would contain a secret', () => {
    const s = new Secrets();
    s.add('s3cr3t-value');
    const set: Record<string, string> = {};
    expect(() => setOutputs((n, v) => (set[n] = v), { token: 'Bearer s3cr3t-value' }, s.list())).toThrow('output "token" would contain a secret');
    expect(set).toEqual({});
  });

  it('renders typed outputs', () => {
    const set: Record<string, string> = {};
    setOutputs((n, v) => (set[n] = v), { revision: 3, changed: false, plan: { create: ['a'] }, skipped: undefined, name: 'x' });
    expect(set).toEqual({ revision: '3', changed: 'false', plan: '{"create":["a"]}', name: 'x' });
  });
});
