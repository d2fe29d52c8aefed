import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { KafkaTail, type TailMessage } from '../../support/kafka-tail.js';
import { eventually, psql, startTodo, type Todo } from './todo.js';

/**
 * The API through its real daprd: state in the stack's PostgreSQL, events on the stack's Kafka (SCRAM),
 * read back from the topic itself. The app runs as `npm run app -- up` runs it (chart-rendered resources).
 */
describe('todo API through real Dapr (state, pub/sub, secrets)', () => {
  let todo: Todo;
  let events: KafkaTail;
  const user = `it-${randomUUID().slice(0, 8)}`;
  let token: string;

  beforeAll(async () => {
    todo = await startTodo('todo-it');
    token = todo.token(user);
    events = await KafkaTail.open('task-events');
  }, 180_000);

  afterAll(async () => {
    await events?.close();
    await todo?.stop();
  });

  const eventFor = (type: string, taskId: string): Promise<TailMessage> =>
    events.waitFor((m) => m.json?.type === type && m.json?.subject === taskId, `${type} event for task ${taskId}`, 30_000);

  it('publishes each change as a CloudEvent on task-events, keyed by task, with the request\'s trace', async () => {
    const created = await todo.call('POST', '/api/tasks', { token, body: { title: 'water the plants', tags: ['home'], priority: 'high' } });
    expect(created.status).toBe(201);
    const task = created.body;
    const traceId = created.headers.get('traceparent')!.split('-')[1];

    const ev = await eventFor('task.created', task.id);
    expect(ev.key).toBe(task.id);
    expect(ev.json).toMatchObject({
      specversion: '1.0',
      type: 'task.created',
      source: 'todo-it-api',
      subject: task.id,
      datacontenttype: 'application/json',
      topic: 'task-events',
      pubsubname: 'pubsub',
      data: { userId: user, taskId: task.id, revision: 1, task: { id: task.id, title: 'water the plants', tags: ['home'] } },
    });
    expect(String(ev.json?.id)).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(String(ev.json?.time))).toBeGreaterThan(Date.now() - 60_000);
    expect(String(ev.json?.traceparent).split('-')[1]).toBe(traceId);

    const patched = await todo.call('PATCH', `/api/tasks/${task.id}`, { token, body: { title: 'water the plants twice' } });
    expect(patched.status).toBe(200);
    expect((await eventFor('task.updated', task.id)).json).toMatchObject({ data: { changed: ['title'], task: { title: 'water the plants twice' } } });

    expect((await todo.call('POST', `/api/tasks/${task.id}/complete`, { token })).status).toBe(200);
    expect((await eventFor('task.completed', task.id)).json).toMatchObject({ data: { task: { done: true } } });

    expect((await todo.call('DELETE', `/api/tasks/${task.id}`, { token })).status).toBe(204);
    const deleted = await eventFor('task.deleted', task.id);
    expect(deleted.json?.data).toEqual({ userId: user, taskId: task.id, revision: 4, occurredAt: expect.any(String) });
  });

  it('answers a stale ETag (an older revision) with 409, and keeps the other writer\'s change', async () => {
    const { body: task, headers } = await todo.call('POST', '/api/tasks', { token, body: { title: 'etag' } });
    const etag = headers.get('etag')!;
    expect(etag).toMatch(/^"\d+"$/);
    const first = await todo.call('PATCH', `/api/tasks/${task.id}`, { token, body: { description: 'first writer' }, headers: { 'if-match': etag } });
    expect(first.status).toBe(200);
    const second = await todo.call('PATCH', `/api/tasks/${task.id}`, { token, body: { description: 'second writer' }, headers: { 'if-match': etag } });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('etag_mismatch');
    expect(second.headers.get('etag')).toBe(first.headers.get('etag'));
    expect((await todo.call('DELETE', `/api/tasks/${task.id}`, { token, headers: { 'if-match': etag } })).status).toBe(409);
    expect((await todo.call('GET', `/api/tasks/${task.id}`, { token })).body.description).toBe('first writer');
  });

  it('lets exactly one of concurrent writers holding the same ETag win: the store\'s ETag guards each write', async () => {
    const { body: task, headers } = await todo.call('POST', '/api/tasks', { token, body: { title: 'race' } });
    const etag = headers.get('etag')!;
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => todo.call('PATCH', `/api/tasks/${task.id}`, { token, body: { description: `writer ${i}` }, headers: { 'if-match': etag } })));
    const won = results.filter((r) => r.status === 200);
    expect(won).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(5);
    const now = await todo.call('GET', `/api/tasks/${task.id}`, { token });
    expect(now.body).toMatchObject({ description: won[0]!.body.description, revision: 2 });
    expect(now.headers.get('etag')).toBe('"2"');
  });

  it('creates the indexes its queries use (task lists, the outbox relay), through the API\'s bindings.postgresql component', async () => {
    await eventually('stateIndex "ready" on /readyz', async () => ((await todo.call('GET', '/readyz')).body.stateIndex === 'ready' ? true : undefined));
    expect(psql("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('todo_it_state_user_id_idx')")).toBe('t');
    // The expression is exactly the one Dapr's PostgreSQL query writes, so the planner can use it.
    expect(psql("SET enable_seqscan = off; EXPLAIN SELECT key FROM todo_it_state WHERE value->>'userId'='x'")).toMatch(/todo_it_state_user_id_idx/);
    // The relay's query, as Dapr writes it (a parameter, generic plan): the partial index (pending events only) answers it.
    expect(psql("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('todo_it_state_outbox_idx')")).toBe('t');
    const plan = psql("SET enable_seqscan = off; SET plan_cache_mode = force_generic_plan; PREPARE relay(text) AS SELECT key, value, xmin as etag FROM todo_it_state WHERE value->>'outbox'=$1 ORDER BY value->>'outboxAt' ASC LIMIT 200; EXPLAIN EXECUTE relay('pending')");
    expect(plan).toMatch(/Index Scan on todo_it_state_outbox_idx|Index Scan using todo_it_state_outbox_idx/);
    // Published events leave no pending record behind (deleted in batches).
    await eventually('no pending outbox records', async () => (psql("SELECT count(*) FROM todo_it_state WHERE value->>'outbox' IS NOT NULL") === '0' ? true : undefined), 10_000);
  });

  it.each<[string, (t: Todo) => string | undefined]>([
    ['no token', () => undefined],
    ['a token signed with another key', () => `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from('{"sub":"x","exp":9999999999}').toString('base64url')}.AAAA`],
    ['an expired token', (t) => t.token(user, { exp: Math.floor(Date.now() / 1000) - 120 })],
    ['alg none', () => `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"x","exp":9999999999}').toString('base64url')}.`],
  ])('answers 401 for %s', async (_n, makeToken) => {
    const res = await todo.call('GET', '/api/tasks', { token: makeToken(todo) });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
  });

  it('a retried create (same Idempotency-Key or id) returns the first task: the real store refuses the second insert', async () => {
    const headers = { 'idempotency-key': randomUUID() };
    const first = await todo.call('POST', '/api/tasks', { token, body: { title: 'once' }, headers });
    const again = await todo.call('POST', '/api/tasks', { token, body: { title: 'once' }, headers });
    expect([first.status, again.status, again.headers.get('idempotent-replayed')]).toEqual([201, 201, 'true']);
    expect(again.body).toEqual(first.body);
    const id = randomUUID();
    expect((await todo.call('POST', '/api/tasks', { token, body: { id, title: 'mine' } })).status).toBe(201);
    expect((await todo.call('POST', '/api/tasks', { token, body: { id, title: 'mine' } })).headers.get('idempotent-replayed')).toBe('true');
    expect((await todo.call('POST', '/api/tasks', { token, body: { id, title: 'another' } })).status).toBe(409);
    // One event per task, whatever the retries.
    await eventFor('task.created', first.body.id);
    await eventFor('task.created', id);
    await new Promise((r) => setTimeout(r, 500));
    expect(events.messages.filter((m) => m.json?.type === 'task.created' && [first.body.id, id].includes(String(m.json?.subject))).length).toBe(2);
  });

  it('lists the user\'s tasks with filters from the real store, and no one else\'s', async () => {
    const mine = `it-${randomUUID().slice(0, 8)}`;
    const t = todo.token(mine);
    const ids: string[] = [];
    for (const body of [{ title: 'a', tags: ['x'] }, { title: 'b', priority: 'high' }, { title: 'c', dueAt: '2031-01-01T00:00:00Z' }]) {
      ids.push((await todo.call('POST', '/api/tasks', { token: t, body })).body.id);
    }
    await todo.call('POST', `/api/tasks/${ids[1]}/complete`, { token: t });
    const titles = async (q: string): Promise<string[]> => (await todo.call('GET', `/api/tasks${q}`, { token: t })).body.items.map((x: { title: string }) => x.title);
    expect(await titles('')).toEqual(['c', 'a', 'b']);
    expect(await titles('?status=open')).toEqual(['c', 'a']);
    expect(await titles('?tag=x')).toEqual(['a']);
    expect(await titles('?priority=high')).toEqual(['b']);
    expect(await titles('?dueBefore=2032-01-01T00:00:00Z')).toEqual(['c']);
    expect((await todo.call('GET', `/api/tasks/${ids[0]}`, { token })).status).toBe(404);
  });

  it('the worker consumes the task events (its default route), as its metrics show', async () => {
    await eventually('the worker counting consumed task events', async () => {
      const text = await (await fetch(`http://127.0.0.1:${todo.info.worker.port}/metrics`)).text();
      return /todo_events_consumed_total\{app="todo-it-worker",outcome="success",topic="task-events",type="task\.created"\} [1-9]/.test(text) ? true : undefined;
    });
  });

  it('is ready (sidecar healthy, key loaded) and logs JSON lines with trace ids, never the token', async () => {
    expect((await todo.call('GET', '/readyz')).body).toMatchObject({ status: 'ready', sidecar: true, jwtKey: true });
    const log = readFileSync(todo.info.api.logFile, 'utf8').trim().split('\n').slice(-200);
    const records = log.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.some((r) => r.msg === 'request' && typeof r.traceId === 'string' && r.app === 'todo-it-api')).toBe(true);
    expect(log.join('\n')).not.toContain(token);
  });
});
