import type { Admin, Consumer, Producer } from '@platformatic/kafka';
import { AckCollector, roundTrips, type Sent } from '../../../src/actions/verify-events/verify.js';
import { TopicReader, type Record_ } from '../../../src/events/kafka-io.js';
import { buildProbe, type Probe } from '../../../src/events/probe.js';
import { RecordingLogger } from '../../support/recording-logger.js';

/** verify-events' two sides when Kafka fails under them: a broker restarting, a partition leader moving. */
const now = new Date('2026-11-30T10:00:00.000Z');
const probe = (id: string): Probe => buildProbe({ type: 'io.oke-dapr-actions.probe', topic: 'task-events', pubsubName: 'pubsub', source: 'test', now, expiresAt: now }, id);
const ackRecord = (probeId: string, source = 'todo-worker'): Record_ => ({ partition: 0, offset: 0n, key: null, value: Buffer.from(JSON.stringify({ source, data: { probeId } })), headers: new Map() });
const noSleep = async (): Promise<void> => undefined;
const notLeader = (): Error => Object.assign(new Error('Received response with error while executing API Fetch(v12)'), { errors: [{ code: 'PLT_KFK_PROTOCOL', apiId: 'NOT_LEADER_OR_FOLLOWER', message: 'This server is not the leader for that topic-partition.' }] });

/** A reader whose polls answer from a script: an array of records, or an error to throw. */
function scriptedReader(script: Array<Record_[] | Error>): TopicReader & { polls: number } {
  const reader = {
    polls: 0,
    poll: async (): Promise<Record_[]> => {
      const next = script[reader.polls++] ?? [];
      if (next instanceof Error) throw next;
      await new Promise((r) => setTimeout(r, 1));
      return next;
    },
  };
  return reader as unknown as TopicReader & { polls: number };
}

describe('AckCollector: reading the reply topic', () => {
  it('keeps reading through failed polls (a leader move) and still matches the acknowledgement', async () => {
    const sent: Sent = new Map([['p-1', { partition: 0, offset: 5n, sentAt: Date.now() }]]);
    const log = new RecordingLogger();
    const collector = new AckCollector(scriptedReader([notLeader(), notLeader(), [ackRecord('p-1')]]), sent, 'todo-worker', { log, timings: { steps: [] } as never, sleep: noSleep });
    const acked = collector.waitFor('p-1');
    const run = collector.run(Date.now() + 5_000);
    await acked;
    collector.stop();
    await run;
    expect(collector.acked.has('p-1')).toBe(true);
    expect(collector.failing).toBeUndefined();
    expect(log.text()).toMatch(/reading the reply topic failed \(Received response with error .*\); reading its partition leaders again/);
    expect(log.text()).toContain('reading the reply topic works again');
    // Said once per outage, not once per failed poll.
    expect(log.lines.filter((l) => l.startsWith('reading the reply topic failed'))).toHaveLength(1);
  });

  it('never rejects when every read fails: it ends at the deadline with the failure kept and every waiter woken', async () => {
    const sent: Sent = new Map([['p-1', { partition: 0, offset: 5n, sentAt: Date.now() }]]);
    const failing = Array.from({ length: 10_000 }, () => new Error('Connection closed'));
    const collector = new AckCollector(scriptedReader(failing), sent, undefined, { log: new RecordingLogger(), timings: { steps: [] } as never, sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 5))) });
    const woken = collector.waitFor('p-1');
    await expect(collector.run(Date.now() + 200)).resolves.toBeUndefined();
    await expect(woken).resolves.toBeUndefined();
    expect(collector.acked.size).toBe(0);
    expect(collector.failing?.failures).toBeGreaterThan(1);
    expect((collector.failing?.error as Error).message).toBe('Connection closed');
  });

  it('ignores acknowledgements from another app', async () => {
    const sent: Sent = new Map([['p-1', { partition: 0, offset: 5n, sentAt: Date.now() }]]);
    const log = new RecordingLogger();
    const collector = new AckCollector(scriptedReader([[ackRecord('p-1', 'someone-else')]]), sent, 'todo-worker', { log, timings: { steps: [] } as never, sleep: noSleep });
    await collector.run(Date.now() + 50);
    expect(collector.acked.size).toBe(0);
    expect(log.text()).toContain('ignoring acknowledgements from someone-else (not todo-worker)');
  });
});

/** A producer whose sends fail `failures` times, then answer with an offset. */
function flakyProducer(failures: number): Producer<string, string, string, string> & { calls: number } {
  const producer = {
    calls: 0,
    send: async () => {
      if (producer.calls++ < failures) throw new Error('Connection to 127.0.0.1:19092 failed');
      return { offsets: [{ topic: 'task-events', partition: 2, offset: 41n }] };
    },
  };
  return producer as unknown as Producer<string, string, string, string> & { calls: number };
}

