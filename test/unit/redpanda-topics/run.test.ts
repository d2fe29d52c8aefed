import { NetworkError } from '@platformatic/kafka';
import { parseTopicsFile } from '../../../src/actions/redpanda-topics/file.js';
import type { TopicsInputs } from '../../../src/actions/redpanda-topics/inputs.js';
import { reportOutputs, reportSummary } from '../../../src/actions/redpanda-topics/summary.js';
import { run as runTopics } from '../../../src/actions/redpanda-topics/run.js';
import { ConfigurationError, OperationError } from '../../../src/core/errors.js';
import { Timings } from '../../../src/core/groups.js';
import { Inputs, objectInputs } from '../../../src/core/inputs.js';
import { Secrets } from '../../../src/core/secrets.js';
import { parseKafkaConnection } from '../../../src/kafka/connection-inputs.js';
import { LOST_MID_RUN_HINT } from '../../../src/kafka/errors.js';
import { BatchError, type ClusterMetadata, type ItemResult, type NewTopic, type TopicAdmin } from '../../../src/kafka/topic-admin.js';
import { RecordingLogger } from '../../support/recording-logger.js';
import { yaml } from './helpers.js';

/**
 * Issue 22 item 8: the broker is lost in the middle of a 1,000-topic apply. The step's own report (applied /
 * unknown / not attempted) must survive whatever the wait after it does, every output must be set, and the hint
 * must fit a broker lost mid-run, not blame SASL or TLS settings that had just worked.
 */
const N = 1000;
const names = Array.from({ length: N }, (_, i) => `t-${String(i).padStart(4, '0')}`);
const closed = (): Error => new NetworkError('Connection closed');

/** A TopicAdmin whose real CreateTopics answers `appliedBefore` topics and then loses the connection (a BatchError, as TopicAdmin throws). */
class FailingAdmin {
  readonly calls: string[] = [];
  closedCalls = 0;
  constructor(private readonly opts: { appliedBefore?: number; metadataFailsAfterApply?: boolean }) {}
  private applied = false;
  metadata = async (only?: readonly string[]): Promise<ClusterMetadata> => {
    this.calls.push(`metadata ${only ? only.length : 'all'}`);
    if (this.applied && this.opts.metadataFailsAfterApply) throw closed();
    return { clusterId: 'c1', brokers: 1, topics: this.applied ? names.map((name) => ({ name, internal: false, partitions: 1, replicationFactor: 1, ready: true })) : [] };
  };
  describeConfigs = async () => new Map();
  createTopics = async (topics: NewTopic[], validateOnly: boolean): Promise<ItemResult[]> => {
    this.calls.push(`create ${topics.length}${validateOnly ? ' (validate)' : ''}`);
    if (validateOnly) return topics.map((t) => ({ name: t.name }));
    this.applied = true;
    const before = this.opts.appliedBefore;
    if (before === undefined) return topics.map((t) => ({ name: t.name }));
    throw new BatchError(topics.slice(0, before).map((t) => ({ name: t.name })), topics.slice(before, before + 100).map((t) => t.name), closed());
  };
  close = async (): Promise<void> => void this.closedCalls++;
}

function inputs(): TopicsInputs {
  const connection = parseKafkaConnection(new Inputs(objectInputs({ brokers: 'seed:9092', username: 'svc', password: 'pw-run-1', timeout: '5s' })), new Secrets());
  const topics = parseTopicsFile(yaml('apiVersion: redpanda-topics/v1', 'topics:', ...names.map((n) => `  - name: ${n}`)), 'topics.yaml');
  return { file: '/ws/topics.yaml', fileShown: 'topics.yaml', topics, mode: 'apply', allowDelete: false, failOnDrift: false, connection };
}

async function run(admin: FailingAdmin) {
  const log = new RecordingLogger();
  const timings = new Timings();
  const result = await runTopics(inputs(), { log, timings, tempDir: undefined, connect: async () => admin as unknown as TopicAdmin });
  return { ...result, log, timings };
}

