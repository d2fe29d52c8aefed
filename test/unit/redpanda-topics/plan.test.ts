import { parseTopicsFile } from '../../../src/actions/redpanda-topics/file.js';
import type { ClusterState, ObservedTopic, Plan } from '../../../src/actions/redpanda-topics/model.js';
import { isInternalTopic, planTopics } from '../../../src/actions/redpanda-topics/plan.js';
import { yaml } from './helpers.js';

/** Observed topics in a line each: name, partitions, replication factor, configs (effective values), overrides. */
function cluster(...topics: Array<[string, number, number, Record<string, string>?, string[]?, string[]?]>): ClusterState {
  const map = new Map<string, ObservedTopic>();
  for (const [name, partitions, replicationFactor, configs = {}, overrides = [], redundant = []] of topics) {
    map.set(name, { name, partitions, replicationFactor, configs: new Map(Object.entries({ 'cleanup.policy': 'delete', 'retention.ms': '604800000', ...configs })), overrides: new Set(overrides), redundantOverrides: new Set(redundant) });
  }
  return { brokers: 3, topicNames: new Set(map.keys()), topics: map };
}

const file = (...lines: string[]) => parseTopicsFile(yaml('apiVersion: redpanda-topics/v1', ...lines), 'topics.yaml');
const summary = (p: Plan) => ({
  changes: p.changes.map((c) => `${c.kind} ${c.topic}${'key' in c ? ` ${c.key}` : ''}${'to' in c ? ` -> ${c.to}` : ''}`),
  errors: p.errors.map((e) => `${e.kind} ${e.topic} @${e.at?.line}`),
  drift: p.drift.map((d) => `${d.kind} ${d.topic}${d.key ? ` ${d.key}` : ''}`),
  inSync: p.inSync,
});

