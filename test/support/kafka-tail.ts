import { Admin, Consumer, Producer, stringSerializers } from '@platformatic/kafka';
import { randomUUID } from 'node:crypto';
import { endOffsets, TopicReader } from '../../src/events/kafka-io.js';
import { stack } from './stack.js';

/**
 * Watches a topic from its end offsets at open() on, with no consumer group (Fetch requests straight to
 * each partition's leader, in a background loop), so a test sees exactly what was written after it
 * looked, with the time each message arrived here. The app's own consumer groups are never touched.
 */
export interface TailMessage {
  partition: number;
  offset: bigint;
  key: string | null;
  value: string;
  /** The value parsed as JSON, when it is JSON. */
  json: Record<string, unknown> | undefined;
  headers: Record<string, string>;
  /** Date.now() when the fetch returned it. */
  receivedAt: number;
}

export class KafkaTail {
  readonly messages: TailMessage[] = [];
  private readonly waiters = new Set<() => void>();
  private stopped = false;
  private loop: Promise<void> = Promise.resolve();
  private failure: Error | undefined;

  private constructor(
    readonly topic: string,
    private readonly admin: Admin,
    private readonly consumer: Consumer<Buffer, Buffer, Buffer, Buffer>,
    private readonly reader: TopicReader,
  ) {}

  /** Reads with the same group-less reader verify-events uses (src/events/kafka-io.ts). */
  static async open(topic: string): Promise<KafkaTail> {
    const client = stack.kafkaClient();
    const admin = new Admin({ clientId: `tail-admin-${topic}`, ...client });
    const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({ clientId: `tail-${topic}`, groupId: `tail-never-joins-${randomUUID()}`, ...client });
    const from = await endOffsets(admin, topic).catch((err: Error) => {
      throw new Error(`${err.message} (npm run app -- up creates the app's topics)`);
    });
    const tail = new KafkaTail(topic, admin, consumer, new TopicReader(consumer, admin, topic, from));
    tail.loop = tail.run();
    return tail;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.pollOnce();
      } catch (err) {
        if (this.stopped) return;
        this.failure = err as Error;
        for (const w of this.waiters) w();
        return;
      }
    }
  }

  private async pollOnce(): Promise<void> {
    const records = await this.reader.poll(100);
    const receivedAt = Date.now();
    for (const r of records) {
      const value = r.value?.toString('utf8') ?? '';
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(value) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      this.messages.push({ partition: r.partition, offset: r.offset, key: r.key?.toString('utf8') ?? null, value, json, headers: Object.fromEntries(r.headers), receivedAt });
    }
    if (records.length) for (const w of this.waiters) w();
  }

  /** The first message (seen or to come) that matches; rejects after timeoutMs, naming what it waited for. */
  waitFor(match: (m: TailMessage) => boolean, what: string, timeoutMs = 30_000): Promise<TailMessage> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (this.failure) {
          cleanup();
          reject(new Error(`reading ${this.topic} failed: ${this.failure.message}`));
          return true;
        }
        const m = this.messages.find(match);
        if (m) {
          cleanup();
          resolve(m);
        }
        return m !== undefined;
      };
      const onMessage = (): void => void check();
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no ${what} on ${this.topic} within ${timeoutMs / 1000} s (${this.messages.length} other messages seen)`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(onMessage);
      };
      if (!check()) this.waiters.add(onMessage);
    });
  }

  async close(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.consumer.close(true).catch(() => undefined);
    await this.admin.close().catch(() => undefined);
  }
}

/** Produces raw messages to a topic on the stack's SASL listener (what verify-events or a foreign producer does). */
export async function produce(topic: string, messages: Array<{ key?: string; value: string; headers?: Record<string, string> }>): Promise<void> {
  const producer = new Producer({ clientId: 'test-producer', ...stack.kafkaClient(), serializers: stringSerializers });
  try {
    await producer.send({ messages: messages.map((m) => ({ topic, key: m.key, value: m.value, headers: m.headers ? new Map(Object.entries(m.headers)) : undefined })) });
  } finally {
    await producer.close();
  }
}
