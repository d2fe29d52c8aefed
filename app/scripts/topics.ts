/**
 * The local run's Kafka topics: those of deploy/topics.yaml (what the deploy pipeline applies with
 * actions/redpanda-topics), created when missing on the stack's broker. Dapr creates no topics, and a
 * topic missing when a sidecar subscribes is not picked up later, so this runs before the sidecars start.
 * (Only names and partition counts matter here: the stack's single broker has replication factor 1.)
 */
import { Admin } from '@platformatic/kafka';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';

export interface TopicSpec {
  name: string;
  partitions: number;
}

export interface KafkaAccess {
  /** host:port of the SASL/SCRAM-SHA-256 listener. */
  broker: string;
  username: string;
  password: string;
}

interface TopicsFile {
  defaults?: { partitions?: number };
  topics?: Array<{ name?: unknown; partitions?: unknown }>;
}

/** The topics deploy/topics.yaml declares (name and partitions, defaults applied). */
export function declaredTopics(repoRoot: string): TopicSpec[] {
  const file = join(repoRoot, 'deploy', 'topics.yaml');
  const doc = load(readFileSync(file, 'utf8')) as TopicsFile;
  const fallback = doc.defaults?.partitions ?? 1;
  return (doc.topics ?? []).map((t, i) => {
    if (typeof t.name !== 'string') throw new Error(`${file}: topics[${i}] has no name`);
    return { name: t.name, partitions: typeof t.partitions === 'number' ? t.partitions : fallback };
  });
}

/** Creates the topics that do not exist yet; returns the names it created. */
export async function ensureTopics(kafka: KafkaAccess, topics: TopicSpec[]): Promise<string[]> {
  const admin = new Admin({
    clientId: 'todo-local-topics',
    bootstrapBrokers: [kafka.broker],
    sasl: { mechanism: 'SCRAM-SHA-256', username: kafka.username, password: kafka.password },
  });
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.name));
    if (missing.length > 0) {
      await admin.createTopics({ topics: missing.map((t) => ({ topic: t.name, partitions: t.partitions, replicas: 1 })) });
    }
    return missing.map((t) => t.name);
  } finally {
    await admin.close();
  }
}
