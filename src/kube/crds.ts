import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { OperationError } from '../core/errors.js';

interface Crd {
  metadata?: { name?: string };
  status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> };
}

export function crdEstablished(crd: Crd | undefined): { ready: boolean; reason: string } {
  if (!crd) return { ready: false, reason: 'not installed' };
  const c = crd.status?.conditions?.find((x) => x.type === 'Established');
  if (c?.status === 'True') return { ready: true, reason: 'Established' };
  const names = crd.status?.conditions?.find((x) => x.type === 'NamesAccepted' && x.status === 'False');
  return { ready: false, reason: names ? `names not accepted: ${names.message ?? names.reason ?? ''}` : 'not Established yet' };
}

/** Waits, with one watch on CRDs, until each named CRD is Established; throws naming those that are not. */
export async function waitForCrds(kc: KubeConfig, names: readonly string[], timeoutMs: number): Promise<void> {
  const state = new Map<string, { ready: boolean; reason: string }>(names.map((n) => [n, crdEstablished(undefined)]));
  const allReady = (): boolean => [...state.values()].every((s) => s.ready);
  const deadline = Date.now() + timeoutMs;
  const watch = new Watch(kc);
  while (!allReady() && Date.now() < deadline) {
    await new Promise<void>((resolve, reject) => {
      let controller: AbortController | undefined;
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        controller?.abort();
        resolve();
      };
      const timer = setTimeout(finish, Math.max(0, deadline - Date.now()));
      watch
        .watch('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { timeoutSeconds: Math.max(1, Math.ceil((deadline - Date.now()) / 1000)) }, (_phase, obj: Crd) => {
          const name = obj.metadata?.name;
          if (name && state.has(name)) state.set(name, crdEstablished(obj));
          if (allReady()) finish();
        }, finish)
        .then((c) => {
          controller = c;
          if (done) c.abort();
        }, reject);
    });
  }
  if (!allReady()) {
    const missing = [...state.entries()].filter(([, s]) => !s.ready).map(([n, s]) => `${n} (${s.reason})`);
    throw new OperationError(`Dapr CRDs not ready after ${Math.round(timeoutMs / 1000)} s: ${missing.join(', ')}`, { hint: 'the chart installs the CRDs; check that the identity may create CustomResourceDefinitions (cluster-admin)' });
  }
}
