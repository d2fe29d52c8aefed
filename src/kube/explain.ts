import type { CoreV1Event, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';

/** Pure: turning pods and events into lines a person can act on. Table-tested. */
export interface EventLine {
  type: string;
  reason: string;
  object: string;
  message: string;
  count: number;
  time: string;
}

export interface ContainerProblem {
  name: string;
  ready: boolean;
  restarts: number;
  /** e.g. "waiting: CrashLoopBackOff (back-off 10s restarting failed container)" */
  state: string;
  failing: boolean;
}

export interface PodProblem {
  name: string;
  phase: string;
  /** e.g. "Unschedulable: 0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector." */
  reason: string;
  containers: ContainerProblem[];
}

const eventTime = (e: CoreV1Event): string => String(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp ?? '');

/** Warnings first, then newest first; events older than `since` are dropped. */
export function sortEvents(items: CoreV1Event[], since?: Date): EventLine[] {
  return items
    .map((e) => ({
      type: e.type ?? 'Normal',
      reason: e.reason ?? '',
      object: `${e.involvedObject?.kind ?? ''}/${e.involvedObject?.name ?? ''}`,
      message: (e.message ?? '').trim(),
      count: e.count ?? 1,
      time: eventTime(e) ? new Date(eventTime(e)).toISOString() : '',
    }))
    .filter((e) => !since || !e.time || new Date(e.time) >= new Date(since.getTime() - 1000))
    .sort((a, b) => (a.type === b.type ? b.time.localeCompare(a.time) : a.type === 'Warning' ? -1 : b.type === 'Warning' ? 1 : 0));
}

function containerState(s: V1ContainerStatus): { state: string; failing: boolean } {
  const w = s.state?.waiting;
  if (w) {
    const failing = /CrashLoopBackOff|Err|Invalid|CreateContainer/i.test(w.reason ?? '');
    return { state: `waiting: ${w.reason ?? 'unknown'}${w.message ? ` (${w.message})` : ''}`, failing: failing || s.restartCount > 0 };
  }
  const t = s.state?.terminated;
  if (t) return { state: `terminated: ${t.reason ?? ''} exit code ${t.exitCode}`, failing: t.exitCode !== 0 };
  if (s.state?.running) return { state: s.ready ? 'running, ready' : 'running, not ready', failing: s.restartCount > 0 };
  return { state: 'unknown', failing: false };
}

/** Non-ready pods (Succeeded pods of Jobs are fine) with why, and each container's state. */
export function explainPods(pods: V1Pod[]): PodProblem[] {
  return pods
    .filter((p) => p.status?.phase !== 'Succeeded' && !p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .map((p) => {
      const blocking = p.status?.conditions?.find((c) => c.status === 'False' && c.type === 'PodScheduled') ?? p.status?.conditions?.find((c) => c.status === 'False' && (c.reason || c.message));
      const reason = blocking ? `${blocking.reason ?? blocking.type}${blocking.message ? `: ${blocking.message}` : ''}` : p.status?.reason ?? p.status?.phase ?? 'unknown';
      const statuses = [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])];
      return {
        name: p.metadata?.name ?? '',
        phase: p.status?.phase ?? 'Unknown',
        reason,
        containers: statuses.map((s) => ({ name: s.name, ready: s.ready, restarts: s.restartCount, ...containerState(s) })),
      };
    });
}
