/**
 * The indexes the API's state queries need. PostgreSQL answers a task list's query (`value->>'userId' =
 * $1`, see repository.ts) from an expression index on exactly that expression, and the outbox relay's
 * (`value->>'outbox' = $1 ORDER BY value->>'outboxAt'`, events/outbox.ts) from a partial index that holds
 * the pending events only (tasks never enter it: a create pays nothing for it); without them every
 * query reads the whole table. The API creates them at start-up through a bindings.postgresql component
 * (the chart's `<release>-state-sql`: the state store's connection string, scoped to the API):
 *
 * - idempotent (IF NOT EXISTS) and without blocking writes on a big table (CONCURRENTLY), so every
 *   replica may run it at every start;
 * - retried until the sidecar and the table (the state store creates it) are there;
 * - an index another replica is building right now is waited for; an INVALID one that nobody builds
 *   (left by an interrupted build) is dropped and built again, once.
 *
 * It never gates readiness: without the index lists are slower, not wrong. The outcome is logged and
 * shown by /readyz (`stateIndex`).
 */
import type { DaprPort } from '../dapr/port.js';
import type { Logger } from '../log.js';

export type IndexState = 'pending' | 'ready' | 'failed' | 'off';

export interface StateIndexOptions {
  dapr: Pick<DaprPort, 'invokeBinding'>;
  binding: string;
  /** The state table, as the state store's tableName (optionally schema-qualified). */
  table: string;
  /** Which index (default: the task lists' userId index). */
  index?: IndexSpec;
  log: Logger;
  /** Between attempts while the sidecar or the table is not there yet (doubling up to 30 s). */
  retryMs?: number;
  /** How long to keep trying before giving up (the state stays "failed"). */
  deadlineMs?: number;
  stopped?: () => boolean;
}

/** An index on the state table: its name's suffix and what follows `ON <table>`. */
export interface IndexSpec {
  suffix: string;
  on: string;
}

/** Task lists: `value->>'userId' = $1`. */
export const USER_ID_INDEX: IndexSpec = { suffix: 'user_id_idx', on: "((value->>'userId'))" };
/**
 * The outbox relay: `value->>'outbox' = $1 ORDER BY value->>'outboxAt'`. Partial: the planner uses it because
 * the query's `=` implies the predicate, and only pending events (a few, briefly) are in it.
 */
export const OUTBOX_INDEX: IndexSpec = { suffix: 'outbox_idx', on: "((value->>'outboxAt')) WHERE (value->>'outbox') IS NOT NULL" };

/** `<schema>.<table>_<suffix>` (an index lives in its table's schema), within 63 characters. */
export function indexName(table: string, index: IndexSpec = USER_ID_INDEX): { name: string; qualified: string } {
  const dot = table.lastIndexOf('.');
  const schema = dot >= 0 ? table.slice(0, dot + 1) : '';
  const name = `${table.slice(dot + 1).slice(0, 50)}_${index.suffix}`;
  return { name, qualified: `${schema}${name}` };
}

export const userIdIndex = (table: string): { name: string; qualified: string } => indexName(table, USER_ID_INDEX);

export function indexStatements(table: string, index: IndexSpec = USER_ID_INDEX): { create: string; valid: string; building: string; drop: string } {
  const { name, qualified } = indexName(table, index);
  return {
    create: `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${name} ON ${table} ${index.on}`,
    // One row [true|false] when the index exists, none when it does not.
    valid: `SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('${qualified}')`,
    // [[n]]: sessions building it now (another replica starting at the same time).
    building: `SELECT count(*) FROM pg_stat_progress_create_index WHERE index_relid = to_regclass('${qualified}')`,
    drop: `DROP INDEX CONCURRENTLY IF EXISTS ${qualified}`,
  };
}

/** The binding's query answer: a JSON array of rows, each an array of column values. */
function firstValue(data: unknown): unknown {
  const rows = typeof data === 'string' ? (JSON.parse(data) as unknown) : data;
  return Array.isArray(rows) && Array.isArray(rows[0]) ? rows[0][0] : undefined;
}

export class StateIndex {
  state: IndexState = 'pending';

  constructor(private readonly options: StateIndexOptions) {}

  /** Creates the index (see the file's comment); resolves when it is there, or given up. */
  async ensure(): Promise<IndexState> {
    const { dapr, binding, table, log } = this.options;
    const sql = indexStatements(table, this.options.index);
    const { qualified } = indexName(table, this.options.index);
    const run = (operation: 'exec' | 'query', statement: string): Promise<unknown> => dapr.invokeBinding(binding, operation, { sql: statement });
    const deadline = Date.now() + (this.options.deadlineMs ?? 10 * 60_000);
    let wait = this.options.retryMs ?? 1_000;
    let rebuilt = false;
    for (let attempt = 1; !this.options.stopped?.(); attempt++) {
      try {
        const t0 = Date.now();
        await run('exec', sql.create);
        const valid = firstValue(await run('query', sql.valid));
        if (valid === true) {
          log.info('state index ready', { index: qualified, ms: Date.now() - t0 });
          return (this.state = 'ready');
        }
        if (valid === false && Number(firstValue(await run('query', sql.building))) > 0) {
          throw new Error('another session is building the index');
        }
        if (valid === false && !rebuilt) {
          log.warn('state index is INVALID (an interrupted build); building it again', { index: qualified });
          await run('exec', sql.drop);
          rebuilt = true;
          continue;
        }
        throw new Error(valid === false ? 'the index stays INVALID after a rebuild' : 'the index is missing after CREATE INDEX');
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (Date.now() + wait > deadline) {
          log.error('could not create the state index; its queries read the whole table until it exists', {
            index: qualified,
            binding,
            err: message,
            fix: `check the ${binding} component (its connection string and the user's CREATE privilege on ${table}), or create it yourself: ${sql.create}`,
          });
          return (this.state = 'failed');
        }
        if (attempt === 1 || attempt % 10 === 0) log.warn('waiting to create the state index', { binding, attempt, err: message });
        await new Promise((r) => setTimeout(r, wait).unref()); // never holds a stopping process
        wait = Math.min(wait * 2, 30_000);
      }
    }
    return this.state;
  }
}
