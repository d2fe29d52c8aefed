import { Admin } from '@platformatic/kafka';
import { randomBytes, randomUUID } from 'node:crypto';
import { PROBE_ACK_TYPE, PROBE_TYPE } from '../../../app/src/contract.js';
import { KafkaTail, produce } from '../../support/kafka-tail.js';
import { stack } from '../../support/stack.js';
import { eventually, startTodo, type Todo } from './todo.js';

/**
 * The verify-events contract through real Dapr: a probe CloudEvent produced straight to task-events (as
 * verify-events does) is routed by the subscription's CEL rule to the worker's probe handler, which
 * publishes an acknowledgement carrying the probe id to task-updates. With the route off, the probe is
 * consumed (the group commits past it) and never acknowledged.
 */
function probe(id: string, extra: Record<string, unknown> = {}): { key: string; value: string; headers: Record<string, string> } {
  const traceparent = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
  const event = {
    specversion: '1.0',
    id,
    source: 'https://github.com/example/repo/commit/abc123',
    type: PROBE_TYPE,
    time: new Date().toISOString(),
    expiration: new Date(Date.now() + 60_000).toISOString(),
    datacontenttype: 'application/json',
    traceparent,
    data: { probeId: id, sentAt: new Date().toISOString() },
    ...extra,
  };
  return { key: id, value: JSON.stringify(event), headers: { 'content-type': 'application/cloudevents+json', 'probe-id': id, traceparent } };
}

/** An acknowledgement's data. Other instances of the app (a developer's, another test's) may acknowledge the same probes: match the handler. */
const ackOf = (m: { json?: Record<string, unknown> }): { probeId?: string; handledBy?: string; probeEventId?: string } => (m.json?.data ?? {}) as { probeId?: string; handledBy?: string };
const WORKER = 'todo-it-worker';

describe('verify-events probe contract through real Dapr', () => {
  let todo: Todo;
  let acks: KafkaTail;

  beforeAll(async () => {
    todo = await startTodo('todo-it');
    acks = await KafkaTail.open('task-updates');
  }, 180_000);

  afterAll(async () => {
    await acks?.close();
    await todo?.stop();
  });

  it('acknowledges each probe on task-updates with its probe id, keyed by it, continuing its trace', async () => {
    const ids: string[] = Array.from({ length: 5 }, () => randomUUID());
    const probes = ids.map((id) => probe(id));
    await produce('task-events', probes);
    for (const [i, id] of ids.entries()) {
      const ack = await acks.waitFor((m) => ackOf(m).probeId === id && ackOf(m).handledBy === WORKER, `the acknowledgement of probe ${id}`, 30_000);
      expect(ack.key).toBe(id);
      expect(ack.json).toMatchObject({ type: PROBE_ACK_TYPE, source: WORKER, subject: id, data: { probeId: id, probeEventId: id, handledBy: WORKER } });
      const sentTrace = probes[i]!.headers.traceparent!.split('-')[1];
      expect(String(ack.json?.traceparent).split('-')[1]).toBe(sentTrace);
    }
    // One acknowledgement per probe from this worker: nothing is republished.
    expect(acks.messages.filter((m) => ids.includes(String(ackOf(m).probeId)) && ackOf(m).handledBy === WORKER).length).toBe(ids.length);
  });

  it('takes the probe id from data.probeId when the event id differs', async () => {
    const probeId = randomUUID();
    await produce('task-events', [probe(`event-${randomUUID()}`, { data: { probeId } })]);
    const ack = await acks.waitFor((m) => ackOf(m).probeId === probeId && ackOf(m).handledBy === WORKER, `the acknowledgement of probe ${probeId}`);
    expect(String(ackOf(ack).probeEventId)).toMatch(/^event-/);
  });

  it('with the probe route off (subscriptions.probeRoute=false), consumes probes without acknowledging them', async () => {
    const off = await startTodo('todo-it-noprobe', { probeRoute: false });
    const admin = new Admin({ clientId: 'probe-it-admin', ...stack.kafkaClient() });
    try {
      const id = randomUUID();
      const tail = await KafkaTail.open('task-events');
      await produce('task-events', [probe(id)]);
      const written = await tail.waitFor((m) => m.key === id, `the probe ${id} itself`);
      await tail.close();
      // The route-less worker's group commits past the probe...
      await eventually('todo-it-noprobe-worker committing past the probe', async () => {
        const res = await admin.listConsumerGroupOffsets({ groups: [{ groupId: 'todo-it-noprobe-worker', topics: [{ name: 'task-events', partitionIndexes: [written.partition] }] }] });
        const committed = res[0]?.topics[0]?.partitions[0]?.committedOffset ?? -1n;
        return committed > written.offset ? committed : undefined;
      }, 30_000);
      // ...and acknowledges nothing, while the worker with the route (todo-it, another group) acknowledges it.
      await acks.waitFor((m) => ackOf(m).probeId === id && ackOf(m).handledBy === WORKER, "the todo-it worker's acknowledgement");
      expect(acks.messages.filter((m) => ackOf(m).probeId === id && ackOf(m).handledBy === 'todo-it-noprobe-worker')).toEqual([]);
    } finally {
      await admin.close();
      await off.stop();
    }
  });
});
