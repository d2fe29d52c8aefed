/**
 * Pure: what a helm upgrade would change, resource by resource, from three views of the release:
 * - proposed: the manifest the upgrade renders (helm's server-side dry run),
 * - previous: the manifest of the release as it is (`helm get manifest`; none on a first install),
 * - live: each object as the cluster has it now.
 * Only what the chart sets is compared (the fields of the proposed or previous object): status, defaults the
 * API server fills in, bookkeeping metadata and annotations Helm or kubectl add are not the upgrade's doing.
 * A Secret's values are never shown: they are compared by hash, and only the keys are named (diff-secrets.ts).
 * Table-tested in test/unit/helm/diff.test.ts.
 */
import { dump, loadAll } from 'js-yaml';
import { diffLines, hasChanges, unifiedHunks } from './diff-lines.js';
import { isSecret, maskSecret } from './diff-secrets.js';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** What the cluster said when asked for one object. */
export type LiveObject = { state: 'found'; object: KubeObject } | { state: 'absent'; note?: string } | { state: 'unreadable'; reason: string };

export type ChangeAction = 'add' | 'remove' | 'change' | 'unknown';

export interface SecretKeyChanges {
  added: string[];
  removed: string[];
  changed: string[];
}

export interface ResourceChange {
  action: ChangeAction;
  kind: string;
  name: string;
  /** Undefined for objects that name no namespace and are read cluster-wide (or in the release's namespace). */
  namespace?: string;
  /** `Kind/name` (with `namespace/` in front when not the release's). */
  title: string;
  /** Unified diff lines of the normalised YAML (Secret values replaced by a marker). */
  lines: string[];
  /** For Secrets: which keys of data/stringData are added, removed or changed. Values never appear. */
  secretKeys?: SecretKeyChanges;
  /** Why this could not be compared, or what to know about it (e.g. kept by helm.sh/resource-policy). */
  note?: string;
}

export interface ReleaseDiff {
  changes: ResourceChange[];
  /** Resources the upgrade renders the same as the cluster has them. */
  unchanged: number;
}

