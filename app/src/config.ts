/**
 * The app's settings, read once from the environment into a typed object. Nothing secret lives here:
 * the JWT key comes from the Dapr secret store (auth/key-source.ts), and the Kafka and PostgreSQL
 * credentials are resolved by daprd from its components.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LogLevel } from './log.js';

export type Role = 'api' | 'worker';

export interface AppConfig {
  role: Role;
  /** Dapr app id: the CloudEvent `source` of what this process publishes, and the consumer group. */
  appId: string;
  /** Public listener (UI, API, /healthz, /readyz, /metrics). */
  host: string;
  port: number;
  /** Listener Dapr calls (job callbacks, subscriptions): loopback only, daprd runs beside the app. */
  callbackHost: string;
  callbackPort: number;
  daprHost: string;
  daprHttpPort: number;
  pubsubName: string;
  stateStore: string;
  secretStore: string;
  /** The secret (a Kubernetes Secret, or the local file's entry) that holds `jwtKeyField`. */
  secretName: string;
  jwtKeyField: string;
  jwtIssuer?: string;
  jwtAudience?: string;
  /** Local development: POST /auth/dev-token mints a token for any name. Never on in the chart's OKE values. */
  devSignIn: boolean;
  logLevel: LogLevel;
  /**
   * After SIGTERM: keep serving this long with readiness failing and every answer closing its connection
   * (`Connection: close`), so clients on kept-alive connections reconnect to another pod.
   */
  shutdownDelayMs: number;
  /** Then: the listener closes and in-flight requests (and Dapr's deliveries) get this long to finish. */
  shutdownGraceMs: number;
  /**
   * Then: the outbox's publishes still running get this long to finish and published records are deleted,
   * before the Dapr app health check is made to fail (daprd then ends its block-shutdown and stops).
   */
  shutdownFlushMs: number;
  /** The most tasks a list reads (the user's newest). */
  listMaxTasks: number;
  /** The state store's PostgreSQL table (the component's tableName), for its userId index. */
  stateTable: string;
  /** The bindings.postgresql component the API creates that index through; empty: it does not. */
  stateSqlBinding: string | undefined;
  /** A task event still pending this long (its publish failed, or its process died) is the outbox relay's to publish. */
  outboxRelayAfterMs: number;
  uiDir: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const COMPONENT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$/;

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new ConfigError(`${name} must be a port number (1-65535), got "${raw}"`);
  return n;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return n;
}

function bool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function name(env: NodeJS.ProcessEnv, key: string, fallback: string): string {
  const v = env[key] || fallback;
  if (!COMPONENT_NAME.test(v)) throw new ConfigError(`${key} must be a Dapr component or secret name (letters, digits, '.', '_', '-'), got "${v}"`);
  return v;
}

/** A PostgreSQL table name as Dapr's tableName takes it: optionally schema-qualified, no quoting needed. */
function sqlName(env: NodeJS.ProcessEnv, key: string, fallback: string): string {
  const v = env[key] || fallback;
  if (!/^([a-z_][a-z0-9_]{0,62}\.)?[a-z_][a-z0-9_]{0,62}$/.test(v)) throw new ConfigError(`${key} must be a PostgreSQL table name (lower-case letters, digits, '_', optionally schema.table), got "${v}"`);
  return v;
}

function optional(env: NodeJS.ProcessEnv, key: string): string | undefined {
  const v = env[key]?.trim();
  return v ? v : undefined;
}

/**
 * The public UI's files: app/public, beside src/ (development) or dist/ (the image sets UI_DIR anyway).
 * Written so the bundler does not take it for an asset to copy.
 */
export function defaultUiDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), ['..', 'public'].join('/'));
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const role = env.APP_ROLE;
  if (role !== 'api' && role !== 'worker') throw new ConfigError(`APP_ROLE must be "api" or "worker", got "${role ?? ''}"`);
  const appId = env.APP_ID || `todo-${role}`;
  if (!DNS_LABEL.test(appId)) throw new ConfigError(`APP_ID must be a DNS label (lower-case letters, digits, '-'), got "${appId}"`);
  const logLevel = (env.LOG_LEVEL || 'info') as LogLevel;
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be debug, info, warn or error, got "${logLevel}"`);
  const config: AppConfig = {
    role,
    appId,
    host: env.HOST || '0.0.0.0',
    port: port(env, 'PORT', 8080),
    callbackHost: env.APP_CALLBACK_HOST || '127.0.0.1',
    callbackPort: port(env, 'APP_CALLBACK_PORT', 8081),
    daprHost: env.DAPR_HOST || '127.0.0.1',
    daprHttpPort: port(env, 'DAPR_HTTP_PORT', 3500),
    pubsubName: name(env, 'PUBSUB_NAME', 'pubsub'),
    stateStore: name(env, 'STATE_STORE', 'statestore'),
    secretStore: name(env, 'SECRET_STORE', 'secretstore'),
    secretName: name(env, 'SECRET_NAME', 'todo-secrets'),
    jwtKeyField: name(env, 'JWT_KEY_FIELD', 'jwt-signing-key'),
    jwtIssuer: optional(env, 'JWT_ISSUER'),
    jwtAudience: optional(env, 'JWT_AUDIENCE'),
    devSignIn: bool(env, 'DEV_SIGN_IN', false),
    logLevel,
    shutdownDelayMs: int(env, 'SHUTDOWN_DELAY_MS', 0, 0, 60_000),
    shutdownGraceMs: int(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 120_000),
    shutdownFlushMs: int(env, 'SHUTDOWN_FLUSH_MS', 5_000, 0, 120_000),
    listMaxTasks: int(env, 'LIST_MAX_TASKS', 1000, 1, 10_000),
    stateTable: sqlName(env, 'STATE_TABLE', 'state'),
    stateSqlBinding: optional(env, 'STATE_SQL_BINDING') === undefined ? undefined : name(env, 'STATE_SQL_BINDING', ''),
    outboxRelayAfterMs: int(env, 'OUTBOX_RELAY_AFTER_MS', 5_000, 200, 600_000),
    uiDir: env.UI_DIR || defaultUiDir(),
  };
  if (config.port === config.callbackPort) throw new ConfigError(`PORT and APP_CALLBACK_PORT must differ (both ${config.port})`);
  return config;
}
