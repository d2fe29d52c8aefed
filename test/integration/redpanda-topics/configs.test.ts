import { jest } from '@jest/globals';
import { topicOverrides } from '../../support/kafka-cli.js';
import { deleteTopics, header, newPrefix, plan, runTopicsAction, Workspace } from './helpers.js';

/**
 * Issue 22 item 6, against the real broker: list-valued configs are compared as sets, and a declared value equal to
 * the broker's default is sent on create (an explicit, pinned override: documented in the README), while an
 * existing topic that already inherits the declared value is left alone.
 */
jest.setTimeout(180_000);

describe('redpanda-topics config comparison (bundle, real Kafka, checked with Kafka CLI)', () => {
  const ws = new Workspace();
  const p = newPrefix();
  const t = `${p}compacted`;
  afterAll(() => deleteTopics(p));

  it('cleanup.policy "compact,delete" then "delete,compact": the same set, no change', async () => {
    const v1 = ws.write('v1.yaml', [...header(p), `  - name: ${t}`, '    partitions: 1', '    configs:', '      cleanup.policy: "compact,delete"']);
    const created = await runTopicsAction(ws, { file: v1, mode: 'apply' });
    expect(created.code).toBe(0);
    expect(created.outputs.creates).toBe('1');

    const v2 = ws.write('v2.yaml', [...header(p), `  - name: ${t}`, '    partitions: 1', '    configs:', '      cleanup.policy: "delete,compact"']);
    const again = await runTopicsAction(ws, { file: v2, mode: 'apply' });
    expect(again.code).toBe(0);
    expect(again.outputs).toMatchObject({ 'has-changes': 'false', 'config-updates': '0', changed: 'false' });
    expect(plan(again).changes).toEqual([]);

    // A real difference is still one.
    const v3 = ws.write('v3.yaml', [...header(p), `  - name: ${t}`, '    partitions: 1', '    configs:', '      cleanup.policy: compact']);
    const changed = await runTopicsAction(ws, { file: v3, mode: 'plan' });
    expect(plan(changed).changes.map((c) => `${c.kind} ${c.key}`)).toEqual(['set-config cleanup.policy']);
  });

  it('a value equal to the broker default is pinned on create; an existing topic inheriting it is left alone', async () => {
    const pinned = `${p}pinned`;
    const inherited = `${p}inherited`;
    const v0 = ws.write('defaults0.yaml', [...header(p), `  - name: ${t}`, '    configs: {cleanup.policy: compact}', `  - name: ${inherited}`, '    partitions: 1']);
    expect((await runTopicsAction(ws, { file: v0, mode: 'apply' })).code).toBe(0);
    expect(await topicOverrides(inherited)).toEqual({});

    const v1 = ws.write('defaults1.yaml', [...header(p), `  - name: ${t}`, '    configs: {cleanup.policy: compact}', `  - name: ${inherited}`, '    partitions: 1', '    configs: {cleanup.policy: delete}', `  - name: ${pinned}`, '    partitions: 1', '    configs: {cleanup.policy: delete}']);
    const run = await runTopicsAction(ws, { file: v1, mode: 'apply' });
    expect(run.code).toBe(0);
    // The new topic gets the declared value as its own setting: a later change of the cluster default does not move it.
    expect(await topicOverrides(pinned)).toEqual({ 'cleanup.policy': 'delete' });
    // The existing topic already has that value (inherited): no change is planned, so no override appears.
    expect(plan(run).changes.map((c) => `${c.kind} ${c.topic}`)).toEqual([`create ${pinned}`]);
    expect(await topicOverrides(inherited)).toEqual({});

    // Re-running with the same file is a no-op for both: the pinned override matches, the inherited value matches.
    const again = await runTopicsAction(ws, { file: v1, mode: 'plan' });
    expect(again.outputs['has-changes']).toBe('false');
    expect(plan(again).drift.filter((d) => d.topic === pinned || d.topic === inherited)).toEqual([]);
  });
});
