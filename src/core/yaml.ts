import { CORE_SCHEMA, EVENT_ID, getScalarValue, load, loadAll, mergeTag, parseEvents, YAMLException, type Event } from 'js-yaml';
import { ConfigurationError } from './errors.js';

/**
 * YAML with line numbers. js-yaml's `load` gives the value; its event stream (`parseEvents`, source
 * offsets for every node) gives where each node and each mapping key was written, so every problem
 * found later can point at file:line:column. Generic: knows nothing of topics.
 */
export type YamlPath = ReadonlyArray<string | number>;

export interface YamlPosition {
  line: number;
  column: number;
}

export class PositionedYaml {
  constructor(
    readonly file: string,
    readonly value: unknown,
    private readonly index: PositionIndex,
    /** Which document of the stream this is (0 for a single-document file). */
    readonly document = 0,
  ) {}

  private key(path: YamlPath): string {
    return pathKey([this.document, ...path]);
  }

  /** The source text of the plain scalar at path (e.g. a long integer JavaScript cannot hold exactly). */
  scalarText(path: YamlPath): string | undefined {
    return this.index.scalars.get(this.key(path));
  }

  /** Where the node at path starts; else where its key is (an empty value); else the nearest ancestor's position (aliases). */
  at(path: YamlPath): YamlPosition {
    const own = this.index.nodes.get(this.key(path)) ?? this.index.keys.get(this.key(path));
    if (own) return own;
    for (let n = path.length - 1; n >= 0; n--) {
      const hit = this.index.nodes.get(this.key(path.slice(0, n)));
      if (hit) return hit;
    }
    return this.index.nodes.get(this.key([])) ?? { line: 1, column: 1 };
  }

  /** Where the mapping key of the entry at path was written (falls back to the value's position). */
  keyAt(path: YamlPath): YamlPosition {
    return this.index.keys.get(this.key(path)) ?? this.at(path);
  }
}

/** `topics[2].configs["retention.ms"]`: how a path is shown to users. */
export function formatPath(path: YamlPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out || '(top level)';
}

function pathKey(path: YamlPath): string {
  return JSON.stringify(path);
}

/** Offsets to 1-based line and column. */
function positionFinder(text: string): (offset: number) => YamlPosition {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo]! + 1 };
  };
}

const YAML_SCHEMA = CORE_SCHEMA.withTags(mergeTag);

interface Frame {
  kind: 'doc' | 'map' | 'seq';
  /** Null inside a complex (non-scalar) mapping key: nothing there is addressable. */
  path: YamlPath | null;
  expectKey: boolean;
  key: string | null;
  index: number;
}

function nodeOffset(e: Event): number {
  switch (e.type) {
    case EVENT_ID.SCALAR: {
      if (e.valueStart < 0 && e.anchorStart < 0 && e.tagStart < 0) return -1; // an empty value: no text of its own
      const starts = [e.anchorStart, e.tagStart].filter((o) => o >= 0);
      // A quoted scalar's value starts after its quote: point at the quote.
      const quoted = e.style === 2 || e.style === 3 ? 1 : 0;
      return starts.length ? Math.min(...starts) : Math.max(0, e.valueStart - quoted);
    }
    case EVENT_ID.SEQUENCE:
    case EVENT_ID.MAPPING: {
      const starts = [e.start, e.anchorStart, e.tagStart].filter((o) => o >= 0);
      return Math.min(...starts);
    }
    case EVENT_ID.ALIAS:
      return Math.max(0, e.anchorStart - 1);
    default:
      return 0;
  }
}

interface PositionIndex {
  nodes: Map<string, YamlPosition>;
  keys: Map<string, YamlPosition>;
  scalars: Map<string, string>;
}

