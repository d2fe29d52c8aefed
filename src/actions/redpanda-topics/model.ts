import type { AccessPlan, DeclaredAccess } from './access-model.js';

/**
 * The action's vocabulary: what the file declares, what the cluster has, and the plan between them.
 * Pure types, shared by the parser, the planner, the broker validation, the apply step and the renderer.
 */

/** A config value as declared: a normalised string, or null for "remove this override". */
export type DeclaredConfigValue = string | null;

/** Where something was written in the topics file (1-based). */
export interface FilePosition {
  line: number;
  column: number;
}

/** One topic as the file declares it, with defaults already applied. */
export interface DeclaredTopic {
  name: string;
  state: 'present' | 'absent';
  /** Undefined: the broker's default at creation, never compared afterwards. */
  partitions: number | undefined;
  replicationFactor: number | undefined;
  /** Effective configs: defaults merged with the topic's own, values normalised. */
  configs: Map<string, DeclaredConfigValue>;
  /** Where the topic's entry starts, and where each field was written (config keys by name). */
  at: FilePosition;
  fieldAt: { partitions?: FilePosition; replicationFactor?: FilePosition; state?: FilePosition; configs: Map<string, FilePosition> };
}

export interface TopicsPolicy {
  namePattern?: string;
  minPartitions?: number;
  maxPartitions?: number;
  requiredConfigs: string[];
  /** Empty: every non-internal topic is in scope. */
  managedPrefixes: string[];
}

export interface TopicsFile {
  path: string;
  apiVersion: string;
  policy: TopicsPolicy;
  topics: DeclaredTopic[];
  /** ACLs and SCRAM users, when the file declares any (access-model.ts). */
  access?: DeclaredAccess;
}

/** A topic as the cluster has it. */
export interface ObservedTopic {
  name: string;
  partitions: number;
  replicationFactor: number;
  /** Effective value of every config the broker reported (any source). */
  configs: Map<string, string | null>;
  /** Keys set as topic-level overrides (source DYNAMIC_TOPIC_CONFIG). */
  overrides: Set<string>;
  /** Overrides whose value equals what the topic would inherit anyway: not drift (Redpanda reports some nobody set). */
  redundantOverrides?: Set<string>;
}

export interface ClusterState {
  brokers: number;
  /** Every non-internal topic name in the cluster. */
  topicNames: Set<string>;
  /** Details for the topics the file mentions (and that exist). */
  topics: Map<string, ObservedTopic>;
}

export type Change =
  | { kind: 'create'; topic: string; partitions: number | undefined; replicationFactor: number | undefined; configs: Record<string, string> }
  | { kind: 'add-partitions'; topic: string; from: number; to: number }
  | { kind: 'set-config'; topic: string; key: string; from: string | null; to: string }
  | { kind: 'remove-config'; topic: string; key: string; from: string | null }
  | { kind: 'delete'; topic: string; partitions: number };

export type ChangeKind = Change['kind'];
export const CHANGE_KINDS: readonly ChangeKind[] = ['create', 'add-partitions', 'set-config', 'remove-config', 'delete'];

export type PlanErrorKind = 'partition-decrease' | 'replication-factor-change' | 'delete-not-allowed' | 'broker-rejected';

/** Something in the plan that must be fixed before anything is changed. */
export interface PlanError {
  kind: PlanErrorKind;
  topic: string;
  /** What the error is about when it is not a topic (an ACL, a user): shown instead of `topic <name>`. */
  subject?: string;
  problem: string;
  fix: string;
  at?: FilePosition;
}

export type DriftKind = 'undeclared-topic' | 'undeclared-override';

/** What the cluster has that the file does not declare: reported, never touched. */
export interface Drift {
  kind: DriftKind;
  topic: string;
  key?: string;
  value?: string | null;
}

export interface Plan {
  changes: Change[];
  errors: PlanError[];
  drift: Drift[];
  /** Declared topics that already match. */
  inSync: string[];
  /** ACL and user changes, when the file declares access (access-plan.ts). */
  access?: AccessPlan;
}

export type ChangeStatus = 'planned' | 'applied' | 'failed' | 'not-attempted' | 'unknown';

export interface ChangeOutcome {
  change: Change;
  status: ChangeStatus;
  /** Why it failed, or why its outcome is unknown. */
  error?: string;
}

/** Counts per change kind, in CHANGE_KINDS order. */
export function countByKind(changes: readonly Change[]): Record<ChangeKind, number> {
  const counts = Object.fromEntries(CHANGE_KINDS.map((k) => [k, 0])) as Record<ChangeKind, number>;
  for (const c of changes) counts[c.kind]++;
  return counts;
}
