import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normaliseConfigValue, parseTopicsFile } from '../../../src/actions/redpanda-topics/file.js';
import { topicsSchema } from '../../../src/actions/redpanda-topics/topics-schema.js';
import { configError, yaml } from './helpers.js';

const root = join(import.meta.dirname, '..', '..', '..');
const head = ['apiVersion: redpanda-topics/v1'];

describe('topics file: YAML and schema errors carry file, line and column', () => {
  it.each([
    ['a YAML syntax error', yaml(...head, 'topics:', '  - name: a', '    partitions: [1,', 'x: 1'), 'topics.yaml:5:1: file: is not valid YAML: '],
    ['a duplicated key', yaml(...head, 'topics:', '  - name: a', '    name: b'), 'topics.yaml:4:5: file: is not valid YAML: duplicated mapping key'],
    ['a tab indentation', yaml(...head, 'topics:', '\t- name: a'), 'topics.yaml:3:'],
    ['an empty file', '\n\n', 'topics.yaml: file: topics.yaml is empty'],
    ['a list at the top', yaml('- a', '- b'), 'topics.yaml:1:1: (top level): must be a mapping, but is a list'],
    ['a missing apiVersion', yaml('topics: []'), 'topics.yaml:1:1: (top level): is missing the required key "apiVersion". Fix: add `apiVersion:` (The file format version: redpanda-topics/v1.)'],
    ['a wrong apiVersion', yaml('apiVersion: v2', 'topics: []'), 'topics.yaml:1:13: apiVersion: the text "v2" is not allowed. Fix: use "redpanda-topics/v1"'],
    ['a missing topics list', yaml(...head), 'is missing the required key "topics"'],
    ['topics as a mapping', yaml(...head, 'topics:', '  a: 1'), 'topics.yaml:3:3: topics: must be a list, but is a mapping. Fix: write a list, one `- item` per line'],
    ['a topic without name', yaml(...head, 'topics:', '  - partitions: 3'), 'topics.yaml:3:5: topics[0]: is missing the required key "name"'],
    ['partitions as text', yaml(...head, 'topics:', '  - name: a', '    partitions: three'), 'topics.yaml:4:17: topics[0].partitions: must be a whole number, but is the text "three". Fix: write a whole number without quotes, e.g. 3'],
    ['quoted partitions', yaml(...head, 'topics:', '  - name: a', '    partitions: "3"'), 'topics.yaml:4:17: topics[0].partitions: must be a whole number, but is the text "3"'],
    ['fractional partitions', yaml(...head, 'topics:', '  - name: a', '    partitions: 1.5'), 'topics[0].partitions: must be a whole number, but is the number 1.5'],
    ['zero partitions', yaml(...head, 'topics:', '  - name: a', '    partitions: 0'), 'topics.yaml:4:17: topics[0].partitions: 0 is less than the minimum 1. Fix: use 1 or more'],
    ['an unknown key with a suggestion', yaml(...head, 'topics:', '  - name: a', '    partiton: 3'), 'topics.yaml:4:5: topics[0].partiton: unknown key "partiton". Fix: did you mean "partitions"? allowed keys here: name, state, partitions, replicationFactor, configs'],
    ['a bad state', yaml(...head, 'topics:', '  - name: a', '    state: gone'), 'topics.yaml:4:12: topics[0].state: the text "gone" is not allowed. Fix: use one of: "present", "absent"'],
    ['a bad topic name', yaml(...head, 'topics:', '  - name: "a b"'), 'topics.yaml:3:11: topics[0].name: the text "a b" does not match'],
    ['a too long topic name', yaml(...head, 'topics:', `  - name: ${'x'.repeat(250)}`), 'is 250 characters long, more than the maximum 249'],
    ['a bad config key', yaml(...head, 'topics:', '  - name: a', '    configs:', '      Retention.MS: 1'), 'topics.yaml:5:7: topics[0].configs["Retention.MS"]: the text "Retention.MS" does not match'],
    ['a config value mapping', yaml(...head, 'topics:', '  - name: a', '    configs:', '      retention.ms: {a: 1}'), 'topics.yaml:5:21: topics[0].configs["retention.ms"]: must be text or a number or true or false or a list or null, but is a mapping'],
    ['a duplicated prefix', yaml(...head, 'policy:', '  managedPrefixes: [a, a]', 'topics: []'), 'topics.yaml:3:24: policy.managedPrefixes[1]: the text "a" is listed more than once'],
    ['defaults with an unknown key', yaml(...head, 'defaults:', '  replicas: 3', 'topics: []'), 'topics.yaml:3:3: defaults.replicas: unknown key "replicas". Fix: did you mean "replicationFactor"? allowed keys here: partitions, replicationFactor, configs'],
  ])('%s', (_, text, message) => {
    expect(configError(() => parseTopicsFile(text, 'topics.yaml')).message).toContain(message);
  });

  it('reports every schema problem at once, each with its own line', () => {
    const err = configError(() => parseTopicsFile(yaml(...head, 'topics:', '  - name: a', '    partitions: -1', '  - name: b', '    replicationFactor: x', '  - nme: c'), 'topics.yaml'));
    expect(err.problems.map((p) => `${p.location?.line}:${p.input}`)).toEqual(['4:topics[0].partitions', '6:topics[1].replicationFactor', '7:topics[2]', '7:topics[2].nme']);
  });
});

