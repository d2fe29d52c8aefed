/**
 * Tasks in the Dapr state store: one item per task (`task:<user>:<id>`), listed per user with Dapr's
 * state Query API (`userId` equal, newest first), which PostgreSQL answers from an expression index on
 * `value->>'userId'` (tasks/state-index.ts creates it). A create is one transaction (the task and its
 * outbox record) and nothing else: no per-user index item to read, rewrite and retry under contention.
 *
 * Every write is first-write: a new task must not exist yet, a change or delete carries the store ETag
 * the caller read (stale -> ConcurrencyError -> 409). Each write takes the change's outbox record along
 * (events/outbox.ts): the task and its pending event are stored in one transaction, or neither.
 */
import type { DaprPort, StateWrite } from '../dapr/port.js';
import type { Task } from './model.js';

/** User ids may contain characters Dapr reserves in keys ("||"): keys carry them base64url-encoded. */
export const userKey = (userId: string): string => Buffer.from(userId, 'utf8').toString('base64url');
export const taskKey = (userId: string, taskId: string): string => `task:${userKey(userId)}:${taskId}`;

/** A task as stored, with the state store's ETag (PostgreSQL: the row's xmin) that guards its next write. */
export interface Stored {
  task: Task;
  etag: string;
}

export interface RepositoryOptions {
  /** The most tasks a list reads (a user's newest); more make the list say `truncated`. */
  listMaxTasks: number;
}

/** Tasks stored before revisions existed count as revision 1. */
const withRevision = (task: Task): Task => (Number.isInteger(task.revision) && task.revision > 0 ? task : { ...task, revision: 1 });

/**
 * A stored value is one of this user's tasks: the query matches on `userId` alone, and only tasks carry
 * a top-level `userId` (notification lists and the index items of earlier versions do not).
 */
const isTask = (v: unknown, userId: string): v is Task => !!v && typeof v === 'object' && (v as Task).userId === userId && typeof (v as Task).id === 'string';

export class TaskRepository {
  constructor(
    private readonly dapr: DaprPort,
    private readonly options: RepositoryOptions,
  ) {}

  async get(userId: string, taskId: string): Promise<Stored | undefined> {
    const item = await this.dapr.getState<Task>(taskKey(userId, taskId));
    return item && { task: withRevision(item.value), etag: item.etag };
  }

  /** The user's tasks, newest first, at most listMaxTasks of them. */
  async list(userId: string): Promise<{ tasks: Task[]; truncated: boolean }> {
    const limit = this.options.listMaxTasks;
    const { items } = await this.dapr.queryState<Task>({ filter: { EQ: { userId } }, sort: [{ key: 'createdAt', order: 'DESC' }], page: { limit: limit + 1 } });
    const tasks = items.map((i) => i.value).filter((v) => isTask(v, userId));
    return { tasks: tasks.slice(0, limit).map(withRevision), truncated: tasks.length > limit };
  }

  /** Stores a new task (its key must not exist yet), with `also` (the outbox's record) in the same transaction. */
  async insert(task: Task, also: StateWrite[] = []): Promise<void> {
    await this.dapr.transact([{ op: 'upsert', key: taskKey(task.userId, task.id), value: task }, ...also]);
  }

  /** Replaces a task if it still has `etag` (ConcurrencyError otherwise), with `also` in the same transaction. */
  async replace(task: Task, etag: string, also: StateWrite[] = []): Promise<void> {
    await this.dapr.transact([{ op: 'upsert', key: taskKey(task.userId, task.id), value: task, etag }, ...also]);
  }

  /** Deletes a task if it still has `etag` (ConcurrencyError otherwise), with `also` in the same transaction. */
  async remove(userId: string, taskId: string, etag: string, also: StateWrite[] = []): Promise<void> {
    await this.dapr.transact([{ op: 'delete', key: taskKey(userId, taskId), etag }, ...also]);
  }
}
