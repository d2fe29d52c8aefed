import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import type { Logger } from '../core/log.js';
import type { KubeRest } from './rest.js';

/**
 * Watches a namespace's pods while a rollout runs and keeps the last state of each, including pods that a
 * rollback deletes before anyone could look at them. Diagnostics then explain the failed revision's pods,
 * not just what is left after the rollback.
 */
export interface RecordedLog {
  pod: string;
  container: string;
  previous: boolean;
  text: string;
}

export class PodRecorder {
  private readonly pods = new Map<string, { pod: V1Pod; deleted: boolean }>();
  /**
   * The last failing status of each pod's containers. A pod being deleted reports its containers as
   * merely waiting or killed, which hides why it failed (an image that could not be pulled, say).
   */
  private readonly failing = new Map<string, Map<string, V1ContainerStatus>>();
  /** Logs of failed container runs, read as soon as the failure shows (a rollback deletes the pod soon after). */
  private readonly logs = new Map<string, Promise<RecordedLog | undefined>>();
  private readonly controller = new AbortController();
  private stopped = false;

  constructor(
    private readonly kube: KubeRest,
    private readonly namespace: string,
    private readonly log?: Logger,
  ) {}

  async start(): Promise<void> {
    const path = `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/pods`;
    const open = async (): Promise<void> => {
      if (this.stopped) return;
      try {
        await this.kube.watch<V1Pod>(
          path,
          ({ type, object: pod }) => {
            const name = pod.metadata?.name;
            if (!name) return;
            // Once its deletion starts, a pod's status only says it is going away (a container that exits 0
            // on SIGTERM even turns the pod Succeeded): keep the state from before, which says why it failed.
            const known = this.pods.get(name);
            const keep = known && pod.metadata?.deletionTimestamp && !known.pod.metadata?.deletionTimestamp;
            this.pods.set(name, { pod: keep ? known.pod : pod, deleted: type === 'DELETED' });
            for (const c of pod.status?.containerStatuses ?? []) {
              if (!isFailing(c)) continue;
              if (!this.failing.has(name)) this.failing.set(name, new Map());
              this.failing.get(name)?.set(c.name, c);
            }
            if (type !== 'DELETED') this.captureLogs(pod);
          },
          () => {
            if (!this.stopped) setTimeout(() => void open(), 200);
          },
          this.controller.signal,
        );
      } catch (err) {
        if (!this.stopped) this.log?.debug(`pod recorder for ${this.namespace} could not watch: ${String(err)}`);
      }
    };
    await open();
  }

  private captureLogs(pod: V1Pod): void {
    const name = pod.metadata?.name ?? '';
    for (const s of pod.status?.containerStatuses ?? []) {
      const exited = s.state?.terminated && s.state.terminated.exitCode !== 0;
      if (s.restartCount === 0 && !exited) continue;
      const key = `${name}/${s.name}#${s.restartCount}`;
      if (this.logs.has(key)) continue;
      // A container waiting to restart has its failed run as "previous"; one that is terminated, as current.
      const previous = !s.state?.terminated && s.restartCount > 0;
      const path = `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/pods/${encodeURIComponent(name)}/log?container=${encodeURIComponent(s.name)}&tailLines=30${previous ? '&previous=true' : ''}`;
      this.logs.set(key, this.kube.getText(path)
        .then((text) => ({ pod: name, container: s.name, previous, text }))
        .catch(() => undefined));
    }
  }

  /** The last captured log of each pod's failing containers (waits at most `timeoutMs` for reads in flight). */
  async failedLogs(timeoutMs = 1500): Promise<RecordedLog[]> {
    const latest = new Map<string, { restarts: number; p: Promise<RecordedLog | undefined> }>();
    for (const [key, p] of this.logs) {
      const [id = '', n = '0'] = key.split('#');
      const prev = latest.get(id);
      if (!prev || Number(n) > prev.restarts) latest.set(id, { restarts: Number(n), p });
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), timeoutMs)));
    const got = await Promise.all([...latest.values()].map(({ p }) => Promise.race([p, timeout])));
    clearTimeout(timer);
    return got.filter((l): l is RecordedLog => l !== undefined && l.text.trim() !== '');
  }

  stop(): void {
    this.stopped = true;
    this.controller.abort();
  }

  /** Last seen state of every pod; deleted ones are named "<pod> (deleted)". */
  snapshot(): V1Pod[] {
    return [...this.pods.values()].map(({ pod, deleted }) => {
      const worst = this.failing.get(pod.metadata?.name ?? '');
      const containerStatuses = pod.status?.containerStatuses?.map((c) => (isFailing(c) ? c : (worst?.get(c.name) ?? c)));
      const merged = { ...pod, status: { ...pod.status, ...(containerStatuses ? { containerStatuses } : {}) } };
      return deleted ? { ...merged, metadata: { ...pod.metadata, name: `${pod.metadata?.name} (deleted)` } } : merged;
    });
  }
}

/** A container status that says something went wrong (what diagnostics must not lose). */
export function isFailing(c: V1ContainerStatus): boolean {
  const w = c.state?.waiting?.reason ?? '';
  if (/Err|BackOff|Invalid|CreateContainer/i.test(w)) return true;
  if (c.lastState?.terminated && c.lastState.terminated.exitCode !== 0) return true;
  // Stopped for the pod's deletion (SIGTERM 143, SIGKILL 137) is not a failure; an OOM kill or an error exit is.
  const t = c.state?.terminated;
  return t !== undefined && (t.reason === 'OOMKilled' || (t.exitCode !== 0 && t.exitCode !== 137 && t.exitCode !== 143));
}
