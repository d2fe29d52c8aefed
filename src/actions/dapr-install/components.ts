import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { ConfigurationError, ProblemList } from '../../core/errors.js';
import { checkDnsLabel, checkDnsSubdomain, checkPath, type PathPolicy } from '../../core/inputs.js';
import { formatPath, loadYamlDocuments, type PositionedYaml, type YamlPath } from '../../core/yaml.js';

/** A Dapr resource read from the user's files, checked, and ready for server-side apply. */
export interface DaprResource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; [k: string]: unknown };
  [k: string]: unknown;
}

export interface LoadedResource {
  file: string;
  line: number;
  resource: DaprResource;
}

const KINDS: Record<string, readonly string[]> = {
  Component: ['dapr.io/v1alpha1'],
  Subscription: ['dapr.io/v2alpha1', 'dapr.io/v1alpha1'],
  Configuration: ['dapr.io/v1alpha1'],
  Resiliency: ['dapr.io/v1alpha1'],
};
const COMPONENT_TYPE = /^(bindings|pubsub|state|secretstores|configuration|lock|middleware\.http|nameresolution|workflowbackend|conversation|crypto)\.[a-z0-9][a-z0-9.-]*$/;
/** Metadata names whose values are credentials: they belong in a secret store, referenced with secretKeyRef. */
const SECRET_NAME = /(password|passwd|secret|token|apikey|api[-_]?key|accesskey|access[-_]?key|privatekey|private[-_]?key|connectionstring|credential|sas[-_]?(token|key))/i;

/**
 * Expands `components` entries: files as they are, directories to their *.yaml / *.yml files (sorted). Every
 * entry and every file found must exist and stay inside the workspace or RUNNER_TEMP (unless the policy allows
 * any path): a symlink in a listed directory is followed and checked too. All problems are reported together.
 */
export function componentFiles(entries: string[], policy: PathPolicy): string[] {
  const problems = new ProblemList();
  const files: string[] = [];
  for (const entry of entries) {
    const path = problems.collect(() => checkPath('components', entry, policy, 'file or directory'));
    if (path === undefined) continue;
    if (statSync(path).isDirectory()) {
      const found = readdirSync(path).filter((f) => ['.yaml', '.yml'].includes(extname(f))).sort().map((f) => join(path, f));
      if (!found.length) problems.add({ input: 'components', problem: `directory ${entry} has no .yaml or .yml files`, fix: 'point at the directory that holds the Dapr resource files' });
      for (const f of found) {
        const checked = problems.collect(() => checkPath('components', f, policy, 'file'));
        if (checked !== undefined) files.push(checked);
      }
    } else {
      files.push(path);
    }
  }
  problems.throwIfAny();
  return files;
}

/** A shared validator's verdict on one field, as a problem at the field's position (the validator's words). */
function validated(fn: () => unknown, report: (problem: string, fix: string) => void): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof ConfigurationError)) throw err;
    for (const p of err.problems) report(p.problem, p.fix);
  }
}

