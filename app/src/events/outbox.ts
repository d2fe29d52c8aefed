/**
 * The transactional outbox: every stored change reaches its topic at least once, even when the publish
 * fails (Kafka down) or the process dies between the write and the publish.
 *
 * - entry(): a pending record (`outbox:<event id>`, the whole CloudEvent inside) that the caller writes in
 *   the same state transaction as the change: both are stored, or neither.
 * - publish(): after the commit, the event goes out at once (in the request, so a client's next change
 *   is published after this one); published records are deleted in batches (one state transaction per
 *   `deleteEveryMs`). A failed publish fails nothing: the record stays and the relay takes it.
 * - The relay: every few seconds a state query for pending records (oldest first; the API creates a
 *   partial index for it, tasks/state-index.ts) republishes those older than `relayAfterMs` (their
 *   publish failed, or their process died), in order per partition key. After a failed publish the
 *   process stops publishing in requests ("relay mode": creates answer at once instead of waiting for
 *   Dapr's retries) and the relay publishes everything pending, oldest first, until a pass finds the
 *   backlog empty.
 *
 * Duplicates are possible (a publish that Kafka took but whose answer was lost, a relay in two
 * replicas): a re-published event keeps its CloudEvent id, and its data carries the task's revision.
 */
import type { DaprPort, OutgoingEvent, StateWrite } from '../dapr/port.js';
import type { Logger } from '../log.js';
import type { AppMetrics } from '../metrics.js';
import type { EventPublisher } from './cloudevents.js';

export const OUTBOX_KEY_PREFIX = 'outbox:';
export const outboxKey = (eventId: string): string => `${OUTBOX_KEY_PREFIX}${eventId}`;

/** A pending event as stored. `outbox` and `outboxAt` are what the relay's query filters and sorts on. */
export interface OutboxRecord {
  outbox: 'pending';
  /** When the change was stored (ISO 8601, ms): the relay's order. */
  outboxAt: string;
  topic: string;
  partitionKey: string;
  event: OutgoingEvent;
}

export interface Pending {
  key: string;
  record: OutboxRecord;
}

export interface OutboxOptions {
  dapr: Pick<DaprPort, 'transact' | 'queryState'>;
  publisher: Pick<EventPublisher, 'publish'>;
  metrics: AppMetrics;
  log: Logger;
  /** A record pending longer than this is the relay's to publish (its own publish failed or never happened). */
  relayAfterMs?: number;
  /** Published records are deleted at most this long after their publish, in one transaction per batch. */
  deleteEveryMs?: number;
  /** Records per relay query and per delete transaction. */
  batch?: number;
  /** Relay publishes in flight at once (in order per partition key). */
  relayConcurrency?: number;
  /** How long a request waits for its own publish before it answers (the publish goes on; default 2 s). */
  inlineWaitMs?: number;
  now?: () => number;
}

/** What the shutdown flush did (Outbox.stop). */
export interface FlushReport {
  /** Publishes (requests' and a relay pass) running when the flush began. */
  running: number;
  /** They all finished in time. */
  settled: boolean;
  /** Published records deleted by the flush. */
  published: number;
  /** Published records left undeleted (the relay of another replica publishes them again: duplicates, deduped by revision). */
  undeleted: number;
}

