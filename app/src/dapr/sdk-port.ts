/**
 * DaprPort over the sidecar's HTTP API: @dapr/dapr for reads (state, queries), bindings and secrets;
 * sidecar-http.ts (plain HTTP over kept-alive sockets) for the Jobs API (the SDK has no jobs client),
 * the health check (a short deadline, so /readyz never hangs on the SDK's start-up wait), and the two
 * calls every task change makes, the state transaction and the publish (the SDK's HTTP client cost as
 * much CPU per call as the rest of a create request). The SDK's own log lines go to the app's JSON log.
 */
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import type { Logger } from '../log.js';
import { SidecarHttp, type SidecarAnswer } from './sidecar-http.js';
import { ConcurrencyError, DaprError, type DaprPort, type JobRequest, type OutgoingEvent, type StateItem, type StateQuery, type StateWrite } from './port.js';

export interface SdkPortOptions {
  host: string;
  httpPort: number;
  pubsubName: string;
  stateStore: string;
  secretStore: string;
  log: Logger;
  /** Per-call deadline for the plain-HTTP calls to the Jobs API. */
  timeoutMs?: number;
  /** Deadline of a state transaction or publish: longer than the resiliency policy's retries take. */
  writeTimeoutMs?: number;
}

/** Dapr's error answer ({"errorCode", "message"}, or plain text) as a DaprError. */
function daprAnswerError(operation: string, status: number | undefined, text: string): DaprError {
  let detail = text;
  try {
    detail = (JSON.parse(text) as { message?: string }).message ?? text;
  } catch {
    // not JSON
  }
  return new DaprError(operation, status, detail);
}

/** The SDK throws Error(JSON.stringify({ error, error_msg, status })) for HTTP errors. */
export function sdkFailure(operation: string, err: unknown): DaprError {
  const message = err instanceof Error ? err.message : String(err);
  let parsed: { status?: number; error_msg?: string; error?: string } | null;
  try {
    parsed = JSON.parse(message) as typeof parsed;
  } catch {
    parsed = null;
  }
  if (!parsed || typeof parsed !== 'object') return new DaprError(operation, undefined, message);
  return daprAnswerError(operation, parsed.status, parsed.error_msg ?? parsed.error ?? message);
}

/** Dapr reports a stale ETag as 409 on a save, and as a 500 with this text inside a transaction. */
export function isConcurrencyFailure(err: DaprError): boolean {
  return err.status === 409 || /etag mismatch|no item was updated|duplicate key/i.test(err.detail);
}

/** Every write is first-write with strong consistency (the HTTP API spells the options as strings). */
const FIRST_WRITE = { concurrency: 'first-write', consistency: 'strong' } as const;

/** A non-2xx answer to a plain-HTTP call as a DaprError. */
export function answerFailure(operation: string, answer: SidecarAnswer): DaprError {
  return daprAnswerError(operation, answer.status, answer.text);
}

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
  const sidecar = new SidecarHttp(options.host, options.httpPort, options.timeoutMs ?? 5_000);
  const writeTimeoutMs = options.writeTimeoutMs ?? 30_000;

  /** A call whose non-2xx answer is a DaprError (as is not reaching the sidecar at all). */
  const http = async (operation: string, method: string, path: string, body?: { text: string; contentType: string }, timeoutMs?: number): Promise<SidecarAnswer> => {
    let answer: SidecarAnswer;
    try {
      answer = await sidecar.call(method, path, body, timeoutMs);
    } catch (err) {
      throw new DaprError(operation, undefined, err instanceof Error ? err.message : String(err));
    }
    if (answer.status < 200 || answer.status > 299) throw answerFailure(operation, answer);
    return answer;
  };
  const json = (value: unknown) => ({ text: JSON.stringify(value), contentType: 'application/json' });

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
        await http('state transaction', 'POST', `/v1.0/state/${encodeURIComponent(stateStore)}/transaction`, json({ operations }), writeTimeoutMs);
      } catch (err) {
        if (err instanceof DaprError && isConcurrencyFailure(err)) throw new ConcurrencyError();
        throw err;
      }
    },

    publish: async (topic: string, event: OutgoingEvent, partitionKey: string) => {
      const path = `/v1.0/publish/${encodeURIComponent(pubsubName)}/${encodeURIComponent(topic)}?metadata.partitionKey=${encodeURIComponent(partitionKey)}`;
      await http(`publish to ${topic}`, 'POST', path, { text: JSON.stringify(event), contentType: 'application/cloudevents+json' }, writeTimeoutMs);
    },

    getSecret: async (name: string) => {
      try {
        return (await client.secret.get(secretStore, name)) as Record<string, string>;
      } catch (err) {
        throw sdkFailure(`secret ${secretStore}/${name}`, err);
      }
    },

    scheduleJob: async (name: string, job: JobRequest) => {
      await http(`schedule job ${name}`, 'POST', `/v1.0/jobs/${encodeURIComponent(name)}`, json({ dueTime: job.dueTime, data: job.data, overwrite: true }));
    },

    deleteJob: async (name: string) => {
      try {
        await http(`delete job ${name}`, 'DELETE', `/v1.0/jobs/${encodeURIComponent(name)}`);
      } catch (err) {
        if (err instanceof DaprError && (err.status === 404 || /not found/i.test(err.detail))) return;
        throw err;
      }
    },

    healthy: async () => {
      try {
        const answer = await sidecar.call('GET', '/v1.0/healthz', undefined, 1_000);
        return answer.status >= 200 && answer.status <= 299;
      } catch {
        return false;
      }
    },

    close: async () => {
      sidecar.close();
      await client.stop().catch(() => undefined);
    },
  };
}