function check(doc: PositionedYaml, namespace: string, allowPlaintextSecrets: boolean, problems: ProblemList): DaprResource | undefined {
  const before = problems.length;
  const problem = (path: YamlPath, what: string, fix: string): void => {
    const at = doc.at(path);
    problems.add({ input: `components (${formatPath(path)})`, problem: what, fix, location: { file: doc.file, line: at.line, column: at.column } });
  };
  const v = doc.value as Record<string, unknown>;
  if (!v || typeof v !== 'object' || Array.isArray(v)) {
    problem([], 'is not a Kubernetes object', 'each document needs apiVersion, kind, metadata and spec');
    return undefined;
  }
  const kind = String(v.kind ?? '');
  const versions = KINDS[kind];
  if (!versions) {
    problem(['kind'], `kind "${kind}" is not a Dapr resource this action applies`, `use one of: ${Object.keys(KINDS).join(', ')}`);
    return undefined;
  }
  if (!versions.includes(String(v.apiVersion))) problem(['apiVersion'], `apiVersion "${String(v.apiVersion ?? '')}" is not valid for ${kind}`, `use ${versions.join(' or ')}`);
  const meta = (v.metadata ?? {}) as Record<string, unknown>;
  const name = String(meta.name ?? '');
  validated(() => checkDnsSubdomain('metadata.name', name, 'resource name'), (what, fix) => problem(['metadata', 'name'], `name ${what}`, fix));
  if (meta.namespace !== undefined && meta.namespace !== namespace) problem(['metadata', 'namespace'], `namespace "${String(meta.namespace)}" differs from components-namespace "${namespace}"`, 'remove metadata.namespace, or set components-namespace to it');
  const scopes = v.scopes;
  if (scopes !== undefined) {
    if (!Array.isArray(scopes)) problem(['scopes'], 'scopes is not a list', 'list the app ids that may use this resource');
    else scopes.forEach((s, i) => {
      if (typeof s !== 'string') problem(['scopes', i], `scope ${JSON.stringify(s)} is not a string`, 'list app ids as strings, e.g. - todo-api');
      else validated(() => checkDnsLabel('scopes', s, 'Dapr app id'), (what, fix) => problem(['scopes', i], `scope ${what}`, fix));
    });
  }
  const spec = v.spec as Record<string, unknown> | undefined;
  if (!spec || typeof spec !== 'object') {
    problem(['spec'], `${kind} has no spec`, 'add the spec for this kind (see the Dapr docs)');
  } else if (kind === 'Component') {
    if (typeof spec.type !== 'string' || !COMPONENT_TYPE.test(spec.type)) problem(['spec', 'type'], spec.type === undefined ? 'spec.type is missing' : `spec.type "${String(spec.type)}" is not a Dapr component type`, 'write <category>.<name>, e.g. pubsub.kafka or state.postgresql');
    if (typeof spec.version !== 'string' || !/^v\d+/.test(spec.version)) problem(['spec', 'version'], 'spec.version is missing or not like v1', 'set spec.version, e.g. v1');
    const md = spec.metadata;
    if (md !== undefined && !Array.isArray(md)) problem(['spec', 'metadata'], 'spec.metadata is not a list', 'write a list of {name, value} or {name, secretKeyRef}');
    (Array.isArray(md) ? md : []).forEach((item: Record<string, unknown>, i) => {
      const mdName = String(item?.name ?? '');
      if (!mdName) problem(['spec', 'metadata', i], 'a metadata item has no name', 'give every item a name');
      if (item?.value !== undefined && item?.secretKeyRef !== undefined) problem(['spec', 'metadata', i], `metadata "${mdName}" has both value and secretKeyRef`, 'keep one of them');
      if (!allowPlaintextSecrets && SECRET_NAME.test(mdName) && typeof item?.value === 'string' && item.value !== '') {
        problem(['spec', 'metadata', i, 'value'], `metadata "${mdName}" holds a plaintext value that looks like a secret`, `store it in a secret store and reference it: secretKeyRef: {name: <secret>, key: <key>} (and auth.secretStore), or set allow-plaintext-secrets: true`);
      }
    });
  } else if (kind === 'Subscription') {
    if (!spec.pubsubname || !spec.topic) problem(['spec'], 'a Subscription needs spec.pubsubname and spec.topic', 'set both');
    if (String(v.apiVersion) === 'dapr.io/v2alpha1' && !(spec.routes as Record<string, unknown> | undefined)?.default && !Array.isArray((spec.routes as Record<string, unknown> | undefined)?.rules)) problem(['spec', 'routes'], 'a v2alpha1 Subscription needs spec.routes.default or spec.routes.rules', 'add routes');
    if (String(v.apiVersion) === 'dapr.io/v1alpha1' && !spec.route) problem(['spec', 'route'], 'a v1alpha1 Subscription needs spec.route', 'add route');
  }
  if (problems.length > before) return undefined;
  return { ...(v as object), metadata: { ...meta, name, namespace } } as DaprResource;
}

/** Reads and validates every resource of every file; all problems are reported together, before any is applied. */
export function loadComponents(files: string[], namespace: string, allowPlaintextSecrets: boolean): LoadedResource[] {
  const problems = new ProblemList();
  const out: LoadedResource[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const docs = problems.collect(() => loadYamlDocuments(readFileSync(file, 'utf8'), file, 'components'));
    // A listed file that holds nothing (empty, or comments only) is a wrong path or a forgotten file, not "apply nothing".
    if (docs?.length === 0) problems.add({ input: 'components', problem: `${file} holds no Dapr resource (it is empty, or comments only)`, fix: 'write the resources in it, or take it out of components (or out of the listed directory)', location: { file } });
    for (const doc of docs ?? []) {
      const resource = check(doc, namespace, allowPlaintextSecrets, problems);
      if (!resource) continue;
      const id = `${resource.kind}/${resource.metadata.name}`;
      const line = doc.at([]).line;
      const other = seen.get(id);
      if (other) problems.add({ input: `components (${id})`, problem: `is declared twice (also at ${other})`, fix: 'keep one declaration', location: { file, line } });
      seen.set(id, `${file}:${line}`);
      out.push({ file, line, resource });
    }
  }
  problems.throwIfAny();
  return out;
}
