import { applyPlan, outcomesOf } from '../../../src/actions/redpanda-topics/apply.js';
import { alterationsOf } from '../../../src/actions/redpanda-topics/broker-check.js';
import type { Change } from '../../../src/actions/redpanda-topics/model.js';
import { readinessTargets, waitUntilReady } from '../../../src/actions/redpanda-topics/ready.js';
import { BatchError, type ConfigAlteration, type ItemResult, type NewTopic, type TopicAdmin, type TopicMetadata } from '../../../src/kafka/topic-admin.js';
import { RecordingLogger } from '../../support/recording-logger.js';

/** A TopicAdmin that records requests and answers from a script: per topic, an error id or nothing. */
class FakeAdmin {
  readonly requests: string[] = [];
  constructor(
    private readonly errors: Record<string, string> = {},
    private readonly throwOn?: string,
  ) {}
  private answer(kind: string, names: string[], shown = names): ItemResult[] {
    this.requests.push(`${kind} ${shown.join(',')}`);
    if (this.throwOn === kind) throw new BatchError([], names, new Error('socket hang up'));
    return names.map((name) => (this.errors[name] ? { name, errorId: this.errors[name], error: `${this.errors[name]}: nope` } : { name }));
  }
  createTopics = async (t: NewTopic[]) => this.answer('create', t.map((x) => x.name));
  createPartitions = async (t: Array<{ name: string }>) => this.answer('partitions', t.map((x) => x.name));
  alterConfigs = async (a: ConfigAlteration[]) => this.answer('configs', a.map((x) => x.name), a.map((x) => `${x.name}[set ${Object.keys(x.set).join('+')}; remove ${x.remove.join('+')}]`));
  deleteTopics = async (n: string[]) => this.answer('delete', n);
}

const changes: Change[] = [
  { kind: 'create', topic: 'a', partitions: 3, replicationFactor: undefined, configs: {} },
  { kind: 'create', topic: 'b', partitions: 1, replicationFactor: 1, configs: { 'retention.ms': '1' } },
  { kind: 'set-config', topic: 'c', key: 'retention.ms', from: '5', to: '6' },
  { kind: 'add-partitions', topic: 'c', from: 1, to: 2 },
  { kind: 'remove-config', topic: 'c', key: 'segment.ms', from: '9' },
  { kind: 'delete', topic: 'd', partitions: 1 },
];
const statuses = (o: Array<{ change: Change; status: string }>) => o.map((x) => `${x.change.kind} ${x.change.topic}: ${x.status}`);

describe('apply: batched, and exact about what was applied', () => {
  it('sends one request per kind of change, configs grouped per topic, in a safe order', async () => {
    const admin = new FakeAdmin();
    const outcomes = await applyPlan(admin as unknown as TopicAdmin, changes, new RecordingLogger());
    expect(admin.requests).toEqual(['create a,b', 'partitions c', 'configs c[set retention.ms; remove segment.ms]', 'delete d']);
    expect(outcomes.every((o) => o.status === 'applied')).toBe(true);
    expect(outcomes.map((o) => o.change)).toEqual(changes);
  });

  it('a failed change stops the apply before its next step; the rest is marked not attempted', async () => {
    const admin = new FakeAdmin({ b: 'POLICY_VIOLATION' });
    const log = new RecordingLogger();
    const outcomes = await applyPlan(admin as unknown as TopicAdmin, changes, log);
    expect(admin.requests).toEqual(['create a,b']);
    expect(statuses(outcomes)).toEqual(['create a: applied', 'create b: failed', 'set-config c: not-attempted', 'add-partitions c: not-attempted', 'remove-config c: not-attempted', 'delete d: not-attempted']);
    expect(outcomes[1]!.error).toBe('POLICY_VIOLATION: nope');
    expect(log.text()).toContain('error: b: create topics failed: POLICY_VIOLATION: nope');
  });

  it('a request without an answer leaves its changes unknown, not applied and not failed', async () => {
    const outcomes = await applyPlan(new FakeAdmin({}, 'configs') as unknown as TopicAdmin, changes, new RecordingLogger());
    expect(statuses(outcomes)).toEqual(['create a: applied', 'create b: applied', 'set-config c: unknown', 'add-partitions c: applied', 'remove-config c: unknown', 'delete d: not-attempted']);
    expect(outcomes[2]!.error).toBe('socket hang up');
  });

  it.each([
    [[{ name: 'a' }], [], undefined, ['create a: applied', 'create b: unknown']],
    [[{ name: 'a' }], ['b'], 'lost', ['create a: applied', 'create b: unknown']],
    [[], [], 'lost', ['create a: not-attempted', 'create b: not-attempted']],
  ])('outcomesOf(results %j, in flight %j, failure %j)', (results, inFlight, failure, expected) => {
    expect(statuses(outcomesOf(changes.slice(0, 2), results, inFlight, failure))).toEqual(expected);
  });

  it('alterationsOf groups every config change of a topic into one resource', () => {
    expect(alterationsOf(changes)).toEqual([{ name: 'c', set: { 'retention.ms': '6' }, remove: ['segment.ms'] }]);
  });
});

describe('readiness: wait until the brokers serve new topics', () => {
  const md = (topics: Array<Partial<TopicMetadata> & { name: string }>) => ({ clusterId: 'c', brokers: 1, topics: topics.map((t) => ({ internal: false, partitions: 1, replicationFactor: 1, ready: true, ...t })) });

  it('targets created and grown topics that were applied', () => {
    const outcomes = changes.map((change, i) => ({ change, status: i === 1 ? ('failed' as const) : ('applied' as const) }));
    expect([...readinessTargets(outcomes)]).toEqual([['a', 3], ['c', 2]]);
  });

  it('polls metadata for the pending topics until each has its partitions and leaders', async () => {
    const answers = [md([{ name: 'a', partitions: 3, ready: false }]), md([{ name: 'a', partitions: 3 }, { name: 'c', partitions: 1 }]), md([{ name: 'c', partitions: 2 }])];
    const asked: string[][] = [];
    const admin = { metadata: async (names: string[]) => (asked.push(names), answers.shift()!) };
    let t = 0;
    const pending = await waitUntilReady(admin as unknown as TopicAdmin, new Map([['a', 3], ['c', 2]]), 10_000, new RecordingLogger(), { now: () => t, sleep: async (ms) => void (t += ms) });
    expect(pending).toEqual([]);
    expect(asked).toEqual([['a', 'c'], ['a', 'c'], ['c']]);
  });

  it('gives up at the deadline and says which topics are not served', async () => {
    const admin = { metadata: async () => md([]) };
    let t = 0;
    const log = new RecordingLogger();
    const pending = await waitUntilReady(admin as unknown as TopicAdmin, new Map([['a', 1]]), 2_000, log, { now: () => t, sleep: async (ms) => void (t += ms) });
    expect(pending).toEqual(['a']);
    expect(log.text()).toMatch(/warning: 1 topic\(s\) not served by the brokers after 1\.\d s: a/);
  });
});
