/**
 * A task and the validation of what clients send: every problem is reported at once, by field, as a
 * 400. Pure functions (no Dapr, no clock unless passed), table-tested in test/unit/app/model.test.ts.
 */
import { ValidationError, type FieldProblem } from '../http/errors.js';

export const PRIORITIES = ['low', 'normal', 'high'] as const;
export type Priority = (typeof PRIORITIES)[number];

export interface Task {
  id: string;
  userId: string;
  title: string;
  description: string;
  priority: Priority;
  tags: string[];
  /** ISO 8601 UTC, or null. */
  dueAt: string | null;
  /** Duration before dueAt to remind, e.g. "15m", "2h", "1d"; null for no reminder. */
  remindBefore: string | null;
  done: boolean;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
  /**
   * 1 when created, +1 on every change: the task's HTTP ETag. Writes are still guarded by the state
   * store's own ETag (read and written in the same request), so a change that lands between a read
   * and a write is refused; the revision only names a version without another round trip to the
   * store (Dapr's write APIs do not return the new store ETag).
   */
  revision: number;
}

/** The fields a client may set. */
export type TaskFields = Pick<Task, 'title' | 'description' | 'priority' | 'tags' | 'dueAt' | 'remindBefore' | 'done'>;
export type TaskPatch = Partial<TaskFields>;

export const LIMITS = { title: 200, description: 4000, tags: 10, tag: 32, remindBeforeSeconds: 30 * 86400 } as const;
const TAG = /^[a-z0-9][a-z0-9_-]*$/;
const DURATION = /^(\d{1,7})(s|m|h|d)$/;
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;
const FIELDS = ['title', 'description', 'priority', 'tags', 'dueAt', 'remindBefore', 'done'] as const;

/** "15m" -> 900; undefined when not a duration. */
export function durationSeconds(value: string): number | undefined {
  const m = DURATION.exec(value);
  if (!m) return undefined;
  return Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS];
}

/** When a reminder is due: dueAt minus remindBefore (ms since the epoch), or undefined without one. */
export function remindAtMs(task: Pick<Task, 'dueAt' | 'remindBefore'>): number | undefined {
  if (!task.dueAt || !task.remindBefore) return undefined;
  const seconds = durationSeconds(task.remindBefore);
  return seconds === undefined ? undefined : Date.parse(task.dueAt) - seconds * 1000;
}

type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

const checks: { [K in keyof TaskFields]: (v: unknown) => Checked<TaskFields[K]> } = {
  title: (v) => {
    if (typeof v !== 'string' || v.trim().length === 0) return { ok: false, problem: 'required: a non-empty string' };
    const t = v.trim();
    return t.length > LIMITS.title ? { ok: false, problem: `at most ${LIMITS.title} characters` } : { ok: true, value: t };
  },
  description: (v) => {
    if (v === null) return { ok: true, value: '' };
    if (typeof v !== 'string') return { ok: false, problem: 'must be a string' };
    return v.length > LIMITS.description ? { ok: false, problem: `at most ${LIMITS.description} characters` } : { ok: true, value: v };
  },
  priority: (v) => (PRIORITIES.includes(v as Priority) ? { ok: true, value: v as Priority } : { ok: false, problem: `must be one of ${PRIORITIES.join(', ')}` }),
  tags: (v) => {
    if (!Array.isArray(v)) return { ok: false, problem: 'must be an array of strings' };
    if (v.length > LIMITS.tags) return { ok: false, problem: `at most ${LIMITS.tags} tags` };
    const tags: string[] = [];
    for (const t of v) {
      if (typeof t !== 'string') return { ok: false, problem: 'must be an array of strings' };
      const tag = t.trim().toLowerCase();
      if (!TAG.test(tag) || tag.length > LIMITS.tag) return { ok: false, problem: `"${t.slice(0, 40)}" is not a tag (1-${LIMITS.tag} of a-z, 0-9, '-', '_')` };
      if (!tags.includes(tag)) tags.push(tag);
    }
    return { ok: true, value: tags };
  },
  dueAt: (v) => {
    if (v === null) return { ok: true, value: null };
    // A full date-time with a zone, so "when" is never ambiguous.
    if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(v) || Number.isNaN(Date.parse(v))) {
      return { ok: false, problem: 'must be an ISO 8601 date-time with a time zone, e.g. 2030-01-31T17:00:00Z, or null' };
    }
    // Date.parse rolls 2030-02-31 over to March: refuse days the month does not have.
    const [y, m, d] = v.slice(0, 10).split('-').map(Number) as [number, number, number];
    const day = new Date(Date.UTC(y, m - 1, d));
    if (day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d) return { ok: false, problem: `${v.slice(0, 10)} is not a calendar date` };
    return { ok: true, value: new Date(Date.parse(v)).toISOString() };
  },
  remindBefore: (v) => {
    if (v === null) return { ok: true, value: null };
    const seconds = typeof v === 'string' ? durationSeconds(v) : undefined;
    if (seconds === undefined) return { ok: false, problem: 'must be a duration such as "30s", "15m", "2h" or "1d", or null' };
    if (seconds > LIMITS.remindBeforeSeconds) return { ok: false, problem: 'at most 30 days' };
    return { ok: true, value: v as string };
  },
  done: (v) => (typeof v === 'boolean' ? { ok: true, value: v } : { ok: false, problem: 'must be true or false' }),
};

