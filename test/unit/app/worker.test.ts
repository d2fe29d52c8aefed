import { PROBE_ACK_TYPE, PROBE_TYPE } from '../../../app/src/contract.js';
import { notificationsKey } from '../../../app/src/notifications.js';
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

  it('asks Dapr to retry a probe whose acknowledgement could not be published', async () => {
    t.dapr.failNext.set('publish', new Error('broker down'));
    expect((await deliver('/events/probe', ce({ type: PROBE_TYPE }))).body).toEqual({ status: 'RETRY' });
    expect(t.app.metrics.eventsConsumed.get({ topic: 'task-events', type: PROBE_TYPE, outcome: 'retry' })).toBe(1);
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
