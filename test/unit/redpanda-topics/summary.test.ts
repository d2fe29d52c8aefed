import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rejectionsToErrors } from '../../../src/actions/redpanda-topics/broker-check.js';
import { parseTopicsFile } from '../../../src/actions/redpanda-topics/file.js';
import { SchemaValidator } from '../../../src/actions/redpanda-topics/json-schema.js';
import type { Change, Plan } from '../../../src/actions/redpanda-topics/model.js';
import { toClusterState } from '../../../src/actions/redpanda-topics/observe.js';
import { refusedResult } from '../../../src/actions/redpanda-topics/problems.js';
import { changeLine, headline, outputsOf, planJson, planLines, renderSummary, reportOutputs, reportSummary, type TopicsReport } from '../../../src/actions/redpanda-topics/summary.js';
import { ConfigurationError } from '../../../src/core/errors.js';
import { loadYamlWithPositions } from '../../../src/core/yaml.js';
import { RecordingLogger } from '../../support/recording-logger.js';
import { yaml } from './helpers.js';

const changes: Change[] = [
  { kind: 'create', topic: 'a', partitions: 1, replicationFactor: undefined, configs: { 'retention.ms': '1000' } },
  { kind: 'add-partitions', topic: 'b', from: 3, to: 6 },
  { kind: 'set-config', topic: 'b', key: 'retention.ms', from: null, to: '5' },
  { kind: 'remove-config', topic: 'b', key: 'segment.ms', from: '7' },
  { kind: 'delete', topic: 'c', partitions: 3 },
];
const plan = (over: Partial<Plan> = {}): Plan => ({ changes, errors: [], drift: [{ kind: 'undeclared-topic', topic: 'x' }, { kind: 'undeclared-override', topic: 'b', key: 'max.message.bytes', value: '2' }], inSync: ['d'], ...over });
const report = (over: Partial<TopicsReport> = {}): TopicsReport => ({ mode: 'plan', file: 'deploy/topics.yaml', brokers: 'seed:9092 (no SASL, TLS)', declared: 4, plan: plan(), ...over });

describe('rendering the plan', () => {
  it.each([
    [changes[0]!, '+ create a: 1 partition, replication factor default, retention.ms=1000'],
    [changes[1]!, '~ add partitions b: 3 -> 6'],
    [changes[2]!, '~ set config b: retention.ms: (unset) -> 5'],
    [changes[3]!, '- remove config b: segment.ms (was 7; the broker default applies)'],
    [changes[4]!, '! delete c: 3 partitions; its data is lost'],
  ])('log line for %j', (change, line) => expect(changeLine(change)).toBe(line));

  it('says "no changes" when there is nothing to do', () => {
    expect(planLines(plan({ changes: [] }))).toEqual(['No changes: the cluster matches the file.']);
    expect(headline(report({ plan: plan({ changes: [] }) }))).toBe('no changes');
  });

  it.each([
    [report(), 'plan: 5 changes'],
    [report({ mode: 'apply', outcomes: changes.map((change) => ({ change, status: 'applied' as const })) }), 'applied 5 changes'],
    [report({ mode: 'apply', outcomes: changes.map((change, i) => ({ change, status: i ? ('not-attempted' as const) : ('applied' as const) })) }), 'applied 1 of 5 changes (0 failed, 0 unknown, 4 not attempted)'],
    [report({ plan: plan({ errors: [{ kind: 'partition-decrease', topic: 'b', problem: 'p', fix: 'f' }] }) }), '1 problem in the plan; nothing was changed'],
    [report({ driftFailure: true }), 'drift found (fail-on-drift); nothing was changed'],
  ])('headline %#', (r, text) => expect(headline(r)).toBe(text));

  it('writes a job summary with the plan table, problems with file:line, drift and timings', () => {
    const md = reportSummary(report({ plan: plan({ errors: [{ kind: 'partition-decrease', topic: 'b', problem: 'declares 1', fix: 'declare 3', at: { line: 9, column: 17 } }] }) }), [{ name: 'Plan', ms: 1200, ok: true }]).toMarkdown();
    expect(md).toContain('## Kafka topics: 1 problem in the plan; nothing was changed');
    expect(md).toContain('| Topic | Change | Details | Status |');
    expect(md).toContain('| b | add partitions | 3 -> 6 | not applied |');
    expect(md).toContain('- deploy/topics.yaml:9:17: b: declares 1. Fix: declare 3');
    expect(md).toContain('| x | undeclared topic |  |');
    expect(md).toContain('| b | undeclared override | max.message.bytes=2 |');
    expect(md).toContain('| Plan | ok | 1.2 s |');
  });

  it('shows the error column only when an apply reported errors', () => {
    const outcomes = changes.map((change, i) => (i === 1 ? { change, status: 'failed' as const, error: 'INVALID_PARTITIONS: x' } : { change, status: 'applied' as const }));
    const md = reportSummary(report({ mode: 'apply', outcomes }), []).toMarkdown();
    expect(md).toContain('| Topic | Change | Details | Status | Error |');
    expect(md).toContain('| b | add partitions | 3 -> 6 | failed | INVALID_PARTITIONS: x |');
  });

  it('typed outputs: counts per kind, changed only when something was applied, the plan as data', () => {
    expect(reportOutputs(report())).toMatchObject({ changed: false, 'has-changes': true, creates: 1, 'partition-increases': 1, 'config-updates': 1, 'config-removals': 1, deletes: 1, drift: 2, errors: 0 });
    const applied = report({ mode: 'apply', outcomes: changes.map((change) => ({ change, status: 'applied' as const })) });
    expect(reportOutputs(applied).changed).toBe(true);
    const json = planJson(applied);
    expect(json).toMatchObject({ mode: 'apply', changed: true, counts: { create: 1, delete: 1 }, inSync: 1 });
    expect((json.changes as Array<{ status: string }>).map((c) => c.status)).toEqual(['applied', 'applied', 'applied', 'applied', 'applied']);
  });
});

