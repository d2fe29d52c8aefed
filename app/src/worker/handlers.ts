/**
 * The worker's subscriber routes, called by Dapr with one CloudEvent each. The answer tells Dapr what
 * to do: SUCCESS (done), RETRY (try again, per the resiliency policy, then the dead-letter topic) or
 * DROP (malformed: straight to the dead-letter topic).
 *
 * - task-events, default route: counts the event and how late it arrived (consumer lag as time), and
 *   drops duplicates by revision: delivery is at least once (the API's outbox publishes an event again
 *   after a failure, or after a lost acknowledgement), so an event whose `data.revision` is not above the
 *   highest seen for its task is acknowledged (SUCCESS, nothing to retry) and counted as `duplicate`.
 * - task-events, probe route (CEL `event.type == "io.oke-dapr-actions.probe"`): changes nothing and
 *   publishes an acknowledgement carrying the probe id to task-updates (the verify-events contract).
 *   When that fails it reports the failure (PROBE_FAILED_TYPE, to task-events-dlq) and answers RETRY:
 *   verify-events tells a failing handler from an app its sidecar cannot reach by that report.
 * - reminders: records a notification for the task's user.
 */
import { PROBE_ACK_TYPE, PROBE_FAILED_TYPE, TOPICS, type ProbeAckData, type ProbeFailedData } from '../contract.js';
import { makeEvent, parseIncoming, type EventPublisher, type IncomingEvent } from '../events/cloudevents.js';
import type { Request, Response } from '../http/router.js';
import { withTrace, type Logger } from '../log.js';
import type { AppMetrics } from '../metrics.js';
import { isReminderData, type Notifications } from '../notifications.js';
import { continueTrace } from '../trace.js';

export type DeliveryStatus = 'SUCCESS' | 'RETRY' | 'DROP';
/** What a handler decides: a DeliveryStatus, or DUPLICATE (answered SUCCESS, counted as outcome "duplicate"). */
type Decision = DeliveryStatus | 'DUPLICATE';

/**
 * The highest revision seen per task, for the last `capacity` tasks (least recently seen forgotten first).
 * In memory: this worker only counts task events, so a duplicate after a restart costs one extra count. A
 * consumer with effects keeps the revision beside its effect instead (one state transaction for both).
 */
export class RevisionFilter {
  private readonly seen = new Map<string, number>();

  constructor(private readonly capacity = 50_000) {}

  /** True the first time a revision above the highest seen arrives for the task; false for a duplicate or an older one. */
  accept(taskId: string, revision: number): boolean {
    const highest = this.seen.get(taskId);
    const accepted = highest === undefined || revision > highest;
    // Re-inserted either way: a Map iterates in insertion order, so the first key is the least recently seen.
    this.seen.delete(taskId);
    this.seen.set(taskId, accepted ? revision : highest);
    if (this.seen.size > this.capacity) this.seen.delete(this.seen.keys().next().value!);
    return accepted;
  }
}

/** A task event's task id and revision, when it carries both (events of producers before revisions do not). */
export function taskRevision(data: unknown): { taskId: string; revision: number } | undefined {
  const d = data as { taskId?: unknown; revision?: unknown } | null;
  if (!d || typeof d !== 'object' || typeof d.taskId !== 'string' || !Number.isInteger(d.revision) || (d.revision as number) < 1) return undefined;
  return { taskId: d.taskId, revision: d.revision as number };
}

export interface WorkerDeps {
  appId: string;
  publisher: EventPublisher;
  notifications: Notifications;
  metrics: AppMetrics;
  log: Logger;
  now?: () => Date;
  /** Task events' highest revisions seen (default: a new RevisionFilter). */
  revisions?: RevisionFilter;
}

const reply = (status: DeliveryStatus): Response => ({ status: 200, body: { status } });

/** Parses the delivery, continues the event's trace, counts the outcome; handle() decides it. */
function subscriber(topic: string, deps: WorkerDeps, handle: (e: IncomingEvent) => Promise<Decision>): (req: Request) => Promise<Response> {
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
      let decision: Decision;
      try {
        decision = await handle(event);
      } catch (err) {
        deps.log.error('event handling failed; Dapr will retry', { topic, type: event.type, eventId: event.id, err: err instanceof Error ? err.message : String(err) });
        decision = 'RETRY';
      }
      deps.metrics.eventsConsumed.inc({ topic, type: event.type, outcome: decision.toLowerCase() });
      deps.log.debug('consumed', { topic, type: event.type, eventId: event.id, status: decision });
      return reply(decision === 'DUPLICATE' ? 'SUCCESS' : decision);
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
  const revisions = deps.revisions ?? new RevisionFilter();
  return {
    // Task events need no work here beyond the metrics the wrapper records; unknown types are fine too.
    taskEvents: subscriber(TOPICS.taskEvents, deps, async (event) => {
      const r = taskRevision(event.data);
      if (r && !revisions.accept(r.taskId, r.revision)) {
        deps.log.debug('dropping a duplicate (or older) task event by its revision', { taskId: r.taskId, revision: r.revision, eventId: event.id });
        return 'DUPLICATE';
      }
      return 'SUCCESS';
    }),

    probe: subscriber(TOPICS.taskEvents, deps, async (event) => {
      const probeId = probeIdOf(event);
      const data: ProbeAckData = { probeId, probeEventId: event.id, handledBy: deps.appId, receivedAt: now().toISOString() };
      try {
        await deps.publisher.publish(TOPICS.taskUpdates, makeEvent({ type: PROBE_ACK_TYPE, source: deps.appId, subject: probeId, data }), probeId);
      } catch (err) {
        const error = `publishing the acknowledgement to ${TOPICS.taskUpdates} failed: ${err instanceof Error ? err.message : String(err)}`;
        const failed: ProbeFailedData = { probeId, probeEventId: event.id, handledBy: deps.appId, error: error.slice(0, 1000), failedAt: now().toISOString() };
        // Best effort: the dead-letter topic may work where the reply topic does not (a missing topic, a scope).
        await deps.publisher
          .publish(TOPICS.taskEventsDeadLetter, makeEvent({ type: PROBE_FAILED_TYPE, source: deps.appId, subject: probeId, data: failed }), probeId)
          .catch((e: unknown) => deps.log.warn('could not report the probe failure to the dead-letter topic either', { probeId, err: e instanceof Error ? e.message : String(e) }));
        deps.log.error('probe handling failed; Dapr will retry, then dead-letter it', { probeId, err: error });
        return 'RETRY';
      }
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