function checkObject(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ValidationError([{ field: 'body', problem: 'must be a JSON object' }]);
  return body as Record<string, unknown>;
}

function collect(input: Record<string, unknown>, problems: FieldProblem[]): TaskPatch {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(input)) {
    if (!(FIELDS as readonly string[]).includes(key)) problems.push({ field: key, problem: `unknown field (allowed: ${FIELDS.join(', ')}${key === 'id' ? '; id only when creating' : ''})` });
  }
  for (const field of FIELDS) {
    if (!(field in input)) continue;
    const r = checks[field](input[field]);
    if (r.ok) out[field] = r.value;
    else problems.push({ field, problem: r.problem });
  }
  return out as TaskPatch;
}

/** A reminder needs a due date. */
function crossCheck(fields: Pick<TaskFields, 'dueAt' | 'remindBefore'>, problems: FieldProblem[]): void {
  if (fields.remindBefore && !fields.dueAt) problems.push({ field: 'remindBefore', problem: 'needs dueAt' });
}

/** Task ids: lower-case UUIDs (the server's random ones, a client's own, or derived from an Idempotency-Key). */
export const TASK_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A create's fields, and `id` when the client chose the task's id (a lower-case UUID): a retried create
 * with the same id then finds the first one's task instead of making a second.
 */
export function parseCreate(body: unknown): TaskFields & { id?: string } {
  const problems: FieldProblem[] = [];
  const { id, ...input } = checkObject(body);
  if (id !== undefined && (typeof id !== 'string' || !TASK_ID.test(id))) problems.push({ field: 'id', problem: 'must be a lower-case UUID (e.g. from crypto.randomUUID()), or left out for the server to choose' });
  const got = collect(input, problems);
  if (!('title' in input)) problems.push({ field: 'title', problem: 'required: a non-empty string' });
  const fields: TaskFields = { title: got.title ?? '', description: got.description ?? '', priority: got.priority ?? 'normal', tags: got.tags ?? [], dueAt: got.dueAt ?? null, remindBefore: got.remindBefore ?? null, done: got.done ?? false };
  crossCheck(fields, problems);
  if (problems.length) throw new ValidationError(problems);
  return typeof id === 'string' ? { ...fields, id } : fields;
}

/** Whether a stored task was created from these fields (a retried create, not another task under the same id). */
export function sameCreate(task: Task, fields: TaskFields): boolean {
  return FIELDS.every((f) => JSON.stringify(task[f]) === JSON.stringify(fields[f]));
}

/** A PATCH: the fields present, checked against the task they will change. */
export function parsePatch(body: unknown, current: Task): TaskPatch {
  const problems: FieldProblem[] = [];
  const patch = collect(checkObject(body), problems);
  if (Object.keys(patch).length === 0 && problems.length === 0) problems.push({ field: 'body', problem: `change at least one of ${FIELDS.join(', ')}` });
  crossCheck({ dueAt: patch.dueAt !== undefined ? patch.dueAt : current.dueAt, remindBefore: patch.remindBefore !== undefined ? patch.remindBefore : current.remindBefore }, problems);
  if (problems.length) throw new ValidationError(problems);
  return patch;
}
