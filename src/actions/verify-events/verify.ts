import { Admin, Consumer, Producer, stringSerializers } from '@platformatic/kafka';
import { ConfigurationError, errorMessage, OperationError } from '../../core/errors.js';
import { withGroup, type Timings } from '../../core/groups.js';
import type { Logger } from '../../core/log.js';
import { diagnose, type Diagnosis, type ProbeFate } from '../../events/diagnose.js';
import { groupReadiness, type GroupReadiness } from '../../events/group.js';
import { committedOffsets, describeGroup, endOffsets, topicExists, TopicReader } from '../../events/kafka-io.js';
import { ackProbeId, buildProbe, latencyStats, parseAck, parseProbeFailure, type LatencyStats, type Probe } from '../../events/probe.js';
import { clientOptions, connectWithRetry, guardConnections } from '../../kafka/connection.js';
import { classifyKafkaError, kafkaOperationError } from '../../kafka/errors.js';
import type { VerifyInputs } from './inputs.js';

export interface ProbeResult {
  id: string;
  partition: number;
  offset: string;
  latencyMs?: number;
}

export interface VerifyResult {
  ok: boolean;
  verdict: string;
  next?: string;
  sent: number;
  acknowledged: number;
  stats?: LatencyStats;
  probes: ProbeResult[];
  /** The subscriber group as last seen (absent when the run failed before looking). */
  group?: GroupReadiness;
  /**
   * The error that ended the run early, already with its context and hint: Kafka unreachable, refused, lost
   * (OperationError), or a topic input naming a topic that does not exist (ConfigurationError, before any probe).
   */
  error?: OperationError | ConfigurationError;
}

