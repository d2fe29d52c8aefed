/**
 * The task operations: validate, write with optimistic concurrency, publish the task event, keep the
 * reminder job in step. Order per change: the task and its pending event in one state transaction (the
 * outbox, events/outbox.ts: a stored change always reaches task-events, at least once), then the publish,
 * then the job. A failed publish does not fail the request: the event is stored and the outbox relay
 * publishes it. A create can be retried safely: with the client's own `id` or an `Idempotency-Key`, a
 * retry finds the first attempt's task instead of making a second, and an error after the task was (or
 * may have been) stored names its id.
 */
import { createHash, randomUUID } from 'node:crypto';
import { TASK_EVENT_TYPES, TOPICS, type TaskEventData, type TaskEventType } from '../contract.js';
import { ConcurrencyError } from '../dapr/port.js';
import { makeEvent } from '../events/cloudevents.js';
import type { Outbox } from '../events/outbox.js';
import { DependencyError, HttpError, notFound, staleEtag, ValidationError } from '../http/errors.js';
import type { Logger } from '../log.js';
import { applyFilters, type TaskFilters } from './filters.js';
import { parseCreate, parsePatch, sameCreate, type Task } from './model.js';
import { reminderChanged, type Reminders } from './reminders.js';
import type { Stored, TaskRepository } from './repository.js';

export interface TaskServiceDeps {
  repo: TaskRepository;
  outbox: Outbox;
  reminders: Reminders;
  log: Logger;
  /** CloudEvent source of task events (the app id). */
  source: string;
  now?: () => Date;
  newId?: () => string;
}

/** A task and its HTTP ETag (its revision); `replayed`: a retried create found the first attempt's task. */
export interface Versioned {
  task: Task;
  etag: string;
  replayed?: boolean;
}

/** Idempotency-Key: 1-255 visible ASCII characters (a UUID is typical). */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * The task id an Idempotency-Key stands for: a UUID (version 8, "custom") from SHA-256 of the user and the
 * key, so the same user's retries name the same task and no one else's key can.
 */
