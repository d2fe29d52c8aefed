import { normaliseConfigString } from './file.js';
import type { Change, ClusterState, DeclaredTopic, Drift, ObservedTopic, Plan, PlanError, TopicsFile } from './model.js';

/**
 * Pure planning: declared topics + observed cluster -> the changes that make the cluster match, the
 * errors that forbid applying anything, and the drift (undeclared topics and overrides) that is only
 * reported. Internal topics (`_`, `__` prefixes) never appear in any of them.
 */
export interface PlanOptions {
  allowDelete: boolean;
}

export function isInternalTopic(name: string): boolean {
  return name.startsWith('_');
}

function inScope(name: string, prefixes: readonly string[]): boolean {
  return !isInternalTopic(name) && (prefixes.length === 0 || prefixes.some((p) => name.startsWith(p)));
}

/**
 * Topic configs whose value is a list Kafka reads as a set: `cleanup.policy: compact,delete` and `delete,compact`
 * are the same policy, and the throttled-replica lists are sets of partition:broker pairs. These are compared as
 * sets; every other config as a string.
 */
export const SET_VALUED_CONFIGS: ReadonlySet<string> = new Set(['cleanup.policy', 'leader.replication.throttled.replicas', 'follower.replication.throttled.replicas']);

/** Whether the broker's value already is the declared one (both normalised as the file's values are). */
export function sameConfigValue(key: string, have: string, want: string): boolean {
  const a = normaliseConfigString(have);
  if (!SET_VALUED_CONFIGS.has(key)) return a === want;
  const set = (v: string): string => [...new Set(v.split(',').filter((x) => x !== ''))].sort().join(',');
  return set(a) === set(want);
}

function planExisting(t: DeclaredTopic, o: ObservedTopic, changes: Change[], errors: PlanError[], drift: Drift[]): boolean {
  const before = changes.length + errors.length;
  if (t.partitions !== undefined && t.partitions > o.partitions) {
    changes.push({ kind: 'add-partitions', topic: t.name, from: o.partitions, to: t.partitions });
  } else if (t.partitions !== undefined && t.partitions < o.partitions) {
    errors.push({
      kind: 'partition-decrease',
      topic: t.name,
      problem: `declares ${t.partitions} partitions but the topic has ${o.partitions}; Kafka cannot remove partitions`,
      fix: `declare partitions: ${o.partitions} (or more); to really have fewer, create a new topic and migrate to it`,
      at: t.fieldAt.partitions ?? t.at,
    });
  }
  if (t.replicationFactor !== undefined && t.replicationFactor !== o.replicationFactor) {
    errors.push({
      kind: 'replication-factor-change',
      topic: t.name,
      problem: `declares replicationFactor ${t.replicationFactor} but the topic has ${o.replicationFactor}; changing it needs a partition reassignment, which this action does not do (Redpanda Cloud does not allow it)`,
      fix: `declare replicationFactor: ${o.replicationFactor}, or reassign the partitions with the broker's own tooling (kafka-reassign-partitions, rpk) and re-run`,
      at: t.fieldAt.replicationFactor ?? t.at,
    });
  }
  for (const [key, want] of t.configs) {
    const have = o.configs.get(key);
    if (want === null) {
      if (o.overrides.has(key)) changes.push({ kind: 'remove-config', topic: t.name, key, from: have ?? null });
    } else if (have === undefined || have === null || !sameConfigValue(key, have, want)) {
      changes.push({ kind: 'set-config', topic: t.name, key, from: have ?? null, to: want });
    }
  }
  for (const key of [...o.overrides].sort()) {
    if (!t.configs.has(key) && !o.redundantOverrides?.has(key)) drift.push({ kind: 'undeclared-override', topic: t.name, key, value: o.configs.get(key) ?? null });
  }
  return changes.length + errors.length === before;
}

export function planTopics(file: TopicsFile, cluster: ClusterState, options: PlanOptions): Plan {
  const changes: Change[] = [];
  const errors: PlanError[] = [];
  const drift: Drift[] = [];
  const inSync: string[] = [];
  const declared = new Set(file.topics.map((t) => t.name));

  for (const t of file.topics) {
    if (isInternalTopic(t.name)) continue; // the file parser refuses these; never touch one regardless
    const exists = cluster.topicNames.has(t.name);
    if (t.state === 'absent') {
      if (!exists) inSync.push(t.name);
      else if (options.allowDelete) changes.push({ kind: 'delete', topic: t.name, partitions: cluster.topics.get(t.name)?.partitions ?? 0 });
      else {
        errors.push({
          kind: 'delete-not-allowed',
          topic: t.name,
          problem: 'is marked state: absent and exists, but allow-delete is false',
          fix: 'set the allow-delete input to true to delete it (its data is lost), or remove the entry to leave the topic alone',
          at: t.fieldAt.state ?? t.at,
        });
      }
      continue;
    }
    if (!exists) {
      const configs = Object.fromEntries([...t.configs].filter((e): e is [string, string] => e[1] !== null));
      changes.push({ kind: 'create', topic: t.name, partitions: t.partitions, replicationFactor: t.replicationFactor, configs });
      continue;
    }
    const observed = cluster.topics.get(t.name);
    if (!observed) throw new Error(`bug: topic ${t.name} exists but was not described`);
    if (planExisting(t, observed, changes, errors, drift)) inSync.push(t.name);
  }

  for (const name of [...cluster.topicNames].sort()) {
    if (!declared.has(name) && inScope(name, file.policy.managedPrefixes)) drift.push({ kind: 'undeclared-topic', topic: name });
  }
  return { changes, errors, drift, inSync };
}
