import { ConcurrencyError } from '../../../app/src/dapr/port.js';
import { taskKey } from '../../../app/src/tasks/repository.js';
import { startInProcess, type InProcessApp, type Json } from './harness.js';

/** The API role over real HTTP, in this process, with an in-memory Dapr. */
describe('todo API (in-process, fake Dapr)', () => {
  let t: InProcessApp;
  let alice: string;
  const due = (ms: number): string => new Date(Date.now() + ms).toISOString();

  beforeEach(async () => {
    t = await startInProcess('api');
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
    // One write, nothing else: no per-user index to read and rewrite.
    expect(t.dapr.transactions).toBe(1);
    expect([...t.dapr.state.keys()]).toEqual([taskKey('alice', task.id)]);
    expect(t.dapr.published).toHaveLength(1);
    const { topic, event, partitionKey } = t.dapr.published[0]!;
    expect(topic).toBe('task-events');
    expect(partitionKey).toBe(task.id);
    expect(event).toMatchObject({ specversion: '1.0', type: 'task.created', source: 'todo-api', subject: task.id, datacontenttype: 'application/json', data: { userId: 'alice', taskId: task.id, task } });
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

  it('answers 503 when the event cannot be published (the change is kept) and counts the failure', async () => {
    t.dapr.failNext.set('publish', new Error('kafka unreachable'));
    const res = await create({ title: 'kept' });
    expect(res.status).toBe(503);
    expect(res.body.error.message).toMatch(/saved, but publishing its task.created event failed/);
    expect((await t.call('GET', '/api/tasks', { token: alice })).body.total).toBe(1);
    expect(t.app.metrics.publishFailures.get({ topic: 'task-events' })).toBe(1);
    expect(t.log.records.some((r) => r.level === 'error' && r.msg === 'publish failed')).toBe(true);
  });

  it('never logs the token', async () => {
    await create();
    await t.call('GET', '/api/tasks', { token: 'not.a.token' });
    expect(JSON.stringify(t.log.records)).not.toContain(alice);
    expect(JSON.stringify(t.log.records)).not.toContain('not.a.token');
  });
});
