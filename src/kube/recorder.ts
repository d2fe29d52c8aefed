import { Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { Logger } from '../core/log.js';

/**
 * Watches a namespace's pods while a rollout runs and keeps the last state of each, including pods that a
 * rollback deletes before anyone could look at them. Diagnostics then explain the failed revision's pods,
 * not just what is left after the rollback.
 */
export class PodRecorder {
  private readonly pods = new Map<string, { pod: V1Pod; deleted: boolean }>();
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
