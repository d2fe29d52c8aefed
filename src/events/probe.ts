import { randomBytes, randomUUID } from 'node:crypto';

/**
 * The probe contract between verify-events and the app (see app/README.md): a structured CloudEvent of the
 * probe type on the probe topic; the app's subscription routes that type (CEL) to a side-effect-free handler
 * that publishes an acknowledgement carrying the probe id to the reply topic. Pure: table-tested.
 */
export const DEFAULT_PROBE_TYPE = 'io.oke-dapr-actions.probe';

export interface Probe {
  id: string;
  /** The CloudEvent as JSON (structured mode), the Kafka key (the probe id) and headers. */
  value: string;
  key: string;
  headers: Record<string, string>;
  sentAt: number;
}

export interface ProbeOptions {
  type: string;
  topic: string;
  pubsubName: string;
  /** e.g. https://github.com/acme/todo/commit/<sha>, naming what is being verified. */
  source: string;
  /** Dapr drops events whose expiration passed: a probe older than the run's timeout is never handled. */
  expiresAt: Date;
  now: Date;
}

/** W3C traceparent with a fresh trace id, so the probe can be followed through Dapr's tracing. */
export function traceparent(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}

export function buildProbe(o: ProbeOptions, id: string = randomUUID() as string): Probe {
  const tp = traceparent();
  const event = {
    specversion: '1.0',
    id,
    source: o.source,
    type: o.type,
    topic: o.topic,
    pubsubname: o.pubsubName,
    time: o.now.toISOString(),
    datacontenttype: 'application/json',
    expiration: o.expiresAt.toISOString(),
    traceparent: tp,
    data: { probeId: id, sentAt: o.now.toISOString() },
  };
  return {
    id,
    value: JSON.stringify(event),
    key: id,
    headers: { 'content-type': 'application/cloudevents+json', 'probe-id': id, traceparent: tp },
    sentAt: o.now.getTime(),
  };
}

export interface Ack {
  probeId: string;
  /** The acknowledging CloudEvent's source: Dapr sets it to the publishing app's id. */
  source?: string;
}

/**
 * The probe id an acknowledgement carries, wherever the app put it: the CloudEvent's data.probeId (the
 * contract), or a `probe-id` header. Anything else on the reply topic is not an acknowledgement.
 */
export function parseAck(value: Buffer | string | null, headers: Map<string, string> | Record<string, string> = {}): Ack | undefined {
  const header = headers instanceof Map ? headers.get('probe-id') : headers['probe-id'];
  let source: string | undefined;
  if (value) {
    try {
      const ce = JSON.parse(value.toString()) as { data?: unknown; probeId?: unknown; source?: unknown };
      source = typeof ce.source === 'string' ? ce.source : undefined;
      const data = typeof ce.data === 'string' ? (JSON.parse(ce.data) as Record<string, unknown>) : (ce.data as Record<string, unknown> | undefined);
      const id = data?.probeId ?? ce.probeId;
      if (typeof id === 'string') return { probeId: id, source };
    } catch {
      // not JSON: fall back to the header
    }
  }
  return header ? { probeId: header, source } : undefined;
}

/**
 * The app's report that its probe handler ran and failed (type PROBE_FAILED_TYPE, data `{probeId, handledBy,
 * error}`, published to the dead-letter topic before it answers RETRY; see the probe contract in the action's
 * README). daprd dead-letters a probe the same way whether the handler failed or the app could not be reached:
 * this report is what tells the two apart.
 */
export const PROBE_FAILED_TYPE = 'io.oke-dapr-actions.probe.failed';

export interface ProbeFailure {
  probeId: string;
  error: string;
  handledBy?: string;
}

/** A probe-failure report, or undefined for anything else (a dead-lettered probe itself, whose data also has probeId). */
export function parseProbeFailure(value: Buffer | string | null): ProbeFailure | undefined {
  if (!value) return undefined;
  try {
    const ce = JSON.parse(value.toString()) as { type?: unknown; data?: unknown };
    if (ce.type !== PROBE_FAILED_TYPE) return undefined;
    const data = (typeof ce.data === 'string' ? JSON.parse(ce.data) : ce.data) as { probeId?: unknown; error?: unknown; handledBy?: unknown } | undefined;
    if (typeof data?.probeId !== 'string') return undefined;
    // An app's message may be anything: one line, bounded, before it reaches a verdict.
    const error = typeof data.error === 'string' && data.error.trim() ? data.error.replace(/\s+/g, ' ').trim().slice(0, 300) : 'no reason given';
    return { probeId: data.probeId, error, ...(typeof data.handledBy === 'string' ? { handledBy: data.handledBy } : {}) };
  } catch {
    return undefined;
  }
}

export function ackProbeId(value: Buffer | string | null, headers: Map<string, string> | Record<string, string> = {}): string | undefined {
  return parseAck(value, headers)?.probeId;
}

export interface LatencyStats {
  p50: number;
  p95: number;
  max: number;
}

/** Nearest-rank percentiles of the round-trip latencies (ms). */
export function latencyStats(ms: number[]): LatencyStats | undefined {
  if (!ms.length) return undefined;
  const s = [...ms].sort((a, b) => a - b);
  const rank = (p: number): number => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
  return { p50: Math.round(rank(50)), p95: Math.round(rank(95)), max: Math.round(s.at(-1)!) };
}
