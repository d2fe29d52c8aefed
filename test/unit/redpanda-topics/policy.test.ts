import { parseTopicsFile } from '../../../src/actions/redpanda-topics/file.js';
import { configError, yaml } from './helpers.js';

const file = (policy: string[], topics: string[]): string => yaml('apiVersion: redpanda-topics/v1', 'policy:', ...policy.map((l) => `  ${l}`), topics.length ? 'topics:' : 'topics: []', ...topics);

describe('topics file: policy, enforced offline with file and line', () => {
  it.each([
    ['a name outside the pattern', ['namePattern: "[a-z-]+"'], ['  - name: Bad.Name'], 'f.yaml:5:11: topics[0].name: policy violation: "Bad.Name" does not match policy.namePattern [a-z-]+'],
    ['a pattern is matched as a whole', ['namePattern: "task"'], ['  - name: task-events'], 'does not match policy.namePattern task'],
    ['too few partitions', ['minPartitions: 3'], ['  - name: a', '    partitions: 1'], 'f.yaml:6:17: topics[0].partitions: policy violation: 1 partitions is fewer than policy.minPartitions 3. Fix: use at least 3 partitions'],
    ['too many partitions', ['maxPartitions: 12'], ['  - name: a', '    partitions: 48'], 'policy violation: 48 partitions is more than policy.maxPartitions 12. Fix: use at most 12 partitions'],
    ['undeclared partitions under limits', ['maxPartitions: 12'], ['  - name: a'], 'f.yaml:5:5: topics[0].partitions: policy violation: partitions is not declared, but the policy limits partitions'],
    ['a missing required config', ['requiredConfigs: [retention.ms]'], ['  - name: a'], 'f.yaml:5:5: topics[0].configs: policy violation: config "retention.ms" is required by policy.requiredConfigs but is not declared'],
    ['a required config set to null', ['requiredConfigs: [retention.ms]'], ['  - name: a', '    configs:', '      retention.ms: null'], 'f.yaml:7:7: topics[0].configs: policy violation: config "retention.ms" is required by policy.requiredConfigs but is set to null'],
    ['a topic outside the managed prefixes', ['managedPrefixes: [orders-]'], ['  - name: payments'], 'f.yaml:5:11: topics[0].name: policy violation: "payments" is outside the managed prefixes (orders-)'],
    ['an absent topic outside the managed prefixes', ['managedPrefixes: [orders-]'], ['  - name: payments', '    state: absent'], 'is outside the managed prefixes'],
    ['an invalid pattern', ['namePattern: "("'], ['  - name: a'], 'f.yaml:3:16: policy.namePattern: is not a valid regular expression'],
    ['min above max', ['minPartitions: 6', 'maxPartitions: 3'], [], 'f.yaml:3:18: policy.minPartitions: 6 is more than policy.maxPartitions 3'],
  ])('refuses %s', (_, policy, topics, message) => {
    expect(configError(() => parseTopicsFile(file(policy, topics), 'f.yaml')).message).toContain(message);
  });

  /** What the parser kept of each accepted topic and the policy it holds them to (the policy may grow fields: matched, not equal). */
  const accepted = (source: string) => {
    const f = parseTopicsFile(source, 'f.yaml');
    return { policy: f.policy, topics: f.topics.map((t) => ({ name: t.name, state: t.state, partitions: t.partitions, configs: Object.fromEntries(t.configs) })) };
  };

  it.each([
    [
      'names, partitions and configs within the policy',
      ['namePattern: "[a-z][a-z0-9-]*"', 'minPartitions: 1', 'maxPartitions: 12', 'requiredConfigs: [retention.ms]', 'managedPrefixes: [task-]'],
      ['  - name: task-events', '    partitions: 6', '    configs: {retention.ms: 1000}'],
      {
        policy: { namePattern: '[a-z][a-z0-9-]*', minPartitions: 1, maxPartitions: 12, requiredConfigs: ['retention.ms'], managedPrefixes: ['task-'] },
        topics: [{ name: 'task-events', state: 'present', partitions: 6, configs: { 'retention.ms': '1000' } }],
      },
    ],
    [
      'partitions exactly at the limits (min and max are inclusive)',
      ['minPartitions: 3', 'maxPartitions: 12'],
      ['  - name: low', '    partitions: 3', '  - name: high', '    partitions: 12'],
      {
        policy: { minPartitions: 3, maxPartitions: 12, requiredConfigs: [], managedPrefixes: [] },
        topics: [
          { name: 'low', state: 'present', partitions: 3, configs: {} },
          { name: 'high', state: 'present', partitions: 12, configs: {} },
        ],
      },
    ],
    [
      'an absent topic is not held to partition or config rules',
      ['minPartitions: 3', 'requiredConfigs: [retention.ms]', 'namePattern: "x"'],
      ['  - name: old', '    state: absent'],
      {
        policy: { namePattern: 'x', minPartitions: 3, requiredConfigs: ['retention.ms'], managedPrefixes: [] },
        topics: [{ name: 'old', state: 'absent', partitions: undefined, configs: {} }],
      },
    ],
  ])('accepts %s', (_, policy, topics, expected) => {
    expect(accepted(file(policy, topics))).toMatchObject(expected);
  });
});