describe('a broker lost during a 1,000-topic apply', () => {
  it('reports applied, unknown and not attempted; does not wait on the lost connection; blames no settings', async () => {
    const admin = new FailingAdmin({ appliedBefore: 300 });
    const { report, failure, log, timings } = await run(admin);
    const count = (s: string): number => report.outcomes!.filter((o) => o.status === s).length;
    expect([count('applied'), count('unknown'), count('not-attempted'), count('failed')]).toEqual([300, 100, 600, 0]);
    expect(failure).toBeInstanceOf(OperationError);
    expect(failure!.message).toMatch(/^applying the plan: 300 of 1000 change\(s\) applied, 0 failed, 100 unknown, 600 not attempted:\nt-0300: Connection closed/);
    expect((failure as OperationError).hint).toContain(LOST_MID_RUN_HINT);
    expect((failure as OperationError).hint).not.toMatch(/expects SASL or TLS/);
    expect(admin.calls).toEqual(['metadata all', 'create 1000 (validate)', 'create 1000']); // no wait on the lost connection
    expect(report.readiness).toBe('not checked for the 300 created or grown topic(s): the connection was lost during the apply');
    expect(admin.closedCalls).toBe(1);
    expect(timings.steps.find((s) => s.name === 'Apply 1000 change(s)')?.ok).toBe(false);
    expect(log.text()).toContain('create topics: 300 of 1000 change(s) applied');

    const out = reportOutputs(report);
    expect(Object.entries(out).filter(([, v]) => v === undefined)).toEqual([]);
    expect(out).toMatchObject({ changed: true, creates: 1000, errors: 0 });
    const md = reportSummary(report, timings.steps).toMarkdown();
    expect(md).toContain('## Kafka topics: applied 300 of 1000 changes (0 failed, 100 unknown, 600 not attempted)');
    expect(md).toContain('Outcome: 300 applied, 0 failed, 100 unknown');
    expect(md).toMatch(/\| Apply 1000 change\(s\) \| failed \|/);
    expect(md).toContain(`Next: ${LOST_MID_RUN_HINT}`);
    expect(md.length).toBeLessThan(200_000);
  });

  it('a wait that fails after a complete apply keeps the apply report and says the changes were applied', async () => {
    const admin = new FailingAdmin({ metadataFailsAfterApply: true });
    const { report, failure, log } = await run(admin);
    expect(report.outcomes!.every((o) => o.status === 'applied')).toBe(true);
    expect(failure!.message).toBe('the 1000 change(s) were applied, but waiting for the brokers to serve the created topics: the brokers closed the connection, after it had worked earlier in this run');
    expect((failure as OperationError).hint).toMatch(/^the connection had worked earlier in this run/);
    expect((failure as OperationError).hint).toContain('a re-run plans no changes and waits again');
    expect(report.readiness).toMatch(/^not confirmed: waiting for the brokers/);
    expect(log.text()).toMatch(/error: waiting for the brokers .* \(the 1000 applied change\(s\) stay applied\)/);
    expect(reportOutputs(report)).toMatchObject({ changed: true, creates: 1000 });
    expect(reportSummary(report, []).toMarkdown()).toContain('## Kafka topics: applied 1000 changes');
  });

  it('a connection that fails sets every output and says what failed', async () => {
    const { report, failure } = await runTopics(inputs(), {
      log: new RecordingLogger(),
      connect: async () => {
        throw new OperationError('connecting to Kafka (1.0 s): the brokers closed the connection without answering', { hint: 'the listener probably expects SASL or TLS' });
      },
    });
    expect(failure!.message).toMatch(/^connecting to Kafka/);
    expect(report.failure).toEqual({ message: failure!.message, hint: 'the listener probably expects SASL or TLS' });
    const out = reportOutputs(report);
    expect(Object.entries(out).filter(([, v]) => v === undefined)).toEqual([]);
    expect(out).toMatchObject({ changed: false, 'has-changes': false, errors: 0 });
    expect(reportSummary(report, []).toMarkdown()).toContain('## Kafka topics: failed before any change; nothing was changed');
  });

  it('plan errors fail with a count, after one line each', async () => {
    const admin = new FailingAdmin({});
    admin.createTopics = async (topics: NewTopic[]) => topics.map((t) => ({ name: t.name, errorId: 'POLICY_VIOLATION', error: 'POLICY_VIOLATION: no' }));
    const { failure, log, report } = await run(admin);
    expect(failure).toBeInstanceOf(ConfigurationError);
    expect(failure!.message).toBe('1000 problems in the plan of topics.yaml (each is listed above with its fix, and in the job summary); nothing was changed');
    expect(log.lines.filter((l) => l.startsWith('error: '))).toHaveLength(1000);
    expect(log.lines).not.toContain('No changes: the cluster matches the file.');
    expect(reportOutputs(report).errors).toBe(1000);
  });
});

