import { memoryLogger } from '../../../app/src/log.js';
import { indexStatements, OUTBOX_INDEX, StateIndex, userIdIndex } from '../../../app/src/tasks/state-index.js';
import { FakeDapr } from './fake-dapr.js';
import { startInProcess, type InProcessApp } from './harness.js';

/** Health, readiness, metrics, the UI and sign-in: what operators and browsers see besides the API. */
describe('todo app operations (in-process, fake Dapr)', () => {
  const apps: InProcessApp[] = [];
  const start = async (...args: Parameters<typeof startInProcess>): Promise<InProcessApp> => {
    const t = await startInProcess(...args);
    apps.push(t);
    return t;
  };
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.stop()));
  });

  it('/healthz is always 200; /readyz is 200 only with a healthy sidecar', async () => {
    const t = await start('api');
    expect((await t.call('GET', '/healthz')).status).toBe(200);
    expect((await t.call('GET', '/readyz')).body).toEqual({ status: 'ready', sidecar: true, jwtKey: true, stateIndex: 'off', shuttingDown: false });
    t.dapr.sidecarHealthy = false;
    const res = await t.call('GET', '/readyz');
    expect(res.status).toBe(503);
    expect(res.body.error.details).toMatchObject({ sidecar: false });
    expect((await t.call('GET', '/healthz')).status).toBe(200);
  });

  it('is not ready, and answers 401, until the JWT key comes from the secret store; then it is', async () => {
    const t = await start('api', {}, (d) => {
      d.secrets = {};
    });
    expect((await t.call('GET', '/readyz')).body.error.details).toMatchObject({ sidecar: true, jwtKey: false });
    expect((await t.call('GET', '/api/tasks', { token: t.token('alice') })).body.error.message).toMatch(/not loaded its token key/);
    t.dapr.secrets['todo-secrets'] = { 'jwt-signing-key': 'unit-test-signing-key-0123456789abcdef' };
    const deadline = Date.now() + 5_000;
    while ((await t.call('GET', '/readyz')).status !== 200) {
      if (Date.now() > deadline) throw new Error('the key was never loaded');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await t.call('GET', '/api/tasks', { token: t.token('alice') })).status).toBe(200);
    expect(t.log.records.some((r) => r.msg === 'waiting for the JWT key from the Dapr secret store')).toBe(true);
  });

  it('serves Prometheus metrics: requests by route and status, events published', async () => {
    const t = await start('api');
    await t.call('POST', '/api/tasks', { token: t.token('alice'), body: { title: 'x' } });
    await t.call('GET', '/api/tasks');
    const res = await t.call('GET', '/metrics');
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.text).toContain('todo_http_requests_total{app="todo-api",listener="public",method="POST",route="/api/tasks",status="201"} 1');
    expect(res.text).toContain('todo_http_requests_total{app="todo-api",listener="public",method="GET",route="/api/tasks",status="401"} 1');
    expect(res.text).toContain('todo_events_published_total{app="todo-api",topic="task-events",type="task.created"} 1');
    expect(res.text).toContain('todo_http_request_duration_seconds_bucket{app="todo-api",listener="public",route="/api/tasks",le="+Inf"} 2');
    expect(res.text).toMatch(/^todo_process_resident_memory_bytes\{app="todo-api"\} \d+$/m);
    // Publish failures are there from the start, at 0, for each topic the API publishes to.
    expect(res.text).toContain('todo_event_publish_failures_total{app="todo-api",topic="task-events"} 0');
    expect(res.text).toContain('todo_event_publish_failures_total{app="todo-api",topic="reminders"} 0');
  });

  it('serves the UI with a strict Content-Security-Policy', async () => {
    const t = await start('api');
    const page = await t.call('GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.text).toContain('<script type="module" src="/ui/app.js">');
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self'/);
    expect((await t.call('GET', '/ui/app.js')).headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await t.call('GET', '/ui/../config.ts')).status).toBe(404);
  });

  it('mints dev tokens only when DEV_SIGN_IN is on', async () => {
    const off = await start('api');
    expect((await off.call('GET', '/auth/config')).body).toEqual({ devSignIn: false });
    expect((await off.call('POST', '/auth/dev-token', { body: { user: 'alice' } })).status).toBe(404);

    const on = await start('api', { DEV_SIGN_IN: 'true' });
    expect((await on.call('GET', '/auth/config')).body).toEqual({ devSignIn: true });
    const { body } = await on.call('POST', '/auth/dev-token', { body: { user: 'alice' } });
    expect((await on.call('GET', '/api/me', { token: body.token })).body).toEqual({ id: 'alice', name: 'alice' });
    expect((await on.call('POST', '/auth/dev-token', { body: { user: 'a b' } })).status).toBe(400);
  });

  it('answers Dapr\'s app-channel calls on the callback listener only', async () => {
    const t = await start('api');
    expect((await t.call('GET', '/dapr/subscribe')).body).toEqual([]);
    expect((await fetch(`${t.url}/dapr/subscribe`)).status).toBe(404);
    expect((await fetch(`${t.url}/job/reminder-x`, { method: 'POST' })).status).toBe(404);
  });

  it('stops gracefully: not ready while stopping, in-flight requests finish', async () => {
    const t = await start('api', { SHUTDOWN_DELAY_MS: '300' });
    const slow = t.call('GET', '/api/tasks', { token: t.token('alice') });
    const stopping = t.app.stop();
    await new Promise((r) => setTimeout(r, 50));
    expect((await t.call('GET', '/readyz')).status).toBe(503);
    expect((await slow).status).toBe(200);
    await stopping;
    await expect(fetch(`${t.url}/healthz`)).rejects.toThrow();
    apps.pop();
  });
});

