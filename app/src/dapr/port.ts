/**
 * Everything the app asks of its Dapr sidecar, as one small interface. dapr/sdk-port.ts implements it
 * with @dapr/dapr (and plain HTTP for the Jobs API, which the SDK lacks); unit tests pass an in-memory
 * fake (test/unit/app/fake-dapr.ts). Integration tests run the real one against the real daprd.
 */

export interface StateItem<T> {
  key: string;
  value: T;
  /** The state store's ETag (PostgreSQL: the row's xmin). */
  etag: string;
}

/**
 * A write in a transaction. `etag` set: the item must still have that ETag. `etag` undefined on an
 * upsert: the key must not exist yet (first-write). Every write is first-write: nothing is overwritten
 * blindly. A delete without `etag` removes whatever is there (or nothing): only for records that no
 * request changes, such as the outbox's (events/outbox.ts).
 */
export type StateWrite = { op: 'upsert'; key: string; value: unknown; etag?: string } | { op: 'delete'; key: string; etag?: string };

/** A structured CloudEvent to publish (content type application/cloudevents+json). */
export interface OutgoingEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject?: string;
  time: string;
  datacontenttype: 'application/json';
  data: unknown;
  traceparent?: string;
  traceid?: string;
}

export interface JobRequest {
  /** RFC 3339 time (or a Go duration such as "5s") at which Dapr calls POST /job/<name> once. */
  dueTime: string;
  data: unknown;
}

/**
 * A state query (Dapr's state Query API, alpha; PostgreSQL v1 supports it): `filter` is Dapr's filter
 * language (`{ EQ: { field: value } }`, AND, OR, IN, ...) over the stored JSON values' fields.
 */
export interface StateQuery {
  filter: Record<string, unknown>;
  sort?: Array<{ key: string; order?: 'ASC' | 'DESC' }>;
  page?: { limit: number; token?: string };
}

export interface DaprPort {
  getState<T>(key: string): Promise<StateItem<T> | undefined>;
  /** The items whose values match, in the query's order; `token` when a next page may follow. */
  queryState<T>(query: StateQuery): Promise<{ items: Array<StateItem<T>>; token?: string }>;
  /** An output binding operation (e.g. bindings.postgresql's "exec" with metadata.sql); its response data. */
  invokeBinding(name: string, operation: string, metadata: Record<string, string>): Promise<unknown>;
  /** The items that exist, in no particular order. */
  getStates<T>(keys: string[]): Promise<Array<StateItem<T>>>;
  /** All writes or none; a stale or missing ETag throws ConcurrencyError. */
  transact(writes: StateWrite[]): Promise<void>;
  /** Publishes to the app's pub/sub component; `partitionKey` becomes the Kafka message key. */
  publish(topic: string, event: OutgoingEvent, partitionKey: string): Promise<void>;
  /** One secret (a map of keys to values, like a Kubernetes Secret) from the app's secret store. */
  getSecret(name: string): Promise<Record<string, string>>;
  /** Creates or replaces the job. */
  scheduleJob(name: string, job: JobRequest): Promise<void>;
  /** Deletes the job; no error when it does not exist. */
  deleteJob(name: string): Promise<void>;
  /** The sidecar answers its health endpoint. */
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}

/** The store refused a write because an ETag was stale or the key already existed. */
export class ConcurrencyError extends Error {
  constructor(message = 'the state changed concurrently (ETag mismatch)') {
    super(message);
    this.name = 'ConcurrencyError';
  }
}

/** Dapr answered with an error (or could not be reached). `status` is Dapr's HTTP status when known. */
export class DaprError extends Error {
  constructor(
    readonly operation: string,
    readonly status: number | undefined,
    readonly detail: string,
  ) {
    super(`dapr ${operation} failed${status ? ` (HTTP ${status})` : ''}: ${detail}`);
    this.name = 'DaprError';
  }
}
