/**
 * The app's event contract: topic names, CloudEvent types and the routes Dapr calls. The chart's Dapr
 * Subscriptions (chart/templates/dapr-subscriptions.yaml) and deploy/topics.yaml name the same things;
 * test/integration/app/chart.test.ts fails when they drift apart.
 */

/** Kafka topics (created by the deploy pipeline from deploy/topics.yaml: Dapr creates none). */
export const TOPICS = {
  /** Every task change (task.created, task.updated, task.completed, task.deleted) and verify-events probes. */
  taskEvents: 'task-events',
  /** Acknowledgements of verify-events probes. */
  taskUpdates: 'task-updates',
  /** Reminder jobs that came due, consumed by the worker. */
  reminders: 'reminders',
  taskEventsDeadLetter: 'task-events-dlq',
  remindersDeadLetter: 'reminders-dlq',
} as const;

/** CloudEvent `type` of each task event; `data` is a TaskEventData. */
export const TASK_EVENT_TYPES = {
  created: 'task.created',
  updated: 'task.updated',
  completed: 'task.completed',
  deleted: 'task.deleted',
} as const;
export type TaskEventType = (typeof TASK_EVENT_TYPES)[keyof typeof TASK_EVENT_TYPES];

/**
 * verify-events' probe: a CloudEvent of this type on `task-events` is routed (CEL rule
 * `event.type == "io.oke-dapr-actions.probe"`) to the worker's probe handler, which changes nothing and
 * publishes a PROBE_ACK_TYPE event carrying the probe id to `task-updates`.
 */
export const PROBE_TYPE = 'io.oke-dapr-actions.probe';
export const PROBE_ACK_TYPE = 'io.oke-dapr-actions.probe.ack';
/**
 * What the probe handler publishes to the dead-letter topic (`task-events-dlq`) when it fails on a probe
 * (before answering RETRY): the evidence verify-events needs to tell "the handler ran and failed" from
 * "daprd could not reach the app" (both leave the same dead-lettered probe: daprd adds nothing about why).
 */
export const PROBE_FAILED_TYPE = 'io.oke-dapr-actions.probe.failed';

/** A reminder that came due (published by the API's job callback to `reminders`). */
export const REMINDER_TYPE = 'reminder.due';

/** Paths Dapr calls on the app's callback listener. */
export const ROUTES = {
  taskEvents: '/events/task-events',
  probe: '/events/probe',
  reminders: '/events/reminders',
  /** Dapr's Jobs API calls POST /job/<job name>. */
  jobPrefix: '/job/',
} as const;

/** The CEL match of the probe route, as the chart renders it. */
export const PROBE_ROUTE_MATCH = `event.type == "${PROBE_TYPE}"`;

export interface TaskEventData {
  userId: string;
  taskId: string;
  /** The task after the change (absent for task.deleted). */
  task?: unknown;
  /** Fields a task.updated changed. */
  changed?: string[];
  /**
   * The task's revision after the change (task.deleted: the deleted revision + 1). Delivery is at least
   * once and an event relayed after an outage can arrive after a later one: a consumer keeps the highest
   * revision it saw per task and drops the rest (the CloudEvent `id` also stays the same on a re-publish).
   */
  revision: number;
  /** When the change was stored, ISO 8601 with milliseconds (CloudEvent `time` has the same value). */
  occurredAt: string;
}

export interface ReminderData {
  userId: string;
  taskId: string;
  title: string;
  dueAt: string;
  remindAt: string;
}

export interface ProbeFailedData {
  probeId: string;
  probeEventId: string;
  handledBy: string;
  /** What failed (e.g. the acknowledgement's publish, with Dapr's answer). */
  error: string;
  failedAt: string;
}

export interface ProbeAckData {
  /** The probe's id: `data.probeId` when the probe carries one, else the probe event's `id`. */
  probeId: string;
  /** The probe event's CloudEvent `id`. */
  probeEventId: string;
  /** The app id of the handler that acknowledged it. */
  handledBy: string;
  receivedAt: string;
}