describe('roundTrips: publishing the probes', () => {
  it('publishes a probe again after failed sends (a restarting broker) and records where it landed', async () => {
    const producer = flakyProducer(2);
    const sent: Sent = new Map();
    const log = new RecordingLogger();
    const result = await roundTrips(producer, [probe('p-1')], 'task-events', 1, sent, Date.now() + 10_000, async () => undefined, { log, timings: { steps: [] } as never, sleep: noSleep });
    expect(producer.calls).toBe(3);
    expect(sent.get('p-1')).toMatchObject({ partition: 2, offset: 41n });
    expect(result).toMatchObject({ unpublished: 0, failure: { failures: 2 } });
    expect(log.lines.filter((l) => l.startsWith('publishing a probe to task-events failed'))).toHaveLength(1);
  });

  it('gives a probe up at the deadline, leaves it out of the sent probes and says how many were never published', async () => {
    const producer = flakyProducer(Number.MAX_SAFE_INTEGER);
    const sent: Sent = new Map();
    const result = await roundTrips(producer, [probe('p-1'), probe('p-2')], 'task-events', 2, sent, Date.now() + 300, async () => undefined, { log: new RecordingLogger(), timings: { steps: [] } as never, sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))) });
    expect(sent.size).toBe(0);
    expect(result.unpublished).toBe(2);
    expect((result.failure?.error as Error).message).toBe('Connection to 127.0.0.1:19092 failed');
  });
});

/** VerifyDeps.now: deadlines, send times and latencies come from the injected clock, not from Date.now. */
describe('the injected clock', () => {
  const deps = (now: () => number) => ({ log: new RecordingLogger(), timings: { steps: [] } as never, sleep: noSleep, now });

  it('measures an acknowledgement\'s latency on it', async () => {
    const sent: Sent = new Map([['p-1', { partition: 0, offset: 5n, sentAt: 400 }]]);
    const collector = new AckCollector(scriptedReader([[ackRecord('p-1')]]), sent, 'todo-worker', deps(() => 1_000));
    const acked = collector.waitFor('p-1');
    const run = collector.run(2_000);
    await acked;
    collector.stop();
    await run;
    expect(collector.acked.get('p-1')).toBe(600);
  });

  it.each([
    ['before the deadline: both probes published, stamped with its time', 50, 2, [50, 50]],
    ['at the deadline: nothing published', 100, 0, []],
  ])('roundTrips %s', async (_, t, sends, sentAt) => {
    const producer = flakyProducer(0);
    const sent: Sent = new Map();
    await roundTrips(producer, [probe('p-1'), probe('p-2')], 'task-events', 1, sent, 100, async () => undefined, deps(() => t));
    expect(producer.calls).toBe(sends);
    expect([...sent.values()].map((e) => e.sentAt)).toEqual(sentAt);
  });

  it('reads nothing once its deadline has passed on the clock', async () => {
    const reader = scriptedReader([[ackRecord('p-1')]]);
    const collector = new AckCollector(reader, new Map(), undefined, deps(() => 5_000));
    await collector.run(4_000);
    expect(reader.polls).toBe(0);
  });
});

describe('TopicReader: partition leaders', () => {
  function fakes(fetches: Array<'fail' | number>): { consumer: Consumer<Buffer, Buffer, Buffer, Buffer>; admin: Admin; metadataCalls: () => number; fetchedNodes: number[] } {
    let metadataCalls = 0;
    let leader = 1;
    const fetchedNodes: number[] = [];
    let i = 0;
    const admin = {
      metadata: async () => {
        metadataCalls++;
        return { topics: new Map([['task-updates', { id: 'topic-id', partitions: [{ leader: leader++ }] }]]) };
      },
    } as unknown as Admin;
    const consumer = {
      fetch: async ({ node }: { node: number }) => {
        fetchedNodes.push(node);
        const step = fetches[i++];
        if (step === 'fail') throw notLeader();
        const records = step === undefined ? [] : [{ offsetDelta: 0, key: null, value: Buffer.from(String(step)), headers: [] }];
        return { responses: [{ partitions: [{ partitionIndex: 0, records: [{ firstOffset: BigInt(step ?? 0), records }] }] }] };
      },
    } as unknown as Consumer<Buffer, Buffer, Buffer, Buffer>;
    return { consumer, admin, metadataCalls: () => metadataCalls, fetchedNodes };
  }

  it('reads the leaders again after a failed fetch, and fetches from the new leader', async () => {
    const f = fakes([0, 'fail', 1]);
    const reader = new TopicReader(f.consumer, f.admin, 'task-updates', new Map([[0, 0n]]));
    expect((await reader.poll()).map((r) => r.offset)).toEqual([0n]);
    await expect(reader.poll()).rejects.toThrow(/Received response with error/);
    expect((await reader.poll()).map((r) => r.offset)).toEqual([1n]);
    expect(f.metadataCalls()).toBe(2);
    expect(f.fetchedNodes).toEqual([1, 1, 2]);
  });
});
