import { randomUUID } from 'node:crypto';
import type { Sidecar } from '../../../stack/src/dapr-sidecar.js';
import { startTestApp, startTestSidecar, writeResources, type TestApp } from '../../support/dapr.js';

/**
 * The Jobs API through the real daprd and the stack's Dapr scheduler: a job scheduled with a due time comes
 * back to the app as POST /job/<name> with the job's data. (@dapr/dapr has no jobs client: plain HTTP.)
 */
describe('dapr: Jobs API (scheduler)', () => {
  const run = randomUUID().slice(0, 8);
  const resources = writeResources([]);
  let app: TestApp;
  let sidecar: Sidecar;

  const jobs = (version: 'v1.0' | 'v1.0-alpha1', name: string): string => `${sidecar.httpEndpoint}/${version}/jobs/${name}`;
  const schedule = (version: 'v1.0' | 'v1.0-alpha1', name: string, body: unknown): Promise<Response> =>
    fetch(jobs(version, name), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    app = await startTestApp();
    sidecar = await startTestSidecar({ appId: 'jobs-it', appPort: app.port, resourcesPath: resources.dir });
  }, 90_000);

  afterAll(async () => {
    await sidecar?.stop();
    await app?.close();
    resources.remove();
  });

  it('runs a job with a due time of 3 s and calls back POST /job/<name> with its data', async () => {
    const name = `reminder-${run}`;
    const data = { orderId: randomUUID(), action: 'expire' };
    const t0 = Date.now();
    const res = await schedule('v1.0', name, { dueTime: '3s', data });
    expect(res.status).toBe(204);

    const got = await fetch(jobs('v1.0', name));
    expect(got.status).toBe(200);
    // The HTTP API hands the job's data back as the protobuf Any it stores.
    expect(await got.json()).toMatchObject({ name, dueTime: '3s', data: { '@type': 'type.googleapis.com/google.protobuf.Value', value: data } });

    const delivery = await app.waitFor(`/job/${name}`, () => true, 30_000);
    expect(delivery.body).toEqual(data);
    expect(delivery.at - t0).toBeGreaterThanOrEqual(2_500);
  });

  it('accepts the alpha endpoint too (v1.0-alpha1, what older SDKs call)', async () => {
    const name = `alpha-${run}`;
    const res = await schedule('v1.0-alpha1', name, { dueTime: '1s', data: { via: 'alpha' } });
    expect(res.status).toBe(204);
    expect((await app.waitFor(`/job/${name}`)).body).toEqual({ via: 'alpha' });
  });

  it('never calls back for a job deleted before it is due', async () => {
    const name = `cancelled-${run}`;
    expect((await schedule('v1.0', name, { dueTime: '3s', data: { cancelled: true } })).status).toBe(204);
    expect((await fetch(jobs('v1.0', name), { method: 'DELETE' })).status).toBe(204);
    const gone = await fetch(jobs('v1.0', name));
    expect(gone.ok).toBe(false);
    expect(await gone.text()).toMatch(/not found/i);
    await new Promise((r) => setTimeout(r, 5_000));
    expect(app.deliveries.filter((d) => d.path === `/job/${name}`)).toEqual([]);
  });

  it('refuses a job without a schedule or due time', async () => {
    const res = await schedule('v1.0', `invalid-${run}`, { data: { x: 1 } });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(await res.text()).toMatch(/schedule|dueTime|due time/i);
  });
});
