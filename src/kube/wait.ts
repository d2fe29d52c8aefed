import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { OperationError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { workloadPath, workloadReadiness, type Readiness, type WorkloadKind } from './readiness.js';

export interface WorkloadRef {
  kind: WorkloadKind;
  namespace: string;
  name: string;
}

export interface WaitResult {
  ref: WorkloadRef;
  readiness: Readiness;
  ms: number;
}

export const refName = (r: WorkloadRef): string => `${r.kind}/${r.namespace}/${r.name}`;

/**
 * Waits with a watch (no polling sleeps) until the workload is ready, or the deadline passes.
 * A watch that the server closes (timeouts, 410 Gone) is reopened; the first events of a watch
 * without resourceVersion replay the current object, so no separate read is needed.
 */
export async function waitForWorkload(kc: KubeConfig, ref: WorkloadRef, timeoutMs: number, log?: Logger): Promise<WaitResult> {
  const t0 = Date.now();
  const deadline = t0 + timeoutMs;
  const path = `/apis/apps/v1/namespaces/${ref.namespace}/${workloadPath[ref.kind]}`;
  let last: Readiness = workloadReadiness(ref.kind, undefined);
  const watch = new Watch(kc);

  while (Date.now() < deadline) {
    const outcome = await new Promise<'ready' | 'closed' | 'timeout'>((resolve, reject) => {
      let controller: AbortController | undefined;
      let settled = false;
      const finish = (v: 'ready' | 'closed' | 'timeout'): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        controller?.abort();
        resolve(v);
      };
      const timer = setTimeout(() => finish('timeout'), Math.max(0, deadline - Date.now()));
      watch
        .watch(
          path,
          { fieldSelector: `metadata.name=${ref.name}`, timeoutSeconds: Math.max(1, Math.ceil((deadline - Date.now()) / 1000)) },
          (phase, obj) => {
            last = phase === 'DELETED' ? workloadReadiness(ref.kind, undefined) : workloadReadiness(ref.kind, obj);
            if (last.ready) finish('ready');
          },
          (err) => {
            // client-node aborts a watch that has seen no event for 30 s with a TimeoutError: a quiet watch
            // (a workload that stays not ready), not a failure. Reopen it, like a watch the server closed.
            const name = (err as { name?: string } | null)?.name;
            if (err && !settled && name !== 'AbortError' && name !== 'TimeoutError') {
              settled = true;
              clearTimeout(timer);
              reject(new OperationError(`watching ${refName(ref)}: ${(err as Error).message ?? String(err)}`, { hint: 'check the kubeconfig and that the API server is reachable' }));
              return;
            }
            finish('closed');
          },
        )
        .then((c) => {
          controller = c;
          if (settled) c.abort();
        }, reject);
    });
    if (outcome === 'ready') return { ref, readiness: last, ms: Date.now() - t0 };
    if (outcome === 'timeout') break;
    log?.debug(`watch on ${refName(ref)} closed; reopening`);
  }
  return { ref, readiness: last, ms: Date.now() - t0 };
}

/** Waits for all workloads in parallel; throws naming each one that is not ready and why. */
export async function waitForWorkloads(kc: KubeConfig, refs: WorkloadRef[], timeoutMs: number, log?: Logger): Promise<WaitResult[]> {
  const results = await Promise.all(refs.map((r) => waitForWorkload(kc, r, timeoutMs, log)));
  const notReady = results.filter((r) => !r.readiness.ready);
  if (notReady.length) {
    throw new OperationError(`not ready after ${Math.round(timeoutMs / 1000)} s: ${notReady.map((r) => `${refName(r.ref)} (${r.readiness.reason})`).join('; ')}`, {
      hint: 'look at the pods\' events and container states (kubectl describe pod) in those namespaces',
    });
  }
  return results;
}