describe('large plans', () => {
  it('gives a plan too large for a GitHub output as counts, pointing at the plan file', () => {
    const many: Change[] = Array.from({ length: 6000 }, (_, i) => ({ kind: 'create', topic: `topic-with-a-long-name-${i}`, partitions: 3, replicationFactor: 3, configs: { 'retention.ms': '604800000', 'cleanup.policy': 'delete', 'min.insync.replicas': '2' } }));
    const out = reportOutputs(report({ plan: plan({ changes: many }), planFile: '/tmp/x/plan.json' }));
    expect(out.plan).toEqual({ apiVersion: 'redpanda-topics/v1', mode: 'plan', file: 'deploy/topics.yaml', changed: false, counts: expect.objectContaining({ create: 6000 }), inSync: 1, errors: 0, truncated: 'the plan is too large for an output; it is in full in /tmp/x/plan.json' });
    expect(out.creates).toBe(6000);
    const md = reportSummary(report({ plan: plan({ changes: many }) }), []).toMarkdown();
    expect(md).toContain('... and 5700 more');
    expect(md.length).toBeLessThan(100_000);
  });
});

describe('observed state and broker rejections', () => {
  it('drops internal topics and keeps overrides apart from inherited values', () => {
    const state = toClusterState(
      { clusterId: 'c', brokers: 3, topics: [{ name: 'a', internal: false, partitions: 3, replicationFactor: 3, ready: true }, { name: '__consumer_offsets', internal: true, partitions: 50, replicationFactor: 3, ready: true }, { name: '_schemas', internal: false, partitions: 1, replicationFactor: 3, ready: true }] },
      new Map([['a', [{ name: 'retention.ms', value: '5', override: true, inherited: '604800000', sensitive: false }, { name: 'cleanup.policy', value: 'delete', override: true, inherited: 'delete', sensitive: false }, { name: 'segment.ms', value: '9', override: false, sensitive: false }]]]),
    );
    expect([...state.topicNames]).toEqual(['a']);
    expect(state.topics.get('a')).toEqual({
      name: 'a',
      partitions: 3,
      replicationFactor: 3,
      configs: new Map([['retention.ms', '5'], ['cleanup.policy', 'delete'], ['segment.ms', '9']]),
      overrides: new Set(['retention.ms', 'cleanup.policy']),
      redundantOverrides: new Set(['cleanup.policy']),
    });
  });

  it('fails plainly when a declared topic cannot be described', () => {
    expect(() => toClusterState({ clusterId: null, brokers: 1, topics: [{ name: 'a', internal: false, partitions: 1, replicationFactor: 1, ready: true }] }, new Map([['a', { name: 'a', error: 'TOPIC_AUTHORIZATION_FAILED: no' }]]))).toThrow(
      'describing topic configs failed for 1 topic(s): a: TOPIC_AUTHORIZATION_FAILED: no',
    );
  });

  it('points a broker rejection at the config key it names (longest key first), else the field, else the topic', () => {
    const file = parseTopicsFile(yaml('apiVersion: redpanda-topics/v1', 'topics:', '  - name: a', '    replicationFactor: 3', '    configs:', '      retention.ms: 1', '      delete.retention.ms: x'), 'f.yaml');
    const errors = rejectionsToErrors(
      [
        { name: 'a', errorId: 'INVALID_CONFIG', error: 'INVALID_CONFIG: Invalid value x for configuration delete.retention.ms' },
        { name: 'a', errorId: 'INVALID_REPLICATION_FACTOR', error: 'INVALID_REPLICATION_FACTOR: only 1 broker(s)' },
        { name: 'a', errorId: 'POLICY_VIOLATION', error: 'POLICY_VIOLATION: no' },
        { name: 'a' },
      ],
      file,
      'creating the topic',
    );
    expect(errors.map((e) => [e.at?.line, e.fix.slice(0, 20)])).toEqual([[7, 'correct or remove th'], [4, 'use a replicationFac'], [3, "the broker's own top"]]);
    expect(errors[0]!.problem).toBe('the broker rejects creating the topic: INVALID_CONFIG: Invalid value x for configuration delete.retention.ms');
  });

  it('the schema validator refuses a keyword it does not implement, rather than checking less', () => {
    expect(() => new SchemaValidator({ type: 'object', oneOf: [] }).validate(loadYamlWithPositions('a: 1\n', 'f.yaml'))).toThrow('bug: schema keyword "oneOf" is not supported');
  });
});