function indexPositions(text: string, file: string): PositionIndex {
  const nodes = new Map<string, YamlPosition>();
  const keys = new Map<string, YamlPosition>();
  const scalars = new Map<string, string>();
  const pos = positionFinder(text);
  const stack: Frame[] = [];
  let documents = 0;
  const finish = (): void => {
    const top = stack[stack.length - 1];
    if (top?.kind === 'map') top.expectKey = !top.expectKey;
    else if (top?.kind === 'seq') top.index++;
  };
  for (const e of parseEvents(text, { filename: file })) {
    if (e.type === EVENT_ID.DOCUMENT) {
      stack.push({ kind: 'doc', path: [documents++], expectKey: false, key: null, index: 0 });
      continue;
    }
    if (e.type === EVENT_ID.POP) {
      stack.pop();
      finish();
      continue;
    }
    const top = stack[stack.length - 1];
    const offset = nodeOffset(e);
    const at = pos(Math.max(0, offset));
    let path: YamlPath | null;
    if (!top || top.path === null) path = null;
    else if (top.kind === 'map' && top.expectKey) {
      // A mapping key: remember it, and where it was written.
      if (e.type === EVENT_ID.SCALAR) {
        top.key = getScalarValue(text, e);
        keys.set(pathKey([...top.path, top.key]), at);
        finish();
        continue;
      }
      top.key = null;
      path = null;
    } else if (top.kind === 'map') path = top.key === null ? null : [...top.path, top.key];
    else if (top.kind === 'seq') path = [...top.path, top.index];
    else path = top.path;

    if (path && offset >= 0 && !nodes.has(pathKey(path))) nodes.set(pathKey(path), at);
    if (path && e.type === EVENT_ID.SCALAR && e.style === 1 && e.valueStart >= 0) scalars.set(pathKey(path), getScalarValue(text, e));
    if (e.type === EVENT_ID.MAPPING || e.type === EVENT_ID.SEQUENCE) {
      stack.push({ kind: e.type === EVENT_ID.MAPPING ? 'map' : 'seq', path, expectKey: true, key: null, index: 0 });
    } else {
      finish();
    }
  }
  return { nodes, keys, scalars };
}

/** The line of the `---` that starts a second document. */
function secondDocumentLine(text: string): number {
  const lines = text.split(/\r?\n/);
  let content = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^---(\s|$)/.test(line)) {
      if (content) return i + 1;
      content = true;
    } else if (line.trim() && !line.trim().startsWith('#') && !line.startsWith('%')) content = true;
  }
  return 1;
}

/** Loads one YAML document with positions; a syntax error is a ConfigurationError at file:line:column. */
export function loadYamlWithPositions(text: string, file: string, input = 'file', emptyFix = "write the file's content (see the action README for an example)"): PositionedYaml {
  if (text.trim() === '') {
    throw new ConfigurationError({ input, problem: `${file} is empty`, fix: emptyFix, location: { file } });
  }
  let value: unknown;
  try {
    // Merge keys (`<<: *defaults`) are allowed: files repeat blocks of configs.
    value = load(text, { filename: file, schema: YAML_SCHEMA });
  } catch (err) {
    if (err instanceof YAMLException && !err.mark && /single document/.test(err.reason)) {
      throw new ConfigurationError({ input, problem: 'holds more than one YAML document (a second --- line)', fix: 'keep one document: remove the second --- and what follows, or move it to its own file', location: { file, line: secondDocumentLine(text) } });
    }
    if (err instanceof YAMLException) {
      const mark = err.mark;
      throw new ConfigurationError({
        input,
        problem: `is not valid YAML: ${err.reason}`,
        fix: 'correct the YAML at that line (a YAML linter or an editor with the JSON Schema shows it as you type)',
        location: { file, ...(mark ? { line: mark.line + 1, column: mark.column + 1 } : {}) },
      });
    }
    throw err;
  }
  return new PositionedYaml(file, value, indexPositions(text, file));
}

/**
 * Loads every document of a YAML stream (`---` separated, as Kubernetes manifests are written), each with
 * positions. Empty documents are dropped. A syntax error is a ConfigurationError at file:line:column.
 */
export function loadYamlDocuments(text: string, file: string, input = 'file'): PositionedYaml[] {
  let values: unknown[];
  try {
    values = loadAll(text, { filename: file, schema: YAML_SCHEMA });
  } catch (err) {
    if (err instanceof YAMLException) {
      const mark = err.mark;
      throw new ConfigurationError({ input, problem: `is not valid YAML: ${err.reason}`, fix: 'correct the YAML at that line', location: { file, ...(mark ? { line: mark.line + 1, column: mark.column + 1 } : {}) } });
    }
    throw err;
  }
  const index = indexPositions(text, file);
  return values.map((v, i) => new PositionedYaml(file, v, index, i)).filter((d) => d.value !== null && d.value !== undefined);
}
