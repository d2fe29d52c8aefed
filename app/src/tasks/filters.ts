/**
 * GET /api/tasks?status=open|done|all&tag=x&priority=high&dueBefore=<date-time>&limit=N
 * Parsing (400 on anything unknown or malformed) and applying the filters, then a stable order:
 * open before done, then by due date (none last), then newest first.
 */
import { ValidationError, type FieldProblem } from '../http/errors.js';
import { PRIORITIES, type Priority, type Task } from './model.js';

export interface TaskFilters {
  status: 'open' | 'done' | 'all';
  tag?: string;
  priority?: Priority;
  /** ms since the epoch: tasks due strictly before it (tasks without a due date never match). */
  dueBefore?: number;
  limit: number;
}

const KNOWN = ['status', 'tag', 'priority', 'dueBefore', 'limit'];
export const MAX_LIMIT = 500;

export function parseFilters(query: URLSearchParams): TaskFilters {
  const problems: FieldProblem[] = [];
  for (const key of new Set(query.keys())) {
    if (!KNOWN.includes(key)) problems.push({ field: key, problem: `unknown filter (allowed: ${KNOWN.join(', ')})` });
    else if (query.getAll(key).length > 1) problems.push({ field: key, problem: 'give it once' });
  }
  const filters: TaskFilters = { status: 'all', limit: 100 };
  const status = query.get('status');
  if (status !== null) {
    if (status === 'open' || status === 'done' || status === 'all') filters.status = status;
    else problems.push({ field: 'status', problem: 'must be open, done or all' });
  }
  const tag = query.get('tag');
  if (tag !== null) filters.tag = tag.trim().toLowerCase();
  const priority = query.get('priority');
  if (priority !== null) {
    if (PRIORITIES.includes(priority as Priority)) filters.priority = priority as Priority;
    else problems.push({ field: 'priority', problem: `must be one of ${PRIORITIES.join(', ')}` });
  }
  const dueBefore = query.get('dueBefore');
  if (dueBefore !== null) {
    const t = Date.parse(dueBefore);
    if (Number.isNaN(t)) problems.push({ field: 'dueBefore', problem: 'must be an ISO 8601 date or date-time' });
    else filters.dueBefore = t;
  }
  const limit = query.get('limit');
  if (limit !== null) {
    const n = Number(limit);
    if (Number.isInteger(n) && n >= 1 && n <= MAX_LIMIT) filters.limit = n;
    else problems.push({ field: 'limit', problem: `must be an integer from 1 to ${MAX_LIMIT}` });
  }
  if (problems.length) throw new ValidationError(problems);
  return filters;
}

export function matches(task: Task, f: TaskFilters): boolean {
  if (f.status === 'open' && task.done) return false;
  if (f.status === 'done' && !task.done) return false;
  if (f.tag !== undefined && !task.tags.includes(f.tag)) return false;
  if (f.priority !== undefined && task.priority !== f.priority) return false;
  if (f.dueBefore !== undefined && (task.dueAt === null || Date.parse(task.dueAt) >= f.dueBefore)) return false;
  return true;
}

function compare(a: Task, b: Task): number {
  if (a.done !== b.done) return a.done ? 1 : -1;
  const da = a.dueAt ? Date.parse(a.dueAt) : Number.POSITIVE_INFINITY;
  const db = b.dueAt ? Date.parse(b.dueAt) : Number.POSITIVE_INFINITY;
  if (da !== db) return da < db ? -1 : 1;
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? 1 : -1;
  return a.id < b.id ? -1 : 1;
}

export function applyFilters(tasks: Task[], f: TaskFilters): { items: Task[]; total: number } {
  const selected = tasks.filter((t) => matches(t, f)).sort(compare);
  return { items: selected.slice(0, f.limit), total: selected.length };
}
