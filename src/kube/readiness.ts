/** Pure readiness rules for workloads, as `kubectl rollout status` applies them. */
export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';

export interface Readiness {
  ready: boolean;
  /** Why not ready, in words a user can act on; "ready" when ready. */
  reason: string;
}

interface Obj {
  metadata?: { generation?: number; deletionTimestamp?: string };
  spec?: { replicas?: number; updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } } };
  status?: Record<string, unknown>;
}

const n = (v: unknown): number => (typeof v === 'number' ? v : 0);

export function workloadReadiness(kind: WorkloadKind, obj: Obj | undefined): Readiness {
  if (!obj) return { ready: false, reason: 'does not exist yet' };
  if (obj.metadata?.deletionTimestamp) return { ready: false, reason: 'is being deleted' };
  const s = obj.status ?? {};
  const generation = obj.metadata?.generation ?? 0;
  if (n(s.observedGeneration) < generation) return { ready: false, reason: `controller has not observed generation ${generation} yet` };
  switch (kind) {
    case 'Deployment': {
      const want = obj.spec?.replicas ?? 1;
      const conditions = (s.conditions as Array<{ type: string; status: string; reason?: string; message?: string }>) ?? [];
      const progressing = conditions.find((c) => c.type === 'Progressing');
      if (progressing?.reason === 'ProgressDeadlineExceeded') return { ready: false, reason: `rollout exceeded its progress deadline: ${progressing.message ?? ''}`.trim() };
      if (n(s.updatedReplicas) < want) return { ready: false, reason: `${n(s.updatedReplicas)} of ${want} replicas updated` };
      if (n(s.replicas) > n(s.updatedReplicas)) return { ready: false, reason: `${n(s.replicas) - n(s.updatedReplicas)} old replicas pending termination` };
      if (n(s.availableReplicas) < want) return { ready: false, reason: `${n(s.availableReplicas)} of ${want} replicas available` };
      return { ready: true, reason: 'ready' };
    }
    case 'StatefulSet': {
      const want = obj.spec?.replicas ?? 1;
      if (n(s.readyReplicas) < want) return { ready: false, reason: `${n(s.readyReplicas)} of ${want} replicas ready` };
      if (obj.spec?.updateStrategy?.type === 'RollingUpdate' && obj.spec.updateStrategy.rollingUpdate?.partition) {
        const partitioned = want - obj.spec.updateStrategy.rollingUpdate.partition;
        if (n(s.updatedReplicas) < partitioned) return { ready: false, reason: `${n(s.updatedReplicas)} of ${partitioned} partitioned replicas updated` };
        return { ready: true, reason: 'ready' };
      }
      if (s.updateRevision !== undefined && s.currentRevision !== s.updateRevision) return { ready: false, reason: `rolling out revision ${String(s.updateRevision)}` };
      return { ready: true, reason: 'ready' };
    }
    case 'DaemonSet': {
      const want = n(s.desiredNumberScheduled);
      if (n(s.updatedNumberScheduled) < want) return { ready: false, reason: `${n(s.updatedNumberScheduled)} of ${want} pods updated` };
      if (n(s.numberAvailable) < want) return { ready: false, reason: `${n(s.numberAvailable)} of ${want} pods available` };
      return { ready: true, reason: 'ready' };
    }
  }
}

export const workloadPath: Record<WorkloadKind, string> = {
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
};
