import type { WorkloadRef } from '../kube/wait.js';

/** Dapr's control plane as its Helm chart deploys it (Dapr 1.14+): the workloads that must be Ready. */
export function controlPlaneWorkloads(namespace: string): WorkloadRef[] {
  return [
    { kind: 'Deployment', namespace, name: 'dapr-operator' },
    { kind: 'Deployment', namespace, name: 'dapr-sentry' },
    { kind: 'Deployment', namespace, name: 'dapr-sidecar-injector' },
    { kind: 'StatefulSet', namespace, name: 'dapr-placement-server' },
    { kind: 'StatefulSet', namespace, name: 'dapr-scheduler-server' },
  ];
}

export const DAPR_HELM_REPO = 'https://dapr.github.io/helm-charts/';

/** Values the action's own inputs translate to (the Dapr chart's names). */
export function controlPlaneValues(o: { ha: boolean; schedulerStorage: 'persistent' | 'in-memory' }): Array<{ key: string; value: string }> {
  return [
    { key: 'global.ha.enabled', value: String(o.ha) },
    { key: 'dapr_scheduler.cluster.inMemoryStorage', value: String(o.schedulerStorage === 'in-memory') },
  ];
}

/** Semantic version order of x.y.z[-pre]: negative when a < b. A pre-release sorts before its release. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string): [number[], string] => {
    const [core = '', pre = ''] = v.replace(/^v/, '').split('-', 2);
    return [core.split('.').map((x) => Number.parseInt(x, 10) || 0), pre];
  };
  const [ca, pa] = parse(a);
  const [cb, pb] = parse(b);
  for (let i = 0; i < 3; i++) {
    const d = (ca[i] ?? 0) - (cb[i] ?? 0);
    if (d !== 0) return d;
  }
  if (pa === pb) return 0;
  if (!pa) return 1;
  if (!pb) return -1;
  return pa < pb ? -1 : 1;
}
