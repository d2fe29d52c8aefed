import { Consumer, type Admin } from '@platformatic/kafka';
import { errorFacts } from '../kafka/errors.js';
import type { GroupView } from './group.js';

/** The Kafka reads verify-events needs, over one Admin client. Thin: the decisions live in the pure modules. */
export async function describeGroup(admin: Admin, groupId: string): Promise<GroupView | undefined> {
  const groups = await admin.describeGroups({ groups: [groupId] });
  const g = groups.get(groupId);
  if (!g) return undefined;
  return {
    state: String(g.state),
    members: [...g.members.values()].map((m) => ({ clientId: m.clientId, host: m.clientHost, topics: [...(m.assignments?.values() ?? [])].map((a) => a.topic) })),
  };
}

/**
 * Does the topic exist? Asked one topic per Metadata request: for several, @platformatic/kafka names the
 * missing one by its index in the broker's answer, which need not follow the request's order (a missing
 * reply topic was reported as the probe topic). Other failures (unreachable, not authorized) reject.
 */
export async function topicExists(admin: Admin, topic: string): Promise<boolean> {
  try {
    return (await admin.metadata({ topics: [topic], forceUpdate: true })).topics.has(topic);
  } catch (err) {
    const f = errorFacts(err);
    if (f.apiIds.has('UNKNOWN_TOPIC_OR_PARTITION') || f.messages.some((m) => /^Unknown topic /.test(m))) return false;
    throw err;
  }
}

/** Next offset to be written, per partition (the "end offsets" noted before probes are sent). */
export async function endOffsets(admin: Admin, topic: string): Promise<Map<number, bigint>> {
  const meta = await admin.metadata({ topics: [topic], forceUpdate: true });
  const t = meta.topics.get(topic);
  if (!t) throw new Error(`topic ${topic} does not exist`);
  const listed = await admin.listOffsets({ topics: [{ name: topic, partitions: Array.from({ length: t.partitionsCount }, (_, i) => ({ partitionIndex: i, timestamp: -1n })) }] });
  return new Map((listed.find((x) => x.name === topic)?.partitions ?? []).map((p) => [p.partitionIndex, p.offset]));
}

/** The group's committed offsets on a topic (partition -> next offset it will read); empty when none. */
export async function committedOffsets(admin: Admin, groupId: string, topic: string): Promise<Map<number, bigint>> {
  // topics: null asks for every topic the group committed on (an empty partition list would ask for none).
  const res = await admin.listConsumerGroupOffsets({ groups: [{ groupId, topics: null }] });
  const t = res.find((g) => g.groupId === groupId)?.topics.find((x) => x.name === topic);
  return new Map((t?.partitions ?? []).filter((p) => p.committedOffset >= 0n).map((p) => [p.partitionIndex, p.committedOffset]));
}

export interface Record_ {
  partition: number;
  offset: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: Map<string, string>;
}

/**
 * Reads a topic from given offsets by partition, with no consumer group (nothing joins, nothing commits):
 * Fetch requests straight to each partition's leader. `poll` returns what arrived since the last call.
 */
export class TopicReader {
  private readonly positions: Map<number, bigint>;
  private meta: { id: string; leaders: Map<number, number> } | undefined;

  constructor(
    private readonly consumer: Consumer<Buffer, Buffer, Buffer, Buffer>,
    private readonly admin: Admin,
    private readonly topic: string,
    from: Map<number, bigint>,
  ) {
    this.positions = new Map(from);
  }

  private async metadata(): Promise<{ id: string; leaders: Map<number, number> }> {
    if (this.meta) return this.meta;
    const m = await this.admin.metadata({ topics: [this.topic], forceUpdate: true });
    const t = m.topics.get(this.topic);
    if (!t) throw new Error(`topic ${this.topic} does not exist`);
    this.meta = { id: t.id, leaders: new Map(t.partitions.map((p, i) => [i, p.leader])) };
    return this.meta;
  }

  /**
   * What arrived since the last call. A failed fetch (a partition's leader moved, the broker restarted)
   * forgets the partition leaders, so the next call reads them again, and rejects: the caller decides
   * whether to try again. Positions only move for records returned.
   */
  async poll(maxWaitMs = 200): Promise<Record_[]> {
    try {
      return await this.fetchOnce(maxWaitMs);
    } catch (err) {
      this.meta = undefined;
      throw err;
    }
  }

  private async fetchOnce(maxWaitMs: number): Promise<Record_[]> {
    const { id, leaders } = await this.metadata();
    const byLeader = new Map<number, number[]>();
    for (const p of this.positions.keys()) byLeader.set(leaders.get(p)!, [...(byLeader.get(leaders.get(p)!) ?? []), p]);
    const out: Record_[] = [];
    const settled = await Promise.allSettled(
      [...byLeader.entries()].map(async ([node, partitions]) => {
        const res = await this.consumer.fetch({
          node,
          maxWaitTime: maxWaitMs,
          topics: [{ topicId: id, partitions: partitions.map((p) => ({ partition: p, currentLeaderEpoch: -1, fetchOffset: this.positions.get(p)!, lastFetchedEpoch: -1, partitionMaxBytes: 1_048_576 })) }],
        });
        for (const t of res.responses) {
          for (const p of t.partitions) {
            for (const batch of p.records ?? []) {
              for (const r of batch.records) {
                const offset = batch.firstOffset + BigInt(r.offsetDelta);
                if (offset < this.positions.get(p.partitionIndex)!) continue;
                out.push({ partition: p.partitionIndex, offset, key: r.key, value: r.value, headers: new Map(r.headers.map(([k, v]) => [k?.toString() ?? '', v?.toString() ?? ''])) });
                this.positions.set(p.partitionIndex, offset + 1n);
              }
            }
          }
        }
      }),
    );
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      // Records from the leaders that answered are kept (their positions moved); the next poll re-reads the leaders.
      this.meta = undefined;
      if (out.length === 0) throw failed.reason;
    }
    return out;
  }
}