describe('planning: declared + observed -> plan (pure)', () => {
  it.each([
    ['creates a missing topic with its declared configs', ['topics:', '  - name: a', '    partitions: 3', '    configs: {retention.ms: 1000}'], cluster(), { changes: ['create a'], errors: [], drift: [], inSync: [] }],
    ['does nothing when everything matches (values compared as strings)', ['topics:', '  - name: a', '    partitions: 3', '    replicationFactor: 3', '    configs: {retention.ms: 604800000}'], cluster(['a', 3, 3, {}, ['retention.ms']]), { changes: [], errors: [], drift: [], inSync: ['a'] }],
    ['a declared value equal to the broker default needs no override', ['topics:', '  - name: a', '    configs: {cleanup.policy: delete}'], cluster(['a', 1, 1]), { changes: [], errors: [], drift: [], inSync: ['a'] }],
    ['adds partitions', ['topics:', '  - name: a', '    partitions: 6'], cluster(['a', 3, 1]), { changes: ['add-partitions a -> 6'], errors: [], drift: [], inSync: [] }],
    ['refuses a partition decrease, pointing at the partitions line', ['topics:', '  - name: a', '    partitions: 2'], cluster(['a', 3, 1]), { changes: [], errors: ['partition-decrease a @4'], drift: [], inSync: [] }],
    ['refuses a replication-factor change (never reports it as done)', ['topics:', '  - name: a', '    replicationFactor: 3'], cluster(['a', 1, 1]), { changes: [], errors: ['replication-factor-change a @4'], drift: [], inSync: [] }],
    ['undeclared partitions and replication factor are never compared', ['topics:', '  - name: a'], cluster(['a', 12, 3]), { changes: [], errors: [], drift: [], inSync: ['a'] }],
    ['sets a changed config, and only that key', ['topics:', '  - name: a', '    configs: {retention.ms: 1000, cleanup.policy: delete}'], cluster(['a', 1, 1, { 'retention.ms': '2000' }, ['retention.ms']]), { changes: ['set-config a retention.ms -> 1000'], errors: [], drift: [], inSync: [] }],
    ['normalises list values before comparing', ['topics:', '  - name: a', '    configs: {cleanup.policy: [compact, delete]}'], cluster(['a', 1, 1, { 'cleanup.policy': 'compact, delete' }, ['cleanup.policy']]), { changes: [], errors: [], drift: [], inSync: ['a'] }],
    ['removes an override declared as null', ['topics:', '  - name: a', '    configs: {segment.ms: null}'], cluster(['a', 1, 1, { 'segment.ms': '1000' }, ['segment.ms']]), { changes: ['remove-config a segment.ms'], errors: [], drift: [], inSync: [] }],
    ['null on a key without an override is already in sync', ['topics:', '  - name: a', '    configs: {segment.ms: null}'], cluster(['a', 1, 1, { 'segment.ms': '604800000' }]), { changes: [], errors: [], drift: [], inSync: ['a'] }],
    ['reports an undeclared override as drift and leaves it alone', ['topics:', '  - name: a', '    configs: {retention.ms: 1000}'], cluster(['a', 1, 1, { 'retention.ms': '1000', 'max.message.bytes': '2000000' }, ['retention.ms', 'max.message.bytes']]), { changes: [], errors: [], drift: ['undeclared-override a max.message.bytes'], inSync: ['a'] }],
    ['an override equal to the inherited value (Redpanda reports such) is not drift', ['topics:', '  - name: a'], cluster(['a', 1, 1, {}, ['cleanup.policy'], ['cleanup.policy']]), { changes: [], errors: [], drift: [], inSync: ['a'] }],
    ['reports undeclared topics as drift, never internal ones', ['topics: [{name: gone, state: absent}]'], cluster(['other', 1, 1], ['__consumer_offsets', 50, 1], ['_schemas', 1, 1]), { changes: [], errors: [], drift: ['undeclared-topic other'], inSync: ['gone'] }],
    ['only reports undeclared topics under the managed prefixes', ['policy: {managedPrefixes: [task-]}', 'topics: [{name: task-gone, state: absent}]'], cluster(['task-old', 1, 1], ['billing', 1, 1]), { changes: [], errors: [], drift: ['undeclared-topic task-old'], inSync: ['task-gone'] }],
    ['deletes a tombstoned topic only with allow-delete', ['topics:', '  - name: a', '    state: absent'], cluster(['a', 3, 1]), { changes: ['delete a'], errors: [], drift: [], inSync: [] }, true],
    ['refuses to delete a tombstoned topic without allow-delete', ['topics:', '  - name: a', '    state: absent'], cluster(['a', 3, 1]), { changes: [], errors: ['delete-not-allowed a @4'], drift: [], inSync: [] }],
    ['a tombstone for a topic that is gone is in sync', ['topics:', '  - name: a', '    state: absent'], cluster(), { changes: [], errors: [], drift: [], inSync: ['a'] }, true],
    ['never deletes an undeclared topic, even with allow-delete', ['topics: [{name: gone, state: absent}]'], cluster(['stray', 1, 1]), { changes: [], errors: [], drift: ['undeclared-topic stray'], inSync: ['gone'] }, true],
  ])('%s', (_, lines, observed, expected, allowDelete = false) => {
    expect(summary(planTopics(file(...lines), observed, { allowDelete }))).toEqual(expected);
  });

  it('keeps several changes of one topic together and reports errors alongside them', () => {
    const p = planTopics(file('topics:', '  - name: a', '    partitions: 6', '    configs: {retention.ms: 1, segment.ms: null}', '  - name: b', '    partitions: 1'), cluster(['a', 3, 1, { 'segment.ms': '5' }, ['segment.ms']], ['b', 2, 1]), { allowDelete: false });
    expect(summary(p).changes).toEqual(['add-partitions a -> 6', 'set-config a retention.ms -> 1', 'remove-config a segment.ms']);
    expect(p.errors[0]).toMatchObject({ kind: 'partition-decrease', topic: 'b', problem: 'declares 1 partitions but the topic has 2; Kafka cannot remove partitions', fix: expect.stringContaining('declare partitions: 2') });
  });

  it('the create change carries partitions, replication factor and non-null configs', () => {
    const p = planTopics(file('defaults: {replicationFactor: 3, configs: {retention.ms: 5}}', 'topics:', '  - name: a', '    configs: {segment.ms: null}'), cluster(), { allowDelete: false });
    expect(p.changes).toEqual([{ kind: 'create', topic: 'a', partitions: undefined, replicationFactor: 3, configs: { 'retention.ms': '5' } }]);
  });

  it.each([
    ['__consumer_offsets', true],
    ['_schemas', true],
    ['_redpanda.audit_log', true],
    ['task-events', false],
  ])('isInternalTopic(%s) = %s', (name, internal) => expect(isInternalTopic(name)).toBe(internal));
});
