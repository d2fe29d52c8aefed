/**
 * The task operations: validate, write with optimistic concurrency, publish the task event, keep the
 * reminder job in step. Order per change: state first (the source of truth), then the event, then the
 * job. A failed publish is a 503 to the client *after* the change was stored (the log and
 * todo_event_publish_failures_total say so); Dapr's resiliency policy retries publishes before that.
 */
import { randomUUID } from 'node:crypto';
import { TASK_EVENT_TYPES, TOPICS, type TaskEventData, type TaskEventType } from '../contract.js';
import { ConcurrencyError } from '../dapr/port.js';
import { makeEvent, type EventPublisher } from '../events/cloudevents.js';
import { DependencyError, notFound, staleEtag } from '../http/errors.js';
import type { Logger } from '../log.js';
import { applyFilters, type TaskFilters } from './filters.js';
import { parseCreate, parsePatch, type Task } from './model.js';
import { reminderChanged, type Reminders } from './reminders.js';
import type { Stored, TaskRepository } from './repository.js';

export interface TaskServiceDeps {
  repo: TaskRepository;
  publisher: EventPublisher;
  reminders: Reminders;
  log: Logger;
  /** CloudEvent source of task events (the app id). */
  source: string;
  now?: () => Date;
  newId?: () => string;
}

/** A task and its HTTP ETag (its revision). */
export interface Versioned {
  task: Task;
  etag: string;
}

const versioned = (task: Task): Versioned => ({ task, etag: String(task.revision) });

/** "W/\"12\"", "\"12\"" and "12" all name ETag 12; "*" means any. */
export function parseIfMatch(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const v = header.trim().replace(/^W\//, '');
  if (v === '*' || v === '') return undefined;
  return v.replace(/^"(.*)"$/, '$1');
}

export class TaskService {
  private readonly now: () => Date;
  private readonly newId: () => string;

  constructor(private readonly deps: TaskServiceDeps) {
    this.now = deps.now ?? (() => new Date());
    this.newId = deps.newId ?? randomUUID;
  }

  /** `truncated`: the user has more tasks than a list reads; only the newest were considered. */
  async list(userId: string, filters: TaskFilters): Promise<{ items: Task[]; total: number; truncated: boolean }> {
    const { tasks, truncated } = await this.deps.repo.list(userId);
    return { ...applyFilters(tasks, filters), truncated };
  }

  async get(userId: string, taskId: string): Promise<Versioned> {
    return versioned((await this.stored(userId, taskId)).task);
  }

  async create(userId: string, body: unknown): Promise<Versioned> {
    const fields = parseCreate(body);
    const at = this.now().toISOString();
    const task: Task = { id: this.newId(), userId, ...fields, createdAt: at, updatedAt: at, completedAt: fields.done ? at : null, revision: 1 };
    // A new random id: the first-write can only fail on a (practically impossible) id collision.
    try {
      await this.deps.repo.insert(task);
    } catch (err) {
      throw await this.conflict(err, userId, task.id);
    }
    await this.afterChange(TASK_EVENT_TYPES.created, task, undefined);
    return versioned(task);
  }

  /** PATCH: the fields given. `ifMatch` (the client's ETag) makes it conditional: stale -> 409. */
  async update(userId: string, taskId: string, body: unknown, ifMatch?: string): Promise<Versioned> {
    const current = await this.current(userId, taskId, ifMatch);
    const patch = parsePatch(body, current.task);
    const at = this.now().toISOString();
    const completing = patch.done === true && !current.task.done;
    const next: Task = { ...current.task, ...patch, updatedAt: at, revision: current.task.revision + 1, completedAt: patch.done === undefined ? current.task.completedAt : patch.done ? (current.task.completedAt ?? at) : null };
    const changed = Object.keys(patch).filter((k) => JSON.stringify(patch[k as keyof typeof patch]) !== JSON.stringify(current.task[k as keyof Task]));
    return this.write(current, next, completing ? TASK_EVENT_TYPES.completed : TASK_EVENT_TYPES.updated, changed);
  }

  /** Marks the task done (idempotent: completing a done task changes nothing and publishes nothing). */
  async complete(userId: string, taskId: string, ifMatch?: string): Promise<Versioned> {
    const current = await this.current(userId, taskId, ifMatch);
    if (current.task.done) return versioned(current.task);
    const at = this.now().toISOString();
    return this.write(current, { ...current.task, done: true, completedAt: at, updatedAt: at, revision: current.task.revision + 1 }, TASK_EVENT_TYPES.completed, ['done']);
  }

  async remove(userId: string, taskId: string, ifMatch?: string): Promise<void> {
    const current = await this.current(userId, taskId, ifMatch);
    try {
      await this.deps.repo.remove(userId, taskId, current.etag);
    } catch (err) {
      throw await this.conflict(err, userId, taskId);
    }
    await this.afterChange(TASK_EVENT_TYPES.deleted, current.task, current.task);
  }

  private async stored(userId: string, taskId: string): Promise<Stored> {
    const stored = await this.deps.repo.get(userId, taskId);
    if (!stored) throw notFound(`task ${taskId}`);
    return stored;
  }

  /** The stored task (with its store ETag), checked against the client's ETag when it sent one. */
  private async current(userId: string, taskId: string, ifMatch: string | undefined): Promise<Stored> {
    const stored = await this.stored(userId, taskId);
    const revision = String(stored.task.revision);
    if (ifMatch !== undefined && ifMatch !== revision) throw staleEtag(revision);
    return stored;
  }

  /** A write refused by the store's ETag: 409, with the current ETag when the task still exists. */
  private async conflict(err: unknown, userId: string, taskId: string): Promise<unknown> {
    if (!(err instanceof ConcurrencyError)) return err;
    const now = await this.deps.repo.get(userId, taskId).catch(() => undefined);
    return staleEtag(now ? String(now.task.revision) : undefined);
  }

  private async write(current: Stored, next: Task, type: TaskEventType, changed: string[]): Promise<Versioned> {
    try {
      await this.deps.repo.replace(next, current.etag);
    } catch (err) {
      throw await this.conflict(err, next.userId, next.id);
    }
    await this.afterChange(type, next, current.task, changed);
    return versioned(next);
  }

  private async afterChange(type: TaskEventType, task: Task, before: Task | undefined, changed?: string[]): Promise<void> {
    const occurredAt = this.now();
    const data: TaskEventData = {
      userId: task.userId,
      taskId: task.id,
      ...(type === TASK_EVENT_TYPES.deleted ? {} : { task }),
      ...(changed ? { changed } : {}),
      occurredAt: occurredAt.toISOString(),
    };
    const event = makeEvent({ type, source: this.deps.source, subject: task.id, data, time: occurredAt });
    try {
      await this.deps.publisher.publish(TOPICS.taskEvents, event, task.id);
    } catch (err) {
      throw new DependencyError(`the change was saved, but publishing its ${type} event`, err);
    }
    if (type === TASK_EVENT_TYPES.deleted) {
      await this.deps.reminders.cancel(task.id).catch((err: unknown) => this.deps.log.warn('could not delete the reminder job', { taskId: task.id, err: String(err) }));
    } else if (reminderChanged(before, task)) {
      await this.deps.reminders.sync(task).catch((err: unknown) => {
        this.deps.log.error('could not schedule the reminder job', { taskId: task.id, err: err instanceof Error ? err.message : String(err) });
        throw new DependencyError('the change was saved, but scheduling its reminder', err);
      });
    }
  }
}
