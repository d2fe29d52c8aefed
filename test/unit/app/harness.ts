import { startApp, type RunningApp } from '../../../app/src/app.js';
import { signHs256 } from '../../../app/src/auth/jwt.js';
import { loadConfig, type AppConfig } from '../../../app/src/config.js';
import { memoryLogger } from '../../../app/src/log.js';
import { FakeDapr } from './fake-dapr.js';

/** A parsed JSON body (JSON.parse's own type: tests read fields freely). */
export type Json = ReturnType<typeof JSON.parse>;

export const JWT_KEY = 'unit-test-signing-key-0123456789abcdef';

export interface InProcessApp {
  app: RunningApp;
  dapr: FakeDapr;
  log: ReturnType<typeof memoryLogger>;
  url: string;
  callbackUrl: string;
  token(user: string, extra?: Record<string, unknown>): string;
  call(method: string, path: string, options?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; headers: Headers; body: Json; text: string }>;
  stop(): Promise<void>;
}

/** One role of the app in this process, on free loopback ports, against a FakeDapr. */
export async function startInProcess(role: 'api' | 'worker', env: Record<string, string> = {}, setup?: (dapr: FakeDapr) => void): Promise<InProcessApp> {
  const dapr = new FakeDapr();
  dapr.secrets['todo-secrets'] = { 'jwt-signing-key': JWT_KEY };
  setup?.(dapr);
  const log = memoryLogger('debug');
  const config: AppConfig = { ...loadConfig({ APP_ROLE: role, ...env }), host: '127.0.0.1', port: 0, callbackPort: 0, shutdownGraceMs: 500 };
  const app = await startApp(config, { dapr, log, keyRetryMs: 20 });
  const url = `http://127.0.0.1:${app.port}`;
  const callbackUrl = `http://127.0.0.1:${app.callbackPort}`;
  const token = (user: string, extra: Record<string, unknown> = {}): string => {
    const iat = Math.floor(Date.now() / 1000);
    return signHs256({ sub: user, iat, exp: iat + 600, ...extra }, Buffer.from(JWT_KEY));
  };
  const call: InProcessApp['call'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] ??= 'application/json';
    const base = path.startsWith('/job/') || path.startsWith('/events/') || path.startsWith('/dapr/') ? callbackUrl : url;
    const res = await fetch(`${base}${path}`, { method, headers, body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body) });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON
    }
    return { status: res.status, headers: res.headers, body, text };
  };
  // The API loads its key in the background; wait until it is ready (or the test's deadline).
  if (role === 'api' && dapr.secrets['todo-secrets']?.['jwt-signing-key']) {
    const deadline = Date.now() + 5_000;
    while (!(await app.isReady()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }
  return { app, dapr, log, url, callbackUrl, token, call, stop: () => app.stop() };
}
