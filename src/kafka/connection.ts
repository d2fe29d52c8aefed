import { isIP } from 'node:net';
import type { BaseOptions, ConnectionPool } from '@platformatic/kafka';
import { OperationError } from '../core/errors.js';
import { retry } from '../core/retry.js';
import type { Logger } from '../core/log.js';
import { describeConnection, type KafkaConnection } from './connection-inputs.js';
import { classifyKafkaError, isRetryableConnectError } from './errors.js';

/**
 * KafkaConnection -> @platformatic/kafka client options, and the one way to connect: attempts with
 * backoff while the brokers are unreachable, no retry on a refused password or an untrusted
 * certificate, and an overall deadline of the connection's timeout, whatever the client does.
 * Only types are imported from @platformatic/kafka here; callers bring the client class.
 */
function hostOf(broker: string): string {
  return broker.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
}

/** Options for any @platformatic/kafka client (Admin, Producer, Consumer). Library retries are off: connect() retries. */
export function clientOptions(conn: KafkaConnection): BaseOptions {
  const options: BaseOptions = {
    clientId: conn.clientId,
    bootstrapBrokers: conn.brokers,
    connectTimeout: Math.min(conn.timeoutMs, 10_000),
    requestTimeout: conn.timeoutMs,
    timeout: conn.timeoutMs,
    retries: 0,
  };
  if (conn.sasl) options.sasl = { mechanism: conn.sasl.mechanism, username: conn.sasl.username, password: conn.sasl.password };
  if (conn.tls.enabled) {
    options.tls = conn.tls.ca ? { ca: conn.tls.ca } : {};
    // SNI with each broker's host name (Redpanda Cloud routes on it); never for IP literals (RFC 6066).
    if (conn.brokers.some((b) => isIP(hostOf(b)) === 0)) options.tlsServerName = true;
  }
  return options;
}

/**
 * A listener for every connection a client opens. @platformatic/kafka's Connection emits 'error' and listens with
 * `once` only while it connects: when a SASL handshake meets a listener that accepts and hangs up at once, it emits
 * 'error' twice (the closed socket, then "Cannot find a suitable SASL mechanism"), and the second one, with no
 * listener left, is an unhandled 'error' event that kills the process before any message or output. The failure
 * itself still reaches the request's callback (and so connectWithRetry), so the event only needs a listener.
 * Call it right after creating any client (Admin, Producer, Consumer).
 */
export function guardConnections(client: { readonly connections: ConnectionPool }, log?: Pick<Logger, 'debug'>): void {
  client.connections.on('connecting', ({ broker, connection }) => {
    connection.on('error', (err: unknown) => log?.debug(`connection to ${broker.host}:${broker.port}: ${err instanceof Error ? err.message : String(err)}`));
  });
}

export class DeadlineError extends Error {
  constructor(label: string, ms: number) {
    super(`${label} did not finish within ${ms / 1000} s (timed out)`);
    this.name = 'DeadlineError';
    Object.assign(this, { code: 'PLT_KFK_TIMEOUT' });
  }
}

/** Arms a timer that calls `fire` after ms and returns its cancel function. Tests pass one they fire themselves. */
export type Timer = (ms: number, fire: () => void) => () => void;

export const realTimer: Timer = (ms, fire) => {
  const t = setTimeout(fire, ms);
  return () => clearTimeout(t);
};

/** Resolves with fn's value, or rejects with a DeadlineError after ms (fn keeps running; the caller closes the client). */
export async function withDeadline<T>(label: string, ms: number, fn: () => Promise<T>, timer: Timer = realTimer): Promise<T> {
  let cancel: (() => void) | undefined;
  try {
    return await Promise.race([
      fn(),
      new Promise<never>((_, reject) => {
        cancel = timer(ms, () => reject(new DeadlineError(label, ms)));
      }),
    ]);
  } finally {
    cancel?.();
  }
}

export interface ConnectDeps {
  log: Logger;
  sleep?: (ms: number) => Promise<void>;
  /** The overall deadline's timer (default: setTimeout). */
  timer?: Timer;
}

/**
 * Runs `attempt` (open a connection and make a first request) until it succeeds, the error is not
 * worth retrying, or the connection's timeout has passed; the error then says plainly what happened.
 */
export async function connectWithRetry<T>(conn: KafkaConnection, attempt: () => Promise<T>, deps: ConnectDeps): Promise<T> {
  deps.log.info(`Connecting to ${describeConnection(conn)}`);
  const t0 = Date.now();
  try {
    return await withDeadline('connecting to the brokers', conn.timeoutMs, () =>
      retry(async () => {
        try {
          return await attempt();
        } catch (err) {
          // Each failed attempt is logged in plain words, not as the client's "Cannot connect to any broker.".
          throw new OperationError(classifyKafkaError(err, conn).what, { cause: err });
        }
      }, {
        label: 'connecting to the brokers',
        attempts: 20,
        initialDelayMs: 250,
        maxDelayMs: 3_000,
        deadlineMs: Math.max(0, conn.timeoutMs - 500),
        retryable: (err) => isRetryableConnectError(err, conn),
        log: deps.log,
        sleep: deps.sleep,
      }),
      deps.timer,
    );
  } catch (err) {
    // The classification reads through the retry and attempt wrappers down to the client's error.
    const f = classifyKafkaError(err, conn);
    throw new OperationError(`connecting to Kafka (${((Date.now() - t0) / 1000).toFixed(1)} s): ${f.what}`, { cause: err, hint: f.hint });
  }
}
