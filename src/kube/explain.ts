import type { CoreV1Event, V1Container, V1ContainerStatus, V1Pod, V1Probe } from '@kubernetes/client-node';

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
  /** What happens to it, in words: "keeps crashing: its last run exited with code 1 (Error)". */
  why?: string;
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

function probeText(p: V1Probe | undefined): string {
  if (!p) return '';
  if (p.httpGet) return ` (HTTP GET :${String(p.httpGet.port)}${p.httpGet.path ?? '/'})`;
  if (p.tcpSocket) return ` (TCP :${String(p.tcpSocket.port)})`;
  if (p.exec) return ` (command ${JSON.stringify(p.exec.command ?? [])})`;
  if (p.grpc) return ` (gRPC :${p.grpc.port})`;
  return '';
}

const times = (n: number): string => `${n} time${n === 1 ? '' : 's'}`;

/** A sentence on what is wrong with a container, from its status and its spec; undefined when nothing is. */
export function containerWhy(s: V1ContainerStatus, spec?: V1Container): string | undefined {
  const w = s.state?.waiting;
  const last = s.lastState?.terminated;
  const t = s.state?.terminated;
  const memLimit = spec?.resources?.limits?.memory;
  const oom = (x: { reason?: string } | undefined) => x?.reason === 'OOMKilled';
  if (oom(t) || (oom(last) && !s.ready)) {
    return `was killed for using more memory than its limit${memLimit ? ` (${memLimit})` : ''} (OOMKilled)${s.restartCount ? `; restarted ${times(s.restartCount)}` : ''}`;
  }
  if (w?.reason === 'ErrImagePull' || w?.reason === 'ImagePullBackOff' || w?.reason === 'InvalidImageName') {
    return `cannot pull its image ${s.image || spec?.image || ''}${w.message ? `: ${w.message}` : ''}`;
  }
  if (w?.reason === 'CrashLoopBackOff' || (t && t.exitCode !== 0)) {
    const end = last ?? t;
    const code = end ? `exit code ${end.exitCode}${end.reason ? ` (${end.reason})` : ''}` : 'an error';
    return `keeps crashing: its last run ended with ${code}${s.restartCount ? `; restarted ${times(s.restartCount)}` : ''}`;
  }
  if (w?.reason && /CreateContainer|RunContainer|Err/i.test(w.reason)) return `cannot be started: ${w.reason}${w.message ? `: ${w.message}` : ''}`;
  if (s.state?.running && !s.ready) {
    const started = s.started === false && spec?.startupProbe ? `its startup probe${probeText(spec.startupProbe)} has not passed` : undefined;
    return `runs but is not ready: ${started ?? `its readiness probe${probeText(spec?.readinessProbe)} does not pass`}${s.restartCount ? `; restarted ${times(s.restartCount)}` : ''}`;
  }
  return undefined;
}

function containerState(s: V1ContainerStatus, spec?: V1Container): { state: string; failing: boolean; why?: string } {
  const why = containerWhy(s, spec);
  const w = s.state?.waiting;
  if (w) {
    const failing = /CrashLoopBackOff|Err|Invalid|CreateContainer/i.test(w.reason ?? '');
    return { state: `waiting: ${w.reason ?? 'unknown'}${w.message ? ` (${w.message})` : ''}`, failing: failing || s.restartCount > 0, ...(why ? { why } : {}) };
  }
  const t = s.state?.terminated;
  if (t) return { state: `terminated: ${t.reason ?? ''} exit code ${t.exitCode}`, failing: t.exitCode !== 0, ...(why ? { why } : {}) };
  if (s.state?.running) return { state: s.ready ? 'running, ready' : 'running, not ready', failing: s.restartCount > 0, ...(why ? { why } : {}) };
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
        containers: statuses.map((s) => {
          const spec = [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])].find((c) => c.name === s.name);
          return { name: s.name, ready: s.ready, restarts: s.restartCount, ...containerState(s, spec) };
        }),
      };
    });
}
