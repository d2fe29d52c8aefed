/**
 * The node:http glue: reads and parses the body (size-limited JSON), sets the trace context from the
 * `traceparent` header, runs the matched handler, maps errors to JSON problems, counts and times every
 * request, writes an access log line, and shuts down gracefully: drain() makes every answer close its
 * connection (clients on kept-alive connections reconnect, to another pod), close() stops accepting and
 * lets in-flight requests finish first.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { withTrace, type Logger } from '../log.js';
import type { AppMetrics } from '../metrics.js';
import { continueTrace } from '../trace.js';
import { DaprError } from '../dapr/port.js';
import { DependencyError, HttpError } from './errors.js';
import type { Request, Response, Router } from './router.js';

export interface ListenerOptions {
  /** 'public' or 'callback': a metrics label and a log field. */
  name: string;
  host: string;
  port: number;
  router: Router;
  log: Logger;
  metrics: AppMetrics;
  maxBodyBytes?: number;
}

export interface Listener {
  port: number;
  /** Requests being handled now. */
  readonly inFlight: number;
  /** From now on every answer carries `Connection: close` (its connection ends after it). */
  drain(): void;
  /** Resolves when no request is in flight (true), or after `ms` (false). */
  idle(ms: number): Promise<boolean>;
  /** Stops accepting, closes idle connections, lets in-flight requests finish for up to `graceMs`, then cuts the rest. */
  close(graceMs: number): Promise<void>;
}

/** Quiet routes: probes and scrapes log at debug, not info. */
const QUIET = new Set(['/healthz', '/readyz', '/metrics', '/dapr/subscribe', '/dapr/config']);

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, 'body_too_large', `request body larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  if (!contentType || !/json/i.test(contentType)) {
    throw new HttpError(415, 'unsupported_media_type', 'send JSON (content-type: application/json)');
  }
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'invalid_json', 'the request body is not valid JSON');
  }
}

function send(res: ServerResponse, response: Response, head: boolean): void {
  const headers: Record<string, string> = { 'cache-control': 'no-store', ...response.headers };
  let payload: string | Buffer = '';
  if (response.raw !== undefined) {
    payload = response.raw;
    headers['content-type'] = response.contentType ?? 'application/octet-stream';
  } else if (response.body !== undefined) {
    payload = JSON.stringify(response.body);
    headers['content-type'] = response.contentType ?? 'application/json; charset=utf-8';
  }
  headers['content-length'] = String(Buffer.byteLength(payload));
  res.writeHead(response.status, headers);
  res.end(head ? undefined : payload);
}

export function errorResponse(err: unknown): Response {
  // Dapr (or PostgreSQL, Kafka, the scheduler behind it) failing is a 503, never a 500: the client may retry.
  if (err instanceof DaprError) return errorResponse(new DependencyError(err.operation, err));
  if (err instanceof HttpError) {
    return { status: err.status, headers: err.headers, body: { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } } };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'internal error; see the app log for this trace id' } } };
}

export async function listen(options: ListenerOptions): Promise<Listener> {
  const { router, log, metrics, name } = options;
  const limit = options.maxBodyBytes ?? 256 * 1024;
  let inFlight = 0;
  let draining = false;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const t0 = performance.now();
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://app');
    const trace = continueTrace(req.headers.traceparent);
    let route = 'unmatched';
    let response: Response;
    await withTrace(trace, async () => {
      try {
        const match = router.match(method, url.pathname);
        if (match.kind === 'none') throw new HttpError(404, 'not_found', `no route for ${method} ${url.pathname}`);
        if (match.kind === 'method') throw new HttpError(405, 'method_not_allowed', `${method} is not allowed here`, undefined, { allow: match.allow.join(', ') });
        route = match.route;
        const body = parseBody(await readBody(req, limit), req.headers['content-type']);
        const request: Request = { method, path: url.pathname, route, params: match.params, query: url.searchParams, headers: req.headers, body, trace, log };
        response = await match.handler(request);
      } catch (err) {
        response = errorResponse(err);
        // Expected answers (4xx, not ready) are no errors; the unexpected and failed dependencies are.
        if (!(err instanceof HttpError) || err instanceof DependencyError) log.error('request failed', { method, route, err: err instanceof Error ? err : String(err), cause: err instanceof Error && err.cause instanceof Error ? err.cause.message : undefined });
      }
      if (!res.headersSent) send(res, { ...response, headers: { traceparent: trace.traceparent, ...response.headers, ...(draining ? { connection: 'close' } : {}) } }, method === 'HEAD');
      const seconds = (performance.now() - t0) / 1000;
      const status = String(response.status);
      metrics.httpRequests.inc({ listener: name, method, route, status });
      metrics.httpDuration.observe({ listener: name, route }, seconds);
      const line = { listener: name, method, route, status: response.status, ms: Math.round(seconds * 10_000) / 10 };
      // Probes, scrapes and Dapr's successful deliveries log at debug: one info line per event is noise.
      if ((QUIET.has(route) || name === 'callback') && response.status < 400) log.debug('request', line);
      else log.info('request', line);
    });
  };

  const server: Server = createServer((req, res) => {
    inFlight++;
    res.once('close', () => inFlight--);
    handle(req, res).catch((err: unknown) => {
      log.error('response failed', { err: err instanceof Error ? err : String(err) });
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.keepAliveTimeout = 65_000; // longer than typical load balancer idle timeouts
  server.headersTimeout = 66_000;
  server.requestTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const idle = async (ms: number): Promise<boolean> => {
    const deadline = Date.now() + ms;
    while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return inFlight === 0;
  };

  return {
    port,
    get inFlight() {
      return inFlight;
    },
    drain: () => {
      draining = true;
    },
    idle,
    close: async (graceMs: number) => {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (!(await idle(graceMs))) log.warn('grace period over: cutting the requests still in flight', { listener: name, inFlight, graceMs });
      server.closeAllConnections();
      await closed;
    },
  };
}
