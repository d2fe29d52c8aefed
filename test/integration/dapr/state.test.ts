import { StateConcurrencyEnum, StateConsistencyEnum, type DaprClient } from '@dapr/dapr';
import { randomUUID } from 'node:crypto';
import type { Sidecar } from '../../../stack/src/dapr-sidecar.js';
import { daprClient, postgresState, startTestSidecar, writeResources } from '../../support/dapr.js';

/** The PostgreSQL state store (state.postgresql v1) through the real daprd, against the stack's database. */
describe('dapr: PostgreSQL state store (state.postgresql)', () => {
  const run = randomUUID().slice(0, 8);
  // Fixed table names, unique keys: the v1 store records its schema migrations per *metadata* table, so a
  // new tableName next to an existing metadata table is never created ("relation ... does not exist").
  const resources = writeResources([postgresState('orders', { tableName: 'dapr_it_state', metadataTableName: 'dapr_it_metadata' })]);
  const firstWrite = { concurrency: StateConcurrencyEnum.CONCURRENCY_FIRST_WRITE, consistency: StateConsistencyEnum.CONSISTENCY_STRONG };
  let sidecar: Sidecar;
  let client: DaprClient;

  beforeAll(async () => {
    // An app that only calls Dapr needs no app port.
    sidecar = await startTestSidecar({ appId: 'state-it', resourcesPath: resources.dir });
    ({ client } = daprClient(sidecar));
  }, 90_000);

  afterAll(async () => {
    await client?.stop().catch(() => undefined);
    await sidecar?.stop();
    resources.remove();
  });

  it('saves, reads back and deletes a JSON value', async () => {
    const key = `order-${run}-${randomUUID()}`;
    const value = { id: key, items: [{ sku: 'a', qty: 2 }], total: 19.5 };
    expect((await client.state.save('orders', [{ key, value }])).error).toBeUndefined();
    expect(await client.state.get('orders', key)).toEqual(value);

    expect((await client.state.delete('orders', key)).error).toBeUndefined();
    expect(await client.state.get('orders', key)).toBe('');
  });

  it('gives each write a new ETag and refuses a write with a stale one (first-write concurrency)', async () => {
    const key = `counter-${run}-${randomUUID()}`;
    expect((await client.state.save('orders', [{ key, value: { n: 1 } }])).error).toBeUndefined();
    const [first] = await client.state.getBulk('orders', [key]);
    const staleEtag = String(first?.etag);
    expect(staleEtag).toMatch(/^\d+$/); // v1 ETags are the row's xmin

    // A write with the current ETag succeeds and changes the ETag.
    const ok = await client.state.save('orders', [{ key, value: { n: 2 }, etag: staleEtag, options: firstWrite }]);
    expect(ok.error).toBeUndefined();
    const [second] = await client.state.getBulk('orders', [key]);
    expect(second?.data).toEqual({ n: 2 });
    expect(String(second?.etag)).not.toBe(staleEtag);

    // The same stale ETag again: Dapr answers 409 and the stored value is untouched.
    const conflict = await client.state.save('orders', [{ key, value: { n: 3 }, etag: staleEtag, options: firstWrite }]);
    expect(conflict.error).toBeDefined();
    expect(String(conflict.error?.message ?? conflict.error)).toMatch(/409|etag/i);
    expect(await client.state.get('orders', key)).toEqual({ n: 2 });

    // Deleting with the stale ETag is refused too; with the current one it succeeds.
    expect((await client.state.delete('orders', key, { etag: staleEtag, concurrency: StateConcurrencyEnum.CONCURRENCY_FIRST_WRITE })).error).toBeDefined();
    expect((await client.state.delete('orders', key, { etag: String(second?.etag), concurrency: StateConcurrencyEnum.CONCURRENCY_FIRST_WRITE })).error).toBeUndefined();
    expect(await client.state.get('orders', key)).toBe('');
  });
});
