import { Admin, ConfigResourceTypes, ConfigSources, IncrementalAlterConfigOperationTypes, protocolErrorsCodesById, type Connection, type IncrementalAlterConfigsOptions } from '@platformatic/kafka';
import type { Logger } from '../core/log.js';
import { AclAdmin } from './acl-admin.js';
import type { KafkaConnection } from './connection-inputs.js';
import { clientOptions, connectWithRetry, guardConnections } from './connection.js';
import { KafkaWire, type WireApiName, type WireArgs, type WireResponse } from './wire.js';

/**
 * Topic administration in batches, one request per batch on one connection, with a result per topic
 * instead of an all-or-nothing exception: the caller knows exactly what was applied and what was not.
 * Mutating requests are sent once (no library retry that could re-send half-applied batches);
 * validateOnly asks the broker to check without changing anything.
 */
export interface TopicMetadata {
  name: string;
  internal: boolean;
  partitions: number;
  replicationFactor: number;
  /** Every partition has a leader (the topic can be produced to and consumed from). */
  ready: boolean;
}

export interface ClusterMetadata {
  clusterId: string | null;
  brokers: number;
  topics: TopicMetadata[];
}

export interface TopicConfigEntry {
  name: string;
  value: string | null;
  /** True when set on the topic itself (DYNAMIC_TOPIC_CONFIG), not inherited from the broker. */
  override: boolean;
  /** For an override: the value the topic would have without it (broker config or default), when the broker says. */
  inherited?: string | null;
  sensitive: boolean;
}

/** One topic's outcome in a batch. `error` is "<KAFKA_ERROR_ID>: <broker message>". */
export interface ItemResult {
  name: string;
  error?: string;
  errorId?: string;
}

export interface NewTopic {
  name: string;
  /** -1: the broker's default. */
  partitions: number;
  replicationFactor: number;
  configs: Record<string, string>;
}

export interface ConfigAlteration {
  name: string;
  set: Record<string, string>;
  remove: string[];
}

interface Item {
  name?: string | null;
  resourceName?: string;
  errorCode: number;
  errorMessage?: string | null;
}

type IncrementalAlterConfigsRequestConfig = IncrementalAlterConfigsOptions['resources'][number]['configs'][number];

/**
 * CreateTopics goes in as few requests as the controller takes: each request is one controller operation (one
 * commit), and a broker serves the topics of a later request only once it has set up those of the earlier ones,
 * so 10 requests of 100 topics took 4 times as long as one of 1,000. A KRaft controller refuses an operation of
 * more than 10,000 metadata records (one per topic, per partition and per config), so a batch holds at most half that.
 */
