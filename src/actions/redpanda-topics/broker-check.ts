import type { Logger } from '../../core/log.js';
import type { ConfigAlteration, ItemResult, NewTopic, TopicAdmin } from '../../kafka/topic-admin.js';
import type { Change, DeclaredTopic, FilePosition, Plan, PlanError, TopicsFile } from './model.js';

/**
 * Asks the broker to check the plan without changing anything (validate-only CreateTopics,
 * CreatePartitions and IncrementalAlterConfigs, one batched request each): an unknown config key, a
 * value of the wrong type, a replication factor larger than the cluster, a broker-side policy. Each
 * rejection becomes a plan error pointing at the line of the file that caused it.
 */
export function newTopicOf(c: Extract<Change, { kind: 'create' }>): NewTopic {
  return { name: c.topic, partitions: c.partitions ?? -1, replicationFactor: c.replicationFactor ?? -1, configs: c.configs };
}

/** One IncrementalAlterConfigs resource per topic (the broker refuses a topic twice in one request). */
export function alterationsOf(changes: readonly Change[]): ConfigAlteration[] {
  const byTopic = new Map<string, ConfigAlteration>();
  for (const c of changes) {
    if (c.kind !== 'set-config' && c.kind !== 'remove-config') continue;
    const a = byTopic.get(c.topic) ?? { name: c.topic, set: {}, remove: [] };
    if (c.kind === 'set-config') a.set[c.key] = c.to;
    else a.remove.push(c.key);
    byTopic.set(c.topic, a);
  }
  return [...byTopic.values()];
}

const FIXES: Record<string, string> = {
  INVALID_CONFIG: 'correct or remove that config (the broker says which and why)',
  INVALID_REPLICATION_FACTOR: 'use a replicationFactor no larger than the number of brokers',
  INVALID_PARTITIONS: 'use a partition count the broker accepts',
  POLICY_VIOLATION: "the broker's own topic policy refused it: change the topic to satisfy it",
  TOPIC_ALREADY_EXISTS: 'the topic was created while this ran: re-run to plan against the current state',
  UNKNOWN_TOPIC_OR_PARTITION: 'the topic was deleted while this ran: re-run to plan against the current state',
  TOPIC_AUTHORIZATION_FAILED: 'grant the user the CREATE/ALTER/ALTER_CONFIGS ACLs on the topic',
  CLUSTER_AUTHORIZATION_FAILED: 'grant the user the CREATE ACL on the cluster',
  INVALID_TOPIC_EXCEPTION: 'rename the topic',
};

/** Points a rejection at the most precise line: the config key the broker names, else the field, else the topic. */
function positionFor(t: DeclaredTopic | undefined, r: ItemResult): FilePosition | undefined {
  if (!t) return undefined;
  const message = r.error ?? '';
  // Longest first: a message about delete.retention.ms must not point at retention.ms.
  const keys = [...t.fieldAt.configs.keys()].sort((a, b) => b.length - a.length);
  const named = keys.find((k) => message.includes(k));
  if (named) return t.fieldAt.configs.get(named);
  if (r.errorId === 'INVALID_REPLICATION_FACTOR') return t.fieldAt.replicationFactor ?? t.at;
  if (r.errorId === 'INVALID_PARTITIONS') return t.fieldAt.partitions ?? t.at;
  return t.at;
}

export function rejectionsToErrors(results: readonly ItemResult[], file: TopicsFile, what: string): PlanError[] {
  const declared = new Map(file.topics.map((t) => [t.name, t]));
  return results
    .filter((r) => r.error)
    .map((r) => ({
      kind: 'broker-rejected' as const,
      topic: r.name,
      problem: `the broker rejects ${what}: ${r.error}`,
      fix: FIXES[r.errorId ?? ''] ?? 'see the broker\'s message',
      at: positionFor(declared.get(r.name), r),
    }));
}

export async function checkWithBroker(admin: TopicAdmin, plan: Plan, file: TopicsFile, log: Logger): Promise<PlanError[]> {
  const creates = plan.changes.filter((c): c is Extract<Change, { kind: 'create' }> => c.kind === 'create').map(newTopicOf);
  const partitions = plan.changes.filter((c): c is Extract<Change, { kind: 'add-partitions' }> => c.kind === 'add-partitions').map((c) => ({ name: c.topic, count: c.to }));
  const alterations = alterationsOf(plan.changes);
  const errors: PlanError[] = [];
  if (creates.length) errors.push(...rejectionsToErrors(await admin.createTopics(creates, true), file, 'creating the topic'));
  if (partitions.length) errors.push(...rejectionsToErrors(await admin.createPartitions(partitions, true), file, 'adding partitions'));
  if (alterations.length) errors.push(...rejectionsToErrors(await admin.alterConfigs(alterations, true), file, 'the config change'));
  const checked = creates.length + partitions.length + alterations.length;
  log.info(checked ? `The broker checked ${checked} request item(s) without applying them: ${errors.length ? `${errors.length} rejected` : 'all accepted'}` : 'Nothing for the broker to check');
  return errors;
}
