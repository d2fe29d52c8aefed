import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Inputs, objectInputs } from '../../../src/core/inputs.js';
import { Secrets } from '../../../src/core/secrets.js';
import { parseTopicsInputs } from '../../../src/actions/redpanda-topics/inputs.js';
import { brokerProblem, describeConnection, parseKafkaConnection } from '../../../src/kafka/connection-inputs.js';
import { configErrorOf } from './helpers.js';

const workspace = mkdtempSync(join(tmpdir(), 'topics-inputs-'));
writeFileSync(join(workspace, 'topics.yaml'), 'apiVersion: redpanda-topics/v1\ntopics:\n  - name: orders\n');
writeFileSync(join(workspace, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
writeFileSync(join(workspace, 'not-a-cert.pem'), 'hello\n');
const env = { GITHUB_WORKSPACE: workspace };
const base = { file: 'topics.yaml', brokers: 'seed-1.example.com:9092', username: 'svc', password: 's3cret-pass' };

function parse(values: Record<string, string>, secrets = new Secrets()) {
  return parseTopicsInputs(new Inputs(objectInputs(values)), secrets, env);
}

describe('redpanda-topics inputs', () => {
  it('parses a complete set with safe defaults: plan mode, no delete, TLS on, SCRAM-SHA-256', async () => {
    const got = await parse(base);
    expect(got).toMatchObject({ fileShown: 'topics.yaml', file: join(workspace, 'topics.yaml'), mode: 'plan', allowDelete: false, failOnDrift: false });
    expect(got.connection).toMatchObject({
      brokers: ['seed-1.example.com:9092'],
      sasl: { mechanism: 'SCRAM-SHA-256', username: 'svc', password: 's3cret-pass' },
      tls: { enabled: true, ca: undefined },
      clientId: 'redpanda-topics',
      timeoutMs: 60_000,
    });
  });

  it('registers the password as a secret the moment it is read, even when other inputs are wrong', async () => {
    const masked: string[] = [];
    const secrets = new Secrets((v) => masked.push(v));
    await configErrorOf(() => parse({ ...base, mode: 'destroy', brokers: 'nope' }, secrets));
    expect(masked).toContain('s3cret-pass');
  });

  it.each([
    [{ mode: 'APPLY' }, { mode: 'apply' }],
    [{ 'allow-delete': 'true', 'fail-on-drift': 'TRUE' }, { allowDelete: true, failOnDrift: true }],
    [{ brokers: 'a:9092, b:9093\nc:9094' }, { connection: expect.objectContaining({ brokers: ['a:9092', 'b:9093', 'c:9094'] }) }],
    [{ brokers: '[::1]:9092' }, { connection: expect.objectContaining({ brokers: ['[::1]:9092'] }) }],
    [{ 'sasl-mechanism': 'SCRAM-SHA-512' }, { connection: expect.objectContaining({ sasl: expect.objectContaining({ mechanism: 'SCRAM-SHA-512' }) }) }],
    [{ 'sasl-mechanism': 'none', username: '', password: '', tls: 'false' }, { connection: expect.objectContaining({ sasl: undefined, tls: { enabled: false } }) }],
    [{ timeout: '5s', 'client-id': 'ci-topics' }, { connection: expect.objectContaining({ timeoutMs: 5000, clientId: 'ci-topics' }) }],
    [{ 'tls-ca': 'ca.pem' }, { connection: expect.objectContaining({ tls: { enabled: true, ca: expect.stringContaining('BEGIN CERTIFICATE') } }) }],
    [{ 'tls-ca': '-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----' }, { connection: expect.objectContaining({ tls: { enabled: true, ca: expect.stringContaining('MIIC') } }) }],
  ])('accepts %j', async (extra, expected) => expect(await parse({ ...base, ...extra })).toMatchObject(expected));

  it.each([
    [{ file: '' }, 'file: is required but was empty or not set. Fix: set `file` to the topics file'],
    [{ file: 'missing.yaml' }, 'file: missing.yaml does not exist'],
    [{ file: '.' }, 'file: . is a directory'],
    [{ brokers: '' }, 'brokers: is required but was empty or not set'],
    [{ brokers: 'seed-1.example.com' }, 'brokers: "seed-1.example.com" has no port. Fix: write each broker as host:port'],
    [{ brokers: 'SASL_SSL://seed:9092' }, 'brokers: "SASL_SSL://seed:9092" has a URL scheme'],
    [{ brokers: 'seed:99999' }, 'brokers: "seed:99999" has port 99999, outside 1-65535'],
    [{ 'sasl-mechanism': 'gssapi' }, 'sasl-mechanism: "gssapi" is not one of the allowed values. Fix: use one of: scram-sha-256, scram-sha-512, plain, none'],
    [{ username: '' }, 'username: is required with sasl-mechanism scram-sha-256'],
    [{ password: '' }, 'password: is required with sasl-mechanism scram-sha-256. Fix: set `password: ${{ secrets.<NAME> }}`'],
    [{ 'sasl-mechanism': 'none' }, 'sasl-mechanism: is none, but username is set'],
    [{ tls: 'no' }, 'tls: "no" is not a boolean. Fix: use true or false'],
    [{ tls: 'false', 'tls-ca': 'ca.pem' }, 'tls-ca: is set but tls is false'],
    [{ 'tls-ca': 'nowhere.pem' }, 'tls-ca: is neither a PEM certificate nor an existing file'],
    [{ 'tls-ca': 'not-a-cert.pem' }, 'tls-ca: holds no PEM certificate'],
    [{ mode: 'destroy' }, 'mode: "destroy" is not one of the allowed values. Fix: use one of: plan, apply'],
    [{ 'allow-delete': 'yes' }, 'allow-delete: "yes" is not a boolean'],
    [{ timeout: '30' }, 'timeout: "30" is not a duration'],
    [{ timeout: '500ms' }, 'timeout: 500ms is shorter than the minimum 1s'],
    [{ 'client-id': 'has space' }, 'client-id: "has space" has characters other than'],
  ])('refuses %j, naming the input and the fix', async (extra, message) => {
    expect((await configErrorOf(() => parse({ ...base, ...extra }))).message).toContain(message);
  });

  it('reports every wrong input at once', async () => {
    const err = await configErrorOf(() => parse({ file: '', brokers: 'x', mode: 'y', password: 'p4ssword' }));
    expect(err.problems.map((p) => p.input).sort()).toEqual(['brokers', 'file', 'mode', 'username']);
  });

  it('warns when PLAIN would send the password in clear text', async () => {
    expect((await parse({ ...base, 'sasl-mechanism': 'plain', tls: 'false' })).connection.warnings).toEqual([expect.stringContaining('clear text')]);
  });

  it('describes a connection without its password', async () => {
    const c = parseKafkaConnection(new Inputs(objectInputs({ ...base, 'tls-ca': 'ca.pem' })), new Secrets(), { workspace });
    expect(describeConnection(c)).toBe('seed-1.example.com:9092 (SASL SCRAM-SHA-256 as svc, TLS (custom CA))');
    expect(describeConnection(c)).not.toContain('s3cret');
  });

  it.each([
    ['localhost:9092', undefined],
    ['10.0.0.1:19093', undefined],
    ['host_name:9092', '"host_name:9092" is not a valid host:port'],
    ['host:', '"host:" has no port'],
  ])('brokerProblem(%j)', (broker, problem) => expect(brokerProblem(broker)).toBe(problem));
});