/** A broker in memory: topics with their partitions and overrides; every request noted in `calls`. */
class FakeBroker {
  readonly calls: string[] = [];
  private readonly topics: Map<string, { partitions: number; overrides: Record<string, string> }>;

  constructor(topics: Record<string, { partitions: number; overrides?: Record<string, string> }>) {
    this.topics = new Map(Object.entries(topics).map(([name, t]) => [name, { partitions: t.partitions, overrides: t.overrides ?? {} }]));
  }

  private note = (what: string, names: readonly string[], validateOnly?: boolean): void => void this.calls.push(`${what} ${names.join(',')}${validateOnly ? ' (validate)' : ''}`);

  metadata = async (only?: readonly string[]): Promise<ClusterMetadata> => {
    this.calls.push(only ? `metadata ${only.join(',')}` : 'metadata');
    const names = [...this.topics.keys()].filter((n) => !only || only.includes(n));
    return { clusterId: 'c1', brokers: 1, topics: names.map((name) => ({ name, internal: false, partitions: this.topics.get(name)!.partitions, replicationFactor: 1, ready: true })) };
  };
  describeConfigs = async (names: readonly string[]) => {
    this.note('describeConfigs', names);
    return new Map(names.map((n) => [n, Object.entries({ 'cleanup.policy': 'delete', 'retention.ms': '604800000', ...this.topics.get(n)!.overrides }).map(([name, value]) => ({ name, value, override: name in this.topics.get(n)!.overrides, sensitive: false }))]));
  };
  createTopics = async (topics: NewTopic[], validateOnly: boolean): Promise<ItemResult[]> => {
    this.note('create', topics.map((t) => t.name), validateOnly);
    if (!validateOnly) for (const t of topics) this.topics.set(t.name, { partitions: t.partitions, overrides: t.configs });
    return topics.map((t) => ({ name: t.name }));
  };
  createPartitions = async (topics: Array<{ name: string; count: number }>, validateOnly: boolean): Promise<ItemResult[]> => {
    this.note('partitions', topics.map((t) => `${t.name}->${t.count}`), validateOnly);
    if (!validateOnly) for (const t of topics) this.topics.get(t.name)!.partitions = t.count;
    return topics.map((t) => ({ name: t.name }));
  };
  alterConfigs = async (alterations: Array<{ name: string; set: Record<string, string>; remove: string[] }>, validateOnly: boolean): Promise<ItemResult[]> => {
    this.note('alter', alterations.map((a) => a.name), validateOnly);
    return alterations.map((a) => ({ name: a.name }));
  };
  deleteTopics = async (names: string[]): Promise<ItemResult[]> => {
    this.note('delete', names);
    for (const n of names) this.topics.delete(n);
    return names.map((name) => ({ name }));
  };
  close = async (): Promise<void> => void this.calls.push('close');
}

