/**
 * The worker's subscriber routes, called by Dapr with one CloudEvent each. The answer tells Dapr what
 * to do: SUCCESS (done), RETRY (try again, per the resiliency policy, then the dead-letter topic) or
 * DROP (malformed: straight to the dead-letter topic).
 *
 * - task-events, default route: counts the event and how late it arrived (consumer lag as time).
 * - task-events, probe route (CEL `event.type == "io.oke-dapr-actions.probe"`): changes nothing and
 *   publishes an acknowledgement carrying the probe id to task-updates (the verify-events contract).
 * - reminders: records a notification for the task's user.
 */
import { PROBE_ACK_TYPE, TOPICS, type ProbeAckData } from '../contract.js';
import { makeEvent, parseIncoming, type EventPublisher, type IncomingEvent } from '../events/cloudevents.js';
import type { Request, Response } from '../http/router.js';
import { withTrace, type Logger } from '../log.js';
import type { AppMetrics } from '../metrics.js';
import { isReminderData, type Notifications } from '../notifications.js';
import { continueTrace } from '../trace.js';

export type DeliveryStatus = 'SUCCESS' | 'RETRY' | 'DROP';

export interface WorkerDeps {
  appId: string;
  publisher: EventPublisher;
  notifications: Notifications;
  metrics: AppMetrics;
  log: Logger;
  now?: () => Date;
}

const reply = (status: DeliveryStatus): Response => ({ status: 200, body: { status } });

/** Parses the delivery, continues the event's trace, counts the outcome; handle() decides it. */
function subscriber(topic: string, deps: WorkerDeps, handle: (e: IncomingEvent) => Promise<DeliveryStatus>): (req: Request) => Promise<Response> {
  return async (req) => {
    const event = parseIncoming(req.body);
    if (typeof event === 'string') {
      deps.log.warn('dropping a malformed delivery to the dead-letter topic', { topic, problem: event });
      deps.metrics.eventsConsumed.inc({ topic, type: 'malformed', outcome: 'drop' });
      return reply('DROP');
    }
    const trace = continueTrace(event.traceparent ?? req.headers.traceparent);
    return withTrace(trace, async () => {
      const now = (deps.now ?? (() => new Date()))();
      const at = event.time ? Date.parse(event.time) : Number.NaN;
      if (!Number.isNaN(at)) deps.metrics.consumeDelay.observe({ topic }, Math.max(0, now.getTime() - at) / 1000);
      let status: DeliveryStatus;
      try {
        status = await handle(event);
      } catch (err) {
        deps.log.error('event handling failed; Dapr will retry', { topic, type: event.type, eventId: event.id, err: err instanceof Error ? err.message : String(err) });
        status = 'RETRY';
      }
      deps.metrics.eventsConsumed.inc({ topic, type: event.type, outcome: status.toLowerCase() });
      deps.log.debug('consumed', { topic, type: event.type, eventId: event.id, status });
      return reply(status);
    });
  };
}

/** The probe id: `data.probeId` when the probe carries a non-empty string there, else the event id. */
export function probeIdOf(event: IncomingEvent): string {
  const d = event.data as { probeId?: unknown } | null;
  return d && typeof d === 'object' && typeof d.probeId === 'string' && d.probeId !== '' ? d.probeId : event.id;
}

export function workerHandlers(deps: WorkerDeps): { taskEvents: ReturnType<typeof subscriber>; probe: ReturnType<typeof subscriber>; reminders: ReturnType<typeof subscriber> } {
  const now = deps.now ?? (() => new Date());
  return {
    // Task events need no work here beyond the metrics the wrapper records; unknown types are fine too.
    taskEvents: subscriber(TOPICS.taskEvents, deps, async () => 'SUCCESS'),

    probe: subscriber(TOPICS.taskEvents, deps, async (event) => {
      const probeId = probeIdOf(event);
      const data: ProbeAckData = { probeId, probeEventId: event.id, handledBy: deps.appId, receivedAt: now().toISOString() };
      await deps.publisher.publish(TOPICS.taskUpdates, makeEvent({ type: PROBE_ACK_TYPE, source: deps.appId, subject: probeId, data }), probeId);
      deps.log.info('probe acknowledged', { probeId });
      return 'SUCCESS';
    }),

    reminders: subscriber(TOPICS.reminders, deps, async (event) => {
      if (!isReminderData(event.data)) {
        deps.log.warn('dropping a reminder without userId, taskId, title, dueAt and remindAt to the dead-letter topic', { eventId: event.id });
        return 'DROP';
      }
      const added = await deps.notifications.record(event.id, event.data, now());
      deps.log.info(added ? 'notification recorded' : 'notification already recorded', { taskId: event.data.taskId });
      return 'SUCCESS';
    }),
  };
}