/** Metadata the API server, Helm or kubectl maintain: never the chart's to change. */
const BOOKKEEPING_METADATA = ['managedFields', 'resourceVersion', 'uid', 'creationTimestamp', 'generation', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'ownerReferences', 'finalizers'];
const TOOL_ANNOTATIONS = [/^meta\.helm\.sh\//, /^kubectl\.kubernetes\.io\/last-applied-configuration$/, /^deployment\.kubernetes\.io\/revision$/];
const TOOL_LABELS = [/^app\.kubernetes\.io\/managed-by$/];

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonMap = { [key: string]: Json };

const isMap = (v: unknown): v is JsonMap => typeof v === 'object' && v !== null && !Array.isArray(v);
/** What the API server leaves out when stored (Go's omitempty): `0`, `false`, `""`, `{}`, `[]`. */
const isZeroValue = (v: unknown): boolean => v === 0 || v === false || v === '' || (Array.isArray(v) && v.length === 0) || (isMap(v) && Object.keys(v).length === 0);

/** API group of an apiVersion: `apps/v1` -> `apps`, `v1` -> `` (a version change is the same object). */
const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');

/** The identity of an object in the release: group, kind, namespace (the release's when none is named) and name. */
export function resourceKey(obj: KubeObject, releaseNamespace: string): string {
  return [groupOf(obj.apiVersion), obj.kind, obj.metadata.namespace ?? releaseNamespace, obj.metadata.name].join('|');
}

/**
 * The objects of a manifest stream (helm's rendered templates). Empty documents are skipped; `List` kinds are
 * flattened. A document that is not a Kubernetes object is an error naming the source and its position.
 */
export function parseManifest(text: string, source: string): KubeObject[] {
  let docs: unknown[];
  try {
    docs = loadAll(text);
  } catch (err) {
    throw new Error(`${source} is not valid YAML: ${(err as { reason?: string }).reason ?? String(err)}`, { cause: err });
  }
  const out: KubeObject[] = [];
  const add = (doc: unknown, where: string): void => {
    if (doc === null || doc === undefined) return;
    if (isMap(doc) && typeof doc.kind === 'string' && doc.kind.endsWith('List') && Array.isArray(doc.items)) {
      doc.items.forEach((item, i) => add(item, `${where}, item ${i + 1}`));
      return;
    }
    const meta = isMap(doc) ? doc.metadata : undefined;
    if (!isMap(doc) || typeof doc.apiVersion !== 'string' || typeof doc.kind !== 'string' || !isMap(meta) || typeof meta.name !== 'string' || !meta.name) {
      throw new Error(`${source}, ${where}, is not a Kubernetes object (it needs apiVersion, kind and metadata.name)`);
    }
    out.push(doc as unknown as KubeObject);
  };
  docs.forEach((doc, i) => add(doc, `document ${i + 1}`));
  return out;
}

/** Kubernetes quantities (`500m`, `0.5`, `1Gi`, `1024Mi`) as numbers, to see `0.5` and `500m` as the same. */
const SUFFIX: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
function quantity(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:[eE]([+-]?\d+))?(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(v.trim());
  if (!m) return undefined;
  return Number(m[1]) * 10 ** Number(m[2] ?? 0) * SUFFIX[m[3] ?? '']!;
}

/** Keys whose values (or whose map's values) are quantities the API server rewrites in canonical form. */
const QUANTITY_KEYS = new Set(['limits', 'requests', 'hard', 'capacity', 'allocatable', 'overhead', 'defaultRequest', 'sizeLimit']);

/** Scalars the API server would store alike: equal as text, or (where a quantity belongs) as quantities. */
export function equivalentScalars(proposed: unknown, live: unknown, quantities = true): boolean {
  if (proposed === live) return true;
  if (proposed === null || live === null || typeof proposed === 'object' || typeof live === 'object') return false;
  if (String(proposed) === String(live)) return true;
  if (!quantities) return false;
  const p = quantity(proposed);
  const l = quantity(live);
  return p !== undefined && l !== undefined && Math.abs(p - l) <= 1e-9 * Math.max(Math.abs(p), Math.abs(l));
}

/** The item of a template list that corresponds to a live item: the one of the same `name`, else the same index. */
function matchItem(template: Json[] | undefined, item: Json, index: number): Json | undefined {
  if (!template) return undefined;
  const name = isMap(item) && typeof item.name === 'string' ? item.name : undefined;
  if (name !== undefined && template.some((t) => isMap(t) && typeof t.name === 'string')) return template.find((t) => isMap(t) && t.name === name);
  return template[index];
}

/**
 * The part of a live value the upgrade speaks about: the keys (and list items) of the proposed or the previous
 * object. A leaf the proposal writes differently but that the server stores alike (`0.5` and `500m` CPU under
 * `requests`, `limits`, ...; `quantities` says a leaf is one) takes the proposal's spelling; a zero value the
 * server does not store (`0`, `false`, `""`, `{}`, `[]`: Go's omitempty) counts as present.
 */
export function pruneLive(live: Json, proposed: Json | undefined, previous: Json | undefined, quantities = false): Json | undefined {
  if (isMap(live)) {
    const p = isMap(proposed) ? proposed : undefined;
    const o = isMap(previous) ? previous : undefined;
    if (!p && !o) return live;
    const out: JsonMap = {};
    for (const key of new Set([...Object.keys(p ?? {}), ...Object.keys(o ?? {})])) {
      if (live[key] === undefined) {
        if (p && isZeroValue(p[key])) out[key] = p[key]!;
        continue;
      }
      const pruned = pruneLive(live[key]!, p?.[key], o?.[key], QUANTITY_KEYS.has(key) || (quantities && !isMap(live[key])));
      if (pruned !== undefined) out[key] = pruned;
    }
    return out;
  }
  if (Array.isArray(live)) {
    const p = Array.isArray(proposed) ? proposed : undefined;
    const o = Array.isArray(previous) ? previous : undefined;
    if (!p && !o) return live;
    const out: Json[] = [];
    live.forEach((item, i) => {
      const pi = matchItem(p, item, i);
      const oi = matchItem(o, item, i);
      if (pi === undefined && oi === undefined) return; // an item neither the chart nor the release set
      out.push(pruneLive(item, pi, oi) ?? null);
    });
    return out;
  }
  if (proposed !== undefined && !isMap(proposed) && !Array.isArray(proposed) && equivalentScalars(proposed, live, quantities)) return proposed;
  return live;
}

/** A deep copy of plain JSON-like data (plain objects of this realm: js-yaml dumps only those). */
function clone(value: Json): Json {
  if (Array.isArray(value)) return value.map(clone);
  if (isMap(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clone(v)]));
  return value;
}

