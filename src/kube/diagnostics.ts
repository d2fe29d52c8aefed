import { CoreV1Api, type CoreV1Event, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { errorMessage } from '../core/errors.js';
import { explainPods, sortEvents, type EventLine, type PodProblem } from './explain.js';
import { isFailing, type RecordedLog } from './recorder.js';

export interface Diagnostics {
  namespace: string;
  events: EventLine[];
  pods: PodProblem[];
  logs: Array<{ pod: string; container: string; previous: boolean; text: string }>;
  /** What could not be collected (permissions, timeouts): diagnostics never fail the caller. */
  gaps: string[];
  ms: number;
}

export interface DiagnosticsOptions {
  /** Only events newer than this (e.g. the deploy's start); older ones are noise. */
  since?: Date;
  labelSelector?: string;
  maxEvents?: number;
  logLines?: number;
  /** Budget for the whole collection. */
  timeoutMs?: number;
  /** Pods a PodRecorder saw during the rollout (some may have been deleted by a rollback since). */
  recorded?: V1Pod[];
  /** Logs a PodRecorder read from failed containers while they still existed. */
  recordedLogs?: RecordedLog[];
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

/**
 * Collects, in parallel and within a few seconds, what explains a failed rollout: the namespace's events
 * (warnings first, newest first), each non-ready pod's state, and the last log lines of failing containers.
 */
export async function collectDiagnostics(kc: KubeConfig, namespace: string, options: DiagnosticsOptions = {}): Promise<Diagnostics> {
  const t0 = Date.now();
  const { since, labelSelector, maxEvents = 25, logLines = 30, timeoutMs = 2500, recorded = [], recordedLogs = [] } = options;
  const core = kc.makeApiClient(CoreV1Api);
  const gaps: string[] = [];
  const [eventList, podList] = await Promise.all([
    within(core.listNamespacedEvent({ namespace }), timeoutMs, 'listing events').catch((e: unknown) => (gaps.push(`events: ${errorMessage(e)}`), { items: [] as CoreV1Event[] })),
    within(core.listNamespacedPod({ namespace, labelSelector }), timeoutMs, 'listing pods').catch((e: unknown) => (gaps.push(`pods: ${errorMessage(e)}`), { items: [] as V1Pod[] })),
  ]);
  const events = sortEvents(eventList.items, since).slice(0, maxEvents);
  const current = new Set(podList.items.map((p) => p.metadata?.name));
  const gone = recorded.filter((p) => !current.has(p.metadata?.name?.replace(/ \(deleted\)$/, '')));
  // A pod that is being deleted shows its containers as merely waiting: what the recorder saw fail wins.
  const seen = new Map(recorded.map((p) => [p.metadata?.name, p]));
  const live = podList.items.map((p) => {
    const r = seen.get(p.metadata?.name);
    // Being deleted (a rollback): what the pod was before says why it failed; what it is now does not.
    if (p.metadata?.deletionTimestamp && r) return r;
    const statuses = p.status?.containerStatuses?.map((c) => (isFailing(c) ? c : (r?.status?.containerStatuses?.find((x) => x.name === c.name && isFailing(x)) ?? c)));
    return statuses ? { ...p, status: { ...p.status, containerStatuses: statuses } } : p;
  });
  const pods = explainPods([...live, ...gone]);
  const wanted = pods.filter((p) => current.has(p.name)).flatMap((p) => p.containers.filter((c) => c.failing).map((c) => ({ pod: p.name, container: c.name, previous: c.restarts > 0 })));
  const remaining = Math.max(500, timeoutMs - (Date.now() - t0));
  const logs = await Promise.all(
    wanted.slice(0, 5).map(async (w) => {
      try {
        const text = await within(core.readNamespacedPodLog({ name: w.pod, namespace, container: w.container, tailLines: logLines, previous: w.previous }), remaining, `logs of ${w.pod}/${w.container}`);
        return { ...w, text: String(text) };
      } catch (e) {
        return { ...w, text: `(logs unavailable: ${errorMessage(e).split('\n')[0]})` };
      }
    }),
  );
  // Pods a rollback deleted: their logs as the recorder read them while the pods were there.
  // A pod being deleted may already have lost its containers: the kubelet then answers with a sentence, not logs.
  const unavailable = (t: string) => t.startsWith('(logs unavailable') || /^unable to retrieve container logs/.test(t.trim());
  const have = new Set(logs.filter((l) => !unavailable(l.text)).map((l) => `${l.pod}/${l.container}`));
  const fromRecorder = recordedLogs.filter((l) => !have.has(`${l.pod}/${l.container}`) && pods.some((p) => p.name.replace(/ \(deleted\)$/, '') === l.pod)).slice(0, Math.max(0, 5 - logs.length));
  const merged = [...logs.filter((l) => !fromRecorder.some((r) => r.pod === l.pod && r.container === l.container)), ...fromRecorder];
  return { namespace, events, pods, logs: merged, gaps, ms: Date.now() - t0 };
}
