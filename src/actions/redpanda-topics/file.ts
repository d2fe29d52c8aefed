import { readFileSync, statSync } from 'node:fs';
import { ConfigurationError, errorMessage, type ConfigurationProblem } from '../../core/errors.js';
import { clip, excerpt } from '../../core/inputs.js';
import type { Secrets } from '../../core/secrets.js';
import { parseAccess, resolvePasswords } from './access-file.js';
import { describeValue, SchemaValidator } from './json-schema.js';
import type { DeclaredConfigValue, DeclaredTopic, FilePosition, TopicsFile, TopicsPolicy } from './model.js';
import { checkPolicy } from './policy.js';
import { topicsSchema } from './topics-schema.js';
import { formatPath, loadYamlWithPositions, type PositionedYaml, type YamlPath } from '../../core/yaml.js';

/**
 * Reads the topics file: YAML (with positions) -> JSON Schema -> meaning (defaults applied, config
 * values normalised, names checked, policy enforced). Every problem is collected and reported at
 * once, each with file:line:column, before anything talks to a broker.
 */
interface RawTopic {
  name: string;
  state?: 'present' | 'absent';
  partitions?: number;
  replicationFactor?: number;
  configs?: Record<string, unknown>;
}

interface RawFile {
  apiVersion: string;
  defaults?: { partitions?: number; replicationFactor?: number; configs?: Record<string, unknown> };
  policy?: { namePattern?: string; minPartitions?: number; maxPartitions?: number; requiredConfigs?: string[]; managedPrefixes?: string[] };
  topics: RawTopic[];
}

/** Config values are compared as strings: numbers as written, booleans as true/false, lists joined with commas. */
export function normaliseConfigValue(value: unknown, sourceText?: string): DeclaredConfigValue {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map((v) => normaliseConfigValue(v)).join(',');
  if (typeof value === 'number') {
    // 9223372036854775807 does not fit a double: use what was written.
    if (Number.isInteger(value) && !Number.isSafeInteger(value) && sourceText && /^[-+]?\d+$/.test(sourceText)) return sourceText.replace(/^\+/, '');
    return String(value);
  }
  return normaliseConfigString(String(value));
}

/** The same normalisation for values the broker reports: trimmed, no spaces around list commas. */
export function normaliseConfigString(value: string): string {
  return value.trim().replace(/\s*,\s*/g, ',');
}

const position = (doc: PositionedYaml, path: YamlPath, key = false): FilePosition => (key ? doc.keyAt(path) : doc.at(path));

function mergeConfigs(doc: PositionedYaml, sources: Array<{ path: YamlPath; configs: Record<string, unknown> | undefined }>): { configs: Map<string, DeclaredConfigValue>; at: Map<string, FilePosition> } {
  const configs = new Map<string, DeclaredConfigValue>();
  const at = new Map<string, FilePosition>();
  for (const { path, configs: raw } of sources) {
    for (const [key, value] of Object.entries(raw ?? {})) {
      configs.set(key, normaliseConfigValue(value, doc.scalarText([...path, key])));
      at.set(key, position(doc, [...path, key], true));
    }
  }
  return { configs, at };
}

function declaredTopic(doc: PositionedYaml, raw: RawFile, t: RawTopic, i: number): DeclaredTopic {
  const d = raw.defaults ?? {};
  const here: YamlPath = ['topics', i];
  const { configs, at } = mergeConfigs(doc, [
    { path: ['defaults', 'configs'], configs: d.configs },
    { path: [...here, 'configs'], configs: t.configs },
  ]);
  const fieldPos = (field: 'partitions' | 'replicationFactor' | 'state'): FilePosition | undefined =>
    t[field] !== undefined ? position(doc, [...here, field]) : field !== 'state' && d[field] !== undefined ? position(doc, ['defaults', field]) : undefined;
  return {
    name: t.name,
    state: t.state ?? 'present',
    partitions: t.partitions ?? d.partitions,
    replicationFactor: t.replicationFactor ?? d.replicationFactor,
    configs,
    at: position(doc, here),
    fieldAt: { partitions: fieldPos('partitions'), replicationFactor: fieldPos('replicationFactor'), state: fieldPos('state'), configs: at },
  };
}

/**
 * Checks that need the whole list: duplicates, internal names, names Kafka cannot tell apart. `names` is aligned
 * with the file's topics list; an entry without a usable name (its own schema problem says why) is undefined.
 */
function checkNames(doc: PositionedYaml, names: ReadonlyArray<string | undefined>): ConfigurationProblem[] {
  const problems: ConfigurationProblem[] = [];
  const seen = new Map<string, number>();
  const collisions = new Map<string, number>();
  names.forEach((name, i) => {
    if (name === undefined) return;
    const input = formatPath(['topics', i, 'name']);
    const location = { file: doc.file, ...doc.at(['topics', i, 'name']) };
    const shown = clip(name, 80);
    if (name.startsWith('_')) {
      problems.push({ input, problem: `"${shown}" is an internal topic name (starts with _); internal topics are never managed`, fix: 'remove this entry; the broker owns its internal topics', location });
    }
    if (name === '.' || name === '..') problems.push({ input, problem: `"${name}" is not a valid topic name`, fix: 'choose a name with letters or digits', location });
    const first = seen.get(name);
    if (first !== undefined) {
      problems.push({ input, problem: `topic "${shown}" is declared twice (first at line ${doc.at(['topics', first]).line})`, fix: 'keep one entry per topic', location });
    } else {
      seen.set(name, i);
      const folded = name.replace(/\./g, '_');
      const other = collisions.get(folded);
      if (other !== undefined) {
        problems.push({ input, problem: `"${shown}" collides with "${clip(names[other]!, 80)}" (line ${doc.at(['topics', other]).line}): Kafka treats "." and "_" alike in metric names and refuses the second`, fix: 'rename one of them', location });
      } else collisions.set(folded, i);
    }
  });
  return problems;
}