/** Resolves with the promise's value, or false after `ms` (the promise goes on). */
async function within(p: Promise<boolean>, ms: number): Promise<boolean> {
  if (ms === Number.POSITIVE_INFINITY) return p;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Published records not yet deleted, kept at most (a long state-store outage): beyond, the relay publishes them again. */
const MAX_UNDELETED = 20_000;

export class Outbox {
  private readonly relayAfterMs: number;
  private readonly deleteEveryMs: number;
  private readonly batch: number;
  private readonly relayConcurrency: number;
  private readonly inlineWaitMs: number;
  private readonly now: () => number;
  /** Keys being published right now by a request (the relay leaves them alone). */
  private readonly inFlight = new Set<string>();
  /** Requests' publishes still running (those that outlasted inlineWaitMs too): stop() waits for them. */
  private readonly attempts = new Set<Promise<boolean>>();
  /** Keys published and waiting for the batched delete (the relay leaves them alone too). */
  private readonly published = new Set<string>();
  /** Keys in the delete transaction running now (the relay leaves them alone; back to `published` if it fails). */
  private readonly deletingKeys = new Set<string>();
  /** After a failed publish: requests leave publishing to the relay until it has caught up. */
  private relayMode = false;
  /** Right after relay mode: the next pass also takes young records (those deferred while it ended). */
  private sweep = false;
  private relayTimer: NodeJS.Timeout | undefined;
  private deleteTimer: NodeJS.Timeout | undefined;
  private relaying: Promise<void> | undefined;
  private deleting: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly o: OutboxOptions) {
    this.relayAfterMs = o.relayAfterMs ?? 5_000;
    this.deleteEveryMs = o.deleteEveryMs ?? 100;
    this.batch = o.batch ?? 200;
    this.relayConcurrency = o.relayConcurrency ?? 16;
    this.inlineWaitMs = o.inlineWaitMs ?? 2_000;
    this.now = o.now ?? Date.now;
  }

  /** Whether requests leave publishing to the relay (a publish failed and the backlog is not drained yet). */
  get inRelayMode(): boolean {
    return this.relayMode;
  }

  /** The pending record to write in the change's own transaction. */
  entry(topic: string, event: OutgoingEvent, partitionKey: string): { write: StateWrite; pending: Pending } {
    const key = outboxKey(event.id);
    const record: OutboxRecord = { outbox: 'pending', outboxAt: event.time, topic, partitionKey, event };
    return { write: { op: 'upsert', key, value: record }, pending: { key, record } };
  }

  /**
   * Publishes a committed change's event now, unless the relay owns publishing (relay mode). Never throws:
   * false means the event is pending and the relay will publish it. Waits at most `inlineWaitMs` (Kafka
   * hanging rather than refusing): past that the request answers and the publish goes on; if it fails,
   * relay mode starts and the relay publishes the record (it leaves it alone while the publish runs).
   */
  async publish(p: Pending): Promise<boolean> {
    if (this.relayMode || this.stopped) return false;
    this.inFlight.add(p.key);
    const attempt = this.o.publisher.publish(p.record.topic, p.record.event, p.record.partitionKey).then(
      () => {
        this.done(p.key);
        return true;
      },
      (err: unknown) => {
        this.enterRelayMode(err);
        return false;
      },
    );
    this.attempts.add(attempt);
    void attempt.finally(() => {
      this.inFlight.delete(p.key);
      this.attempts.delete(attempt);
    });
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.inlineWaitMs);
      timer.unref();
    });
    try {
      return await Promise.race([attempt, waited]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Starts the relay (the API role). */
  start(): void {
    if (this.relayTimer || this.stopped) return;
    this.scheduleRelay(this.relayAfterMs);
  }

  /**
   * The flush at shutdown: stops the relay and new publishes, waits for the publishes still running (requests'
   * publishes that outlasted inlineWaitMs, a relay pass) and deletes the records they published, all within
   * `withinMs` (daprd stays up meanwhile: the chart's block-shutdown-duration counts this time). Records
   * still pending stay for the relay of another replica or of the next start, which publishes them with
   * their CloudEvent ids (consumers dedupe by the task's revision).
   */
  async stop(withinMs = Number.POSITIVE_INFINITY): Promise<FlushReport> {
    this.stopped = true;
    clearTimeout(this.relayTimer);
    clearTimeout(this.deleteTimer);
    const deadline = Date.now() + withinMs;
    const running = this.attempts.size + (this.relaying ? 1 : 0);
    const left = (): number => Math.max(0, deadline - Date.now());
    const settled = await within(Promise.all([...this.attempts, this.relaying, this.deleting]).then(() => true), left());
    const undeleted = (): number => this.published.size + this.deletingKeys.size;
    const toDelete = undeleted();
    if (toDelete > 0) await within(this.flushDeletes().then(() => true), left());
    return { running, settled, published: toDelete - undeleted(), undeleted: undeleted() };
  }

  /** One relay pass, now (tests and the timer). Resolves when the pass is over. */
  async relayOnce(): Promise<void> {
    if (!this.relaying) {
      this.relaying = this.relayPass().finally(() => (this.relaying = undefined));
    }
    return this.relaying;
  }

  private enterRelayMode(err: unknown): void {
    if (!this.relayMode) {
      this.relayMode = true;
      this.o.log.warn('publishing failed: the change is stored with its event pending; the outbox relay publishes pending events until it has caught up', { err: err instanceof Error ? err.message : String(err) });
      this.scheduleRelay(0);
    }
  }

  private scheduleRelay(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.relayTimer);
    this.relayTimer = setTimeout(() => {
      this.relayTimer = undefined;
      void this.relayOnce().finally(() => {
        if (!this.relayTimer) this.scheduleRelay(this.relayMode ? 500 : Math.max(250, Math.floor(this.relayAfterMs / 2)));
      });
    }, ms);
    this.relayTimer.unref();
  }

  private done(key: string): void {
    if (this.published.size + this.deletingKeys.size < MAX_UNDELETED) this.published.add(key);
    this.scheduleDeletes(this.deleteEveryMs);
  }

  private scheduleDeletes(ms: number): void {
    if (this.deleteTimer || this.stopped) return;
    this.deleteTimer = setTimeout(() => {
      this.deleteTimer = undefined;
      void this.flushDeletes();
    }, ms);
    this.deleteTimer.unref();
  }

  /**
   * Deletes published records, a batch per transaction, until none is left; a failed batch is tried again
   * later. One deleter at a time: a call while it runs joins it (the running one takes the keys published
   * meanwhile), so no key is ever in two delete transactions.
   */
  private flushDeletes(): Promise<void> {
    this.deleting ??= this.deleteAll().finally(() => (this.deleting = undefined));
    return this.deleting;
  }

  private async deleteAll(): Promise<void> {
    while (this.published.size > 0) {
      const keys = [...this.published].slice(0, this.batch);
      for (const k of keys) {
        this.published.delete(k);
        this.deletingKeys.add(k);
      }
      try {
        await this.o.dapr.transact(keys.map((key) => ({ op: 'delete', key })));
      } catch (err) {
        for (const k of keys) this.published.add(k);
        this.o.log.warn('could not delete published outbox records; trying again (until then the relay leaves them alone)', { records: keys.length, err: err instanceof Error ? err.message : String(err) });
        this.scheduleDeletes(1_000);
        return;
      } finally {
        for (const k of keys) this.deletingKeys.delete(k);
      }
    }
  }

  /**
   * Queries the oldest pending records and publishes those due (all of them in relay mode), in order per
   * partition key, several keys at once. Stops at the first failed publish (Kafka is still down).
   */
  private async relayPass(): Promise<void> {
    const all = this.relayMode || this.sweep;
    this.sweep = false;
    for (;;) {
      let items: Array<{ value: OutboxRecord }>;
      try {
        ({ items } = await this.o.dapr.queryState<OutboxRecord>({ filter: { EQ: { outbox: 'pending' } }, sort: [{ key: 'outboxAt', order: 'ASC' }], page: { limit: this.batch } }));
      } catch (err) {
        this.o.log.warn('the outbox relay could not read pending events; trying again', { err: err instanceof Error ? err.message : String(err) });
        return;
      }
      const dueBefore = this.now() - this.relayAfterMs;
      const due: Pending[] = [];
      for (const { value } of items) {
        if (!value || value.outbox !== 'pending' || !value.event?.id) continue;
        const key = outboxKey(value.event.id);
        if (this.inFlight.has(key) || this.published.has(key) || this.deletingKeys.has(key)) continue;
        // Oldest first: once one is too young for the relay, the rest are too (outside relay mode).
        if (!all && !this.relayMode && Date.parse(value.outboxAt) > dueBefore) break;
        due.push({ key, record: value });
      }
      const failed = await this.publishInOrder(due);
      if (failed !== undefined) {
        this.enterRelayMode(failed);
        return;
      }
      if (items.length < this.batch) {
        if (this.relayMode) {
          this.relayMode = false;
          this.sweep = true; // requests that deferred their publish while this pass ran
          this.o.log.info('the outbox relay caught up: requests publish their events again');
        }
        return;
      }
      if (due.length === 0) return; // a full page of records not due yet, or being published
      // The next page: delete what was just published first, so the query does not return it again.
      await this.flushDeletes();
    }
  }

  /** Publishes, per partition key in the given order, up to relayConcurrency keys at once; the first error, if any. */
  private async publishInOrder(due: Pending[]): Promise<unknown> {
    const byKey = new Map<string, Pending[]>();
    for (const p of due) {
      const list = byKey.get(p.record.partitionKey);
      if (list) list.push(p);
      else byKey.set(p.record.partitionKey, [p]);
    }
    const queues = [...byKey.values()];
    let failure: unknown;
    let next = 0;
    let published = 0;
    const worker = async (): Promise<void> => {
      while (failure === undefined && next < queues.length) {
        for (const p of queues[next++]!) {
          if (failure !== undefined) return;
          this.inFlight.add(p.key);
          try {
            await this.o.publisher.publish(p.record.topic, p.record.event, p.record.partitionKey);
            this.o.metrics.eventsRelayed.inc({ topic: p.record.topic });
            this.done(p.key);
            published++;
          } catch (err) {
            failure = err ?? new Error('publish failed');
          } finally {
            this.inFlight.delete(p.key);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.relayConcurrency, queues.length) }, worker));
    if (due.length) this.o.log.info('the outbox relay published pending events', { published, pending: due.length - published });
    return failure;
  }
}
