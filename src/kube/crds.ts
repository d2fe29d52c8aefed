import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { OperationError } from '../core/errors.js';

interface Crd {
  metadata?: { name?: string };
  status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> };
}

export interface CrdState {
  ready: boolean;
  reason: string;
  /** It cannot become Established by waiting: the API server refused its names (another CRD holds them). */
  stuck?: boolean;
}

export function crdEstablished(crd: Crd | undefined): CrdState {
  if (!crd) return { ready: false, reason: 'not installed' };
  const c = crd.status?.conditions?.find((x) => x.type === 'Established');
  if (c?.status === 'True') return { ready: true, reason: 'Established' };
  const names = crd.status?.conditions?.find((x) => x.type === 'NamesAccepted' && x.status === 'False');
  if (names) return { ready: false, reason: `the API server refused its names (${names.reason ?? 'NamesAccepted=False'}: ${names.message ?? ''})`, stuck: true };
  const terminating = crd.status?.conditions?.find((x) => x.type === 'Terminating' && x.status === 'True');
  return { ready: false, reason: terminating ? `being deleted (${terminating.message ?? terminating.reason ?? 'Terminating'})` : 'not Established yet' };
}

/**
 * Waits, with one watch on CRDs, until each named CRD is Established; throws naming those that are not. A CRD
 * whose names the API server refused fails at once: no wait can fix it.
 */
export async function waitForCrds(kc: KubeConfig, names: readonly string[], timeoutMs: number): Promise<void> {
  const state = new Map<string, CrdState>(names.map((n) => [n, crdEstablished(undefined)]));
  const allReady = (): boolean => [...state.values()].every((s) => s.ready);
  const anyStuck = (): boolean => [...state.values()].some((s) => s.stuck);
  const deadline = Date.now() + timeoutMs;
  const watch = new Watch(kc);
  while (!allReady() && !anyStuck() && Date.now() < deadline) {
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
          if (allReady() || anyStuck()) finish();
        }, finish)
        .then((c) => {
          controller = c;
          if (done) c.abort();
        }, reject);
    });
  }
  const stuck = [...state.entries()].filter(([, s]) => s.stuck);
  if (stuck.length) {
    throw new OperationError(`CRDs that can never become Established: ${stuck.map(([n, s]) => `${n}: ${s.reason}`).join('; ')}`, {
      hint: `another CustomResourceDefinition in the cluster already claims these names (kubectl get crd -o custom-columns=NAME:.metadata.name,KIND:.spec.names.kind,PLURAL:.spec.names.plural | grep -i '${stuck[0]![0].split('.').slice(1).join('.')}'); delete or rename that CRD, then run again`,
    });
  }
  if (!allReady()) {
    const missing = [...state.entries()].filter(([, s]) => !s.ready).map(([n, s]) => `${n} (${s.reason})`);
    throw new OperationError(`CRDs not Established after ${Math.round(timeoutMs / 1000)} s: ${missing.join(', ')}`, { hint: 'look at their conditions (kubectl get crd <name> -o yaml); the API server must serve them before anything can use them' });
  }
}
