import { OperationError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { ClusterMetadata, ItemResult, TopicAdmin, TopicConfigEntry } from '../../kafka/topic-admin.js';
import type { ClusterState, ObservedTopic, TopicsFile } from './model.js';
import { isInternalTopic } from './plan.js';

/**
 * Reads what the planner needs, in two round trips whatever the number of topics: one Metadata
 * request (every topic's partitions and replicas) and one DescribeConfigs batch for the declared
 * topics that exist. Internal topics are dropped here, so nothing downstream can touch them.
 */
export function toClusterState(md: ClusterMetadata, configs: Map<string, TopicConfigEntry[] | ItemResult>): ClusterState {
  const topicNames = new Set<string>();
  const topics = new Map<string, ObservedTopic>();
  const problems: string[] = [];
  for (const t of md.topics) {
    if (t.internal || isInternalTopic(t.name)) continue;
    topicNames.add(t.name);
    const described = configs.get(t.name);
    if (described === undefined) {
      topics.set(t.name, { name: t.name, partitions: t.partitions, replicationFactor: t.replicationFactor, configs: new Map(), overrides: new Set() });
    } else if (!Array.isArray(described)) {
      problems.push(`${t.name}: ${described.error}`);
    } else {
      topics.set(t.name, {
        name: t.name,
        partitions: t.partitions,
        replicationFactor: t.replicationFactor,
        configs: new Map(described.map((c) => [c.name, c.value])),
        overrides: new Set(described.filter((c) => c.override).map((c) => c.name)),
        redundantOverrides: new Set(described.filter((c) => c.override && c.inherited !== undefined && c.inherited === c.value).map((c) => c.name)),
      });
    }
  }
  if (problems.length) {
    throw new OperationError(`describing topic configs failed for ${problems.length} topic(s): ${problems.slice(0, 5).join('; ')}`, {
      hint: 'a topic may have been deleted while this ran (re-run), or the user lacks the DESCRIBE_CONFIGS permission on it',
    });
  }
  return { brokers: md.brokers, topicNames, topics };
}

export async function observeCluster(admin: TopicAdmin, file: TopicsFile, log: Logger): Promise<ClusterState> {
  const md = await admin.metadata();
  const existing = new Set(md.topics.map((t) => t.name));
  const wanted = file.topics.filter((t) => t.state === 'present' && existing.has(t.name) && !isInternalTopic(t.name)).map((t) => t.name);
  const configs = wanted.length ? await admin.describeConfigs(wanted) : new Map<string, TopicConfigEntry[] | ItemResult>();
  const state = toClusterState(md, configs);
  log.info(`Cluster ${md.clusterId ?? '(no id)'}: ${md.brokers} broker(s), ${state.topicNames.size} topic(s) (internal ones not counted); ${wanted.length} declared topic(s) exist`);
  return state;
}
