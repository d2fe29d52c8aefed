import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Inputs, objectInputs, pathPolicy } from '../../../src/core/inputs.js';
import { Secrets } from '../../../src/core/secrets.js';
import { MAX_BROKERS, parseKafkaConnection } from '../../../src/kafka/connection-inputs.js';
import { configError } from '../../support/config-error.js';

/** The connection inputs shared by redpanda-topics and verify-events: limits and paths (issue 22 items 2, 7, 9). */
const root = mkdtempSync(join(tmpdir(), 'kafka-inputs-'));
const workspace = join(root, 'ws');
const outside = join(root, 'elsewhere');
mkdirSync(workspace);
mkdirSync(outside);
const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
writeFileSync(join(workspace, 'ca.pem'), pem);
writeFileSync(join(outside, 'ca.pem'), pem);
const base = { brokers: 'seed:9092', username: 'svc', password: 'pw-123456' };
const parse = (values: Record<string, string>, allowOutside = false) =>
  parseKafkaConnection(new Inputs(objectInputs({ ...base, ...values })), new Secrets(), { workspace, paths: pathPolicy({ GITHUB_WORKSPACE: workspace }, allowOutside) });

describe('Kafka connection inputs: limits', () => {
  it(`refuses more than ${MAX_BROKERS} brokers in one clear problem (2,000 overflowed the client's stack)`, () => {
    const brokers = Array.from({ length: 2000 }, (_, i) => `b${i}.example.com:9092`).join(',');
    const err = configError(() => parse({ brokers }));
    expect(err.problems).toHaveLength(1);
    expect(err.message).toBe(`brokers: lists 2000 brokers; at most ${MAX_BROKERS} are accepted. Fix: list a few bootstrap servers (the client learns every other broker from them), e.g. the three seeds of the cluster`);
  });

  it('accepts exactly the limit', () => {
    expect(parse({ brokers: Array.from({ length: MAX_BROKERS }, (_, i) => `b${i}:9092`).join('\n') }).brokers).toHaveLength(MAX_BROKERS);
  });

  it('names at most ten bad brokers and counts the rest', () => {
    const err = configError(() => parse({ brokers: Array.from({ length: 50 }, (_, i) => `nohost${i}`).join(',') }));
    expect(err.problems).toHaveLength(11);
    expect(err.problems[10]!.problem).toBe('40 more entries are not host:port');
  });

  it('clips a pasted value in the message', () => {
    const err = configError(() => parse({ brokers: `${'x'.repeat(5000)}` }));
    expect(err.message.length).toBeLessThan(400);
  });
});

describe('Kafka connection inputs: tls-ca as a path follows the shared path rules', () => {
  it('reads a CA file inside the workspace', () => {
    expect(parse({ 'tls-ca': 'ca.pem' }).tls).toEqual({ enabled: true, ca: pem });
  });

  it('refuses a CA file outside the workspace, naming allow-outside-workspace', () => {
    expect(configError(() => parse({ 'tls-ca': join(outside, 'ca.pem') })).message).toMatch(/^tls-ca: .*ca\.pem is outside the workspace .*Fix: use a path inside the workspace, or set allow-outside-workspace: true/);
  });

  it('reads it with allow-outside-workspace: true', () => {
    expect(parse({ 'tls-ca': join(outside, 'ca.pem') }, true).tls).toEqual({ enabled: true, ca: pem });
  });

  it('still says a value that is neither PEM nor a file is neither, clipped', () => {
    const err = configError(() => parse({ 'tls-ca': 'y'.repeat(10_000) }));
    expect(err.message).toContain('tls-ca: is neither a PEM certificate nor an existing file');
    expect(err.message.length).toBeLessThan(500);
  });

  it('without a path policy (older callers) any existing file is read', () => {
    const c = parseKafkaConnection(new Inputs(objectInputs({ ...base, 'tls-ca': join(outside, 'ca.pem') })), new Secrets(), { workspace });
    expect(c.tls).toEqual({ enabled: true, ca: pem });
  });
});