export interface VerifyDeps {
  log: Logger;
  timings: Timings;
  /** The clock every deadline, send time and latency is read from, in ms (default Date.now). */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const clockOf = (deps: VerifyDeps): (() => number) => deps.now ?? Date.now;

/** Polls the group (Kafka has no watch for groups) until it is Stable with the probe topic assigned. */
async function waitForSubscriber(admin: Admin, i: VerifyInputs, deadline: number, deps: VerifyDeps): Promise<GroupReadiness> {
  const sleep = deps.sleep ?? realSleep;
  const now = clockOf(deps);
  let delay = 250;
  let said = '';
  for (;;) {
    const last = groupReadiness(await describeGroup(admin, i.consumerGroup), i.consumerGroup, i.probeTopic);
    if (last.ready) return last;
    if (last.detail !== said) deps.log.info(`waiting: ${(said = last.detail)}`);
    if (now() + delay > deadline) return last;
    await sleep(delay);
    delay = Math.min(2000, delay * 2);
  }
}

export type Sent = Map<string, { partition: number; offset: bigint; sentAt: number }>;

/** Backoff between attempts after a failed Kafka call (a broker restarting, a leader moving): 250 ms doubling to 4 s. */
const backoff = (attempt: number): number => Math.min(4_000, 250 * 2 ** attempt);

/** What went wrong on one side of the round trips, for the verdict. */
export interface SideFailure {
  /** The last error. */
  error: unknown;
  /** How many calls failed in all. */
  failures: number;
}

/**
 * Runs the probes with at most `concurrency` round trips in flight: a worker publishes a probe, waits for its
 * acknowledgement (or the deadline), then publishes the next. A failed publish (the broker restarting, a
 * partition's leader moving) is tried again with the same probe until the deadline: the probe's id makes a
 * duplicate harmless, as the first acknowledgement counts. A probe never published is left out of `sent`.
 * Never rejects: failures are returned.
 */
interface Published {
  /** Probes tried but never published before the deadline. */
  unpublished: number;
  failure?: SideFailure;
}

export async function roundTrips(producer: Producer<string, string, string, string>, probes: Probe[], topic: string, concurrency: number, sent: Sent, deadline: number, waitFor: (id: string) => Promise<void>, deps: VerifyDeps): Promise<Published> {
  const sleep = deps.sleep ?? realSleep;
  const now = clockOf(deps);
  let next = 0;
  let failure: SideFailure | undefined;
  let unpublished = 0;
  const worker = async (): Promise<void> => {
    while (next < probes.length && now() < deadline) {
      const p = probes[next++]!;
      const ack = waitFor(p.id);
      // Noted before the send returns: the acknowledgement may be read first.
      const entry = { partition: -1, offset: -1n, sentAt: now() };
      sent.set(p.id, entry);
      for (let attempt = 0; ; attempt++) {
        try {
          const r = await producer.send({ messages: [{ topic, key: p.key, value: p.value, headers: p.headers }] });
          const o = r.offsets?.[0];
          [entry.partition, entry.offset] = [o?.partition ?? -1, o?.offset ?? -1n];
          break;
        } catch (err) {
          failure = { error: err, failures: (failure?.failures ?? 0) + 1 };
          const wait = backoff(attempt);
          if (now() + wait >= deadline) {
            // Unknown whether the last attempt was written: without an offset it counts as never published.
            sent.delete(p.id);
            unpublished++;
            return;
          }
          if (attempt === 0) deps.log.info(`publishing a probe to ${topic} failed (${errorMessage(err)}); trying again until the timeout`);
          await sleep(wait);
        }
      }
      await ack;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { unpublished, failure };
}

/**
 * Reads the reply topic (one reader for all probes) and wakes each probe's worker when its acknowledgement
 * arrives. A failed read (the broker restarting, a leader moving) is tried again, the partition leaders read
 * anew, until the deadline. `run` never rejects: `failing` holds the last read failure while reads fail.
 */
export class AckCollector {
  readonly acked = new Map<string, number>();
  failing: SideFailure | undefined;
  private readonly waiters = new Map<string, () => void>();
  private readonly others = new Set<string>();
  private stopped = false;

  constructor(
    private readonly reader: TopicReader,
    private readonly sent: Sent,
    private readonly appId: string | undefined,
    private readonly deps: VerifyDeps,
  ) {}

  waitFor(id: string): Promise<void> {
    return new Promise((resolve) => (this.acked.has(id) ? resolve() : this.waiters.set(id, resolve)));
  }

  stop(): void {
    this.stopped = true;
  }

  async run(deadline: number): Promise<void> {
    const sleep = this.deps.sleep ?? realSleep;
    const now = clockOf(this.deps);
    let attempt = 0;
    while (!this.stopped && now() < deadline) {
      let records: Awaited<ReturnType<TopicReader['poll']>>;
      try {
        records = await this.reader.poll(Math.min(200, Math.max(10, deadline - now())));
        if (this.failing) this.deps.log.info('reading the reply topic works again');
        this.failing = undefined;
        attempt = 0;
      } catch (err) {
        if (!this.failing) this.deps.log.info(`reading the reply topic failed (${errorMessage(err)}); reading its partition leaders again and retrying until the timeout`);
        this.failing = { error: err, failures: (this.failing?.failures ?? 0) + 1 };
        await sleep(Math.min(backoff(attempt++), Math.max(0, deadline - now())));
        continue;
      }
      for (const r of records) {
        const ack = parseAck(r.value, r.headers);
        const s = ack ? this.sent.get(ack.probeId) : undefined;
        if (!ack || !s || this.acked.has(ack.probeId)) continue;
        // Another subscriber of the probe topic answering proves nothing about this app.
        if (this.appId && ack.source && ack.source !== this.appId) {
          if (!this.others.has(ack.source)) this.deps.log.info(`ignoring acknowledgements from ${ack.source} (not ${this.appId})`);
          this.others.add(ack.source);
          continue;
        }
        this.acked.set(ack.probeId, now() - s.sentAt);
        this.waiters.get(ack.probeId)?.();
      }
    }
    for (const wake of this.waiters.values()) wake();
  }
}

/**
 * The verify-events protocol: subscriber ready -> note reply offsets -> publish probes -> read replies from
 * the noted offsets without a consumer group -> match by probe id; on failure, say why.
 */
export async function verifyEvents(i: VerifyInputs, deps: VerifyDeps): Promise<VerifyResult> {
  const { log, timings } = deps;
  const clock = clockOf(deps);
  const deadline = clock() + i.timeoutMs;
  const options = clientOptions(i.connection);
  const admin = new Admin(options);
  const producer = new Producer({ ...options, serializers: stringSerializers, acks: -1 });
  const consumer = new Consumer({ ...options, groupId: `verify-events-reader-unused` });
  // A listener that drops connections makes the client emit 'error' events nobody else listens to: never a crash.
  for (const client of [admin, producer, consumer]) guardConnections(client, log);
  const sent: Sent = new Map();
  let group: GroupReadiness | undefined;
  try {
    await withGroup(log, 'Connect', () => connectWithRetry(i.connection, () => admin.metadata({ topics: [] }), { log }), timings);
    const missing = await withGroup(log, 'Check the topics', () => missingTopics(admin, i), timings);
    if (missing) return { ok: false, verdict: missing.message, next: 'create the topics (redpanda-topics) or correct the inputs', sent: 0, acknowledged: 0, probes: [], error: missing };
    group = await withGroup(log, `Wait for the subscriber (consumer group ${i.consumerGroup})`, () => waitForSubscriber(admin, i, deadline, deps), timings);
    if (!group.ready) return { ok: false, verdict: `the subscriber is not ready: ${group.detail}`, next: group.next, sent: 0, acknowledged: 0, probes: [], group };

    const [replyFrom, dlqFrom] = await Promise.all([endOffsets(admin, i.replyTopic), i.deadLetterTopic ? endOffsets(admin, i.deadLetterTopic).catch(() => undefined) : undefined]);
    const now = clock();
    const probe = () => buildProbe({ type: i.probeType, topic: i.probeTopic, pubsubName: i.pubsubName, source: i.source, now: new Date(now), expiresAt: new Date(deadline) });
    // Warm-up probes go first, one at a time, and must make the round trip too; the first delivery after a deploy
    // pays for connections and code being loaded along the whole path, so their latency is left out of the figures.
    const warmups = Array.from({ length: i.warmupProbes }, probe);
    const afterWarmups = warmups.length ? ` after ${warmups.length} warm-up probe(s)` : '';
    const measured = Array.from({ length: i.probes }, probe);
    const probes = [...warmups, ...measured];
    const reader = new TopicReader(consumer as unknown as Consumer<Buffer, Buffer, Buffer, Buffer>, admin, i.replyTopic, replyFrom);
    const collector = new AckCollector(reader, sent, i.appId, deps);
    const acked = collector.acked;
    let published: Published = { unpublished: 0 };
    await withGroup(log, `Round trips of ${i.probes} probe(s)${afterWarmups}: ${i.probeTopic} -> ${i.consumerGroup} -> ${i.replyTopic}, ${i.concurrency} in flight`, async () => {
      const reading = collector.run(deadline);
      const waitFor = (id: string) => collector.waitFor(id);
      const warm: Published = warmups.length ? await roundTrips(producer, warmups, i.probeTopic, 1, sent, deadline, waitFor, deps) : { unpublished: 0 };
      const rest = await roundTrips(producer, measured, i.probeTopic, i.concurrency, sent, deadline, waitFor, deps);
      published = { unpublished: warm.unpublished + rest.unpublished, failure: rest.failure ?? warm.failure };
      collector.stop();
      await reading;
    }, timings);

    const results: ProbeResult[] = probes.map((p) => ({ id: p.id, partition: sent.get(p.id)?.partition ?? -1, offset: String(sent.get(p.id)?.offset ?? -1n), latencyMs: acked.get(p.id) }));
    const stats = latencyStats(measured.map((p) => acked.get(p.id)).filter((ms): ms is number => ms !== undefined));
    const base = { sent: sent.size, acknowledged: acked.size, stats, probes: results, group };
    if (acked.size === probes.length) {
      const verdict = `${acked.size} of ${probes.length} probe(s) made the round trip ${i.probeTopic} -> ${i.consumerGroup} -> ${i.replyTopic} (p95 ${stats!.p95} ms${afterWarmups ? ` over the ${measured.length}${afterWarmups}` : ''})`;
      if (i.maxP95Ms !== undefined && stats!.p95 > i.maxP95Ms) {
        return { ok: false, verdict: `too slow: p95 ${stats!.p95} ms is over max-p95-ms ${i.maxP95Ms} (p50 ${stats!.p50} ms, max ${stats!.max} ms, ${measured.length} probes${afterWarmups})`, next: 'look at the subscriber\'s processing time and daprd\'s pub/sub settings; or raise max-p95-ms', ...base };
      }
      return { ok: true, verdict, ...base };
    }
    const made = acked.size ? `; ${acked.size} probe(s) made the round trip` : '';
    if (published.failure && published.unpublished > 0) {
      const f = classifyKafkaError(published.failure.error, i.connection);
      return { ok: false, verdict: `${published.unpublished} of ${probes.length} probe(s) could not be published to ${i.probeTopic} before the timeout (${published.failure.failures} failed attempt(s)): ${f.what}${made}`, next: `${f.hint}. Failed publishes are tried again until the timeout (a restarting broker or a moving partition leader is waited for): run again once the brokers answer, or raise timeout`, ...base };
    }
    if (collector.failing) {
      const f = classifyKafkaError(collector.failing.error, i.connection);
      return { ok: false, verdict: `reading the reply topic ${i.replyTopic} failed until the timeout (${collector.failing.failures} failed read(s)): ${f.what}${made}`, next: `${f.hint}. Failed reads are tried again until the timeout, with the partition leaders read anew: run again once the brokers answer, or raise timeout`, ...base };
    }
    if ([...sent.keys()].every((id) => acked.has(id))) {
      return { ok: false, verdict: `the timeout ended the run after ${sent.size} of ${probes.length} probe(s), all of them acknowledged${stats ? ` (p95 ${stats.p95} ms)` : ''}`, next: 'raise timeout, or send fewer probes or more at once (concurrency)', ...base };
    }
    try {
      const d = await withGroup(log, 'Diagnose', () => diagnoseMissing(admin, consumer, i, probes, sent, acked, dlqFrom), timings);
      return { ok: false, verdict: d.verdict, next: d.next, ...base };
    } catch (err) {
      const f = classifyKafkaError(err, i.connection);
      return { ok: false, verdict: `${sent.size - acked.size} of ${sent.size} published probe(s) were not acknowledged, and reading why from Kafka failed: ${f.what}`, next: f.hint, ...base };
    }
  } catch (err) {
    // Anything else Kafka did to the run (unreachable, refused, lost mid-way) still ends in a verdict.
    if (err instanceof ConfigurationError) throw err;
    const error = err instanceof OperationError ? err : kafkaOperationError('verifying the events', err, i.connection);
    return { ok: false, verdict: error.message, next: error.hint, sent: sent.size, acknowledged: 0, probes: [], group, error };
  } finally {
    await Promise.allSettled([producer.close(), consumer.close(true), admin.close()]);
  }
}

/** Each topic input that names a topic the brokers do not have, all at once, before anything is sent. */
async function missingTopics(admin: Admin, i: VerifyInputs): Promise<ConfigurationError | undefined> {
  const named: Array<[string, string]> = [['probe-topic', i.probeTopic], ['reply-topic', i.replyTopic]];
  if (i.deadLetterTopic) named.push(['dead-letter-topic', i.deadLetterTopic]);
  const exists = await Promise.all(named.map(([, topic]) => topicExists(admin, topic)));
  const problems = named
    .filter((_, k) => !exists[k])
    .map(([input, topic]) => ({ input, problem: `topic "${topic}" does not exist on the brokers ${i.connection.brokers.join(', ')}`, fix: `create it (redpanda-topics: Dapr creates no topics), or set ${input} to the topic ${input === 'probe-topic' ? "your app's probe subscription listens on" : input === 'reply-topic' ? 'your app publishes its acknowledgements to' : "of the probe subscription's deadLetterTopic"}` }));
  return problems.length ? new ConfigurationError(problems) : undefined;
}

async function diagnoseMissing(admin: Admin, consumer: Consumer, i: VerifyInputs, probes: Probe[], sent: Map<string, { partition: number; offset: bigint }>, acked: Map<string, number>, dlqFrom: Map<number, bigint> | undefined): Promise<Diagnosis> {
  const [group, committed, end] = await Promise.all([describeGroup(admin, i.consumerGroup), committedOffsets(admin, i.consumerGroup, i.probeTopic), endOffsets(admin, i.probeTopic)]);
  const readiness = groupReadiness(group, i.consumerGroup, i.probeTopic);
  const inDlq = new Set<string>();
  const failures = new Map<string, string>();
  if (i.deadLetterTopic && dlqFrom) {
    const reader = new TopicReader(consumer as unknown as Consumer<Buffer, Buffer, Buffer, Buffer>, admin, i.deadLetterTopic, dlqFrom);
    for (let k = 0; k < 3; k++) for (const r of await reader.poll(200)) {
      // The handler's own failure report (it ran and failed), or a probe daprd dead-lettered.
      const failure = parseProbeFailure(r.value);
      if (failure) {
        if (!i.appId || !failure.handledBy || failure.handledBy === i.appId) failures.set(failure.probeId, failure.error);
        continue;
      }
      const id = ackProbeId(r.value, r.headers) ?? (r.key?.toString() || undefined);
      if (id) inDlq.add(id);
    }
  }
  const fates: ProbeFate[] = probes.filter((p) => sent.has(p.id)).map((p) => {
    const s = sent.get(p.id)!;
    return { id: p.id, partition: s.partition, offset: s.offset, acknowledged: acked.has(p.id), consumed: (committed.get(s.partition) ?? -1n) > s.offset, inDeadLetter: inDlq.has(p.id), ...(failures.has(p.id) ? { failure: failures.get(p.id) } : {}) };
  });
  let lag = 0n;
  for (const [partition, e] of end) lag += e - (committed.get(partition) ?? 0n);
  const d = diagnose(fates, { groupId: i.consumerGroup, probeTopic: i.probeTopic, replyTopic: i.replyTopic, deadLetterTopic: i.deadLetterTopic, lag, groupProblem: readiness.ready ? undefined : readiness.detail });
  if (!d) throw new OperationError('bug: diagnosis found every probe acknowledged');
  return d;
}
