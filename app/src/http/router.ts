/**
 * Routes `METHOD /path/:param` patterns to handlers. A path that matches with another method gets 405
 * with Allow; no match gets 404. Handlers receive a parsed Request and return a Response (or throw an
 * HttpError); they never touch node:http.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger, TraceContext } from '../log.js';

export interface Request {
  method: string;
  path: string;
  /** The route pattern that matched, e.g. /api/tasks/:id (the metrics label). */
  route: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Parsed JSON for JSON content types; undefined for an empty body. */
  body: unknown;
  trace: TraceContext;
  log: Logger;
}

export interface Response {
  status: number;
  /** JSON-serialised unless `raw` is given. */
  body?: unknown;
  raw?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}

export type Handler = (req: Request) => Promise<Response> | Response;

interface Route {
  method: string;
  pattern: string;
  parts: string[];
  handler: Handler;
}

export type Match = { kind: 'found'; route: string; handler: Handler; params: Record<string, string> } | { kind: 'method'; allow: string[] } | { kind: 'none' };

function split(path: string): string[] {
  return path.split('/').filter((p) => p.length > 0);
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler): this {
    this.routes.push({ method: method.toUpperCase(), pattern, parts: split(pattern), handler });
    return this;
  }

  get(pattern: string, handler: Handler): this {
    return this.add('GET', pattern, handler);
  }

  post(pattern: string, handler: Handler): this {
    return this.add('POST', pattern, handler);
  }

  patch(pattern: string, handler: Handler): this {
    return this.add('PATCH', pattern, handler);
  }

  delete(pattern: string, handler: Handler): this {
    return this.add('DELETE', pattern, handler);
  }

  match(method: string, path: string): Match {
    const parts = split(path);
    const allow = new Set<string>();
    for (const r of this.routes) {
      const params = matchParts(r.parts, parts);
      if (!params) continue;
      if (r.method === method || (method === 'HEAD' && r.method === 'GET')) return { kind: 'found', route: r.pattern, handler: r.handler, params };
      allow.add(r.method);
    }
    return allow.size ? { kind: 'method', allow: [...allow].sort() } : { kind: 'none' };
  }
}

function matchParts(pattern: string[], parts: string[]): Record<string, string> | undefined {
  const last = pattern[pattern.length - 1];
  const rest = last?.startsWith('*');
  if (rest ? parts.length < pattern.length - 1 : parts.length !== pattern.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p.startsWith('*')) {
      params[p.slice(1) || 'rest'] = parts.slice(i).map(safeDecode).join('/');
      return params;
    }
    const actual = parts[i];
    if (actual === undefined) return undefined;
    if (p.startsWith(':')) params[p.slice(1)] = safeDecode(actual);
    else if (p !== actual) return undefined;
  }
  return params;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
