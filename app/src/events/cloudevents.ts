/**
 * CloudEvents 1.0 in and out. Outgoing events are structured (application/cloudevents+json) with the
 * app's own id, type, subject, millisecond `time` and the current traceparent, so Dapr keeps them as they
 * are and only adds topic and pubsubname. Incoming deliveries are checked before a handler trusts them.
 */
import { randomUUID } from 'node:crypto';
import type { DaprPort, OutgoingEvent } from '../dapr/port.js';
import { currentTrace, type Logger } from '../log.js';
import type { AppMetrics } from '../metrics.js';

export interface EventInit {
  type: string;
  source: string;
  subject?: string;
  data: unknown;
  id?: string;
  time?: Date;
  traceparent?: string;
}

export function makeEvent(init: EventInit): OutgoingEvent {
  const traceparent = init.traceparent ?? currentTrace()?.traceparent;
  return {
    specversion: '1.0',
    id: init.id ?? randomUUID(),
    source: init.source,
    type: init.type,
    ...(init.subject !== undefined ? { subject: init.subject } : {}),
    time: (init.time ?? new Date()).toISOString(),
    datacontenttype: 'application/json',
    data: init.data,
    // Dapr keeps an event's trace context only when `traceid` is set too (else it writes its own).
    ...(traceparent ? { traceparent, traceid: traceparent } : {}),
  };
}

/** A CloudEvent as Dapr delivers it to a subscriber route. */
export interface IncomingEvent {
  id: string;
  type: string;
  source: string;
  specversion: string;
  time?: string;
  subject?: string;
  topic?: string;
  pubsubname?: string;
  traceparent?: string;
  data: unknown;
}

/** The delivery as a CloudEvent, or a reason it is not one (the handler then drops it to the dead letters). */
export function parseIncoming(body: unknown): IncomingEvent | string {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'the delivery is not a JSON object';
  const e = body as Record<string, unknown>;
  for (const field of ['id', 'type', 'source', 'specversion'] as const) {
    if (typeof e[field] !== 'string' || e[field] === '') return `the CloudEvent has no "${field}"`;
  }
  let data = e.data;
  // A producer that sent JSON as text (data_base64 is not used with JSON payloads): accept it parsed.
  if (typeof data === 'string' && /json/i.test(String(e.datacontenttype ?? ''))) {
    try {
      data = JSON.parse(data) as unknown;
    } catch {
      // keep the string
    }
  }
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  return {
    id: e.id as string,
    type: e.type as string,
    source: e.source as string,
    specversion: e.specversion as string,
    time: str(e.time),
    subject: str(e.subject),
    topic: str(e.topic),
    pubsubname: str(e.pubsubname),
    traceparent: str(e.traceparent),
    data,
  };
}

/** Publishes through Dapr, counting what went out and what failed. */
export class EventPublisher {
  constructor(
    private readonly dapr: Pick<DaprPort, 'publish'>,
    private readonly metrics: AppMetrics,
    private readonly log: Logger,
  ) {}

  async publish(topic: string, event: OutgoingEvent, partitionKey: string): Promise<void> {
    try {
      await this.dapr.publish(topic, event, partitionKey);
    } catch (err) {
      this.metrics.publishFailures.inc({ topic });
      this.log.error('publish failed', { topic, type: event.type, eventId: event.id, err: err instanceof Error ? err.message : String(err) });
      throw err;
    }
    this.metrics.eventsPublished.inc({ topic, type: event.type });
    this.log.debug('published', { topic, type: event.type, eventId: event.id });
  }
}
