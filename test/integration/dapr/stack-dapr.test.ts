import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { stateDir } from '../../../stack/src/config.js';
import { isAlive } from '../../../stack/src/proc.js';
import { DAPR_VERSION } from '../../../src/versions.js';
import { kafkaPubsub, startTestApp, startTestSidecar, writeResources } from '../../support/dapr.js';
import { stack } from '../../support/stack.js';

/** The stack's Dapr: the slim daprd build, the scheduler, and sidecars started by dapr-sidecar.ts. */
describe('stack: Dapr (slim daprd, scheduler, sidecars)', () => {
  const d = stack.dapr();
  const run = randomUUID().slice(0, 8);

  it('builds daprd and the scheduler at the version src/versions.ts names', () => {
    expect(d.version).toBe(DAPR_VERSION);
    expect(execFileSync(d.daprd, ['--version'], { encoding: 'utf8' }).trim()).toBe(DAPR_VERSION);
    expect(execFileSync(d.daprd, ['--build-info'], { encoding: 'utf8' })).toMatch(/^Git Commit: [0-9a-f]{40}$/m);
    expect(d.scheduler).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('starts a sidecar that reaches the scheduler and loads only what its resources name', async () => {
    const app = await startTestApp();
    const resources = writeResources([]);
    const sidecar = await startTestSidecar({ appId: 'meta-it', appPort: app.port, resourcesPath: resources.dir });
    try {
      const meta = (await (await fetch(`${sidecar.httpEndpoint}/v1.0/metadata`)).json()) as {
        id: string;
        runtimeVersion: string;
        components?: unknown[];
        scheduler?: { connected_addresses?: string[] };
        appConnectionProperties?: { port?: number };
      };
      expect(meta.id).toBe('meta-it');
      expect(meta.runtimeVersion).toBe(DAPR_VERSION);
      expect(meta.appConnectionProperties?.port).toBe(app.port);
      // The scheduler connection is made in the background after start-up.
      const deadline = Date.now() + 15_000;
      let connected = meta.scheduler?.connected_addresses ?? [];
      while (!connected.includes(d.scheduler) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        const m = (await (await fetch(`${sidecar.httpEndpoint}/v1.0/metadata`)).json()) as typeof meta;
        connected = m.scheduler?.connected_addresses ?? [];
      }
      expect(connected).toContain(d.scheduler);
    } finally {
      await sidecar.stop();
      await app.close();
      resources.remove();
    }
    expect(isAlive(sidecar.pid)).toBe(false);
  }, 60_000);

  it('fails start-up with the sidecar log when a component cannot initialise (wrong Kafka password)', async () => {
    const resources = writeResources([kafkaPubsub('events', { consumerGroup: `bad-${run}`, password: 'wrong-password' })]);
    try {
      const err = await startTestSidecar({ appId: 'badauth-it', resourcesPath: resources.dir }).then(
        (s) => s.stop().then(() => new Error('the sidecar started although its Kafka password is wrong')),
        (e: unknown) => e as Error,
      );
      expect(err.message).toMatch(/daprd for "badauth-it" exited during start-up/);
      expect(existsSync(join(stateDir(), 'pids', 'daprd-badauth-it.pid'))).toBe(false);
      expect(err.message).toMatch(/events|kafka/i);
    } finally {
      resources.remove();
    }
  }, 90_000);

  it('fails start-up naming the component type when the resources use one the slim build does not register', async () => {
    const resources = writeResources([{ name: 'cache', type: 'state.redis', metadata: { redisHost: '127.0.0.1:1' } }]);
    try {
      const err = await startTestSidecar({ appId: 'unregistered-it', resourcesPath: resources.dir }).then(
        (s) => s.stop().then(() => new Error('the sidecar started with a component type it does not have')),
        (e: unknown) => e as Error,
      );
      expect(err.message).toMatch(/exited during start-up/);
      expect(err.message).toMatch(/state\.redis/);
    } finally {
      resources.remove();
    }
  }, 90_000);

  it('refuses an app id that is not a DNS label, before starting anything', async () => {
    await expect(startTestSidecar({ appId: 'Bad_Id', resourcesPath: '/nonexistent' })).rejects.toThrow(/must be a DNS label/);
    expect(existsSync('/nonexistent')).toBe(false);
  });
});
