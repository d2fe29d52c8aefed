import { jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { runActionBundle } from '../../support/action-harness.js';
import { listTopics } from '../../support/kafka-cli.js';
import { stack } from '../../support/stack.js';
import { closedPort, deleteTopics, header, newPrefix, plan, runTopicsAction, saslInputs, Workspace } from './helpers.js';

const root = resolve(import.meta.dirname, '..', '..', '..');

/**
 * redpanda-topics refuses, before any change and with a plain message, everything that can be wrong:
 * the file (YAML, schema, policy), what the broker would reject (validate-only requests), the
 * credentials, the brokers' address, TLS. Each case checks with Kafka's own CLI that nothing changed.
 */
jest.setTimeout(180_000);

describe('redpanda-topics failures (bundle, real Kafka over SASL/SCRAM)', () => {
  const ws = new Workspace();
  const p = newPrefix();
  afterAll(() => deleteTopics(p));
  const good = ws.write('good.yaml', [...header(p), `  - name: ${p}a`, '    partitions: 2']);

  it('malformed YAML fails in milliseconds with file and line, before connecting', async () => {
    const file = ws.write('broken.yaml', [...header(p), `  - name: ${p}a`, '    partitions: [1,', '  - name: b']);
    const run = await runTopicsAction(ws, { file, mode: 'apply', brokers: `127.0.0.1:${await closedPort()}` });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/::error::broken\.yaml:\d+:\d+: file: is not valid YAML: /);
    expect(run.stdout).not.toContain('Connecting to');
    expect(run.summary).toContain('## Kafka topics: invalid input');
  });

  it('schema errors are all reported at once, each with file and line', async () => {
    const file = ws.write('schema.yaml', [...header(p), `  - name: ${p}a`, '    partitions: three', `  - name: ${p}b`, '    replicas: 3', '    configs:', '      retention.ms: {x: 1}']);
    const run = await runTopicsAction(ws, { file, mode: 'apply' });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('schema.yaml:6:17: topics[0].partitions: must be a whole number, but is the text "three"');
    expect(run.stdout).toContain('schema.yaml:8:5: topics[1].replicas: unknown key "replicas". Fix: did you mean "replicationFactor"?');
    expect(run.stdout).toContain('schema.yaml:10:21: topics[1].configs["retention.ms"]: must be text or a number or true or false or a list or null, but is a mapping');
    expect(run.stdout).toContain('3 problems');
  });

  it('a policy violation fails with file and line and creates nothing', async () => {
    const file = ws.write('policy.yaml', [...header(p, ['maxPartitions: 4', 'requiredConfigs: [retention.ms]']), `  - name: ${p}ok`, '    partitions: 2', '    configs: {retention.ms: 1000}', `  - name: ${p}big`, '    partitions: 16', '    configs: {retention.ms: 1000}']);
    const run = await runTopicsAction(ws, { file, mode: 'apply' });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`policy.yaml:11:17: topics[1].partitions: policy violation: 16 partitions is more than policy.maxPartitions 4. Fix: use at most 4 partitions`);
    expect((await listTopics()).filter((t) => t.startsWith(p))).toEqual([]);
  });

  it('configs the broker rejects fail the plan (validate-only), pointing at the line, and nothing is created', async () => {
    const file = ws.write('rejected.yaml', [...header(p), `  - name: ${p}fine`, `  - name: ${p}bad`, '    configs:', '      retention.ms: forever', `  - name: ${p}unknown`, '    configs:', '      retention.msx: 5']);
    const run = await runTopicsAction(ws, { file, mode: 'apply' });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`rejected.yaml:8:7: topic ${p}bad: the broker rejects creating the topic: INVALID_CONFIG: Invalid value forever for configuration retention.ms`);
    expect(run.stdout).toContain(`rejected.yaml:11:7: topic ${p}unknown: the broker rejects creating the topic: INVALID_CONFIG: Unknown topic config name: retention.msx`);
    expect(plan(run).errors.map((e) => e.kind)).toEqual(['broker-rejected', 'broker-rejected']);
    expect((await listTopics()).filter((t) => t.startsWith(p))).toEqual([]);
  });

  it('plan mode shows the changes and makes none', async () => {
    const run = await runTopicsAction(ws, { file: good, mode: 'plan' });
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ changed: 'false', 'has-changes': 'true', creates: '1' });
    expect(run.stdout).toContain(`+ create ${p}a: 2 partitions, replication factor default`);
    expect(run.summary).toContain(`| ${p}a | create | 2 partitions, replication factor default | planned |`);
    expect((await listTopics()).filter((t) => t.startsWith(p))).toEqual([]);
  });

  it('a wrong password fails plainly, without retrying, and the password appears nowhere', async () => {
    const t0 = Date.now();
    const run = await runTopicsAction(ws, { file: good, mode: 'apply', password: 'not-the-right-password-42' });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('connecting to Kafka');
    expect(run.stdout).toContain(`the brokers refused the username or password (SASL SCRAM-SHA-256 authentication failed for user "${stack.kafka().username}")`);
    expect(run.stdout).toContain('Next: check the username and password inputs');
    expect(run.masks()).toContain('not-the-right-password-42');
    expect(run.everything()).not.toContain('not-the-right-password-42');
    expect(run.everything()).not.toContain(stack.kafka().password);
    expect(Date.now() - t0).toBeLessThan(15_000);
  });

  it('brokers that are down fail within the timeout, saying what to check', async () => {
    const port = await closedPort();
    const t0 = Date.now();
    const run = await runTopicsAction(ws, { file: good, mode: 'apply', brokers: `127.0.0.1:${port}`, timeout: '4s' });
    const elapsed = Date.now() - t0;
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`cannot reach the brokers 127.0.0.1:${port}: connection refused (ECONNREFUSED)`);
    expect(run.stdout).toContain('Next: check the brokers input');
    // Retried with backoff (the brokers may be restarting), and given up before the timeout, not after.
    expect(run.stdout).toMatch(/connecting to the brokers: attempt 3 of \d+ failed \(.*ECONNREFUSED.*\); retrying in \d+ ms/);
    expect(elapsed).toBeLessThan(4_000 + 2_000);
  });

  it('TLS is on by default: against a plaintext listener it says so and how to opt out', async () => {
    const run = await runTopicsAction(ws, { file: good, mode: 'apply', tls: '' });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('the TLS handshake failed: the brokers do not seem to speak TLS on this port');
    expect(run.stdout).toContain('Next: for a local plaintext listener set tls: false');
  });

  it('an untrusted TLS certificate is named as such, and the tls-ca input is what fixes it', async () => {
    // In the workspace: a tls-ca file elsewhere is refused unless allow-outside-workspace is true.
    const dir = mkdtempSync(join(ws.dir, 'tls-'));
    const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=broker.test', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    // A TLS endpoint with a self-signed certificate that hangs up after the handshake: enough to prove what the client checks.
    const server = createTlsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (socket) => socket.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const brokers = `127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const untrusted = await runTopicsAction(ws, { file: good, mode: 'apply', brokers, tls: 'true', timeout: '3s' });
      expect(untrusted.code).toBe(1);
      expect(untrusted.stdout).toContain("the brokers' TLS certificate is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT)");
      expect(untrusted.stdout).toContain("Next: pass the CA certificate that signed the brokers' certificate in the tls-ca input");

      const trusted = await runTopicsAction(ws, { file: good, mode: 'apply', brokers, tls: 'true', 'tls-ca': cert, timeout: '3s' });
      expect(trusted.code).toBe(1);
      expect(trusted.stdout).not.toContain('not trusted');
      expect(trusted.stdout).toContain('the brokers closed the connection without answering');
    } finally {
      server.close();
    }
  });

  it('SASL against the plaintext listener is refused plainly', async () => {
    const run = await runTopicsAction(ws, { file: good, mode: 'apply', brokers: stack.kafka().plaintext });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('the listener does not accept SASL authentication');
  });

  it("this repository's deploy/topics.yaml plans cleanly against the stack", async () => {
    const run = await runActionBundle('redpanda-topics', 'main', { ...saslInputs(), file: 'deploy/topics.yaml', mode: 'plan' }, { env: { GITHUB_WORKSPACE: root } });
    expect(run.code).toBe(0);
    expect(Number(run.outputs.errors)).toBe(0);
    expect(run.summary).toContain('deploy/topics.yaml');
  });
});
