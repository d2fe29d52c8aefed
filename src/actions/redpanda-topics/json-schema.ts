import type { ConfigurationProblem } from '../../core/errors.js';
import { clip } from '../../core/inputs.js';
import { formatPath, type PositionedYaml, type YamlPath } from '../../core/yaml.js';

/**
 * A JSON Schema validator for the subset our schemas use (draft-07 keywords: type, enum, const,
 * properties, required, additionalProperties, propertyNames, items, minItems, uniqueItems, pattern,
 * minLength, maxLength, minimum, maximum, $ref to #/definitions). It reports every problem at once,
 * each with file, line and column, the problem and a fix. A keyword it does not know is a bug
 * (it throws), so a schema can never silently check less than it says.
 */
export interface JsonSchema {
  [keyword: string]: unknown;
}

const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', 'default', 'examples', 'definitions', '$comment']);
const CHECKS = new Set(['type', 'enum', 'const', 'properties', 'required', 'additionalProperties', 'propertyNames', 'items', 'minItems', 'uniqueItems', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', '$ref']);

type JsonType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null';

function typeOf(v: unknown): JsonType {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'object') return 'object';
  return typeof v as JsonType;
}

/** A value in a message: a long text (a pasted file) is cut, so it cannot flood the log and the summary. */
export function describeValue(v: unknown): string {
  const t = typeOf(v);
  if (t === 'object') return 'a mapping';
  if (t === 'array') return 'a list';
  if (t === 'null') return 'empty (null)';
  if (t === 'string') return `the text ${clip(JSON.stringify(v), 100)}`;
  return `${t === 'integer' || t === 'number' ? 'the number' : 'the boolean'} ${String(v)}`;
}

const TYPE_NAMES: Record<JsonType, string> = { object: 'a mapping', array: 'a list', string: 'text', integer: 'a whole number', number: 'a number', boolean: 'true or false', null: 'null' };
const TYPE_FIXES: Record<JsonType, string> = {
  object: 'write a mapping of `key: value` lines indented under it',
  array: 'write a list, one `- item` per line',
  string: 'write text (quote it if it looks like a number or boolean)',
  integer: 'write a whole number without quotes, e.g. 3',
  number: 'write a number without quotes',
  boolean: 'write true or false without quotes',
  null: 'leave it empty or write null',
};

/** Edit distance, for "did you mean" on unknown keys. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i]!.toLowerCase() === b[i]!.toLowerCase()) i++;
  return i;
}

/** The candidate a mistyped key most likely meant: a small edit distance, or a long shared start (replicas -> replicationFactor). */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const byPrefix = candidates.map((c) => [c, commonPrefix(word, c)] as const).sort((a, b) => b[1] - a[1])[0];
  if (byPrefix && byPrefix[1] >= 5) return byPrefix[0];
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

export class SchemaValidator {
  constructor(private readonly root: JsonSchema) {}

  validate(doc: PositionedYaml): ConfigurationProblem[] {
    const problems: ConfigurationProblem[] = [];
    this.check(this.root, doc.value, [], doc, problems);
    return problems;
  }

  private resolve(schema: JsonSchema): JsonSchema {
    const ref = schema.$ref;
    if (typeof ref !== 'string') return schema;
    const m = /^#\/definitions\/([^/]+)$/.exec(ref);
    const target = m ? (this.root.definitions as Record<string, JsonSchema> | undefined)?.[m[1]!] : undefined;
    if (!target) throw new Error(`bug: schema $ref ${ref} does not resolve`);
    return this.resolve(target);
  }

  private check(raw: JsonSchema, value: unknown, path: YamlPath, doc: PositionedYaml, out: ConfigurationProblem[], keyOf?: YamlPath): void {
    const schema = this.resolve(raw);
    for (const k of Object.keys(schema)) if (!ANNOTATIONS.has(k) && !CHECKS.has(k)) throw new Error(`bug: schema keyword "${k}" is not supported by json-schema.ts`);
    const input = clip(formatPath(keyOf ?? path), 200);
    const at = (p: YamlPath, key = false): { file: string; line: number; column: number } => ({ file: doc.file, ...(key ? doc.keyAt(p) : doc.at(p)) });
    const add = (problem: string, fix: string, location = at(keyOf ?? path, keyOf !== undefined)): void => void out.push({ input, problem, fix, location });
    const hint = typeof schema.description === 'string' ? schema.description : undefined;

    if (schema.type !== undefined) {
      const allowed = (Array.isArray(schema.type) ? schema.type : [schema.type]) as JsonType[];
      const actual = typeOf(value);
      if (!allowed.includes(actual) && !(actual === 'integer' && allowed.includes('number'))) {
        add(`must be ${allowed.map((t) => TYPE_NAMES[t]).join(' or ')}, but is ${describeValue(value)}`, allowed.length === 1 ? TYPE_FIXES[allowed[0]!] : hint ?? `write ${allowed.map((t) => TYPE_NAMES[t]).join(' or ')}`);
        return;
      }
    }
    if (Array.isArray(schema.enum) && !schema.enum.includes(value)) {
      add(`${describeValue(value)} is not allowed`, `use ${schema.enum.length === 1 ? JSON.stringify(schema.enum[0]) : `one of: ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`}`);
      return;
    }
    if ('const' in schema && schema.const !== value) add(`${describeValue(value)} is not allowed`, `use ${JSON.stringify(schema.const)}`);

    if (typeof value === 'string') {
      if (typeof schema.minLength === 'number' && value.length < schema.minLength) add(schema.minLength === 1 ? 'must not be empty' : `is shorter than ${schema.minLength} characters`, hint ?? 'write a longer value');
      if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) add(`is ${value.length} characters long, more than the maximum ${schema.maxLength}`, `shorten it to ${schema.maxLength} characters or fewer`);
      if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) add(`${describeValue(value)} does not match ${schema.pattern}`, hint ?? `write a value matching ${schema.pattern}`);
    }
    if (typeof value === 'number') {
      if (typeof schema.minimum === 'number' && value < schema.minimum) add(`${value} is less than the minimum ${schema.minimum}`, `use ${schema.minimum} or more`);
      if (typeof schema.maximum === 'number' && value > schema.maximum) add(`${value} is more than the maximum ${schema.maximum}`, `use ${schema.maximum} or less`);
    }
    if (Array.isArray(value)) this.checkArray(schema, value, path, doc, out, add);
    else if (value !== null && typeof value === 'object') this.checkObject(schema, value as Record<string, unknown>, path, doc, out, add, at);
  }

  private checkArray(schema: JsonSchema, value: unknown[], path: YamlPath, doc: PositionedYaml, out: ConfigurationProblem[], add: (p: string, f: string) => void): void {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) {
      const hint = typeof schema.description === 'string' ? ` (${schema.description})` : '';
      add(value.length === 0 ? 'is an empty list' : `has ${value.length} items, fewer than ${schema.minItems}`, `list at least ${schema.minItems}${hint}`);
    }
    if (schema.uniqueItems === true) {
      const seen = new Set<string>();
      value.forEach((item, i) => {
        const k = JSON.stringify(item);
        if (seen.has(k)) out.push({ input: clip(formatPath([...path, i]), 200), problem: `${describeValue(item)} is listed more than once`, fix: 'remove the duplicate', location: { file: doc.file, ...doc.at([...path, i]) } });
        seen.add(k);
      });
    }
    if (schema.items && typeof schema.items === 'object') value.forEach((item, i) => this.check(schema.items as JsonSchema, item, [...path, i], doc, out));
  }

  private checkObject(
    schema: JsonSchema,
    value: Record<string, unknown>,
    path: YamlPath,
    doc: PositionedYaml,
    out: ConfigurationProblem[],
    add: (p: string, f: string) => void,
    at: (p: YamlPath, key?: boolean) => { file: string; line: number; column: number },
  ): void {
    const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
    for (const key of (schema.required ?? []) as string[]) {
      if (!Object.hasOwn(value, key)) {
        const d = props[key] ? this.resolve(props[key]).description : undefined;
        add(`is missing the required key "${key}"`, `add \`${key}:\`${typeof d === 'string' ? ` (${d})` : ''}`);
      }
    }
    for (const [key, child] of Object.entries(value)) {
      const childPath = [...path, key];
      if (schema.propertyNames) this.check(schema.propertyNames as JsonSchema, key, childPath, doc, out, childPath);
      if (props[key]) {
        this.check(props[key], child, childPath, doc, out);
      } else if (schema.additionalProperties === false) {
        const known = Object.keys(props);
        const guess = closest(key, known);
        out.push({
          input: clip(formatPath(childPath), 200),
          problem: `unknown key "${clip(key, 80)}"`,
          fix: `${guess ? `did you mean "${guess}"? ` : ''}${known.length ? `allowed keys here: ${known.join(', ')}` : 'remove it'}`,
          location: at(childPath, true),
        });
      } else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
        this.check(schema.additionalProperties as JsonSchema, child, childPath, doc, out);
      }
    }
  }
}
