/**
 * Pure: a Secret's values kept out of everything the diff shows. They are compared by SHA-256 in memory, shown as
 * HIDDEN, and every value seen (raw, base64, each line) is replaced with *** wherever else it would appear.
 */
import { createHash } from 'node:crypto';
import type { JsonMap, KubeObject, ReleaseDiff } from './diff.js';

const isMap = (v: unknown): v is JsonMap => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A Secret value's stand-in wherever the object is shown. */
export const HIDDEN = '(hidden)';

/**
 * A Secret with each value replaced by HIDDEN, and the SHA-256 of each value (decoded; stringData wins over
 * data, as the API server merges them). Other kinds come back as they are. Hashes stay in memory: no value of
 * a Secret is ever printed.
 */
export function maskSecret(obj: JsonMap): { shown: JsonMap; hashes: Map<string, string> } {
  const hashes = new Map<string, string>();
  if (!isSecret(obj)) return { shown: obj, hashes };
  const hash = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
  const data = isMap(obj.data) ? obj.data : {};
  const stringData = isMap(obj.stringData) ? obj.stringData : {};
  for (const [k, v] of Object.entries(data)) if (v !== null) hashes.set(k, hash(Buffer.from(String(v), 'base64')));
  for (const [k, v] of Object.entries(stringData)) if (v !== null) hashes.set(k, hash(Buffer.from(String(v), 'utf8')));
  const shown: JsonMap = { ...obj };
  delete shown.stringData;
  delete shown.data;
  if (hashes.size) shown.data = Object.fromEntries([...hashes.keys()].map((k) => [k, HIDDEN]));
  return { shown, hashes };
}

/** A core Secret (v1). */
export const isSecret = (obj: KubeObject | JsonMap): boolean => obj.kind === 'Secret' && obj.apiVersion === 'v1';

/** Every value of a Secret (decoded, and as base64), to make sure none is ever printed. */
export function secretValues(obj: KubeObject): string[] {
  if (!isSecret(obj)) return [];
  const out: string[] = [];
  const add = (text: string): void => {
    out.push(text, Buffer.from(text, 'utf8').toString('base64'));
  };
  const map = (v: unknown): Array<[string, unknown]> => (isMap(v) ? Object.entries(v) : []);
  for (const [, v] of map(obj.data)) {
    if (typeof v !== 'string') continue;
    out.push(v);
    add(Buffer.from(v, 'base64').toString('utf8'));
  }
  for (const [, v] of map(obj.stringData)) if (typeof v === 'string') add(v);
  return out.filter((v) => v.length > 0);
}

/** Shortest value a redactor replaces: shorter ones ("1", "yes") would blank the diff and say nothing. */
export const MIN_REDACTED = 4;

/**
 * Replaces every given value (and each line of a multi-line one) with ***: the last guard that no Secret value
 * reaches a summary, even when a chart repeats one in a ConfigMap or an env var.
 */
export function valueRedactor(values: Iterable<string>): (text: string) => string {
  const parts = new Set<string>();
  for (const v of values) for (const part of [v, ...v.split(/\r?\n/).map((l) => l.trim())]) if (part.length >= MIN_REDACTED) parts.add(part);
  const sorted = [...parts].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const v of sorted) if (out.includes(v)) out = out.split(v).join('***');
    return out;
  };
}

/** The diff with redact applied to every line, title and note. */
export function redactDiff(diff: ReleaseDiff, redact: (text: string) => string): ReleaseDiff {
  return {
    unchanged: diff.unchanged,
    changes: diff.changes.map((c) => ({ ...c, title: redact(c.title), lines: c.lines.map(redact), ...(c.note ? { note: redact(c.note) } : {}) })),
  };
}
