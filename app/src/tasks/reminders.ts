/**
 * Reminders as Dapr jobs: a task with a due date and remind-before gets a one-shot job named after the
 * task, due at dueAt - remindBefore (now, if that has passed but the task is not yet due). Completing or
 * deleting the task deletes the job; changing its dates replaces it. When the job fires, Dapr calls
 * POST /job/<name> on the API, which re-reads the task and publishes a `reminder.due` event to `reminders`.
 */
import type { DaprPort } from '../dapr/port.js';
import { REMINDER_TYPE, TOPICS, type ReminderData } from '../contract.js';
import { makeEvent, type EventPublisher } from '../events/cloudevents.js';
import type { Logger } from '../log.js';
import type { AppMetrics } from '../metrics.js';
import { remindAtMs, type Task } from './model.js';
import type { TaskRepository } from './repository.js';

export const JOB_PREFIX = 'reminder-';
export const jobName = (taskId: string): string => `${JOB_PREFIX}${taskId}`;

/** What a reminder job carries back to the app when it fires. */
export interface ReminderJobData {
  userId: string;
  taskId: string;
  remindAt: string;
}

export type ReminderPlan = { action: 'schedule'; dueTime: string; remindAt: string } | { action: 'cancel' };

/** Pure: what the task's job should be now. */
export function planReminder(task: Task, nowMs: number): ReminderPlan {
  const remindAt = remindAtMs(task);
  if (task.done || remindAt === undefined || task.dueAt === null || Date.parse(task.dueAt) <= nowMs) return { action: 'cancel' };
  const at = Math.max(remindAt, nowMs + 1000);
  return { action: 'schedule', dueTime: new Date(at).toISOString(), remindAt: new Date(remindAt).toISOString() };
}

/**
 * Whether a change to a task can change its reminder job. A task that had no reminder before the change and
 * has none after it has no job: nothing to schedule or delete, so completing (or editing) such a task makes no
 * scheduler call (a new task without a reminder neither). A job left behind by a failed delete is harmless:
 * when it fires, onReminderJob finds no reminder and drops it.
 */
export function reminderChanged(before: Task | undefined, after: Task): boolean {
  const had = before !== undefined && remindAtMs(before) !== undefined;
  const has = remindAtMs(after) !== undefined;
  if (!had && !has) return false;
  if (!before) return has;
  return before.dueAt !== after.dueAt || before.remindBefore !== after.remindBefore || before.done !== after.done;
}

export class Reminders {
  constructor(
    private readonly dapr: Pick<DaprPort, 'scheduleJob' | 'deleteJob'>,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Makes the task's job match the task (schedules, replaces or deletes it). */
  async sync(task: Task): Promise<void> {
    const plan = planReminder(task, this.now());
    const name = jobName(task.id);
    if (plan.action === 'cancel') {
      await this.dapr.deleteJob(name);
      return;
    }
    const data: ReminderJobData = { userId: task.userId, taskId: task.id, remindAt: plan.remindAt };
    await this.dapr.scheduleJob(name, { dueTime: plan.dueTime, data });
    this.log.info('reminder scheduled', { taskId: task.id, dueTime: plan.dueTime });
  }

  async cancel(taskId: string): Promise<void> {
    await this.dapr.deleteJob(jobName(taskId));
  }
}

export interface JobCallbackDeps {
  repo: TaskRepository;
  publisher: EventPublisher;
  metrics: AppMetrics;
  log: Logger;
  source: string;
}

export type JobOutcome = 'published' | 'stale' | 'invalid';

function isJobData(d: unknown): d is ReminderJobData {
  const o = d as Record<string, unknown> | null;
  return !!o && typeof o === 'object' && typeof o.userId === 'string' && typeof o.taskId === 'string' && typeof o.remindAt === 'string';
}

/**
 * The job fired: publish the reminder unless the task is gone, done, or its reminder moved (a job that
 * an edit replaced can still fire once in a race). Throws when publishing fails, so Dapr retries the job.
 */
export async function onReminderJob(name: string, body: unknown, deps: JobCallbackDeps): Promise<JobOutcome> {
  if (!name.startsWith(JOB_PREFIX) || !isJobData(body)) {
    deps.log.warn('ignoring a job this app does not know', { job: name });
    deps.metrics.jobsTriggered.inc({ outcome: 'invalid' });
    return 'invalid';
  }
  const stored = await deps.repo.get(body.userId, body.taskId);
  const remindAt = stored && remindAtMs(stored.task);
  if (!stored || stored.task.done || remindAt === undefined || new Date(remindAt).toISOString() !== body.remindAt) {
    deps.log.info('reminder no longer wanted', { job: name, taskId: body.taskId });
    deps.metrics.jobsTriggered.inc({ outcome: 'stale' });
    return 'stale';
  }
  const t = stored.task;
  const data: ReminderData = { userId: t.userId, taskId: t.id, title: t.title, dueAt: t.dueAt ?? '', remindAt: body.remindAt };
  await deps.publisher.publish(TOPICS.reminders, makeEvent({ type: REMINDER_TYPE, source: deps.source, subject: t.id, data }), t.userId);
  deps.metrics.jobsTriggered.inc({ outcome: 'published' });
  deps.log.info('reminder published', { taskId: t.id });
  return 'published';
}
