import { signHs256 } from '../../../app/src/auth/jwt.js';
import { jwtKey, startLocal, stopLocal, type LocalInstance, type StackEndpoints } from '../../../app/scripts/local.js';
import { createContext } from '../../../stack/src/stack.js';
import { stack } from '../../support/stack.js';

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

export async function startTodo(instance: string, options: { probeRoute?: boolean; appArgs?: string[]; env?: Record<string, string> } = {}): Promise<Todo> {
  const info = await startLocal(ctx, endpoints(), { instance, timeoutMs: 150_000, ...options });
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
