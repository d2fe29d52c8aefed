import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';

export interface PodRun {
  phase: string;
  exitCode: number | undefined;
  logs: string;
  pod: V1Pod;
}

/**
 * Runs `image` with `args` as a one-off pod (restartPolicy Never) on the stack's real node, waits until it
 * ends, and returns its exit code and logs (read through the API server from the kubelet).
 */
export async function runPod(kc: KubeConfig, namespace: string, name: string, image: string, args: string[], timeoutMs = 60_000): Promise<PodRun> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name, labels: { 'oke-stack/test': 'client' } },
      spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 1, containers: [{ name: 'client', image, args }] },
    },
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pod = await core.readNamespacedPod({ name, namespace });
    const phase = pod.status?.phase ?? 'Unknown';
    if (phase === 'Succeeded' || phase === 'Failed') {
      const logs = String(await core.readNamespacedPodLog({ name, namespace, container: 'client' }));
      // Gone once read: a finished client pod must not show up in a later deploy's diagnostics.
      await core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
      return { phase, exitCode: pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, logs, pod };
    }
    if (Date.now() > deadline) throw new Error(`pod ${namespace}/${name} did not finish within ${timeoutMs} ms (phase ${phase}: ${JSON.stringify(pod.status?.containerStatuses?.[0]?.state)})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * GETs `url` from a pod (stack-testapp get) and returns its output. A Service's rules reach kube-proxy a
 * moment after its endpoints turn ready, so a failed attempt is retried (at most `attempts`, 1 s apart);
 * the last failure is thrown with the pod's output.
 */
export async function getFromPod(kc: KubeConfig, namespace: string, name: string, image: string, url: string, attempts = 4): Promise<string> {
  let last: PodRun | undefined;
  for (let i = 0; i < attempts; i++) {
    last = await runPod(kc, namespace, `${name}-${i}`, image, ['get', url]);
    if (last.phase === 'Succeeded' && last.exitCode === 0) return last.logs;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`GET ${url} from a pod failed ${attempts} times; last: ${last?.phase} exit ${last?.exitCode}: ${last?.logs.trim()}`);
}
