import { ConcurrencyError, DaprError, type DaprPort, type JobRequest, type OutgoingEvent, type StateItem, type StateQuery, type StateWrite } from '../../../app/src/dapr/port.js';

/** PostgreSQL's `value->>'field'`: the field as text (JSON for objects and arrays), null when absent. */
function asText(value: unknown, field: string): string | null {
  const v = value && typeof value === 'object' ? (value as Record<string, unknown>)[field] : undefined;
  if (v === undefined || v === null) return null;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** The EQ and AND-of-EQ filters the app uses, as the PostgreSQL store evaluates them. */
function matchesFilter(value: unknown, filter: Record<string, unknown>): boolean {
  const [op, arg] = Object.entries(filter)[0] ?? [];
  if (op === 'EQ') return Object.entries(arg as Record<string, unknown>).every(([f, want]) => asText(value, f) === String(want));
  if (op === 'AND') return (arg as Array<Record<string, unknown>>).every((f) => matchesFilter(value, f));
  throw new Error(`FakeDapr: filter ${op ?? '(none)'} not supported`);
}

/**
 * An in-memory DaprPort with the semantics the app relies on, as the real PostgreSQL store showed them
 * (test/integration/app): every write is first-write; an upsert without ETag fails when the key exists;
 * a stale ETag fails the whole transaction. Failures can be injected per operation.
 */
export class FakeDapr implements DaprPort {
  readonly state = new Map<string, { value: unknown; etag: string }>();
  readonly published: Array<{ topic: string; event: OutgoingEvent; partitionKey: string }> = [];
  readonly jobs = new Map<string, JobRequest>();
  readonly deletedJobs: string[] = [];
  secrets: Record<string, Record<string, string>> = {};
  sidecarHealthy = true;
  private nextEtag = 100;
  /** Throw from the next call of an operation (consumed once). */
  readonly failNext = new Map<'publish' | 'transact' | 'getState' | 'scheduleJob' | 'getSecret' | 'queryState', Error>();
  /** Every binding call, and what answers it (default: nothing). */
  readonly bindingCalls: Array<{ name: string; operation: string; metadata: Record<string, string> }> = [];
  onBinding?: (name: string, operation: string, metadata: Record<string, string>) => unknown;
  queries = 0;
  /** Called before each transaction commits: lets a test write concurrently. */
  beforeTransact?: (writes: StateWrite[]) => void;
  transactions = 0;

  private maybeFail(op: 'publish' | 'transact' | 'getState' | 'scheduleJob' | 'getSecret' | 'queryState'): void {
    const err = this.failNext.get(op);
    if (err) {
      this.failNext.delete(op);
      throw err;
    }
  }

  /** Writes a value directly, as another writer would (new ETag). */
  put(key: string, value: unknown): string {
    const etag = String(this.nextEtag++);
    this.state.set(key, { value: structuredClone(value), etag });
    return etag;
  }

  async getState<T>(key: string): Promise<StateItem<T> | undefined> {
    this.maybeFail('getState');
    const v = this.state.get(key);
    return v && { key, value: structuredClone(v.value) as T, etag: v.etag };
  }

  async getStates<T>(keys: string[]): Promise<Array<StateItem<T>>> {
    const out: Array<StateItem<T>> = [];
    for (const k of keys) {
      const v = await this.getState<T>(k);
      if (v) out.push(v);
    }
    return out;
  }

  async queryState<T>(query: StateQuery): Promise<{ items: Array<StateItem<T>>; token?: string }> {
    this.maybeFail('queryState');
    this.queries++;
    let items = [...this.state.entries()].filter(([, v]) => matchesFilter(v.value, query.filter)).map(([key, v]) => ({ key, value: structuredClone(v.value) as T, etag: v.etag }));
    for (const s of [...(query.sort ?? [])].reverse()) {
      const dir = s.order === 'DESC' ? -1 : 1;
      items = items.sort((a, b) => dir * String(asText(a.value, s.key) ?? '').localeCompare(String(asText(b.value, s.key) ?? '')));
    }
    const skip = Number(query.page?.token ?? 0);
    const limit = query.page?.limit ?? 0;
    const page = limit > 0 ? items.slice(skip, skip + limit) : items.slice(skip);
    return { items: page, ...(limit > 0 ? { token: String(skip + page.length) } : {}) };
  }

  async invokeBinding(name: string, operation: string, metadata: Record<string, string>): Promise<unknown> {
    this.bindingCalls.push({ name, operation, metadata: { ...metadata } });
    return this.onBinding?.(name, operation, metadata);
  }

  async transact(writes: StateWrite[]): Promise<void> {
    this.maybeFail('transact');
    this.beforeTransact?.(writes);
    this.transactions++;
    for (const w of writes) {
      const current = this.state.get(w.key);
      if (w.op === 'delete' && w.etag === undefined) continue; // removes whatever is there, or nothing
      if (w.etag === undefined ? current !== undefined : current?.etag !== w.etag) throw new ConcurrencyError();
    }
    for (const w of writes) {
      if (w.op === 'delete') this.state.delete(w.key);
      else this.put(w.key, w.value);
    }
  }

  async publish(topic: string, event: OutgoingEvent, partitionKey: string): Promise<void> {
    this.maybeFail('publish');
    this.published.push({ topic, event: structuredClone(event), partitionKey });
  }

  async getSecret(name: string): Promise<Record<string, string>> {
    this.maybeFail('getSecret');
    const s = this.secrets[name];
    if (!s) throw new DaprError(`secret ${name}`, 500, `secret ${name} not found`);
    return { ...s };
  }

  async scheduleJob(name: string, job: JobRequest): Promise<void> {
    this.maybeFail('scheduleJob');
    this.jobs.set(name, structuredClone(job));
  }

  async deleteJob(name: string): Promise<void> {
    this.deletedJobs.push(name);
    this.jobs.delete(name);
  }

  async healthy(): Promise<boolean> {
    return this.sidecarHealthy;
  }

  async close(): Promise<void> {}
}