export const CREATE_RECORD_BUDGET = 5_000;
const OTHER_BATCH = 500;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The metadata records a new topic costs a KRaft controller: the topic, each partition (the broker's default counted as 1), each config. */
export const createRecords = (t: NewTopic): number => 1 + Math.max(1, t.partitions) + Object.keys(t.configs).length;

/** Consecutive batches of at most `budget` records each (a topic over the budget goes alone: the broker says what it thinks of it). */
export function createBatches(topics: readonly NewTopic[], budget = CREATE_RECORD_BUDGET): NewTopic[][] {
  const out: NewTopic[][] = [];
  let batch: NewTopic[] = [];
  let records = 0;
  for (const t of topics) {
    const cost = createRecords(t);
    if (batch.length && records + cost > budget) {
      out.push(batch);
      batch = [];
      records = 0;
    }
    batch.push(t);
    records += cost;
  }
  if (batch.length) out.push(batch);
  return out;
}

/** A batch failed as a whole (network, timeout): `done` holds the results of earlier batches, `inFlight` the topics whose outcome is unknown. */
export class BatchError extends Error {
  constructor(
    readonly done: ItemResult[],
    readonly inFlight: string[],
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'BatchError';
  }
}

/** Sends items in batches, one request after the other, and collects a result per item. */
async function batched<T>(items: readonly T[], size: number | ((items: readonly T[]) => T[][]), nameOf: (item: T) => string, send: (batch: T[]) => Promise<ItemResult[]>): Promise<ItemResult[]> {
  const done: ItemResult[] = [];
  for (const batch of typeof size === 'number' ? chunks(items, size) : size(items)) {
    try {
      done.push(...(await send(batch)));
    } catch (err) {
      throw new BatchError(done, batch.map(nameOf), err);
    }
  }
  return done;
}

function itemResult(item: Item): ItemResult {
  const name = item.name ?? item.resourceName ?? '';
  if (!item.errorCode) return { name };
  const id = protocolErrorsCodesById[item.errorCode] ?? `ERROR_${item.errorCode}`;
  return { name, errorId: id, error: `${id}: ${item.errorMessage ?? 'no message from the broker'}` };
}

export class TopicAdmin {
  private constructor(
    private readonly admin: Admin,
    private readonly wire: KafkaWire,
    private readonly connection: Connection,
    readonly conn: KafkaConnection,
    private readonly log: Logger,
  ) {}

  /** Connects (with retries until the connection's timeout) and checks the connection with a Metadata request. */
  static async connect(conn: KafkaConnection, log: Logger): Promise<TopicAdmin> {
    const admin = new Admin(clientOptions(conn));
    guardConnections(admin, log);
    const wire = new KafkaWire(admin);
    try {
      const connection = await connectWithRetry(conn, async () => {
        const bootstrap = await wire.bootstrap();
        const md = await wire.send(bootstrap, 'Metadata', [], false, false);
        const controller = md.brokers.find((b) => b.nodeId === md.controllerId);
        if (!controller) return bootstrap;
        // ZooKeeper-era Kafka wants topic changes on the controller; KRaft and Redpanda accept them anywhere.
        return wire.connectionTo({ host: controller.host, port: controller.port });
      }, { log });
      return new TopicAdmin(admin, wire, connection, conn, log);
    } catch (err) {
      await admin.close().catch(() => undefined);
      throw err;
    }
  }

  /** Sends one request on this admin's connection; a response with per-item errors is returned as it is, not thrown. */
  private call<N extends WireApiName>(name: N, ...args: WireArgs<N>): Promise<WireResponse<N>> {
    return this.wire.send(this.connection, name, ...args);
  }

  /** Every topic (one request), or only `names` (topics the brokers do not know yet are left out). Never auto-creates. */
  async metadata(names?: readonly string[]): Promise<ClusterMetadata> {
    const md = await this.call('Metadata', names ? names.map((name) => ({ name })) : null, false, false);
    const topics = md.topics
      .filter((t) => t.name && !t.errorCode)
      .map((t) => ({
        name: t.name!,
        internal: t.isInternal,
        partitions: t.partitions.length,
        replicationFactor: Math.max(0, ...t.partitions.map((p) => p.replicaNodes.length)),
        ready: t.partitions.every((p) => p.leaderId >= 0),
      }));
    return { clusterId: md.clusterId ?? null, brokers: md.brokers.length, topics };
  }

  /** Every config of each topic, with whether it is a topic-level override. */
  async describeConfigs(names: readonly string[]): Promise<Map<string, TopicConfigEntry[] | ItemResult>> {
    const out = new Map<string, TopicConfigEntry[] | ItemResult>();
    // Read-only, so the batches go out together (pipelined on the one connection, at most 5 in flight): the
    // client decodes one answer while the broker prepares the next.
    const answers = await Promise.all(
      chunks(names, OTHER_BATCH).map((batch) => {
        const resources = batch.map((name) => ({ resourceType: ConfigResourceTypes.TOPIC, resourceName: name, configurationKeys: null }));
        // Synonyms tell what an override replaces: Redpanda reports some overrides nobody set (cleanup.policy=delete).
        return this.call('DescribeConfigs', resources, true, false);
      }),
    );
    for (const res of answers) {
      for (const r of res.results) {
        if (r.errorCode) {
          out.set(r.resourceName, itemResult(r));
          continue;
        }
        out.set(
          r.resourceName,
          r.configs.map((c) => {
            const override = c.configSource === ConfigSources.DYNAMIC_TOPIC_CONFIG;
            const inherited = override ? c.synonyms?.find((x) => x.source !== ConfigSources.DYNAMIC_TOPIC_CONFIG) : undefined;
            return { name: c.name, value: c.value ?? null, override, ...(inherited ? { inherited: inherited.value ?? null } : {}), sensitive: c.isSensitive };
          }),
        );
      }
    }
    return out;
  }

  async createTopics(topics: readonly NewTopic[], validateOnly: boolean): Promise<ItemResult[]> {
    return batched(topics, (all) => createBatches(all), (t) => t.name, async (batch) => {
      const requests = batch.map((t) => ({ name: t.name, numPartitions: t.partitions, replicationFactor: t.replicationFactor, assignments: [], configs: Object.entries(t.configs).map(([name, value]) => ({ name, value })) }));
      const res = await this.call('CreateTopics', requests, this.conn.timeoutMs, validateOnly);
      this.log.debug(`CreateTopics${validateOnly ? ' (validate only)' : ''}: ${batch.length} topics`);
      return res.topics.map(itemResult);
    });
  }

  async createPartitions(topics: ReadonlyArray<{ name: string; count: number }>, validateOnly: boolean): Promise<ItemResult[]> {
    return batched(topics, OTHER_BATCH, (t) => t.name, async (batch) => {
      const res = await this.call('CreatePartitions', batch.map((t) => ({ name: t.name, count: t.count, assignments: null })), this.conn.timeoutMs, validateOnly);
      return res.results.map(itemResult);
    });
  }

  /** IncrementalAlterConfigs only: keys not mentioned keep their overrides (AlterConfigs would reset them). */
  async alterConfigs(alterations: readonly ConfigAlteration[], validateOnly: boolean): Promise<ItemResult[]> {
    return batched(alterations, OTHER_BATCH, (a) => a.name, async (batch) => {
      const resources = batch.map((a) => ({
        resourceType: ConfigResourceTypes.TOPIC,
        resourceName: a.name,
        configs: [
          ...Object.entries(a.set).map(([name, value]): IncrementalAlterConfigsRequestConfig => ({ name, configOperation: IncrementalAlterConfigOperationTypes.SET, value })),
          ...a.remove.map((name): IncrementalAlterConfigsRequestConfig => ({ name, configOperation: IncrementalAlterConfigOperationTypes.DELETE })),
        ],
      }));
      const res = await this.call('IncrementalAlterConfigs', resources, validateOnly);
      return res.responses.map(itemResult);
    });
  }

  async deleteTopics(names: readonly string[]): Promise<ItemResult[]> {
    return batched(names, OTHER_BATCH, (n) => n, async (batch) => {
      const res = await this.call('DeleteTopics', batch.map((name) => ({ name })), this.conn.timeoutMs);
      return res.responses.map(itemResult);
    });
  }

  /** ACLs and SCRAM users, on this admin's connection (acl-admin.ts). */
  access(): AclAdmin {
    return new AclAdmin((name, ...args) => this.call(name, ...args), this.log);
  }

  async close(): Promise<void> {
    await this.admin.close().catch(() => undefined);
  }
}