/** Drops nulls (the API server stores none) from a value, recursively. */
function dropNulls(value: Json): Json {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (isMap(value)) return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => [k, dropNulls(v)]));
  return value;
}

/** An object without what the cluster and the tools keep on it (status, bookkeeping metadata, tool annotations). */
export function stripBookkeeping(obj: KubeObject): JsonMap {
  const out = clone(obj as unknown as Json) as JsonMap;
  delete out.status;
  const meta = out.metadata as JsonMap;
  for (const key of BOOKKEEPING_METADATA) delete meta[key];
  for (const [field, patterns] of [
    ['annotations', TOOL_ANNOTATIONS],
    ['labels', TOOL_LABELS],
  ] as const) {
    const map = meta[field];
    if (!isMap(map)) continue;
    for (const key of Object.keys(map)) if (patterns.some((p) => p.test(key))) delete map[key];
    if (!Object.keys(map).length) delete meta[field];
  }
  return out;
}

const KEY_ORDER = ['apiVersion', 'kind', 'metadata', 'name', 'namespace', 'labels', 'annotations', 'type', 'spec', 'data', 'stringData', 'binaryData'];
const keyRank = (k: string): number => {
  const i = KEY_ORDER.indexOf(k);
  return i < 0 ? KEY_ORDER.length : i;
};

/** YAML for the diff: stable key order (apiVersion, kind, metadata first; the rest sorted), no folding. */
export function toYaml(value: Json): string[] {
  const text = dump(value, { sortKeys: (a: string, b: string) => keyRank(a) - keyRank(b) || (a < b ? -1 : a > b ? 1 : 0), lineWidth: -1, noRefs: true });
  return text.replace(/\n$/, '').split('\n');
}

const keysOf = (v: unknown): string[] => (isMap(v) ? Object.keys(v).sort() : []);

function sortedDiff(a: Set<string>, b: Set<string>): string[] {
  return [...a].filter((k) => !b.has(k)).sort();
}

function describe(obj: KubeObject, releaseNamespace: string): Pick<ResourceChange, 'kind' | 'name' | 'namespace' | 'title'> {
  const ns = obj.metadata.namespace;
  return { kind: obj.kind, name: obj.metadata.name, namespace: ns, title: `${ns && ns !== releaseNamespace ? `${ns}/` : ''}${obj.kind}/${obj.metadata.name}` };
}

export interface DiffInput {
  releaseNamespace: string;
  proposed: readonly KubeObject[];
  /** The release's manifest as it is (empty on a first install). */
  previous: readonly KubeObject[];
  /** The live object of each key of proposed and previous (see resourceKey). */
  live: ReadonlyMap<string, LiveObject>;
}

