/**
 * DaprPort over the sidecar's HTTP API: @dapr/dapr for state, pub/sub, bindings and secrets; plain fetch for the
 * Jobs API (the SDK has no jobs client) and for the health check (with a short timeout, so /readyz never
 * hangs on the SDK's start-up wait). The SDK's own log lines go to the app's JSON log.
 */
import { CommunicationProtocolEnum, DaprClient, LogLevel, StateConcurrencyEnum, StateConsistencyEnum } from '@dapr/dapr';
import type { Logger } from '../log.js';
import { ConcurrencyError, DaprError, type DaprPort, type JobRequest, type OutgoingEvent, type StateItem, type StateQuery, type StateWrite } from './port.js';

export interface SdkPortOptions {
  host: string;
  httpPort: number;
  pubsubName: string;
  stateStore: string;
  secretStore: string;
  log: Logger;
  /** Per-call deadline for the plain-HTTP calls (jobs, health). */
  timeoutMs?: number;
}

/** The SDK throws Error(JSON.stringify({ error, error_msg, status })) for HTTP errors. */
export function sdkFailure(operation: string, err: unknown): DaprError {
  const message = err instanceof Error ? err.message : String(err);
  try {
    const parsed = JSON.parse(message) as { status?: number; error_msg?: string; error?: string };
    let detail = parsed.error_msg ?? parsed.error ?? message;
    try {
      detail = (JSON.parse(detail) as { message?: string }).message ?? detail;
    } catch {
      // error_msg was not JSON
    }
    return new DaprError(operation, parsed.status, detail);
  } catch {
    return new DaprError(operation, undefined, message);
  }
}

/** Dapr reports a stale ETag as 409 on a save, and as a 500 with this text inside a transaction. */
export function isConcurrencyFailure(err: DaprError): boolean {
  return err.status === 409 || /etag mismatch|no item was updated|duplicate key/i.test(err.detail);
}

const FIRST_WRITE = { concurrency: StateConcurrencyEnum.CONCURRENCY_FIRST_WRITE, consistency: StateConsistencyEnum.CONSISTENCY_STRONG };

export function createSdkPort(options: SdkPortOptions): DaprPort {
  const { log, pubsubName, stateStore, secretStore } = options;
  const sdkLog = log.child({ component: 'dapr-sdk' });
  const service = {
    error: (m: unknown) => sdkLog.debug(String(m)), // failures are reported (once, with context) by the caller
    warn: (m: unknown) => sdkLog.warn(String(m)),
    info: (m: unknown) => sdkLog.debug(String(m)),
    verbose: (m: unknown) => sdkLog.debug(String(m)),
    debug: (m: unknown) => sdkLog.debug(String(m)),
  };
  const client = new DaprClient({
    daprHost: options.host,
    daprPort: String(options.httpPort),
    communicationProtocol: CommunicationProtocolEnum.HTTP,
    logger: { level: LogLevel.Warn, service },
  });
  const base = `http://${options.host}:${options.httpPort}/v1.0`;
  const timeoutMs = options.timeoutMs ?? 5_000;

  const http = async (operation: string, method: string, path: string, body?: unknown): Promise<Response> => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new DaprError(operation, undefined, err instanceof Error ? err.message : String(err));
    }
    if (!res.ok) {
      const text = await res.text();
      let detail = text;
      try {
        detail = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        // not JSON
      }
      throw new DaprError(operation, res.status, detail);
    }
    return res;
  };

  const getStates = async <T>(keys: string[]): Promise<Array<StateItem<T>>> => {
    if (keys.length === 0) return [];
    let items: Array<{ key: string; data?: unknown; etag?: string }>;
    try {
      items = (await client.state.getBulk(stateStore, keys)) as typeof items;
    } catch (err) {
      throw sdkFailure(`state get (${keys.length} keys)`, err);
    }
    return items.filter((i) => i.data !== undefined && i.data !== '' && i.etag !== undefined).map((i) => ({ key: i.key, value: i.data as T, etag: String(i.etag) }));
  };

  return {
    getStates,
    getState: async <T>(key: string) => (await getStates<T>([key]))[0],

    queryState: async <T>(query: StateQuery) => {
      let res: { results?: Array<{ key: string; data?: unknown; etag?: string; error?: string }>; token?: string };
      try {
        res = (await client.state.query(stateStore, query as unknown as Parameters<typeof client.state.query>[1])) as typeof res;
      } catch (err) {
        throw sdkFailure('state query', err);
      }
      const items = (res.results ?? []).filter((r) => r.data !== undefined && r.data !== '' && r.etag !== undefined).map((r) => ({ key: r.key, value: r.data as T, etag: String(r.etag) }));
      return { items, ...(res.token ? { token: res.token } : {}) };
    },

    invokeBinding: async (name: string, operation: string, metadata: Record<string, string>) => {
      try {
        return (await client.binding.send(name, operation, undefined, metadata)) as unknown;
      } catch (err) {
        throw sdkFailure(`binding ${name} ${operation}`, err);
      }
    },

    transact: async (writes: StateWrite[]) => {
      const operations = writes.map((w) => ({
        operation: w.op,
        request: { key: w.key, ...(w.op === 'upsert' ? { value: w.value } : {}), ...(w.etag !== undefined ? { etag: w.etag } : {}), options: FIRST_WRITE },
      }));
      try {
        // The SDK types an ETag as { value } (its gRPC shape); the HTTP API it calls wants the string.
        await client.state.transaction(stateStore, operations as unknown as Parameters<typeof client.state.transaction>[1]);
      } catch (err) {
        const failure = sdkFailure('state transaction', err);
        if (isConcurrencyFailure(failure)) throw new ConcurrencyError();
        throw failure;
      }
    },

    publish: async (topic: string, event: OutgoingEvent, partitionKey: string) => {
      const result = await client.pubsub.publish(pubsubName, topic, event, { contentType: 'application/cloudevents+json', metadata: { partitionKey } });
      if (result.error) throw sdkFailure(`publish to ${topic}`, result.error);
    },

    getSecret: async (name: string) => {
      try {
        return (await client.secret.get(secretStore, name)) as Record<string, string>;
      } catch (err) {
        throw sdkFailure(`secret ${secretStore}/${name}`, err);
      }
    },

    scheduleJob: async (name: string, job: JobRequest) => {
      await http(`schedule job ${name}`, 'POST', `/jobs/${encodeURIComponent(name)}`, { dueTime: job.dueTime, data: job.data, overwrite: true });
    },

    deleteJob: async (name: string) => {
      try {
        await http(`delete job ${name}`, 'DELETE', `/jobs/${encodeURIComponent(name)}`);
      } catch (err) {
        if (err instanceof DaprError && (err.status === 404 || /not found/i.test(err.detail))) return;
        throw err;
      }
    },

    healthy: async () => {
      try {
        const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1_000) });
        await res.arrayBuffer();
        return res.ok;
      } catch {
        return false;
      }
    },

    close: async () => {
      await client.stop().catch(() => undefined);
    },
  };
}