function policyOf(raw: Partial<RawFile>): TopicsPolicy {
  const p = raw.policy ?? {};
  return {
    namePattern: p.namePattern,
    minPartitions: p.minPartitions,
    maxPartitions: p.maxPartitions,
    requiredConfigs: p.requiredConfigs ?? [],
    managedPrefixes: p.managedPrefixes ?? [],
  };
}

const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** True when a schema problem lies at `path` or under it (`topics[1]` covers `topics[1].configs`, not `topics[10]`). */
function hasProblemsUnder(problems: readonly ConfigurationProblem[], path: string): boolean {
  return problems.some((p) => p.input === path || p.input.startsWith(`${path}.`) || p.input.startsWith(`${path}[`));
}

/**
 * Parses a topics file's text. `file` is how it is named in messages (the path the user gave). Every problem is
 * reported in one go: the schema's, and the name and policy rules on every entry the schema let through (a typo in
 * one topic's partitions does not hide a duplicate name three entries further down).
 */
export function parseTopicsFile(text: string, file: string): TopicsFile {
  const doc = loadYamlWithPositions(text, file, 'file', 'declare apiVersion and topics in it (see the action README for an example)');
  if (!isMapping(doc.value)) {
    // Not a topics file at all (a wrong path, /etc/passwd, a JSON array): a few lines of it, never all of it.
    throw new ConfigurationError({
      input: '(top level)',
      problem: `must be a mapping, but is ${describeValue(doc.value)}; this is not a topics file. It starts with:\n${excerpt(text)}`,
      fix: 'point `file` at the topics file: a YAML mapping with apiVersion: redpanda-topics/v1 and topics (see topics.schema.json)',
      location: { file, ...doc.at([]) },
    });
  }
  const problems = new SchemaValidator(topicsSchema).validate(doc);
  const raw = doc.value as Partial<RawFile>;
  const entries: unknown[] = Array.isArray(raw.topics) ? raw.topics : [];
  const usable = (path: string): boolean => !hasProblemsUnder(problems, path);
  // Entries the schema accepts whole are read with the defaults (when those are valid too); names are checked on every entry that has one.
  const topics = entries.map((t, i) => (usable('defaults') && usable(`topics[${i}]`) ? declaredTopic(doc, raw as RawFile, t as RawTopic, i) : undefined));
  const names = entries.map((t, i) => (isMapping(t) && typeof t.name === 'string' && usable(`topics[${i}].name`) ? t.name : undefined));
  const absent = entries.map((t) => isMapping(t) && t.state === 'absent');
  problems.push(...checkNames(doc, names));
  if (usable('policy')) problems.push(...checkPolicy(doc, policyOf(raw), { names, absent, topics }));
  const { access, problems: accessProblems } = parseAccess(doc, usable);
  problems.push(...accessProblems);
  if (problems.length) throw new ConfigurationError(problems);
  return { path: file, apiVersion: raw.apiVersion!, policy: policyOf(raw), topics: topics as DeclaredTopic[], ...(access ? { access } : {}) };
}

/** A topics file of 1,000 topics is about 100 kB: anything past this is not one. */
export const MAX_FILE_BYTES = 8 * 1024 * 1024;

/**
 * Reads and parses the file at `path`, naming it `shownAs` in messages. With `secretsFrom`, the declared users'
 * passwords are read from the environment too (and registered as secrets at once); a missing one is a problem of the file.
 */
export function readTopicsFile(path: string, shownAs: string, secretsFrom?: { env: NodeJS.ProcessEnv; secrets: Secrets }): TopicsFile {
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > MAX_FILE_BYTES) {
      throw new ConfigurationError({ input: 'file', problem: `${clip(shownAs)} is ${size} bytes, more than a topics file can be (${MAX_FILE_BYTES} bytes)`, fix: 'point `file` at the topics file (YAML, see topics.schema.json)', location: { file: shownAs } });
    }
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof ConfigurationError) throw err;
    throw new ConfigurationError({ input: 'file', problem: `cannot read ${clip(shownAs)}: ${errorMessage(err)}`, fix: 'check the path (relative to the repository root) and that an earlier step checked out the repository' });
  }
  if (text.includes('\u0000')) {
    throw new ConfigurationError({ input: 'file', problem: `${clip(shownAs)} is not a text file (it holds NUL bytes); it starts with:\n${excerpt(text)}`, fix: 'point `file` at the topics file (YAML, see topics.schema.json)', location: { file: shownAs } });
  }
  const parsed = parseTopicsFile(text, shownAs);
  if (secretsFrom) {
    const problems = resolvePasswords(parsed, secretsFrom.env, secretsFrom.secrets);
    if (problems.length) throw new ConfigurationError(problems);
  }
  return parsed;
}
