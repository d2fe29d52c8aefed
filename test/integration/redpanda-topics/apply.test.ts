import { jest } from '@jest/globals';
import { addTopicConfig, describeTopic, topicOverrides } from '../../support/kafka-cli.js';
import { stack } from '../../support/stack.js';
import { deleteTopics, header, newPrefix, plan, runTopicsAction, Workspace } from './helpers.js';

/**
 * redpanda-topics end to end: the built bundle, driven through INPUT_* / GITHUB_OUTPUT / the job
 * summary, against the stack's real Kafka on its SCRAM listener; what it did is checked with Kafka's
 * own CLI (kafka-topics, kafka-configs from the broker's jars), not with our client.
 */
jest.setTimeout(180_000);

describe('redpanda-topics apply (bundle, real Kafka over SASL/SCRAM, checked with Kafka CLI)', () => {
  const ws = new Workspace();
  const p = newPrefix();
  const events = `${p}events`;
  const updates = `${p}updates`;
  afterAll(() => deleteTopics(p));

  const v1 = ws.write('v1.yaml', [
    ...header(p),
    `  - name: ${events}`,
    '    partitions: 3',
    '    configs:',
    '      retention.ms: 604800000',
    '      cleanup.policy: delete',
    `  - name: ${updates}`,
    '    partitions: 1',
    '    configs: {retention.ms: 86400000}',
  ]);

  it('creates the declared topics, with outputs, summary and exactly the declared overrides', async () => {
    const run = await runTopicsAction(ws, { file: v1, mode: 'apply' });
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ changed: 'true', 'has-changes': 'true', creates: '2', 'partition-increases': '0', 'config-updates': '0', deletes: '0', drift: '0', errors: '0' });
    expect(plan(run).changes.map((c) => `${c.kind} ${c.topic} ${c.status}`)).toEqual([`create ${events} applied`, `create ${updates} applied`]);
    expect(run.summary).toContain('## Kafka topics: applied 2 changes');
    expect(run.summary).toContain(`| ${events} | create | 3 partitions, replication factor default, retention.ms=604800000, cleanup.policy=delete | applied |`);
    expect(run.summary).toMatch(/\| Apply 2 change\(s\) \| ok \| \d+\.\d s \|/);
    expect(run.outputs['plan-file']).toMatch(/plan\.json$/);

    expect(await describeTopic(events)).toEqual({ partitions: 3, replicationFactor: 1 });
    expect(await topicOverrides(events)).toEqual({ 'retention.ms': '604800000', 'cleanup.policy': 'delete' });
    expect(await topicOverrides(updates)).toEqual({ 'retention.ms': '86400000' });
  });

  it('a re-run with nothing to do says "no changes" and changes nothing', async () => {
    const run = await runTopicsAction(ws, { file: v1, mode: 'apply' });
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ changed: 'false', 'has-changes': 'false', creates: '0' });
    expect(run.stdout).toContain('No changes: the cluster already matches the file; nothing was changed.');
    expect(run.summary).toContain('## Kafka topics: no changes');
    expect(run.stdout).not.toMatch(/^(create topics|alter configs|add partitions):/m);
    expect(await topicOverrides(events)).toEqual({ 'retention.ms': '604800000', 'cleanup.policy': 'delete' });
  });

  it('adds partitions, and changes one config incrementally: an out-of-band override on another key survives and is reported as drift', async () => {
    await addTopicConfig(events, { 'max.message.bytes': '2000000' });
    const v2 = ws.write('v2.yaml', [...header(p), `  - name: ${events}`, '    partitions: 6', '    configs:', '      retention.ms: 86400000', '      cleanup.policy: delete', `  - name: ${updates}`, '    partitions: 1', '    configs: {retention.ms: 86400000}']);
    const run = await runTopicsAction(ws, { file: v2, mode: 'apply' });
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ changed: 'true', 'partition-increases': '1', 'config-updates': '1', drift: '1' });
    expect(plan(run).drift).toEqual([{ kind: 'undeclared-override', topic: events, key: 'max.message.bytes', value: '2000000' }]);
    expect(run.summary).toContain(`| ${events} | undeclared override | max.message.bytes=2000000 |`);

    expect(await describeTopic(events)).toEqual({ partitions: 6, replicationFactor: 1 });
    expect(await topicOverrides(events)).toEqual({ 'retention.ms': '86400000', 'cleanup.policy': 'delete', 'max.message.bytes': '2000000' });
  });

  it('removes an override declared as null, and only that one', async () => {
    const v3 = ws.write('v3.yaml', [...header(p), `  - name: ${events}`, '    partitions: 6', '    configs:', '      retention.ms: 86400000', '      cleanup.policy: null', `  - name: ${updates}`, '    configs: {retention.ms: 86400000}']);
    const run = await runTopicsAction(ws, { file: v3, mode: 'apply' });
    expect(run.code).toBe(0);
    expect(run.outputs['config-removals']).toBe('1');
    expect(await topicOverrides(events)).toEqual({ 'retention.ms': '86400000', 'max.message.bytes': '2000000' });
  });

  it('refuses a partition decrease with file and line, and changes nothing else in the same run', async () => {
    const bad = ws.write('decrease.yaml', [...header(p), `  - name: ${events}`, '    partitions: 2', `  - name: ${updates}`, '    configs: {retention.ms: 1000}']);
    const t0 = Date.now();
    const run = await runTopicsAction(ws, { file: bad, mode: 'apply' });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`::error::${bad}:6:17: topic ${events}: declares 2 partitions but the topic has 6; Kafka cannot remove partitions. Fix: declare partitions: 6 (or more)`);
    expect(run.outputs).toMatchObject({ changed: 'false', errors: '1' });
    expect(run.summary).toContain('## Kafka topics: 1 problem in the plan; nothing was changed');
    expect(run.summary).toContain(`| ${updates} | set config | retention.ms: 86400000 -> 1000 | not applied |`);
    expect(Date.now() - t0).toBeLessThan(30_000);

    expect(await describeTopic(events)).toEqual({ partitions: 6, replicationFactor: 1 });
    expect(await topicOverrides(updates)).toEqual({ 'retention.ms': '86400000' });
  });

  it('refuses a replication-factor change instead of ignoring it', async () => {
    const bad = ws.write('rf.yaml', [...header(p), `  - name: ${updates}`, '    replicationFactor: 3']);
    const run = await runTopicsAction(ws, { file: bad, mode: 'apply' });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${bad}:6:24: topic ${updates}: declares replicationFactor 3 but the topic has 1`);
    expect(await describeTopic(updates)).toEqual({ partitions: 1, replicationFactor: 1 });
  });

  it('deletes a topic only when it is tombstoned and allow-delete is true; never an undeclared one', async () => {
    const stray = `${p}stray`;
    const tomb = ws.write('tomb.yaml', [...header(p), `  - name: ${events}`, '    configs: {retention.ms: 86400000}', `  - name: ${updates}`, '    state: absent']);
    // Make an undeclared topic, with the CLI, to prove allow-delete never touches it.
    const { createTopicWithCli } = await import('../../support/kafka-cli.js');
    await createTopicWithCli(stray, 1);

    const refused = await runTopicsAction(ws, { file: tomb, mode: 'apply' });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(`${tomb}:8:12: topic ${updates}: is marked state: absent and exists, but allow-delete is false. Fix: set the allow-delete input to true`);
    expect(await describeTopic(updates)).toBeDefined();

    const deleted = await runTopicsAction(ws, { file: tomb, mode: 'apply', 'allow-delete': 'true' });
    expect(deleted.code).toBe(0);
    expect(deleted.outputs).toMatchObject({ changed: 'true', deletes: '1', drift: '2' });
    expect(plan(deleted).drift).toEqual([{ kind: 'undeclared-override', topic: events, key: 'max.message.bytes', value: '2000000' }, { kind: 'undeclared-topic', topic: stray }]);
    expect(deleted.summary).toContain(`| ${updates} | delete | 1 partition; its data is lost | applied |`);
    expect(await describeTopic(updates)).toBeUndefined();
    expect(await describeTopic(stray)).toEqual({ partitions: 1, replicationFactor: 1 });
    expect(await describeTopic(events)).toEqual({ partitions: 6, replicationFactor: 1 });
  });

  it('fail-on-drift fails before any change and lists the drift', async () => {
    const file = ws.write('drift.yaml', [...header(p), `  - name: ${events}`, '    partitions: 12']);
    const run = await runTopicsAction(ws, { file, mode: 'apply', 'fail-on-drift': 'true' });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/::error::\d+ drift item\(s\) and fail-on-drift is true; nothing was changed/);
    expect(run.stdout).toContain(`topic ${p}stray exists but is not declared`);
    expect(await describeTopic(events)).toEqual({ partitions: 6, replicationFactor: 1 });
  });

  it('never shows the password, in logs, outputs, summary or state', async () => {
    const file = ws.write('secret.yaml', [...header(p), `  - name: ${p}planned`]);
    const run = await runTopicsAction(ws, { file, mode: 'plan' });
    expect(run.code).toBe(0);
    expect(run.masks()).toEqual([stack.kafka().password]);
    expect(run.everything()).not.toContain(stack.kafka().password);
    expect(run.everything()).toContain('stack-user');
  });
});
