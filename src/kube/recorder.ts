import { CoreV1Api, Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { Logger } from '../core/log.js';

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
  /** Logs of failed container runs, read as soon as the failure shows (a rollback deletes the pod soon after). */
  private readonly logs = new Map<string, Promise<RecordedLog | undefined>>();
  private core: CoreV1Api | undefined;
  private controller: AbortController | undefined;
  private stopped = false;

  constructor(
    private readonly kc: KubeConfig,
    private readonly namespace: string,
    private readonly log?: Logger,
  ) {}

  async start(): Promise<void> {
    const watch = new Watch(this.kc);
    const open = async (): Promise<void> => {
      if (this.stopped) return;
      try {
        this.controller = await watch.watch(
          `/api/v1/namespaces/${this.namespace}/pods`,
          { allowWatchBookmarks: false },
          (phase, pod: V1Pod) => {
            const name = pod.metadata?.name;
            if (!name) return;
            this.pods.set(name, { pod, deleted: phase === 'DELETED' });
            if (phase !== 'DELETED') this.captureLogs(pod);
          },
          () => {
            if (!this.stopped) setTimeout(() => void open(), 200);
          },
        );
      } catch (err) {
        this.log?.debug(`pod recorder for ${this.namespace} could not watch: ${String(err)}`);
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
      this.core ??= this.kc.makeApiClient(CoreV1Api);
      this.logs.set(key, this.core.readNamespacedPodLog({ name, namespace: this.namespace, container: s.name, tailLines: 30, previous })
        .then((text) => ({ pod: name, container: s.name, previous, text: String(text) }))
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
    this.controller?.abort();
  }

  /** Last seen state of every pod; deleted ones are named "<pod> (deleted)". */
  snapshot(): V1Pod[] {
    return [...this.pods.values()].map(({ pod, deleted }) =>
      deleted ? { ...pod, metadata: { ...pod.metadata, name: `${pod.metadata?.name} (deleted)` } } : pod,
    );
  }
}