/** Per resource: what the upgrade would add, remove or change. Pure. */
export function diffRelease(input: DiffInput): ReleaseDiff {
  const { releaseNamespace: ns } = input;
  const proposed = new Map(input.proposed.map((o) => [resourceKey(o, ns), o]));
  const previous = new Map(input.previous.map((o) => [resourceKey(o, ns), o]));
  const changes: ResourceChange[] = [];
  let unchanged = 0;

  for (const key of new Set([...proposed.keys(), ...previous.keys()])) {
    const p = proposed.get(key);
    const o = previous.get(key);
    const live = input.live.get(key) ?? { state: 'unreadable', reason: 'not read' };
    const who = describe((p ?? o)!, ns);
    if (live.state === 'unreadable') {
      changes.push({ action: 'unknown', ...who, lines: [], note: `could not read it from the cluster: ${live.reason}` });
      continue;
    }
    if (!p) {
      if (live.state === 'absent') continue; // already gone: nothing to remove
      const keep = isMap(o!.metadata.annotations) && o!.metadata.annotations['helm.sh/resource-policy'] === 'keep';
      if (keep) {
        unchanged++;
        continue;
      }
      const old = maskSecret(stripBookkeeping(live.object));
      const shown = pruneLive(old.shown, undefined, maskSecret(stripBookkeeping(o!)).shown) as JsonMap;
      const removedKeys = keysOf(shown.data).filter((k) => old.hashes.has(k));
      changes.push({ action: 'remove', ...who, lines: unifiedHunks(diffLines(toYaml(shown), [])), ...(removedKeys.length ? { secretKeys: { added: [], removed: removedKeys, changed: [] } } : {}) });
      continue;
    }
    const next = maskSecret(dropNulls(stripBookkeeping(p)) as JsonMap);
    if (live.state === 'absent') {
      changes.push({ action: 'add', ...who, lines: unifiedHunks(diffLines([], toYaml(next.shown))), ...(next.hashes.size ? { secretKeys: { added: [...next.hashes.keys()].sort(), removed: [], changed: [] } } : {}), ...(live.note ? { note: live.note } : {}) });
      continue;
    }
    const now = maskSecret(stripBookkeeping(live.object));
    const shown = pruneLive(now.shown, maskSecret(stripBookkeeping(p)).shown, o ? maskSecret(stripBookkeeping(o)).shown : undefined) as JsonMap;
    const ops = diffLines(toYaml(shown), toYaml(next.shown));
    // The live values the upgrade speaks about: the keys left after pruning (set by the chart, now or before).
    const kept = new Set(keysOf(shown.data));
    const secretKeys = isSecret(p) ? compareHashes(new Map([...now.hashes].filter(([k]) => kept.has(k))), next.hashes) : undefined;
    const secretChanged = secretKeys && (secretKeys.added.length || secretKeys.removed.length || secretKeys.changed.length);
    if (!hasChanges(ops) && !secretChanged) {
      unchanged++;
      continue;
    }
    changes.push({ action: 'change', ...who, lines: unifiedHunks(ops), ...(secretKeys ? { secretKeys } : {}) });
  }
  return { changes, unchanged };
}

function compareHashes(current: Map<string, string>, next: Map<string, string>): SecretKeyChanges {
  const a = new Set(current.keys());
  const b = new Set(next.keys());
  return {
    added: sortedDiff(b, a),
    removed: sortedDiff(a, b),
    changed: [...b].filter((k) => a.has(k) && current.get(k) !== next.get(k)).sort(),
  };
}

/** The live objects diffRelease needs: every key of the proposed and the previous manifest, each once. */
export function objectsToRead(proposed: readonly KubeObject[], previous: readonly KubeObject[], releaseNamespace: string): Array<{ key: string; object: KubeObject }> {
  const seen = new Map<string, KubeObject>();
  for (const o of [...proposed, ...previous]) {
    const key = resourceKey(o, releaseNamespace);
    if (!seen.has(key)) seen.set(key, o);
  }
  return [...seen].map(([key, object]) => ({ key, object }));
}