describe('did you mean', () => {
  it.each([
    ['partiton', 'partitions'],
    ['replicas', 'replicationFactor'],
    ['Configs', 'configs'],
    ['zzz', undefined],
  ])('closest(%s) = %s', async (word, expected) => {
    const { closest } = await import('../../../src/actions/redpanda-topics/json-schema.js');
    expect(closest(word, ['name', 'state', 'partitions', 'replicationFactor', 'configs'])).toBe(expected);
  });
});

describe('a step refused on its inputs or file: every output and the summary still written (refusedResult)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'topics-refused-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const err = new ConfigurationError([
    { input: 'mode', problem: '"yolo" is not one of the allowed values', fix: 'use one of: plan, apply' },
    { input: 'topics[0].partitions', problem: 'must be a whole number', fix: 'write 3', location: { file: 'topics.yaml', line: 4, column: 17 } },
  ]);

  it.each([
    ['the mode as given (any case) and the file', { mode: 'APPLY', file: 'topics.yaml' }, 'apply', 'topics.yaml'],
    ['an unknown mode reads as plan; no file given', { mode: 'yolo' }, 'plan', '(no file)'],
  ])('%s', (_, raw, mode, file) => {
    const log = new RecordingLogger();
    const r = refusedResult(err, raw, log, dir);
    expect(r.report).toMatchObject({ mode, file, problems: err.problems, brokers: '(not connected)' });
    expect(r.failure?.message).toBe('2 problems in the inputs (each is listed above with its fix, and in the job summary); nothing was changed');
    expect(log.lines).toEqual(['error: mode: "yolo" is not one of the allowed values. Fix: use one of: plan, apply', 'error: topics.yaml:4:17: topics[0].partitions: must be a whole number. Fix: write 3']);
    expect(JSON.parse(readFileSync(r.report.planFile!, 'utf8'))).toMatchObject({ mode, changed: false, problems: err.problems });
    expect(outputsOf(r)).toMatchObject({ changed: false, 'has-changes': false, errors: 2, 'plan-file': r.report.planFile });
    expect(renderSummary(r, []).toMarkdown()).toContain('## Kafka topics: invalid input: 2 problems in the inputs or the topics file; nothing was changed');
  });
});
