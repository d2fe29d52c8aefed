import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { loadKubeConfig } from '../../src/kube/client.js';
import { waitForWorkloads } from '../../src/kube/wait.js';
import { nodeNetwork } from '../../stack/src/config.js';
import { getFromPod, runPod } from '../support/pods.js';
import { stack } from '../support/stack.js';

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

/** Proves the stack's Kubernetes: a real node (containerd, kubelet, kube-proxy, CoreDNS) and kwok's fake nodes. */
describe('stack: the real node', () => {
  it('is registered and Ready, with the runtime, kubelet and kube-proxy the stack reports', async () => {
    const node = await core.readNode({ name: stack.node().name });
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(node.status?.nodeInfo?.containerRuntimeVersion).toMatch(/^containerd:\/\/1\.\d+/);
    expect(node.status?.nodeInfo?.kubeletVersion).toBe('v1.34.4');
    expect(node.status?.addresses).toEqual(expect.arrayContaining([{ type: 'InternalIP', address: nodeNetwork.nodeIp }]));
    expect(node.spec?.taints ?? []).toEqual([]);
  });

  it('runs a Deployment of a locally built image, Ready through a real HTTP probe, answering through its Service name', async () => {
    const image = stack.node().images.testapp;
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: {
              containers: [{
                name: 'web', image, env: [{ name: 'MESSAGE', value: `hello from ${namespace}` }],
                ports: [{ name: 'http', containerPort: 8080 }],
                readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 1 },
              }],
            },
          },
        },
      },
    });
    await core.createNamespacedService({ namespace, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] } } });
    const [result] = await waitForWorkloads(kc, [{ kind: 'Deployment', namespace, name: 'web' }], 60_000);
    expect(result?.readiness).toEqual({ ready: true, reason: 'ready' });

    const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=web' });
    expect(pods.items).toHaveLength(2);
    for (const pod of pods.items) {
      expect(pod.spec?.nodeName).toBe(stack.node().name);
      expect(pod.status?.podIP).toMatch(/^10\.244\.0\.\d+$/);
      // Pulled from the stack's registry: the running image is the digest the reference names.
      expect(pod.status?.containerStatuses?.[0]?.imageID).toContain(image.split('@')[1]);
    }

    const body = await getFromPod(kc, namespace, 'client', image, `http://web.${namespace}.svc.cluster.local/`);
    expect(body).toContain(`"message":"hello from ${namespace}"`);
  });

  it('resolves Service names through CoreDNS, and nothing beyond the cluster', async () => {
    const image = stack.node().images.testapp;
    const inside = await runPod(kc, namespace, 'dns-in', image, ['lookup', 'kubernetes.default.svc.cluster.local']);
    expect(inside).toMatchObject({ phase: 'Succeeded', exitCode: 0 });
    expect(inside.logs.trim()).toBe(nodeNetwork.apiServiceIp);
    // CoreDNS here has no upstream: an outside name does not resolve (and no query leaves the machine).
    const outside = await runPod(kc, namespace, 'dns-out', image, ['lookup', 'registry.npmjs.org']);
    expect(outside).toMatchObject({ phase: 'Failed', exitCode: 1 });
  });

  it('reaches the API server from a pod through the kubernetes Service', async () => {
    const image = stack.node().images.testapp;
    // No credentials: the API server answers 401 or 403, which proves the TLS connection through kube-proxy.
    const r = await runPod(kc, namespace, 'apiserver', image, ['get', 'https://kubernetes.default.svc/version']);
    expect(r.logs).toMatch(/\b40[13]\b|certificate signed by unknown authority/);
  });

  it('keeps the node namespace without a default route: pods reach only the node and the stack', () => {
    const routes = execFileSync('nsenter', [`--net=/run/netns/${nodeNetwork.netns}`, 'ip', '-4', 'route'], { encoding: 'utf8' });
    expect(routes).not.toMatch(/^default/m);
    expect(routes).toContain(`${nodeNetwork.podCidr.replace('/24', '')}/24 dev cni0`);
    // The root namespace's forwarding is untouched by the node (it forwards inside its own namespace only).
    expect(execFileSync('sysctl', ['-n', 'net.ipv4.ip_forward'], { encoding: 'utf8' }).trim()).toBe('0');
  });
});

describe('stack: kwok fake nodes (cheap pods for scale tests)', () => {
  it('has two Ready fake nodes, tainted so that only pods that tolerate it land there', async () => {
    const nodes = await core.listNode({ labelSelector: 'type=kwok' });
    const ready = nodes.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    expect(ready.length).toBeGreaterThanOrEqual(2);
    for (const n of nodes.items) expect(n.spec?.taints).toEqual([{ key: 'kwok.x-k8s.io/node', value: 'fake', effect: 'NoSchedule' }]);
  });

  it('makes tolerating pods Ready without running them', async () => {
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'fake' },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'fake' } },
          template: {
            metadata: { labels: { app: 'fake' } },
            spec: {
              nodeSelector: { type: 'kwok' },
              tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }],
              containers: [{ name: 'fake', image: 'example.invalid/fake:1' }],
            },
          },
        },
      },
    });
    const [result] = await waitForWorkloads(kc, [{ kind: 'Deployment', namespace, name: 'fake' }], 60_000);
    expect(result?.readiness).toEqual({ ready: true, reason: 'ready' });
  });

  it('names the workload and the reason when it is not ready in time', async () => {
    await expect(waitForWorkloads(kc, [{ kind: 'Deployment', namespace, name: 'absent' }], 1_500)).rejects.toThrow(`not ready after 2 s: Deployment/${namespace}/absent (does not exist yet)`);
  });
});
