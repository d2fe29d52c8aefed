import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { loadKubeConfig } from '../../src/kube/client.js';
import { waitForWorkloads } from '../../src/kube/wait.js';
import { stack } from '../support/stack.js';

/** Proves the stack's Kubernetes: a Deployment created with @kubernetes/client-node reaches Ready pods (kwok). */
describe('stack: Kubernetes (kube-apiserver, controller-manager, scheduler, kwok)', () => {
  const kc = loadKubeConfig(stack.kubeconfig());
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const namespace = `stack-test-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    await core.createNamespace({ body: { metadata: { name: namespace } } });
  });

  afterAll(async () => {
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  it('has at least two Ready fake nodes', async () => {
    const nodes = await core.listNode();
    const ready = nodes.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    expect(ready.length).toBeGreaterThanOrEqual(2);
  });

  it('runs a Deployment whose pods become Ready, observed with a watch', async () => {
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'example.invalid/web:1' }] } },
        },
      },
    });
    const [result] = await waitForWorkloads(kc, [{ kind: 'Deployment', namespace, name: 'web' }], 60_000);
    expect(result?.readiness).toEqual({ ready: true, reason: 'ready' });
    const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=web' });
    expect(pods.items).toHaveLength(2);
    for (const pod of pods.items) expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('names the workload and the reason when it is not ready in time', async () => {
    await expect(waitForWorkloads(kc, [{ kind: 'Deployment', namespace, name: 'absent' }], 1_500)).rejects.toThrow(`not ready after 2 s: Deployment/${namespace}/absent (does not exist yet)`);
  });
});
