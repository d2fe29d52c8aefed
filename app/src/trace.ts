/**
 * W3C trace context (https://www.w3.org/TR/trace-context/): the `traceparent` header
 * `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`. A request or event that carries one continues
 * its trace with a new span; one that does not starts a new trace.
 */
import { randomFillSync } from 'node:crypto';
import type { TraceContext } from './log.js';

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

export interface ParsedTraceparent {
  traceId: string;
  parentId: string;
  flags: string;
}

export function parseTraceparent(value: unknown): ParsedTraceparent | undefined {
  if (typeof value !== 'string') return undefined;
  const m = TRACEPARENT.exec(value.trim().toLowerCase());
  if (!m) return undefined;
  const [, version, traceId, parentId, flags] = m as unknown as [string, string, string, string, string];
  if (version === 'ff' || traceId === ZERO_TRACE || parentId === ZERO_SPAN) return undefined;
  return { traceId, parentId, flags };
}

export type RandomHex = (bytes: number) => string;

/**
 * Random hex from a pool refilled 4 KiB at a time (as crypto.randomUUID does): two ids per request
 * from randomBytes each cost more than the rest of the trace handling.
 */
const pool = Buffer.alloc(4096);
let used = pool.length;
const randomHex: RandomHex = (bytes) => {
  if (used + bytes > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  used += bytes;
  return pool.toString('hex', used - bytes, used);
};

/** A new span in the trace of `incoming` (a traceparent), or the root span of a new, sampled trace. */
export function continueTrace(incoming: unknown, random: RandomHex = randomHex): TraceContext {
  const parent = parseTraceparent(incoming);
  const traceId = parent?.traceId ?? random(16);
  const spanId = random(8);
  const flags = parent?.flags ?? '01';
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-${flags}` };
}
