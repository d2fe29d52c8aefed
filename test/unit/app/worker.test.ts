import { PROBE_ACK_TYPE, PROBE_FAILED_TYPE, PROBE_TYPE } from '../../../app/src/contract.js';
import { PROBE_FAILED_TYPE as VERIFY_PROBE_FAILED_TYPE } from '../../../src/events/probe.js';
import { notificationsKey } from '../../../app/src/notifications.js';
import { RevisionFilter, taskRevision } from '../../../app/src/worker/handlers.js';
import { startInProcess, type InProcessApp } from './harness.js';

/** The worker's subscriber routes, called as daprd calls them (one CloudEvent per POST). */
describe('todo worker (in-process, fake Dapr)', () => {
  let t: InProcessApp;
  beforeEach(async () => {
    t = await startInProcess('worker');
  });
  afterEach(async () => {
    await t.stop();
  });

  const ce = (over: Record<string, unknown>) => ({ specversion: '1.0', id: 'ev-1', source: 'tester', type: 'task.created', time: new Date().toISOString(), datacontenttype: 'application/json', topic: 'task-events', pubsubname: 'pubsub', data: {}, ...over });
  const deliver = (route: string, body: unknown) => t.call('POST', route, { body, headers: { 'content-type': 'application/cloudevents+json' } });
  const reminder = { userId: 'alice', taskId: 't-1', title: 'pay rent', dueAt: '2030-01-01T14:00:00.000Z', remindAt: '2030-01-01T13:00:00.000Z' };

  it('acknowledges a probe on task-updates with the probe id (the event id), changing no state', async () => {
    const traceparent = `00-${'1a'.repeat(16)}-${'2b'.repeat(8)}-01`;
    const res = await deliver('/events/probe', ce({ id: 'probe-42', type: PROBE_TYPE, traceparent }));
    expect(res.body).toEqual({ status: 'SUCCESS' });
    expect(t.dapr.published).toHaveLength(1);
    const { topic, event, partitionKey } = t.dapr.published[0]!;
    expect(topic).toBe('task-updates');
    expect(partitionKey).toBe('probe-42');
    expect(event).toMatchObject({ type: PROBE_ACK_TYPE, source: 'todo-worker', subject: 'probe-42', data: { probeId: 'probe-42', probeEventId: 'probe-42', handledBy: 'todo-worker' } });
    expect(event.traceparent?.split('-')[1]).toBe('1a'.repeat(16));
    expect(t.dapr.state.size).toBe(0);
    expect(t.dapr.transactions).toBe(0);
  });

  it('uses data.probeId as the probe id when the probe carries one', async () => {
    await deliver('/events/probe', ce({ id: 'ev-9', type: PROBE_TYPE, data: { probeId: 'p-from-data' } }));
    expect(t.dapr.published[0]?.event.data).toMatchObject({ probeId: 'p-from-data', probeEventId: 'ev-9' });
  });

  it('asks Dapr to retry a probe whose acknowledgement could not be published, and reports why to the dead-letter topic', async () => {
    t.dapr.failNext.set('publish', new Error('dapr publish to task-updates failed (HTTP 403): topic task-updates is not allowed for app id todo-worker'));
    expect((await deliver('/events/probe', ce({ id: 'probe-7', type: PROBE_TYPE }))).body).toEqual({ status: 'RETRY' });
    expect(t.app.metrics.eventsConsumed.get({ topic: 'task-events', type: PROBE_TYPE, outcome: 'retry' })).toBe(1);
    // The evidence verify-events reads: the handler ran, and this is what failed.
    expect(t.dapr.published).toHaveLength(1);
    const { topic, event, partitionKey } = t.dapr.published[0]!;
    expect([topic, partitionKey]).toEqual(['task-events-dlq', 'probe-7']);
    expect(event).toMatchObject({ type: PROBE_FAILED_TYPE, source: 'todo-worker', subject: 'probe-7', data: { probeId: 'probe-7', probeEventId: 'probe-7', handledBy: 'todo-worker', error: expect.stringMatching(/^publishing the acknowledgement to task-updates failed: .*not allowed for app id/) } });
  });

  it('publishes the failure report under the type verify-events reads', () => {
    expect(PROBE_FAILED_TYPE).toBe(VERIFY_PROBE_FAILED_TYPE);
  });

  it('answers Dapr\'s app health check on the callback port (/healthz), failing it while stopping', async () => {
    expect((await fetch(`${t.callbackUrl}/healthz`)).status).toBe(200);
    const stopping = t.app.stop();
    expect((await fetch(`${t.callbackUrl}/healthz`).catch(() => ({ status: 0 }))).status).not.toBe(200);
    await stopping;
  });

  it('drops task events by revision: a duplicate or an older revision is acknowledged (never dead-lettered) and counted as duplicate', async () => {
    const ev = (id: string, type: string, revision: number | undefined, taskId = 'task-1') => ce({ id, type, data: { userId: 'alice', taskId, ...(revision === undefined ? {} : { revision }), occurredAt: new Date().toISOString() } });
    const answers = [];
    for (const e of [ev('a', 'task.created', 1), ev('a', 'task.created', 1), ev('b', 'task.updated', 3), ev('c', 'task.updated', 2), ev('d', 'task.created', 1, 'task-2'), ev('x', 'task.updated', undefined), ev('x', 'task.updated', undefined)]) {
      answers.push((await deliver('/events/task-events', e)).body.status);
    }
    // Dapr is told SUCCESS every time: a duplicate is done with, not a failure to retry or dead-letter.
    expect(answers).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS']);
    const m = t.app.metrics.eventsConsumed;
    expect(m.get({ topic: 'task-events', type: 'task.created', outcome: 'success' })).toBe(2); // task-1 rev 1, task-2 rev 1
    expect(m.get({ topic: 'task-events', type: 'task.created', outcome: 'duplicate' })).toBe(1); // task-1 rev 1 again
    // rev 3, then two events without a revision (producers before revisions: counted, never dropped); rev 2 after 3 is dropped.
    expect(m.get({ topic: 'task-events', type: 'task.updated', outcome: 'success' })).toBe(3);
    expect(m.get({ topic: 'task-events', type: 'task.updated', outcome: 'duplicate' })).toBe(1);
  });

  it.each<[string, unknown, ReturnType<typeof taskRevision>]>([
    ['a task event', { taskId: 't', revision: 4 }, { taskId: 't', revision: 4 }],
    ['no revision', { taskId: 't' }, undefined],
    ['revision 0', { taskId: 't', revision: 0 }, undefined],
    ['a fractional revision', { taskId: 't', revision: 1.5 }, undefined],
    ['a revision as text', { taskId: 't', revision: '2' }, undefined],
    ['no task id', { revision: 2 }, undefined],
    ['not an object', 'x', undefined],
  ])('reads the task and revision of %s', (_label, data, expected) => {
    expect(taskRevision(data)).toEqual(expected);
  });

  it('remembers the highest revision of the tasks seen most recently, within its capacity', () => {
    const f = new RevisionFilter(2);
    expect([f.accept('a', 1), f.accept('a', 1), f.accept('a', 2), f.accept('b', 5), f.accept('a', 2)]).toEqual([true, false, true, true, false]);
    f.accept('c', 1); // the least recently seen ("b") is forgotten
    expect([f.accept('a', 2), f.accept('b', 5)]).toEqual([false, true]);
  });

  it('consumes task events: counted by type, with the delivery delay measured from the event time', async () => {
    const res = await deliver('/events/task-events', ce({ type: 'task.completed', time: new Date(Date.now() - 2_000).toISOString() }));
    expect(res.body).toEqual({ status: 'SUCCESS' });
    expect(t.app.metrics.eventsConsumed.get({ topic: 'task-events', type: 'task.completed', outcome: 'success' })).toBe(1);
    expect(t.app.metrics.consumeDelay.count({ topic: 'task-events' })).toBe(1);
    expect((await t.call('GET', '/metrics')).text).toContain('todo_event_consume_delay_seconds_bucket{app="todo-worker",topic="task-events",le="1"} 0\ntodo_event_consume_delay_seconds_bucket{app="todo-worker",topic="task-events",le="2.5"} 1');
    expect(t.dapr.published).toEqual([]);
  });

  it('records a reminder as the user\'s notification, once per event id', async () => {
    expect((await deliver('/events/reminders', ce({ id: 'rem-1', type: 'reminder.due', topic: 'reminders', data: reminder }))).body).toEqual({ status: 'SUCCESS' });
    expect((await deliver('/events/reminders', ce({ id: 'rem-1', type: 'reminder.due', topic: 'reminders', data: reminder }))).body).toEqual({ status: 'SUCCESS' });
    await deliver('/events/reminders', ce({ id: 'rem-2', type: 'reminder.due', topic: 'reminders', data: { ...reminder, title: 'second' } }));
    const stored = t.dapr.state.get(notificationsKey('alice'))?.value as { items: Array<{ id: string; title: string }> };
    expect(stored.items.map((n) => [n.id, n.title])).toEqual([
      ['rem-2', 'second'],
      ['rem-1', 'pay rent'],
    ]);
  });

  it.each<[string, unknown]>([
    ['not a CloudEvent', { hello: 'world' }],
    ['a reminder without a user', ce({ type: 'reminder.due', data: { taskId: 'x' } })],
  ])('drops %s to the dead-letter topic (status DROP)', async (_n, body) => {
    expect((await deliver('/events/reminders', body)).body).toEqual({ status: 'DROP' });
    expect(t.dapr.state.size).toBe(0);
  });

  it('asks for a retry when the state store fails', async () => {
    t.dapr.failNext.set('getState', new Error('postgres down'));
    expect((await deliver('/events/reminders', ce({ type: 'reminder.due', data: reminder }))).body).toEqual({ status: 'RETRY' });
  });

  it('continues the event\'s trace in its log lines', async () => {
    const traceId = '3c'.repeat(16);
    await deliver('/events/reminders', ce({ type: 'reminder.due', data: reminder, traceparent: `00-${traceId}-${'4d'.repeat(8)}-01` }));
    expect(t.log.records.find((r) => r.msg === 'notification recorded')?.traceId).toBe(traceId);
  });
});
