import { CoreV1Api } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { SafeRunner } from '../../src/core/exec.js';
import { loadKubeConfig } from '../../src/kube/client.js';
import { RecordingLogger } from '../support/recording-logger.js';
import { stack } from '../support/stack.js';

const chart = join(import.meta.dirname, '..', 'fixtures', 'charts', 'hello');

/** Proves the stack's helm binaries: `helm install --wait` of a small chart succeeds with each major. */
describe.each([
  ['Helm 3', () => stack.helm().helm3, /^v3\./],
  ['Helm 4', () => stack.helm().helm4, /^v4\./],
])('stack: %s', (_label, helmPath, versionRe) => {
  const kubeconfig = stack.kubeconfig();
  const core = loadKubeConfig(kubeconfig).makeApiClient(CoreV1Api);
  const namespace = `helm-test-${randomUUID().slice(0, 8)}`;
  const runner = new SafeRunner(new RecordingLogger());
  const env = { ...process.env, KUBECONFIG: kubeconfig, HELM_CACHE_HOME: join(process.env.TMPDIR ?? '/tmp', 'helm-test-cache'), HELM_CONFIG_HOME: join(process.env.TMPDIR ?? '/tmp', 'helm-test-config') };

  afterAll(async () => {
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  it('is the expected major', async () => {
    const { stdout } = await runner.run(helmPath(), ['version', '--short'], { env });
    expect(stdout.trim()).toMatch(versionRe);
  });

  it('installs a chart with --wait and the release is deployed', async () => {
    // Real pods on the stack's node, from the test image the stack pushed to its registry.
    await runner.run(helmPath(), ['install', 'hello', chart, '--namespace', namespace, '--create-namespace', '--set', `image=${stack.node().images.testapp}`, '--wait', '--timeout', '90s'], { env });
    const { stdout } = await runner.run(helmPath(), ['status', 'hello', '--namespace', namespace, '--output', 'json'], { env });
    const status = JSON.parse(stdout) as { info: { status: string }; version: number };
    expect(status.info.status).toBe('deployed');
    expect(status.version).toBe(1);
  });
});
