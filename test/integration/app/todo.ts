import { spawnSync } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { signHs256 } from '../../../app/src/auth/jwt.js';
import { freePorts, jwtKey, startLocal, stopLocal, type LocalInstance, type StackEndpoints } from '../../../app/scripts/local.js';
import { createContext } from '../../../stack/src/stack.js';
import { component, stack } from '../../support/stack.js';

/**
 * The app as `npm run app -- up` runs it (the same startLocal), under its own instance name so a
 * developer's running app (instance "todo") and its consumer groups are left alone.
 */
export const ctx = createContext({ info: () => undefined, warn: (m) => console.error(m) });

export function endpoints(): StackEndpoints {
  const k = stack.kafka();
  const d = stack.dapr();
  return { kafka: { sasl: k.sasl, username: k.username, password: k.password }, postgresUrl: stack.postgres().url, helm: stack.helm().helm4, daprd: d.daprd, scheduler: d.scheduler };
}

export interface Todo {
  info: LocalInstance;
  url: string;
  token(user: string, claims?: Record<string, unknown>): string;
  call(method: string, path: string, options?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; headers: Headers; body: ReturnType<typeof JSON.parse> }>;
  stop(): Promise<void>;
}

export async function startTodo(instance: string, options: { probeRoute?: boolean; appArgs?: string[]; env?: Record<string, string>; set?: Record<string, string | number | boolean>; postgresUrl?: string } = {}): Promise<Todo> {
  const { postgresUrl, ...local } = options;
  const info = await startLocal(ctx, { ...endpoints(), ...(postgresUrl ? { postgresUrl } : {}) }, { instance, timeoutMs: 150_000, ...local });
  const key = Buffer.from(jwtKey(ctx, instance), 'utf8');
  const url = `http://127.0.0.1:${info.api.port}`;
  return {
    info,
    url,
    token: (user, claims = {}) => {
      const iat = Math.floor(Date.now() / 1000);
      return signHs256({ sub: user, iat, exp: iat + 900, ...claims }, key);
    },
    call: async (method, path, o = {}) => {
      const headers: Record<string, string> = { ...o.headers };
      if (o.token) headers.authorization = `Bearer ${o.token}`;
      if (o.body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${url}${path}`, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body), signal: AbortSignal.timeout(15_000) });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
    },
    stop: async () => {
      await stopLocal(ctx, instance);
    },
  };
}

/** Polls `probe` until it returns a value (not undefined) or the deadline passes, then fails saying what it waited for. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * psql against the stack's PostgreSQL; the output without its trailing newline. A fault run lists tens of thousands
 * of task ids (spawnSync's default 1 MiB of output would end it with ENOBUFS and no message).
 */
export function psql(sql: string): string {
  const r = spawnSync(join(String(component('postgres').details?.binDir), 'psql'), [stack.postgres().url, '-tAc', sql], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`psql ${r.error ? `could not finish: ${r.error.message}` : `exited ${r.status ?? r.signal}`}: ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * A TCP forwarder to one of the stack's servers, for one app instance only: cut() drops every connection and
 * refuses new ones for a while, as a server restart does to its clients, without touching the shared server
 * (other engineers' tests keep using it). Used for PostgreSQL (its clients connect where they are told; Kafka's
 * follow the broker's advertised address, so the broker itself is restarted instead).
 */
export class Forwarder {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async open(target: { host: string; port: number }): Promise<Forwarder> {
    const [port] = await freePorts(1);
    const f = new Forwarder(port!, target);
    await f.listen();
    return f;
  }

  private listen(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  /** Drops every connection, refuses new ones for `ms`, then forwards again. */
  async cut(ms: number): Promise<void> {
    await this.close();
    await new Promise((r) => setTimeout(r, ms));
    await this.listen();
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise((r) => server.close(() => r(undefined)));
  }
}
