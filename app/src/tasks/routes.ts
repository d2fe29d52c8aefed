/**
 * The HTTP API of tasks and notifications. Every route needs a bearer JWT; ids are the caller's own
 * (another user's task is simply not found). Responses carry the task's ETag (its revision); PATCH, POST .../complete
 * and DELETE honour If-Match (a stale one gets 409 with the current ETag).
 */
import { HttpError } from '../http/errors.js';
import type { Request, Response, Router } from '../http/router.js';
import type { Authenticator, User } from '../auth/authenticator.js';
import type { Notifications } from '../notifications.js';
import { parseFilters } from './filters.js';
import { TASK_ID } from './model.js';
import { parseIfMatch, type TaskService, type Versioned } from './service.js';

function taskId(req: Request): string {
  const id = req.params.id ?? '';
  if (!TASK_ID.test(id)) throw new HttpError(404, 'not_found', `task ${id.slice(0, 64)} not found`);
  return id;
}

const versioned = (status: number, v: Versioned, extra: Record<string, string> = {}): Response => ({ status, body: v.task, headers: { etag: `"${v.etag}"`, ...extra } });

export interface TaskRouteDeps {
  auth: Authenticator;
  tasks: TaskService;
  notifications: Notifications;
  devSignIn: boolean;
}

export function addTaskRoutes(router: Router, deps: TaskRouteDeps): void {
  const { auth, tasks, notifications } = deps;
  const authed =
    (fn: (req: Request, user: User) => Promise<Response>) =>
    (req: Request): Promise<Response> => {
      const user = auth.authenticate(req.headers.authorization);
      return fn(req, user);
    };
  const ifMatch = (req: Request): string | undefined => parseIfMatch(req.headers['if-match']);

  router
    .get('/api/me', authed(async (_req, user) => ({ status: 200, body: user })))
    .get(
      '/api/tasks',
      authed(async (req, user) => {
        const filters = parseFilters(req.query);
        const { items, total, truncated } = await tasks.list(user.id, filters);
        return { status: 200, body: { items, total, truncated } };
      }),
    )
    .post(
      '/api/tasks',
      authed(async (req, user) => {
        const v = await tasks.create(user.id, req.body, { idempotencyKey: req.headers['idempotency-key'] as string | undefined });
        // A retried create (same id or Idempotency-Key) answers as the first one did, and says so.
        return versioned(201, v, { location: `/api/tasks/${v.task.id}`, ...(v.replayed ? { 'idempotent-replayed': 'true' } : {}) });
      }),
    )
    .get('/api/tasks/:id', authed(async (req, user) => versioned(200, await tasks.get(user.id, taskId(req)))))
    .patch('/api/tasks/:id', authed(async (req, user) => versioned(200, await tasks.update(user.id, taskId(req), req.body, ifMatch(req)))))
    .post('/api/tasks/:id/complete', authed(async (req, user) => versioned(200, await tasks.complete(user.id, taskId(req), ifMatch(req)))))
    .delete(
      '/api/tasks/:id',
      authed(async (req, user) => {
        await tasks.remove(user.id, taskId(req), ifMatch(req));
        return { status: 204 };
      }),
    )
    .get('/api/notifications', authed(async (_req, user) => ({ status: 200, body: { items: await notifications.list(user.id) } })));

  // What the UI needs to know before anyone signs in.
  router.get('/auth/config', () => ({ status: 200, body: { devSignIn: deps.devSignIn } }));
  if (deps.devSignIn) {
    router.post('/auth/dev-token', (req) => {
      const user = (req.body as { user?: unknown } | undefined)?.user;
      if (typeof user !== 'string' || !user.trim()) throw new HttpError(400, 'invalid_request', 'send {"user": "<name>"}');
      try {
        return { status: 200, body: { token: auth.devToken(user.trim()), user: user.trim() } };
      } catch (err) {
        throw new HttpError(400, 'invalid_request', err instanceof Error ? err.message : String(err));
      }
    });
  }
}
