/**
 * Structured JSON logs, one object per line on stdout, each with the trace id of the request or event
 * being handled (kept in an AsyncLocalStorage, so code deep in a call needs no logger argument for it).
 * Fields whose names look secret (authorization, token, password, key, secret) are never written.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface TraceContext {
  traceId: string;
  spanId: string;
  /** The W3C traceparent to hand on (to Dapr, into published events). */
  traceparent: string;
}

const current = new AsyncLocalStorage<TraceContext>();

/** Runs fn with `trace` as the current trace context (for the logs and for what fn publishes). */
export function withTrace<T>(trace: TraceContext, fn: () => T): T {
  return current.run(trace, fn);
}

export function currentTrace(): TraceContext | undefined {
  return current.getStore();
}

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  child(fields: Fields): Logger;
}

const SECRET_FIELD = /authorization|token|password|passwd|secret|^key$|signing|credential|cookie/i;

function clean(fields: Fields): Fields {
  const out: Fields = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    if (SECRET_FIELD.test(k)) {
      out[k] = '[redacted]';
      continue;
    }
    out[k] = v instanceof Error ? { name: v.name, message: v.message } : v;
  }
  return out;
}

let pending: string[] = [];
let flushScheduled = false;
let exitHooked = false;

function flushStdout(): void {
  flushScheduled = false;
  if (pending.length === 0) return;
  const chunk = `${pending.join('\n')}\n`;
  pending = [];
  process.stdout.write(chunk);
}

/**
 * Lines written together once per event-loop turn: under load one write() for many lines instead of one
 * each (stdout to a file or a pipe is a synchronous system call on Linux). Flushed at exit too.
 */
function bufferedStdout(line: string): void {
  pending.push(line);
  if (!flushScheduled) {
    if (!exitHooked) {
      exitHooked = true;
      process.once('exit', flushStdout);
    }
    flushScheduled = true;
    setImmediate(flushStdout);
  }
}

export interface LoggerOptions {
  level?: LogLevel;
  base?: Fields;
  /** Where lines go; default stdout. */
  write?: (line: string) => void;
  now?: () => Date;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const min = ORDER[options.level ?? 'info'];
  const write = options.write ?? bufferedStdout;
  const now = options.now ?? (() => new Date());
  const make = (base: Fields): Logger => {
    const emit = (level: LogLevel, msg: string, fields: Fields = {}): void => {
      if (ORDER[level] < min) return;
      const trace = current.getStore();
      const record = { time: now().toISOString(), level, msg, ...base, ...(trace ? { traceId: trace.traceId, spanId: trace.spanId } : {}), ...clean(fields) };
      let line: string;
      try {
        line = JSON.stringify(record);
      } catch {
        line = JSON.stringify({ time: record.time, level, msg, ...base, note: 'fields not serialisable' });
      }
      write(line);
    };
    return {
      debug: (m, f) => emit('debug', m, f),
      info: (m, f) => emit('info', m, f),
      warn: (m, f) => emit('warn', m, f),
      error: (m, f) => emit('error', m, f),
      child: (fields) => make({ ...base, ...clean(fields) }),
    };
  };
  return make(clean(options.base ?? {}));
}

/** A logger that keeps its records, for tests. */
export function memoryLogger(level: LogLevel = 'debug'): Logger & { records: Array<Record<string, unknown>> } {
  const records: Array<Record<string, unknown>> = [];
  const log = createLogger({ level, write: (line) => void records.push(JSON.parse(line) as Record<string, unknown>) });
  return Object.assign(log, { records });
}