describe('the state index (created through the bindings.postgresql component)', () => {
  const sql = indexStatements('todo_state');

  it('names and builds it without blocking writes, in the table\'s schema', () => {
    expect(sql.create).toBe("CREATE INDEX CONCURRENTLY IF NOT EXISTS todo_state_user_id_idx ON todo_state ((value->>'userId'))");
    expect(userIdIndex('app.todo_state')).toEqual({ name: 'todo_state_user_id_idx', qualified: 'app.todo_state_user_id_idx' });
    expect(userIdIndex('t'.repeat(63)).name.length).toBeLessThanOrEqual(63);
  });

  it('names the outbox relay\'s partial index after the table too', () => {
    expect(indexStatements('todo_state', OUTBOX_INDEX).create).toBe("CREATE INDEX CONCURRENTLY IF NOT EXISTS todo_state_outbox_idx ON todo_state ((value->>'outboxAt')) WHERE (value->>'outbox') IS NOT NULL");
  });

  it('the API creates it (and the outbox relay\'s) at start-up and shows them on /readyz', async () => {
    const outboxSql = indexStatements('todo_state', OUTBOX_INDEX);
    const t = await startInProcess('api', { STATE_SQL_BINDING: 'todo-state-sql', STATE_TABLE: 'todo_state' }, (d) => {
      d.onBinding = (_n, op, md) => (op === 'query' && (md.sql === sql.valid || md.sql === outboxSql.valid) ? [[true]] : undefined);
    });
    try {
      const deadline = Date.now() + 5_000;
      while ((await t.call('GET', '/readyz')).body.stateIndex !== 'ready' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect((await t.call('GET', '/readyz')).body.stateIndex).toBe('ready');
      expect(t.dapr.bindingCalls.map((c) => [c.name, c.operation, c.metadata.sql]).sort()).toEqual(
        [
          ['todo-state-sql', 'exec', sql.create],
          ['todo-state-sql', 'query', sql.valid],
          ['todo-state-sql', 'exec', outboxSql.create],
          ['todo-state-sql', 'query', outboxSql.valid],
        ].sort(),
      );
    } finally {
      await t.stop();
    }
  });

  it('retries until the sidecar and the table are there, rebuilds an INVALID index once, and gives up loudly', async () => {
    const dapr = new FakeDapr();
    const log = memoryLogger();
    let calls = 0;
    dapr.onBinding = (_n, op, md) => {
      calls++;
      if (calls <= 2) throw new Error('relation "todo_state" does not exist');
      if (md.sql === sql.building) return '[[0]]';
      return op === 'query' ? (calls < 6 ? '[[false]]' : '[[true]]') : undefined;
    };
    expect(await new StateIndex({ dapr, binding: 'sql', table: 'todo_state', log, retryMs: 1 }).ensure()).toBe('ready');
    expect(dapr.bindingCalls.map((c) => c.metadata.sql)).toEqual([sql.create, sql.create, sql.create, sql.valid, sql.building, sql.drop, sql.create, sql.valid]);

    // An index another replica is still building is waited for, never dropped.
    const racing = new FakeDapr();
    let checks = 0;
    racing.onBinding = (_n, _op, md) => (md.sql === sql.valid ? (++checks < 3 ? '[[false]]' : '[[true]]') : md.sql === sql.building ? '[[1]]' : undefined);
    expect(await new StateIndex({ dapr: racing, binding: 'sql', table: 'todo_state', log: memoryLogger(), retryMs: 1 }).ensure()).toBe('ready');
    expect(racing.bindingCalls.map((c) => c.metadata.sql)).not.toContain(sql.drop);

    const failing = new FakeDapr();
    failing.onBinding = () => {
      throw new Error('permission denied for table todo_state');
    };
    const failLog = memoryLogger();
    expect(await new StateIndex({ dapr: failing, binding: 'sql', table: 'todo_state', log: failLog, retryMs: 1, deadlineMs: 20 }).ensure()).toBe('failed');
    const error = failLog.records.find((r) => r.level === 'error');
    expect(error).toMatchObject({ msg: expect.stringMatching(/could not create the state index/), err: 'permission denied for table todo_state', fix: expect.stringContaining(sql.create) });
  });
});
