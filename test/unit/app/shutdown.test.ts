import { Agent, request } from 'node:http';
import type { OutgoingEvent, StateWrite } from '../../../app/src/dapr/port.js';
import { Outbox, outboxKey } from '../../../app/src/events/outbox.js';
import { memoryLogger } from '../../../app/src/log.js';
import { AppMetrics } from '../../../app/src/metrics.js';
import { FakeDapr } from './fake-dapr.js';
import { startInProcess, type InProcessApp } from './harness.js';

/**
 * The app's shutdown (app.ts, what the chart's pod shutdown relies on): readiness fails and answers close their
 * connections for SHUTDOWN_DELAY_MS, in-flight requests finish, the outbox is flushed, and only then does
 * Dapr's app health check (the callback listener's /healthz) fail, which ends daprd's block-shutdown.
 */

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** GET over node:http on a given agent: the status, the Connection header, and whether the socket was reused. */
function get(url: string, agent: Agent, headers: Record<string, string> = {}): Promise<{ status: number; connection: string | undefined; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The callback listener's /healthz as daprd's app health check sees it: its status, or 0 when nothing answers. */
async function daprHealth(t: InProcessApp): Promise<number> {
  return fetch(`${t.callbackUrl}/healthz`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.status, () => 0);
}

const shutdownSteps = (t: InProcessApp): string[] => t.log.records.map((r) => String(r.msg)).filter((m) => m.startsWith('shutdown:')).map((m) => m.split(/[,:]/)[1]!.trim());

describe('app shutdown (SIGTERM)', () => {
  let t: InProcessApp | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('drains in order: readiness fails, answers close their connections, in-flight requests finish, the outbox flushes, then the Dapr health check fails', async () => {
    t = await startInProcess('api', { SHUTDOWN_DELAY_MS: '800', SHUTDOWN_FLUSH_MS: '2000' });
    const app = t;
    const alice = app.token('alice');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      // A kept-alive connection, as a browser or a load balancer holds one.
      expect(await get(`${app.url}/healthz`, agent)).toMatchObject({ status: 200, connection: 'keep-alive' });
      expect(await daprHealth(app)).toBe(200);

      // A create whose state write takes 300 ms is in flight when the shutdown starts. The outbox's batched
      // delete of its published record (100 ms after the publish, during the delay) fails once, so the record
      // is still there for the flush to delete.
      const transact = app.dapr.transact.bind(app.dapr);
      let slow = true;
      let deletes = 0;
      const healthDuringFlush: number[] = [];
      app.dapr.transact = async (writes: StateWrite[]) => {
        if (slow) {
          slow = false;
          await sleep(300);
        } else if (writes.every((w) => w.op === 'delete') && deletes++ === 0) {
          throw new Error('the state store is busy');
        } else if (writes.every((w) => w.op === 'delete')) {
          // The flush's delete: daprd must still be serving, its health check passing.
          healthDuringFlush.push(await daprHealth(app));
        }
        return transact(writes);
      };
      const inFlight = app.call('POST', '/api/tasks', { token: alice, body: { title: 'in flight at SIGTERM' } });
      await sleep(50);
      const stopped = app.app.stop();
      await sleep(20);

      // 1. The delay: not ready, still serving, and each answer ends its connection.
      const ready = await app.call('GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.error.details).toMatchObject({ shuttingDown: true });
      const during = await get(`${app.url}/healthz`, agent);
      expect(during).toMatchObject({ status: 200, connection: 'close', reused: true });
      expect(await daprHealth(app)).toBe(200);
      expect(app.app.stop()).toBe(stopped); // a second signal's stop() is the same shutdown

      // 2. The in-flight create finishes, stored and published.
      const created = await inFlight;
      expect(created.status).toBe(201);
      expect(app.dapr.published.map((p) => p.event.data)).toEqual([expect.objectContaining({ taskId: created.body.id })]);

      expect([...app.dapr.state.keys()].filter((k) => k.startsWith('outbox:'))).toHaveLength(1);

      await stopped;
      // 3. The flush deleted the published record while daprd's health check still passed.
      expect(deletes).toBe(2);
      expect(healthDuringFlush).toEqual([200]);
      expect([...app.dapr.state.keys()].filter((k) => k.startsWith('outbox:'))).toEqual([]);
      expect(app.log.records.find((r) => r.msg === 'shutdown: outbox flushed')).toMatchObject({ settled: true, published: 1, undeleted: 0 });
      // 4. Only then did the health check fail: nothing answers it now (daprd ends its block-shutdown).
      expect(await daprHealth(app)).toBe(0);
      expect(shutdownSteps(app)).toEqual(['readiness failing', 'requests finished', 'outbox flushed', 'the Dapr app health check fails now; daprd stops after it']);
    } finally {
      agent.destroy();
    }
  });

  it('keeps serving during the delay: a new request is answered (and told to close), the listener closes after it', async () => {
    t = await startInProcess('api', { SHUTDOWN_DELAY_MS: '300', SHUTDOWN_FLUSH_MS: '100' });
    const app = t;
    const stopped = app.app.stop();
    const started = Date.now();
    const agent = new Agent({ keepAlive: true });
    try {
      expect(await get(`${app.url}/api/tasks`, agent, { authorization: `Bearer ${app.token('bob')}` })).toMatchObject({ status: 200, connection: 'close' });
    } finally {
      agent.destroy();
    }
    await stopped;
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await expect(fetch(`${app.url}/healthz`)).rejects.toThrow();
  });

  it('the worker: Dapr\'s health check passes until the deliveries in flight are done', async () => {
    t = await startInProcess('worker', { SHUTDOWN_DELAY_MS: '0', SHUTDOWN_FLUSH_MS: '100' });
    const app = t;
    const publish = app.dapr.publish.bind(app.dapr);
    app.dapr.publish = async (...args: Parameters<FakeDapr['publish']>) => {
      await sleep(300);
      return publish(...args);
    };
    // A verify-events probe: the handler publishes its acknowledgement (slowly, here).
    const probe = { specversion: '1.0', id: 'probe-1', source: 'verify-events', type: 'io.oke-dapr-actions.probe', datacontenttype: 'application/json', data: { probeId: 'p-1' } };
    const delivery = app.call('POST', '/events/probe', { body: probe, headers: { 'content-type': 'application/cloudevents+json' } });
    await sleep(50);
    const stopped = app.app.stop();
    await sleep(100);
    expect(await daprHealth(app)).toBe(200);
    const answered = await delivery;
    expect(answered.status).toBe(200);
    expect(app.dapr.published).toHaveLength(1);
    await stopped;
    expect(await daprHealth(app)).toBe(0);
  });
});

describe('Outbox.stop (the shutdown flush)', () => {
  const event = (id: string): OutgoingEvent => ({ specversion: '1.0', id, source: 'todo-api', type: 'task.created', time: new Date().toISOString(), datacontenttype: 'application/json', data: { taskId: id } });

  function setup(publishMs: number | 'never') {
    const dapr = new FakeDapr();
    const sent: string[] = [];
    const publisher = {
      publish: async (_topic: string, e: OutgoingEvent): Promise<void> => {
        await (publishMs === 'never' ? new Promise<void>(() => undefined) : sleep(publishMs));
        sent.push(e.id);
      },
    };
    const log = memoryLogger();
    const outbox = new Outbox({ dapr, publisher, metrics: new AppMetrics(), log, inlineWaitMs: 20 });
    /** A committed change's pending record (as the change's transaction stored it) and its publish. */
    const change = async (id: string): Promise<boolean> => {
      const { write, pending } = outbox.entry('task-events', event(id), id);
      await dapr.transact([write]);
      return outbox.publish(pending);
    };
    return { dapr, outbox, sent, change };
  }

  it('waits for a publish that outlasted its request, then deletes its record', async () => {
    const { dapr, outbox, sent, change } = setup(150);
    expect(await change('e1')).toBe(false); // the request answered after 20 ms; the publish goes on
    expect(dapr.state.has(outboxKey('e1'))).toBe(true);
    const report = await outbox.stop(2_000);
    expect(report).toEqual({ running: 1, settled: true, published: 1, undeleted: 0 });
    expect(sent).toEqual(['e1']);
    expect(dapr.state.has(outboxKey('e1'))).toBe(false);
  });

  it('gives up after its time when a publish hangs: the record stays pending for another replica\'s relay', async () => {
    const { dapr, outbox, change } = setup('never');
    expect(await change('e2')).toBe(false);
    const t0 = Date.now();
    const report = await outbox.stop(100);
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(report).toEqual({ running: 1, settled: false, published: 0, undeleted: 0 });
    expect(dapr.state.get(outboxKey('e2'))?.value).toMatchObject({ outbox: 'pending' });
  });

  it('publishes nothing new once stopped (requests after it leave their events to the relay)', async () => {
    const { outbox, sent, change } = setup(0);
    await outbox.stop(100);
    expect(await change('e3')).toBe(false);
    await sleep(30);
    expect(sent).toEqual([]);
  });
});

describe('Outbox deletes of published records', () => {
  const event = (id: string): OutgoingEvent => ({ specversion: '1.0', id, source: 'todo-api', type: 'task.created', time: new Date().toISOString(), datacontenttype: 'application/json', data: { taskId: id } });

  it('puts each published record in one delete transaction, even when deletes take longer than deleteEveryMs', async () => {
    // Under load a delete transaction outlasts deleteEveryMs; a second deleter once started beside the first and
    // sent the same keys again (in-cluster: 77,705 DELETE statements for 5,290 records in one bench run).
    const dapr = new FakeDapr();
    const deletes: string[][] = [];
    const store = {
      queryState: dapr.queryState.bind(dapr),
      transact: async (writes: StateWrite[]): Promise<void> => {
        if (writes.every((w) => w.op === 'delete')) {
          deletes.push(writes.map((w) => w.key));
          await sleep(40);
        }
        await dapr.transact(writes);
      },
    };
    const publisher = { publish: async (): Promise<void> => undefined };
    const outbox = new Outbox({ dapr: store, publisher, metrics: new AppMetrics(), log: memoryLogger(), deleteEveryMs: 5 });
    const ids = Array.from({ length: 60 }, (_, i) => `d${i}`);
    for (const id of ids) {
      const { write, pending } = outbox.entry('task-events', event(id), id);
      await dapr.transact([write]);
      expect(await outbox.publish(pending)).toBe(true);
      await sleep(3);
    }
    const report = await outbox.stop(5_000);
    expect(report).toMatchObject({ settled: true, undeleted: 0 });
    const deleted = deletes.flat();
    expect(deleted.sort()).toEqual(ids.map(outboxKey).sort());
    expect(deletes.length).toBeGreaterThan(1);
    expect(ids.filter((id) => dapr.state.has(outboxKey(id)))).toEqual([]);
  });

  it('tries a failed delete again and leaves its records to no one else meanwhile', async () => {
    const dapr = new FakeDapr();
    const publisher = { publish: async (): Promise<void> => undefined };
    const outbox = new Outbox({ dapr, publisher, metrics: new AppMetrics(), log: memoryLogger(), deleteEveryMs: 5, relayAfterMs: 0 });
    const { write, pending } = outbox.entry('task-events', event('f1'), 'f1');
    await dapr.transact([write]);
    dapr.failNext.set('transact', new Error('state store down'));
    expect(await outbox.publish(pending)).toBe(true);
    await sleep(30);
    expect(dapr.state.has(outboxKey('f1'))).toBe(true);
    // Published, its delete failed: the relay does not publish it again.
    await outbox.relayOnce();
    expect(dapr.published).toHaveLength(0);
    const report = await outbox.stop(5_000);
    expect(report).toMatchObject({ undeleted: 0, published: 1 });
    expect(dapr.state.has(outboxKey('f1'))).toBe(false);
  });
});
