/**
 * Errors a handler throws to answer with a 4xx or 5xx: a stable `code` for programs and a message for
 * people. Anything else thrown is a 500 whose details stay in the log.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface FieldProblem {
  field: string;
  problem: string;
}

/** 400 with one entry per invalid field. */
export class ValidationError extends HttpError {
  constructor(readonly problems: FieldProblem[]) {
    super(400, 'invalid_request', problems.map((p) => `${p.field}: ${p.problem}`).join('; '), { problems });
    this.name = 'ValidationError';
  }
}

export const notFound = (what: string): HttpError => new HttpError(404, 'not_found', `${what} not found`);

/** 401 with the RFC 6750 challenge, so clients know to (re)authenticate. */
export function unauthorized(description: string): HttpError {
  const safe = description.replace(/"/g, "'");
  return new HttpError(401, 'unauthorized', description, undefined, { 'www-authenticate': `Bearer realm="todo", error="invalid_token", error_description="${safe}"` });
}

/** 409: the task changed since the client read it (its If-Match ETag is stale). */
export function staleEtag(currentEtag: string | undefined): HttpError {
  return new HttpError(
    409,
    'etag_mismatch',
    'the task was changed by someone else since you read it: read it again (GET) and retry with its new ETag',
    currentEtag ? { currentEtag } : undefined,
    currentEtag ? { etag: `"${currentEtag}"` } : {},
  );
}

/**
 * 503: a dependency (Dapr, and through it PostgreSQL, Kafka, the scheduler) failed. `what` says what
 * failed; `advice` replaces "try again shortly" when a plain retry is not the right thing (a change that
 * was, or may have been, stored: the details then carry its `taskId` and `stored`). Always with a
 * `Retry-After` header (RETRY_AFTER_SECONDS) and `details.retryAfterSeconds`.
 */
export const RETRY_AFTER_SECONDS = 2;

export class DependencyError extends HttpError {
  constructor(what: string, cause: unknown, options: { advice?: string; details?: Record<string, unknown>; headers?: Record<string, string> } = {}) {
    super(503, 'dependency_unavailable', `${what} failed; ${options.advice ?? 'try again shortly'}`, { ...options.details, retryAfterSeconds: RETRY_AFTER_SECONDS }, { 'retry-after': String(RETRY_AFTER_SECONDS), ...options.headers });
    this.name = 'DependencyError';
    this.cause = cause;
  }
}
