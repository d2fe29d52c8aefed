import { ConcurrencyError, DaprError } from '../../../app/src/dapr/port.js';
import { outboxKey } from '../../../app/src/events/outbox.js';
import { taskKey } from '../../../app/src/tasks/repository.js';
import { idempotentTaskId } from '../../../app/src/tasks/service.js';
import { startInProcess, type InProcessApp, type Json } from './harness.js';

/** Waits (up to 5 s) until `ok` holds. */
async function until(ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The API role over real HTTP, in this process, with an in-memory Dapr. */
describe('todo API (in-process, fake Dapr)', () => {
  let t: InProcessApp;
  let alice: string;
  const due = (ms: number): string => new Date(Date.now() + ms).toISOString();

  beforeEach(async () => {
    t = await startInProcess('api', { OUTBOX_RELAY_AFTER_MS: '300' });
    alice = t.token('alice');
  });
  afterEach(async () => {
    await t.stop();
  });

  const create = async (body: Record<string, unknown> = { title: 'buy milk' }, token = alice) => t.call('POST', '/api/tasks', { token, body });

  it('creates a task: 201 with Location and ETag, state written, task.created published as a CloudEvent keyed by task', async () => {
    const res = await create({ title: 'buy milk', tags: ['home'], priority: 'high' });
    expect(res.status).toBe(201);
    const task = res.body;
    expect(task).toMatchObject({ title: 'buy milk', tags: ['home'], priority: 'high', done: false, userId: 'alice' });
    expect(res.headers.get('location')).toBe(`/api/tasks/${task.id}`);
    // The ETag is the task's revision (1 when created); the store's own ETag guards the next write.
    expect(res.headers.get('etag')).toBe('"1"');
    expect(t.dapr.state.get(taskKey('alice', task.id))?.value).toMatchObject({ revision: 1 });
    // One transaction: the task and its pending event (the outbox); no per-user index to read and rewrite.
    expect(t.dapr.transactions).toBe(1);
    expect(t.dapr.published).toHaveLength(1);
    const { topic, event, partitionKey } = t.dapr.published[0]!;
    expect([...t.dapr.state.keys()]).toEqual([taskKey('alice', task.id), outboxKey(event.id)]);
    // Published: the pending record goes in the next batched delete.
    await until(() => !t.dapr.state.has(outboxKey(event.id)));
    expect([...t.dapr.state.keys()]).toEqual([taskKey('alice', task.id)]);
    expect(t.dapr.transactions).toBe(2);
    expect(topic).toBe('task-events');
    expect(partitionKey).toBe(task.id);
    expect(event).toMatchObject({ specversion: '1.0', type: 'task.created', source: 'todo-api', subject: task.id, datacontenttype: 'application/json', data: { userId: 'alice', taskId: task.id, task, revision: 1 } });
    expect(event.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(event.traceparent?.split('-')[1]).toBe(res.headers.get('traceparent')?.split('-')[1]);
    expect(Date.parse(event.time)).not.toBeNaN();
  });

  it('continues the caller\'s trace (traceparent) into the log and the event', async () => {
    const traceId = 'ab'.repeat(16);
    const res = await t.call('POST', '/api/tasks', { token: alice, body: { title: 'x' }, headers: { traceparent: `00-${traceId}-${'cd'.repeat(8)}-01` } });
    expect(res.status).toBe(201);
    expect(t.dapr.published[0]?.event.traceparent?.split('-')[1]).toBe(traceId);
    expect(t.log.records.some((r) => r.msg === 'request' && r.traceId === traceId && r.route === '/api/tasks')).toBe(true);
  });

  it.each<[string, () => string | undefined, RegExp]>([
    ['no token', () => undefined, /Authorization: Bearer/],
    ['a token signed with another key', () => 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4IiwiZXhwIjo5OTk5OTk5OTk5fQ.c2lnbmF0dXJl', /bad signature/],
    ['an expired token', () => t.token('alice', { exp: Math.floor(Date.now() / 1000) - 3600 }), /expired/],
    ['a subject with characters user ids may not have', () => t.token('a/b c'), /subject/],
  ])('answers 401 with a Bearer challenge for %s', async (_n, token, message) => {
    const res = await t.call('GET', '/api/tasks', { token: token() });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="todo", error="invalid_token"/);
    expect(res.body.error.message).toMatch(message);
  });

  it('validates input with a 400 that lists each problem', async () => {
    const res = await create({ title: '', priority: 'urgent' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_request', details: { problems: [{ field: 'title' }, { field: 'priority' }] } });
    expect(t.dapr.published).toEqual([]);
  });

  it.each<[string, () => Promise<{ status: number; body: Json }>, number, string]>([
    ['invalid JSON', () => t.call('POST', '/api/tasks', { token: alice, body: '{nope' }), 400, 'invalid_json'],
    ['a non-JSON content type', () => t.call('POST', '/api/tasks', { token: alice, body: 'title=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'unsupported_media_type'],
    ['a body over 256 KiB', () => t.call('POST', '/api/tasks', { token: alice, body: { title: 'x', description: 'y'.repeat(300_000) } }), 413, 'body_too_large'],
    ['an unknown path', () => t.call('GET', '/api/nope', { token: alice }), 404, 'not_found'],
    ['a wrong method', () => t.call('PUT', '/api/tasks', { token: alice, body: {} }), 405, 'method_not_allowed'],
    ['a malformed task id', () => t.call('GET', '/api/tasks/..%2F..%2Fetc', { token: alice }), 404, 'not_found'],
  ])('answers %s with a JSON problem', async (_n, request, status, code) => {
    const res = await request();
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
  });

  it('keeps users apart: another user\'s task is not found, and not listed', async () => {
    const { body: task } = await create();
    const bob = t.token('bob');
    expect((await t.call('GET', `/api/tasks/${task.id}`, { token: bob })).status).toBe(404);
    expect((await t.call('POST', `/api/tasks/${task.id}/complete`, { token: bob })).status).toBe(404);
    expect((await t.call('GET', '/api/tasks', { token: bob })).body).toEqual({ items: [], total: 0, truncated: false });
  });

  it('updates with PATCH (task.updated with the changed fields) and answers a stale If-Match with 409 and the current ETag', async () => {
    const { body: task, headers } = await create();
    const first = headers.get('etag')!;
    const ok = await t.call('PATCH', `/api/tasks/${task.id}`, { token: alice, body: { title: 'buy oat milk', priority: 'low' }, headers: { 'if-match': first } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ title: 'buy oat milk', priority: 'low', revision: 2 });
    expect(ok.headers.get('etag')).toBe('"2"');
    expect(t.dapr.published.at(-1)?.event).toMatchObject({ type: 'task.updated', data: { changed: ['title', 'priority'], task: { revision: 2 } } });

    const stale = await t.call('PATCH', `/api/tasks/${task.id}`, { token: alice, body: { title: 'lost update' }, headers: { 'if-match': first } });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('etag_mismatch');
    expect(stale.headers.get('etag')).toBe(ok.headers.get('etag'));
    expect((await t.call('GET', `/api/tasks/${task.id}`, { token: alice })).body.title).toBe('buy oat milk');
  });

  it('answers 409 when the task changes between the read and the write of one request', async () => {
    const { body: task } = await create();
    t.dapr.beforeTransact = (writes) => {
      t.dapr.beforeTransact = undefined;
      const key = writes[0]!.key;
      t.dapr.put(key, { ...(t.dapr.state.get(key)!.value as object), title: 'someone else' });
    };
    const res = await t.call('PATCH', `/api/tasks/${task.id}`, { token: alice, body: { title: 'mine' } });
    expect(res.status).toBe(409);
  });

  it('completes a task once (task.completed, reminder job deleted); completing again publishes nothing', async () => {
    const { body: task } = await create({ title: 'call mum', dueAt: due(3_600_000), remindBefore: '10m' });
    expect(t.dapr.jobs.has(`reminder-${task.id}`)).toBe(true);
    const done = await t.call('POST', `/api/tasks/${task.id}/complete`, { token: alice });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ done: true, completedAt: expect.any(String) });
    expect(t.dapr.published.map((p) => p.event.type)).toEqual(['task.created', 'task.completed']);
    expect(t.dapr.jobs.has(`reminder-${task.id}`)).toBe(false);
    expect((await t.call('POST', `/api/tasks/${task.id}/complete`, { token: alice })).status).toBe(200);
    expect(t.dapr.published).toHaveLength(2);
  });

  it('completes a task that never had a reminder without calling the scheduler', async () => {
    const { body: task } = await create({ title: 'no reminder', dueAt: due(3_600_000) });
    expect((await t.call('POST', `/api/tasks/${task.id}/complete`, { token: alice })).status).toBe(200);
    expect(t.dapr.published.map((p) => p.event.type)).toEqual(['task.created', 'task.completed']);
    expect(t.dapr.deletedJobs).toEqual([]);
    expect(t.dapr.jobs.size).toBe(0);
  });

  it('schedules the reminder job at due - remindBefore with the task\'s ids, and moves it when the due date changes', async () => {
    const dueAt = due(3_600_000);
    const { body: task } = await create({ title: 'dentist', dueAt, remindBefore: '15m' });
    const job = t.dapr.jobs.get(`reminder-${task.id}`);
    expect(job).toEqual({ dueTime: new Date(Date.parse(task.dueAt) - 900_000).toISOString(), data: { userId: 'alice', taskId: task.id, remindAt: new Date(Date.parse(task.dueAt) - 900_000).toISOString() } });
    const later = due(7_200_000);
    await t.call('PATCH', `/api/tasks/${task.id}`, { token: alice, body: { dueAt: later } });
    expect(t.dapr.jobs.get(`reminder-${task.id}`)?.dueTime).toBe(new Date(Date.parse(later) - 900_000).toISOString());
  });

  it('deletes a task: 204, gone from state and index, task.deleted published, job deleted; a stale If-Match gets 409', async () => {
    const { body: task, headers } = await create();
    await t.call('PATCH', `/api/tasks/${task.id}`, { token: alice, body: { tags: ['x'] } });
    expect((await t.call('DELETE', `/api/tasks/${task.id}`, { token: alice, headers: { 'if-match': headers.get('etag')! } })).status).toBe(409);
    expect((await t.call('DELETE', `/api/tasks/${task.id}`, { token: alice })).status).toBe(204);
    expect(t.dapr.state.has(taskKey('alice', task.id))).toBe(false);
    expect((await t.call('GET', '/api/tasks', { token: alice })).body.items).toEqual([]);
    expect(t.dapr.published.at(-1)?.event).toMatchObject({ type: 'task.deleted', data: { userId: 'alice', taskId: task.id } });
    expect(t.dapr.published.at(-1)?.event.data).not.toHaveProperty('task');
    expect(t.dapr.deletedJobs).toContain(`reminder-${task.id}`);
    expect((await t.call('GET', `/api/tasks/${task.id}`, { token: alice })).status).toBe(404);
  });

  it('refuses a write that lost the race between its read and its write (the store ETag), with 409', async () => {
    const { body: task, headers } = await create();
    // Another writer commits after this request read the task (same revision) and before it writes.
    t.dapr.beforeTransact = (writes) => {
      t.dapr.beforeTransact = undefined;
      const key = taskKey('alice', task.id);
      if (writes.some((w) => w.key === key)) t.dapr.put(key, { ...task, title: 'the other writer', revision: 2 });
    };
    const lost = await t.call('PATCH', `/api/tasks/${task.id}`, { token: alice, body: { title: 'lost update' }, headers: { 'if-match': headers.get('etag')! } });
    expect(lost.status).toBe(409);
    expect(lost.body.error.code).toBe('etag_mismatch');
    expect((await t.call('GET', `/api/tasks/${task.id}`, { token: alice })).body).toMatchObject({ title: 'the other writer', revision: 2 });
    expect(t.dapr.published.filter((p) => p.event.type === 'task.updated')).toHaveLength(0);
  });

  it('reads tasks stored before revisions existed as revision 1', async () => {
    const { body: task } = await create();
    const { revision: _, ...old } = task;
    t.dapr.put(taskKey('alice', task.id), old);
    const res = await t.call('GET', `/api/tasks/${task.id}`, { token: alice });
    expect(res.headers.get('etag')).toBe('"1"');
    const ok = await t.call('PATCH', `/api/tasks/${task.id}`, { token: alice, body: { title: 'x' }, headers: { 'if-match': '"1"' } });
    expect(ok.headers.get('etag')).toBe('"2"');
  });

  it('lists with filters', async () => {
    await create({ title: 'a', tags: ['home'] });
    const { body: b } = await create({ title: 'b', priority: 'high' });
    await t.call('POST', `/api/tasks/${b.id}/complete`, { token: alice });
    const list = async (q: string) => (await t.call('GET', `/api/tasks${q}`, { token: alice })).body.items.map((x: { title: string }) => x.title);
    expect(await list('')).toEqual(['a', 'b']);
    expect(await list('?status=done')).toEqual(['b']);
    expect(await list('?tag=home')).toEqual(['a']);
    expect((await t.call('GET', '/api/tasks?status=later', { token: alice })).status).toBe(400);
  });

  it('creates concurrently for one user without losing any task, and lists only that user\'s tasks, newest first', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => create({ title: `t${i}` })));
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(201));
    await create({ title: 'not alice' }, t.token('bob'));
    const list = await t.call('GET', '/api/tasks', { token: alice });
    expect(list.body.items.map((x: Json) => x.id).sort()).toEqual(results.map((r) => r.body.id).sort());
    expect(list.body).toMatchObject({ total: 8, truncated: false });
    // One query per list, filtered by user in the store.
    expect(t.dapr.queries).toBe(1);
  });

  it('answers 409 when the store refuses the first write of a new task', async () => {
    t.dapr.beforeTransact = () => {
      throw new ConcurrencyError();
    };
    expect((await create()).status).toBe(409);
  });

  it('answers 201 when the event cannot be published: the task and its pending event are stored, the outbox relay publishes it', async () => {
    t.dapr.failNext.set('publish', new Error('kafka unreachable'));
    const res = await create({ title: 'kept' });
    expect(res.status).toBe(201);
    expect(t.app.metrics.publishFailures.get({ topic: 'task-events' })).toBe(1);
    expect(t.log.records.some((r) => r.level === 'error' && r.msg === 'publish failed')).toBe(true);
    // The relay (at once, in relay mode) publishes it with the id it was stored with, then deletes the record.
    await until(() => t.dapr.published.some((p) => p.event.subject === res.body.id));
    const { event, partitionKey } = t.dapr.published.find((p) => p.event.subject === res.body.id)!;
    expect(event).toMatchObject({ type: 'task.created', data: { taskId: res.body.id, revision: 1 } });
    expect(partitionKey).toBe(res.body.id);
    expect(t.app.metrics.eventsRelayed.get({ topic: 'task-events' })).toBe(1);
    await until(() => ![...t.dapr.state.keys()].some((k) => k.startsWith('outbox:')));
  });

  it('in relay mode (after a failed publish) answers at once and the relay publishes every pending event in order per task', async () => {
    let down = true;
    const publish = t.dapr.publish.bind(t.dapr);
    t.dapr.publish = async (...args) => {
      if (down) throw new Error('kafka unreachable');
      return publish(...args);
    };
    const first = await create({ title: 'first' });
    const second = await create({ title: 'second' });
    const patched = await t.call('PATCH', `/api/tasks/${second.body.id}`, { token: alice, body: { title: 'second, changed' } });
    expect([first.status, second.status, patched.status]).toEqual([201, 201, 200]);
    expect(t.dapr.published).toHaveLength(0);
    down = false;
    await until(() => t.dapr.published.length === 3);
    expect(t.dapr.published.map((p) => [p.event.data, p.event.type]).map(([d, type]) => `${type} ${(d as { revision: number }).revision}`)).toEqual(expect.arrayContaining(['task.created 1', 'task.created 1', 'task.updated 2']));
    const ofSecond = t.dapr.published.filter((p) => p.partitionKey === second.body.id).map((p) => p.event.type);
    expect(ofSecond).toEqual(['task.created', 'task.updated']);
    expect(t.log.records.some((r) => r.msg === 'the outbox relay caught up: requests publish their events again')).toBe(true);
    // Requests publish their own events again.
    await create({ title: 'third' });
    expect(t.dapr.published.at(-1)?.event.data).toMatchObject({ task: { title: 'third' } });
  });

  it('publishes what a crashed process left pending (older than OUTBOX_RELAY_AFTER_MS), and leaves young records to their request', async () => {
    const event = { specversion: '1.0' as const, id: 'e-left-behind', source: 'todo-api', type: 'task.created', subject: 't1', time: new Date(Date.now() - 60_000).toISOString(), datacontenttype: 'application/json' as const, data: { taskId: 't1', revision: 1 } };
    t.dapr.put(outboxKey(event.id), { outbox: 'pending', outboxAt: event.time, topic: 'task-events', partitionKey: 't1', event });
    const young = { ...event, id: 'e-young', time: new Date(Date.now() + 60_000).toISOString() };
    t.dapr.put(outboxKey(young.id), { outbox: 'pending', outboxAt: young.time, topic: 'task-events', partitionKey: 't2', event: young });
    await until(() => t.dapr.published.some((p) => p.event.id === 'e-left-behind'));
    await until(() => !t.dapr.state.has(outboxKey('e-left-behind')));
    expect(t.dapr.published.some((p) => p.event.id === 'e-young')).toBe(false);
    expect(t.dapr.state.has(outboxKey('e-young'))).toBe(true);
  });

  it('a create with the client\'s own id or an Idempotency-Key, retried, returns the first task (201, replayed) instead of a second', async () => {
    const id = '0b6e2f7a-3c1d-4e5f-8a9b-0c1d2e3f4a5b';
    const first = await create({ id, title: 'pay rent', dueAt: due(3_600_000), remindBefore: '10m' });
    expect(first.status).toBe(201);
    expect(first.body.id).toBe(id);
    t.dapr.jobs.clear(); // as if the first attempt had failed to schedule it
    const again = await create({ id, title: 'pay rent', dueAt: first.body.dueAt, remindBefore: '10m' });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(t.dapr.jobs.has(`reminder-${id}`)).toBe(true);
    expect(t.dapr.published.filter((p) => p.event.subject === id)).toHaveLength(1);
    const other = await create({ id, title: 'something else' });
    expect([other.status, other.body.error.code]).toEqual([409, 'task_exists']);

    const key = { 'idempotency-key': 'order-42' };
    const k1 = await t.call('POST', '/api/tasks', { token: alice, body: { title: 'by key' }, headers: key });
    const k2 = await t.call('POST', '/api/tasks', { token: alice, body: { title: 'by key' }, headers: key });
    expect([k1.status, k2.status, k2.headers.get('idempotent-replayed')]).toEqual([201, 201, 'true']);
    expect(k2.body.id).toBe(k1.body.id);
    expect(k1.body.id).toBe(idempotentTaskId('alice', 'order-42'));
    // Another user's same key is another task.
    const bobs = await t.call('POST', '/api/tasks', { token: t.token('bob'), body: { title: 'by key' }, headers: key });
    expect(bobs.body.id).not.toBe(k1.body.id);
    const reused = await t.call('POST', '/api/tasks', { token: alice, body: { title: 'not the same' }, headers: key });
    expect([reused.status, reused.body.error.code]).toEqual([422, 'idempotency_key_reused']);
    expect((await t.call('GET', '/api/tasks', { token: alice })).body.total).toBe(2);
  });

  it.each<[string, Record<string, unknown>, Record<string, string>, string]>([
    ['an id that is not a lower-case UUID', { id: 'ABC', title: 'x' }, {}, 'id'],
    ['both an id and an Idempotency-Key', { id: '0b6e2f7a-3c1d-4e5f-8a9b-0c1d2e3f4a5b', title: 'x' }, { 'idempotency-key': 'k' }, 'id'],
    ['an Idempotency-Key with a space', { title: 'x' }, { 'idempotency-key': 'a b' }, 'Idempotency-Key'],
  ])('refuses %s with 400', async (_n, body, headers, field) => {
    const res = await t.call('POST', '/api/tasks', { token: alice, body, headers });
    expect(res.status).toBe(400);
    expect(res.body.error.details.problems[0].field).toBe(field);
  });

  it('answers 503 (not 500) with the task id when storing failed and the task may or may not be stored', async () => {
    t.dapr.failNext.set('transact', new DaprError('state transaction', 500, 'failed to commit: connection reset'));
    const res = await create({ title: 'maybe' });
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({ code: 'dependency_unavailable', details: { stored: 'unknown', retryAfterSeconds: 2 } });
    expect(res.headers.get('retry-after')).toBe('2');
    const id = res.body.error.details.taskId;
    expect(res.headers.get('location')).toBe(`/api/tasks/${id}`);
    expect(res.body.error.message).toContain(`"id": "${id}"`);
    // The retry it suggests cannot make a second task.
    const retry = await create({ id, title: 'maybe' });
    expect(retry.status).toBe(201);
    expect(retry.body.id).toBe(id);
  });

  it('answers 503 with the task id when the task was stored but its reminder could not be scheduled; the retry schedules it', async () => {
    t.dapr.failNext.set('scheduleJob', new DaprError('schedule job', 500, 'scheduler unavailable'));
    const res = await create({ title: 'remind me', dueAt: due(3_600_000), remindBefore: '5m' });
    expect(res.status).toBe(503);
    expect(res.body.error.details).toMatchObject({ stored: true, taskId: expect.any(String) });
    const id = res.body.error.details.taskId;
    const stored = await t.call('GET', `/api/tasks/${id}`, { token: alice });
    expect(stored.status).toBe(200);
    expect(t.dapr.jobs.has(`reminder-${id}`)).toBe(false);
    const retry = await create({ id, title: 'remind me', dueAt: stored.body.dueAt, remindBefore: '5m' });
    expect(retry.status).toBe(201);
    expect(t.dapr.jobs.has(`reminder-${id}`)).toBe(true);
  });

  it('answers 503 (not 500) when a read fails in Dapr (PostgreSQL restarting)', async () => {
    const { body: task } = await create();
    t.dapr.failNext.set('getState', new DaprError('state get (1 keys)', 500, 'failed to connect to `host=127.0.0.1`'));
    const res = await t.call('GET', `/api/tasks/${task.id}`, { token: alice });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('dependency_unavailable');
    expect(res.headers.get('retry-after')).toBe('2');
    expect(res.body.error.message).not.toContain('127.0.0.1');
    // A list (the state query) too.
    t.dapr.failNext.set('queryState', new DaprError('state query', 500, 'failed to connect'));
    expect((await t.call('GET', '/api/tasks', { token: alice })).status).toBe(503);
  });

  it('answers 503 naming the task when storing a change failed (it may have committed): never 500', async () => {
    const { body: task } = await create();
    t.dapr.failNext.set('transact', new DaprError('state transaction', undefined, 'no answer within 30000 ms'));
    const res = await t.call('PATCH', `/api/tasks/${task.id}`, { token: alice, body: { title: 'changed' } });
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({ code: 'dependency_unavailable', details: { taskId: task.id, stored: 'unknown', retryAfterSeconds: 2 } });
    expect(res.body.error.message).toContain(`GET /api/tasks/${task.id}`);
    t.dapr.failNext.set('transact', new DaprError('state transaction', 500, 'connection reset'));
    const del = await t.call('DELETE', `/api/tasks/${task.id}`, { token: alice });
    expect([del.status, del.body.error.details.taskId]).toEqual([503, task.id]);
    // A stale ETag is still a 409, not a 503.
    t.dapr.failNext.set('transact', new ConcurrencyError());
    expect((await t.call('PATCH', `/api/tasks/${task.id}`, { token: alice, body: { title: 'x' } })).status).toBe(409);
  });

  it('answers 201 within the inline wait when Kafka hangs; the publish goes on and the event is published once', async () => {
    const publish = t.dapr.publish.bind(t.dapr);
    t.dapr.publish = async (...args) => {
      await new Promise((r) => setTimeout(r, 2_600));
      return publish(...args);
    };
    const t0 = Date.now();
    const res = await create({ title: 'slow broker' });
    const ms = Date.now() - t0;
    expect(res.status).toBe(201);
    expect(ms).toBeGreaterThanOrEqual(1_900);
    expect(ms).toBeLessThan(2_500);
    expect(t.dapr.state.has(outboxKey(t.dapr.published[0]?.event.id ?? 'none'))).toBe(false);
    await until(() => t.dapr.published.length === 1);
    await until(() => ![...t.dapr.state.keys()].some((k) => k.startsWith('outbox:')));
    expect(t.dapr.published.map((p) => p.event.subject)).toEqual([res.body.id]);
  }, 15_000);

  it('never logs the token', async () => {
    await create();
    await t.call('GET', '/api/tasks', { token: 'not.a.token' });
    expect(JSON.stringify(t.log.records)).not.toContain(alice);
    expect(JSON.stringify(t.log.records)).not.toContain('not.a.token');
  });
});
