import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:net';
import * as common from 'oci-common';
import { OkeClient } from '../../../src/oci/container-engine.js';
import { RecordingLogger } from '../../support/recording-logger.js';
import { CLUSTER, KEY_FINGERPRINT, TENANCY, USER } from './fixtures.js';

const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

/** A loopback port that refuses connections (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

function client(apiEndpoint: string, log: RecordingLogger): OkeClient {
  return new OkeClient({
    keyId: `${TENANCY}/${USER}/${KEY_FINGERPRINT}`,
    privateKeyPem: pem,
    region: 'us-ashburn-1',
    apiEndpoint,
    context: { clusterId: CLUSTER, region: 'us-ashburn-1', auth: { method: 'api-key', tenancy: TENANCY, user: USER, fingerprint: KEY_FINGERPRINT } },
    log,
    attempts: 2,
    sleep: async () => undefined,
    fetch: async () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    },
  });
}

describe('OkeClient keeps the OCI SDK settings to itself', () => {
  it('changes no global SDK setting, restores console.warn, and logs SDK failures with their message', async () => {
    const log = new RecordingLogger();
    const globalBreaker = common.CircuitBreaker.EnableGlobalCircuitBreaker;
    const warn = console.warn;
    const c = client(`https://127.0.0.1:${await closedPort()}`, log);
    // The per-client switch: no circuit breaker was made for this client.
    expect((c as unknown as { client: { _circuitBreaker: unknown } }).client._circuitBreaker).toBeFalsy();
    await expect(c.getCluster(CLUSTER)).rejects.toThrow(/cannot reach https:\/\/127\.0\.0\.1:\d+/);
    expect(common.CircuitBreaker.EnableGlobalCircuitBreaker).toBe(globalBreaker);
    expect(console.warn).toBe(warn);
    // The SDK's console.warn went to the debug log; the retry line names the failure, not "[object Object]".
    expect(log.lines.some((l) => l.startsWith('debug: oci-sdk: '))).toBe(true);
    expect(log.text()).toMatch(/GetCluster at https:\/\/127\.0\.0\.1:\d+: attempt 1 of 2 failed \(fetch failed\)/);
    expect(log.lines.filter((l) => l.startsWith('GetCluster at')).join('\n')).not.toContain('[object Object]');
  });

  it('overlapping calls restore console.warn once the last one ends', async () => {
    const warn = console.warn;
    const port = await closedPort();
    const logs = [new RecordingLogger(), new RecordingLogger()];
    await Promise.all(logs.map((l) => client(`https://127.0.0.1:${port}`, l).getCluster(CLUSTER).catch(() => undefined)));
    expect(console.warn).toBe(warn);
  });
});