describe('redpanda-topics run: plan and apply against a broker (fake)', () => {
  const inputsFor = (lines: string[], o: Partial<Pick<TopicsInputs, 'mode' | 'allowDelete' | 'failOnDrift'>> = {}): TopicsInputs => ({
    ...inputs(),
    topics: parseTopicsFile(yaml('apiVersion: redpanda-topics/v1', 'topics:', ...lines), 'topics.yaml'),
    mode: 'apply',
    allowDelete: false,
    failOnDrift: false,
    ...o,
  });

  it.each<{ name: string; lines: string[]; broker: ConstructorParameters<typeof FakeBroker>[0]; o?: Partial<Pick<TopicsInputs, 'mode' | 'allowDelete' | 'failOnDrift'>>; calls: string[]; changes: string[]; statuses?: string[]; failure?: RegExp; logs?: RegExp[] }>([
    { name: 'plan mode: the broker checks the plan, nothing is applied', lines: ['  - name: a', '    partitions: 2'], broker: {}, o: { mode: 'plan' }, calls: ['metadata', 'create a (validate)'], changes: ['create a'] },
    { name: 'apply: created, then waited for until served', lines: ['  - name: a', '    partitions: 2'], broker: {}, calls: ['metadata', 'create a (validate)', 'create a', 'metadata a'], changes: ['create a'], statuses: ['applied'], logs: [/^1 topic\(s\) served by the brokers/m] },
    { name: 'apply: grown', lines: ['  - name: a', '    partitions: 3'], broker: { a: { partitions: 1 } }, calls: ['metadata', 'describeConfigs a', 'partitions a->3 (validate)', 'partitions a->3', 'metadata a'], changes: ['add-partitions a'], statuses: ['applied'] },
    { name: 'apply: a config set, nothing to wait for', lines: ['  - name: a', '    configs: {retention.ms: 1000}'], broker: { a: { partitions: 1 } }, calls: ['metadata', 'describeConfigs a', 'alter a (validate)', 'alter a'], changes: ['set-config a'], statuses: ['applied'] },
    { name: 'apply: in sync, nothing to do', lines: ['  - name: a'], broker: { a: { partitions: 1 } }, calls: ['metadata', 'describeConfigs a'], changes: [], logs: [/^No changes: the cluster already matches the file; nothing was changed\.$/m] },
    { name: 'apply: a topic marked absent, allow-delete: deleted (nothing for the broker to validate)', lines: ['  - name: a', '    state: absent'], broker: { a: { partitions: 1 } }, o: { allowDelete: true }, calls: ['metadata', 'delete a'], changes: ['delete a'], statuses: ['applied'] },
    { name: 'drift is reported, not touched', lines: ['  - name: a'], broker: { a: { partitions: 1 }, x: { partitions: 1 } }, calls: ['metadata', 'describeConfigs a'], changes: [], logs: [/^warning: drift \(not touched\): topic x exists but is not declared$/m] },
    { name: 'fail-on-drift: fails before any change', lines: ['  - name: a', '  - name: b'], broker: { a: { partitions: 1 }, x: { partitions: 1 } }, o: { failOnDrift: true }, calls: ['metadata', 'describeConfigs a', 'create b (validate)'], changes: ['create b'], failure: /^1 drift item\(s\) and fail-on-drift is true; nothing was changed:\ntopic x exists but is not declared$/ },
    { name: 'a plan error (fewer partitions): refused, the broker not even asked', lines: ['  - name: a', '    partitions: 1'], broker: { a: { partitions: 3 } }, calls: ['metadata', 'describeConfigs a'], changes: [], failure: /^topics\.yaml:4:17: topic a: declares 1 partitions but the topic has 3; Kafka cannot remove partitions/ },
  ])('$name', async ({ lines, broker: topics, o, calls, changes, statuses, failure, logs }) => {
    const broker = new FakeBroker(topics);
    const log = new RecordingLogger();
    const { report, failure: failed } = await runTopics(inputsFor(lines, o), { log, connect: async () => broker as unknown as TopicAdmin });
    expect(broker.calls).toEqual([...calls, 'close']);
    expect(report.plan.changes.map((c) => `${c.kind} ${c.topic}`)).toEqual(changes);
    expect(report.outcomes?.map((x) => x.status)).toEqual(statuses);
    if (failure) expect(failed?.message).toMatch(failure);
    else expect(failed).toBeUndefined();
    for (const re of logs ?? []) expect(log.text()).toMatch(re);
    expect(reportOutputs(report)).toMatchObject({ changed: (statuses ?? []).includes('applied'), 'has-changes': changes.length > 0 });
  });
});