export function idempotentTaskId(userId: string, key: string): string {
  const h = createHash('sha256').update(`todo-idempotency-key\0${userId}\0${key}`).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
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

  /**
   * Creates a task. With the body's `id` or an Idempotency-Key, a retry finds the first attempt's task:
   * the same fields answer as the first create did (its reminder job made sure of), other fields are a
   * conflict (409 for an id, 422 for a key). An error after the task was, or may have been, stored
   * carries its id (details.taskId, Location), so the client can look (GET) or retry with that id.
   */
  async create(userId: string, body: unknown, options: { idempotencyKey?: string } = {}): Promise<Versioned> {
    const { id: chosenId, ...fields } = parseCreate(body);
    const key = options.idempotencyKey;
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) throw new ValidationError([{ field: 'Idempotency-Key', problem: 'must be 1-255 visible ASCII characters (a UUID is typical)' }]);
    if (key !== undefined && chosenId !== undefined) throw new ValidationError([{ field: 'id', problem: 'send either an id or an Idempotency-Key header, not both' }]);
    const id = chosenId ?? (key !== undefined ? idempotentTaskId(userId, key) : this.newId());
    const retriable = chosenId !== undefined || key !== undefined;
    const at = this.now();
    const task: Task = { id, userId, ...fields, createdAt: at.toISOString(), updatedAt: at.toISOString(), completedAt: fields.done ? at.toISOString() : null, revision: 1 };
    const saved = (stored: boolean | 'unknown') => ({ details: { taskId: id, stored }, headers: { location: `/api/tasks/${id}` } });
    const retryWith = retriable ? 'retry with the same id or Idempotency-Key (it cannot create a second task)' : `retry with "id": "${id}" in the body (it cannot create a second task), or GET /api/tasks/${id}`;
    const event = this.event(TASK_EVENT_TYPES.created, task, undefined, at);
    try {
      await this.deps.repo.insert(task, [event.write]);
    } catch (err) {
      if (!(err instanceof ConcurrencyError)) throw new DependencyError(`storing task ${id} (it may or may not be stored)`, err, { advice: retryWith, ...saved('unknown') });
      if (!retriable) throw await this.conflict(err, userId, id);
      return this.replay(userId, id, fields, key !== undefined);
    }
    await this.afterChange(event, task, undefined, { advice: retriable ? 'retry the same create to schedule it' : `retry the create with "id": "${id}" in the body to schedule it`, ...saved(true) });
    return versioned(task);
  }

  /** A retried create: the task the first attempt stored, with its reminder job made sure of. */
  private async replay(userId: string, id: string, fields: Omit<Task, 'id' | 'userId' | 'createdAt' | 'updatedAt' | 'completedAt' | 'revision'>, byKey: boolean): Promise<Versioned> {
    const existing = await this.deps.repo.get(userId, id);
    if (!existing) throw new HttpError(409, 'task_exists', `task ${id} was created and deleted since: create it with another id (or Idempotency-Key)`);
    // Once changed, a task no longer shows what it was created from: a retry that late gets it as it is.
    if (existing.task.revision === 1 && !sameCreate(existing.task, fields)) {
      throw byKey
        ? new HttpError(422, 'idempotency_key_reused', 'this Idempotency-Key was used for a create with other fields: use a new key for a new task', { taskId: id })
        : new HttpError(409, 'task_exists', `a task with id ${id} and other fields exists: choose another id for a new task`, { taskId: id });
    }
    if (reminderChanged(undefined, existing.task)) {
      await this.deps.reminders.sync(existing.task).catch((err: unknown) => {
        throw new DependencyError(`task ${id} is stored, but scheduling its reminder`, err, { advice: 'retry the same create to schedule it', details: { taskId: id, stored: true }, headers: { location: `/api/tasks/${id}` } });
      });
    }
    this.deps.log.info('a retried create found its task', { taskId: id, by: byKey ? 'Idempotency-Key' : 'id' });
    return { ...versioned(existing.task), replayed: true };
  }

  /** PATCH: the fields given. `ifMatch` (the client's ETag) makes it conditional: stale -> 409. */
  async update(userId: string, taskId: string, body: unknown, ifMatch?: string): Promise<Versioned> {
    const current = await this.current(userId, taskId, ifMatch);
    const patch = parsePatch(body, current.task);
    const at = this.now().toISOString();
    const completing = patch.done === true && !current.task.done;
    const next: Task = { ...current.task, ...patch, updatedAt: at, revision: current.task.revision + 1, completedAt: patch.done === undefined ? current.task.completedAt : patch.done ? (current.task.completedAt ?? at) : null };
    const changed = Object.keys(patch).filter((k) => JSON.stringify(patch[k as keyof typeof patch]) !== JSON.stringify(current.task[k as keyof Task]));
    // A PATCH that sends the dates schedules the job again even when they did not change (after a failed scheduling).
    const resync = 'dueAt' in patch || 'remindBefore' in patch;
    return this.write(current, next, completing ? TASK_EVENT_TYPES.completed : TASK_EVENT_TYPES.updated, changed, resync);
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
    const at = this.now();
    const gone: Task = { ...current.task, revision: current.task.revision + 1 };
    const event = this.event(TASK_EVENT_TYPES.deleted, gone, undefined, at);
    try {
      await this.deps.repo.remove(userId, taskId, current.etag, [event.write]);
    } catch (err) {
      throw await this.writeFailure(err, userId, taskId, 'deleting');
    }
    await this.afterChange(event, gone, current.task, { details: { taskId, stored: true } });
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

  /**
   * A failed change of an existing task: 409 when the store's ETag refused it, else 503 naming the task
   * (the transaction may have committed before its answer was lost: GET tells, its revision says which).
   */
  private async writeFailure(err: unknown, userId: string, taskId: string, doing: string): Promise<unknown> {
    if (err instanceof ConcurrencyError) return this.conflict(err, userId, taskId);
    return new DependencyError(`${doing} task ${taskId} (it may or may not be stored)`, err, { advice: `GET /api/tasks/${taskId} shortly to see whether it was, then retry with its ETag (If-Match)`, details: { taskId, stored: 'unknown' } });
  }

  /** A write refused by the store's ETag: 409, with the current ETag when the task still exists. */
  private async conflict(err: unknown, userId: string, taskId: string): Promise<unknown> {
    if (!(err instanceof ConcurrencyError)) return err;
    const now = await this.deps.repo.get(userId, taskId).catch(() => undefined);
    return staleEtag(now ? String(now.task.revision) : undefined);
  }

  private async write(current: Stored, next: Task, type: TaskEventType, changed: string[], resync = false): Promise<Versioned> {
    const event = this.event(type, next, changed, new Date(next.updatedAt));
    try {
      await this.deps.repo.replace(next, current.etag, [event.write]);
    } catch (err) {
      throw await this.writeFailure(err, next.userId, next.id, 'storing the change of');
    }
    await this.afterChange(event, next, current.task, { resync, advice: 'send dueAt and remindBefore again (PATCH) to schedule it', details: { taskId: next.id, stored: true } });
    return versioned(next);
  }

  /** The change's task event and its outbox record (written in the change's transaction). */
  private event(type: TaskEventType, task: Task, changed: string[] | undefined, at: Date): ReturnType<Outbox['entry']> & { type: TaskEventType } {
    const data: TaskEventData = {
      userId: task.userId,
      taskId: task.id,
      ...(type === TASK_EVENT_TYPES.deleted ? {} : { task }),
      ...(changed ? { changed } : {}),
      revision: task.revision,
      occurredAt: at.toISOString(),
    };
    const event = makeEvent({ type, source: this.deps.source, subject: task.id, data, time: at });
    return { ...this.deps.outbox.entry(TOPICS.taskEvents, event, task.id), type };
  }

  /** After the commit: publish (or leave it to the outbox relay), then keep the reminder job in step. */
  private async afterChange(event: ReturnType<TaskService['event']>, task: Task, before: Task | undefined, saved: { resync?: boolean; advice?: string; details: Record<string, unknown>; headers?: Record<string, string> }): Promise<void> {
    await this.deps.outbox.publish(event.pending);
    if (event.type === TASK_EVENT_TYPES.deleted) {
      await this.deps.reminders.cancel(task.id).catch((err: unknown) => this.deps.log.warn('could not delete the reminder job', { taskId: task.id, err: String(err) }));
    } else if (saved.resync || reminderChanged(before, task)) {
      await this.deps.reminders.sync(task).catch((err: unknown) => {
        this.deps.log.error('could not schedule the reminder job', { taskId: task.id, err: err instanceof Error ? err.message : String(err) });
        throw new DependencyError(`the change of task ${task.id} was saved, but scheduling its reminder`, err, { advice: saved.advice, details: saved.details, headers: saved.headers });
      });
    }
  }
}
