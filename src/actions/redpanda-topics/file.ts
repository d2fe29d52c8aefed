import { readFileSync } from 'node:fs';
import { ConfigurationError, errorMessage, type ConfigurationProblem } from '../../core/errors.js';
import { SchemaValidator } from './json-schema.js';
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

/** Checks that need the whole list: duplicates, internal names, names Kafka cannot tell apart. */
function checkNames(doc: PositionedYaml, topics: DeclaredTopic[]): ConfigurationProblem[] {
  const problems: ConfigurationProblem[] = [];
  const seen = new Map<string, number>();
  const collisions = new Map<string, number>();
  topics.forEach((t, i) => {
    const input = formatPath(['topics', i, 'name']);
    const location = { file: doc.file, ...doc.at(['topics', i, 'name']) };
    if (t.name.startsWith('_')) {
      problems.push({ input, problem: `"${t.name}" is an internal topic name (starts with _); internal topics are never managed`, fix: 'remove this entry; the broker owns its internal topics', location });
    }
    if (t.name === '.' || t.name === '..') problems.push({ input, problem: `"${t.name}" is not a valid topic name`, fix: 'choose a name with letters or digits', location });
    const first = seen.get(t.name);
    if (first !== undefined) {
      problems.push({ input, problem: `topic "${t.name}" is declared twice (first at line ${doc.at(['topics', first]).line})`, fix: 'keep one entry per topic', location });
    } else {
      seen.set(t.name, i);
      const folded = t.name.replace(/\./g, '_');
      const other = collisions.get(folded);
      if (other !== undefined) {
        problems.push({ input, problem: `"${t.name}" collides with "${topics[other]!.name}" (line ${doc.at(['topics', other]).line}): Kafka treats "." and "_" alike in metric names and refuses the second`, fix: 'rename one of them', location });
      } else collisions.set(folded, i);
    }
  });
  return problems;
}

function policyOf(raw: RawFile): TopicsPolicy {
  const p = raw.policy ?? {};
  return {
    namePattern: p.namePattern,
    minPartitions: p.minPartitions,
    maxPartitions: p.maxPartitions,
    requiredConfigs: p.requiredConfigs ?? [],
    managedPrefixes: p.managedPrefixes ?? [],
  };
}

/** Parses a topics file's text. `file` is how it is named in messages (the path the user gave). */
export function parseTopicsFile(text: string, file: string): TopicsFile {
  const doc = loadYamlWithPositions(text, file);
  const schemaProblems = new SchemaValidator(topicsSchema).validate(doc);
  if (schemaProblems.length) throw new ConfigurationError(schemaProblems);
  const raw = doc.value as RawFile;
  const topics = raw.topics.map((t, i) => declaredTopic(doc, raw, t, i));
  const policy = policyOf(raw);
  const problems = [...checkNames(doc, topics), ...checkPolicy(doc, policy, topics)];
  if (problems.length) throw new ConfigurationError(problems);
  return { path: file, apiVersion: raw.apiVersion, policy, topics };
}

/** Reads and parses the file at `path`, naming it `shownAs` in messages. */
export function readTopicsFile(path: string, shownAs: string): TopicsFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigurationError({ input: 'file', problem: `cannot read ${shownAs}: ${errorMessage(err)}`, fix: 'check the path (relative to the repository root) and that an earlier step checked out the repository' });
  }
  return parseTopicsFile(text, shownAs);
}