describe('topics file: meaning', () => {
  it('applies defaults, merges configs key by key and normalises values to strings', () => {
    const file = parseTopicsFile(
      yaml(...head, 'defaults:', '  partitions: 3', '  replicationFactor: 1', '  configs:', '    retention.ms: 604800000', '    cleanup.policy: delete', 'topics:', '  - name: a', '  - name: b', '    partitions: 6', '    configs:', '      cleanup.policy: [compact, delete]', '      retention.bytes: 9223372036854775807', '      preallocate: false', '      min.cleanable.dirty.ratio: 0.5', '      segment.ms: null', '  - name: c', '    state: absent'),
      'topics.yaml',
    );
    const [a, b, c] = file.topics;
    expect(a).toMatchObject({ name: 'a', state: 'present', partitions: 3, replicationFactor: 1 });
    expect(Object.fromEntries(a!.configs)).toEqual({ 'retention.ms': '604800000', 'cleanup.policy': 'delete' });
    expect(b!.partitions).toBe(6);
    expect(Object.fromEntries(b!.configs)).toEqual({ 'retention.ms': '604800000', 'cleanup.policy': 'compact,delete', 'retention.bytes': '9223372036854775807', preallocate: 'false', 'min.cleanable.dirty.ratio': '0.5', 'segment.ms': null });
    expect(b!.fieldAt.partitions).toEqual({ line: 11, column: 17 });
    expect(a!.fieldAt.partitions).toEqual({ line: 3, column: 15 });
    expect(b!.fieldAt.configs.get('cleanup.policy')?.line).toBe(13);
    expect(b!.fieldAt.configs.get('retention.ms')?.line).toBe(6);
    expect(c).toMatchObject({ name: 'c', state: 'absent', at: { line: 18, column: 5 } });
  });

  it.each([
    [' 1000 ', '1000'],
    ['compact, delete', 'compact,delete'],
    [86400000, '86400000'],
    [true, 'true'],
    [null, null],
    [['a', 2], 'a,2'],
  ])('normalises %j to %j', (value, expected) => expect(normaliseConfigValue(value)).toBe(expected));

  it.each([
    ['a duplicate topic', ['  - name: a', '  - name: b', '  - name: a'], 'topics.yaml:5:11: topics[2].name: topic "a" is declared twice (first at line 3)'],
    ['an internal topic', ['  - name: __consumer_offsets'], 'topics.yaml:3:11: topics[0].name: "__consumer_offsets" is an internal topic name (starts with _); internal topics are never managed'],
    ['a single-underscore topic', ['  - name: _schemas'], '"_schemas" is an internal topic name'],
    ['names that collide in metrics', ['  - name: a.b', '  - name: a_b'], 'topics.yaml:4:11: topics[1].name: "a_b" collides with "a.b" (line 3)'],
    ['a dot name', ['  - name: ".."'], '".." is not a valid topic name'],
  ])('refuses %s', (_, lines, message) => {
    expect(configError(() => parseTopicsFile(yaml(...head, 'topics:', ...lines), 'topics.yaml')).message).toContain(message);
  });

  it("parses this repository's own deploy/topics.yaml: the app's topics and their dead-letter topics", () => {
    const file = parseTopicsFile(readFileSync(join(root, 'deploy', 'topics.yaml'), 'utf8'), 'deploy/topics.yaml');
    expect(file.topics.map((t) => t.name)).toEqual(['task-events', 'task-updates', 'reminders', 'task-events-dlq', 'reminders-dlq']);
    expect(file.topics.every((t) => t.state === 'present' && t.configs.get('retention.ms'))).toBe(true);
  });

  it('ships topics.schema.json identical to the schema the action validates with', () => {
    const shipped = JSON.parse(readFileSync(join(root, 'actions', 'redpanda-topics', 'topics.schema.json'), 'utf8')) as unknown;
    expect(shipped).toEqual(topicsSchema);
  });
});

describe('topics file: an empty value points at its key', () => {
  it('reports `topics:` with nothing after it at its own line', () => {
    expect(configError(() => parseTopicsFile(yaml('apiVersion: redpanda-topics/v1', '# comment', 'topics:'), 'topics.yaml')).message).toBe(
      'topics.yaml:3:1: topics: must be a list, but is empty (null). Fix: write a list, one `- item` per line',
    );
  });
});
