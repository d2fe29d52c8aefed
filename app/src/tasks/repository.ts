/**
 * Tasks in the Dapr state store. Each task is one item (`task:<user>:<id>`); each user has an index item
 * (`tasks-of:<user>`) listing their task ids, so a list reads two round trips whatever the store. Every
 * write is a first-write transaction: a task write carries the ETag the caller read (stale -> 409), and
 * the index is changed in the same transaction, re-read and retried when another request of the same
 * user changed it first.
 */
import { ConcurrencyError, type DaprPort, type StateItem } from '../dapr/port.js';
import { HttpError } from '../http/errors.js';
import type { Task } from './model.js';

interface TaskIndex {
  ids: string[];
}

/** User ids may contain characters Dapr reserves in keys ("||"): keys carry them base64url-encoded. */
export const userKey = (userId: string): string => Buffer.from(userId, 'utf8').toString('base64url');
export const taskKey = (userId: string, taskId: string): string => `task:${userKey(userId)}:${taskId}`;
export const indexKey = (userId: string): string => `tasks-of:${userKey(userId)}`;

/** A task as stored, with the state store's ETag (PostgreSQL: the row's xmin) that guards its next write. */
export interface Stored {
  task: Task;
  etag: string;
}

/** Tasks stored before revisions existed count as revision 1. */
const withRevision = (task: Task): Task => (Number.isInteger(task.revision) && task.revision > 0 ? task : { ...task, revision: 1 });

export interface RepositoryOptions {
  maxTasksPerUser: number;
  /** Attempts when the user's index changed concurrently. */
  attempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

export class TaskRepository {
  private readonly attempts: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly dapr: DaprPort,
    private readonly options: RepositoryOptions,
  ) {
    this.attempts = options.attempts ?? 8;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  async get(userId: string, taskId: string): Promise<Stored | undefined> {
    const item = await this.dapr.getState<Task>(taskKey(userId, taskId));
    return item && { task: withRevision(item.value), etag: item.etag };
  }

  async list(userId: string): Promise<Task[]> {
    const index = await this.dapr.getState<TaskIndex>(indexKey(userId));
    if (!index || index.value.ids.length === 0) return [];
    const items = await this.dapr.getStates<Task>(index.value.ids.map((id) => taskKey(userId, id)));
    return items.map((i) => withRevision(i.value));
  }

  /** Retries `attempt` while the index changed under it (jittered backoff); other errors pass through. */
  private async withIndexRetry(attempt: (index: StateItem<TaskIndex> | undefined) => Promise<void>, userId: string): Promise<void> {
    for (let i = 1; ; i++) {
      const index = await this.dapr.getState<TaskIndex>(indexKey(userId));
      try {
        await attempt(index);
        return;
      } catch (err) {
        if (!(err instanceof ConcurrencyError) || i >= this.attempts) throw err;
        await this.sleep(Math.round(Math.random() * 10 * i));
      }
    }
  }

  /** Stores a new task and adds it to its user's index. */
  async insert(task: Task): Promise<void> {
    await this.withIndexRetry(async (index) => {
      const ids = index?.value.ids ?? [];
      if (ids.length >= this.options.maxTasksPerUser) {
        throw new HttpError(422, 'too_many_tasks', `you have ${ids.length} tasks, the most this app keeps per user; delete some first`);
      }
      await this.dapr.transact([
        { op: 'upsert', key: taskKey(task.userId, task.id), value: task },
        { op: 'upsert', key: indexKey(task.userId), value: { ids: [...ids, task.id] }, etag: index?.etag },
      ]);
    }, task.userId);
  }

  /** Replaces a task if it still has `etag`; ConcurrencyError otherwise. */
  async replace(task: Task, etag: string): Promise<void> {
    await this.dapr.transact([{ op: 'upsert', key: taskKey(task.userId, task.id), value: task, etag }]);
  }

  /** Deletes a task if it still has `etag` and removes it from the index; ConcurrencyError when stale. */
  async remove(userId: string, taskId: string, etag: string): Promise<void> {
    await this.withIndexRetry(async (index) => {
      const current = await this.get(userId, taskId);
      // A changed (or vanished) task is the caller's conflict, not a reason to retry.
      if (!current || current.etag !== etag) throw new TaskConflict(current?.task);
      const ids = (index?.value.ids ?? []).filter((id) => id !== taskId);
      await this.dapr.transact([
        { op: 'delete', key: taskKey(userId, taskId), etag },
        ...(index ? [{ op: 'upsert' as const, key: indexKey(userId), value: { ids }, etag: index.etag }] : []),
      ]);
    }, userId);
  }
}

/** The task itself changed since the caller read it (not merely its user's index). */
export class TaskConflict extends Error {
  constructor(readonly current: Task | undefined) {
    super('the task changed since it was read');
    this.name = 'TaskConflict';
  }
}
