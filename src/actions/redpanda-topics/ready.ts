import type { Logger } from '../../core/log.js';
import type { TopicAdmin } from '../../kafka/topic-admin.js';
import type { ChangeOutcome } from './model.js';

/**
 * Kafka acknowledges a new topic (or partitions) once its controller has recorded it; the brokers
 * serve it a little later (seconds for thousands of partitions). Dapr does not pick up a topic that is
 * missing when a sidecar starts, so apply waits until the brokers' metadata lists every created or
 * grown topic with its partitions, each with a leader. Returns the topics still not ready at the deadline.
 */
export interface ReadyDeps {
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export function readinessTargets(outcomes: readonly ChangeOutcome[]): Map<string, number> {
  const targets = new Map<string, number>();
  for (const { change: c, status } of outcomes) {
    if (status !== 'applied') continue;
    if (c.kind === 'create') targets.set(c.topic, Math.max(1, c.partitions ?? 1));
    if (c.kind === 'add-partitions') targets.set(c.topic, c.to);
  }
  return targets;
}

export async function waitUntilReady(admin: TopicAdmin, targets: Map<string, number>, timeoutMs: number, log: Logger, deps: ReadyDeps = {}): Promise<string[]> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = deps.now ?? Date.now;
  const start = now();
  let pending = [...targets.keys()];
  // Short first intervals: after one CreateTopics of 1,000 topics a broker serves them within a few hundred ms,
  // and a metadata request for the pending topics is cheap; then back off to at most one a second.
  let delay = 50;
  while (pending.length) {
    const md = await admin.metadata(pending);
    const seen = new Map(md.topics.map((t) => [t.name, t]));
    pending = pending.filter((name) => {
      const t = seen.get(name);
      return !t || !t.ready || t.partitions < targets.get(name)!;
    });
    if (!pending.length) break;
    if (now() - start + delay > timeoutMs) break;
    await sleep(delay);
    delay = Math.min(delay * 2, 1000);
  }
  const ms = now() - start;
  if (pending.length) log.warning(`${pending.length} topic(s) not served by the brokers after ${(ms / 1000).toFixed(1)} s: ${pending.slice(0, 10).join(', ')}`);
  else log.info(`${targets.size} topic(s) served by the brokers, every partition with a leader, after ${(ms / 1000).toFixed(1)} s`);
  return pending;
}
