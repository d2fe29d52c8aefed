import { jest } from '@jest/globals';
import { Admin, ConfigResourceTypes, ConfigSources } from '@platformatic/kafka';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { stack } from '../../support/stack.js';
import { badInputCases, type BadInputCase } from './bad-input-cases.js';
import { deleteTopics, newPrefix, runTopicsAction, Workspace } from './helpers.js';

/**
 * Issue 22, item 10: every bad input set of the table (bad-input-cases.ts) runs the built bundle against the stack's
 * Kafka, and must fail with exit code 1, an ::error:: line that names the input (file:line:column for YAML), no
 * secret anywhere, every output set, a log and summary of bounded size, and nothing changed on the broker (its
 * topics and their configs, read with our own client before and after each case).
 */
jest.setTimeout(600_000);

interface Snapshot {
  topics: string[];
  details: Record<string, { partitions: number; overrides: Record<string, string | null> }>;
}

describe('redpanda-topics bad inputs (bundle, real Kafka over SASL/SCRAM)', () => {
  const ws = new Workspace();
  const p = newPrefix();
  let admin: Admin;
  let resetter: Server;
  let cases: BadInputCase[] = [];
  const passwdLines = readFileSync('/etc/passwd', 'utf8').split('\n').filter((l) => l.trim());

  async function snapshot(): Promise<Snapshot> {
    const topics = (await admin.listTopics()).sort();
    const mine = topics.filter((t) => t.startsWith(p));
    const md = mine.length ? await admin.metadata({ topics: mine, forceUpdate: true }) : undefined;
    const configs = mine.length ? await admin.describeConfigs({ resources: mine.map((name) => ({ resourceType: ConfigResourceTypes.TOPIC, resourceName: name })) }) : [];
    const details = Object.fromEntries(
      configs.map((c) => [
        c.resourceName,
        {
          partitions: md?.topics.get(c.resourceName)?.partitionsCount ?? -1,
          overrides: Object.fromEntries(c.configs.filter((x) => x.configSource === ConfigSources.DYNAMIC_TOPIC_CONFIG).map((x) => [x.name, x.value ?? null])),
        },
      ]),
    );
    return { topics, details };
  }

  beforeAll(async () => {
    admin = new Admin({ clientId: 'it-bad-inputs', ...stack.kafkaClient() });
    // A topic the files declare (so an accepted bad input would change it) and one they do not (drift).
    await admin.createTopics({ topics: [`${p}existing`], partitions: 2, replicas: 1, configs: [{ name: 'retention.ms', value: '3600000' }] });
    await admin.createTopics({ topics: [`${p}stray`], partitions: 1, replicas: 1 });
    // Both listed before the first "before" snapshot (a new topic shows in listings a moment after the create).
    for (let i = 0; i < 50 && (await admin.listTopics()).filter((t) => t.startsWith(p)).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    resetter = createServer((socket) => socket.once('data', () => socket.resetAndDestroy()));
    await new Promise<void>((resolve) => resetter.listen(0, '127.0.0.1', resolve));
    const k = stack.kafka();
    cases = badInputCases({ prefix: p, brokers: k.sasl, username: k.username, password: k.password, plaintext: k.plaintext, resetter: `127.0.0.1:${(resetter.address() as { port: number }).port}` });
  });

  afterAll(async () => {
    resetter?.close();
    await admin?.close();
    await deleteTopics(p);
  });

  it('has at least 25 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  // The table is built in beforeAll (it needs the stack's endpoints); the names are known without it.
  const names = badInputCases({ prefix: 'x-', brokers: 'b:1', username: 'u', password: 'p', plaintext: 'b:2', resetter: 'b:3' }).map((c) => c.name);

  it.each(names)('%s', async (name) => {
    const c = cases.find((x) => x.name === name)!;
    for (const [file, text] of Object.entries(c.files ?? {})) writeFileSync(join(ws.dir, file), text);
    const before = await snapshot();

    const run = await runTopicsAction(ws, { mode: 'apply', ...c.inputs }); // also checks: the password appears nowhere, and is masked

    expect(run.code).toBe(1);
    const errorLines = run.stdout.split('\n').filter((l) => l.startsWith('::error::'));
    for (const re of c.errors) expect(errorLines.join('\n')).toMatch(re);
    expect(run.everything()).not.toContain(stack.kafka().password);
    expect(run.stderr).not.toMatch(/Unhandled|RangeError|^\s+at /m);
    // Bounded: no file, list or plan is echoed whole (a 1 MB file, 2,000 brokers).
    expect(run.stdout.length + run.summary.length).toBeLessThan(100_000);
    if (c.inputs['allow-outside-workspace'] === 'true' && passwdLines.length > 4) expect(run.everything()).not.toContain(passwdLines[4]);

    // Every output is set, also when the step failed on its inputs.
    for (const output of ['changed', 'has-changes', 'creates', 'partition-increases', 'config-updates', 'config-removals', 'deletes', 'drift', 'errors', 'plan', 'plan-file']) expect(run.outputs[output]).toBeDefined();
    expect(run.outputs.changed).toBe('false');
    if (c.counted) expect(Number(run.outputs.errors)).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(run.outputs.plan!)).toMatchObject({ apiVersion: 'redpanda-topics/v1', changed: false });
    expect(existsSync(run.outputs['plan-file']!)).toBe(true);
    if (!c.broker) expect(run.stdout).not.toContain('Connecting to');

    expect(await snapshot()).toEqual(before);
  });
});
