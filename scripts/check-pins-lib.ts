/**
 * The action pin rule (scripts/check-pins.ts, in `npm test`'s lint stage): every `uses:` of another
 * repository, in every workflow and every action.yml of this repository, names a full commit SHA and
 * keeps the version it is in a comment on the same line:
 *
 *   uses: actions/checkout@fbc6f3992d24b796d5a048ff273f7fcc4a7b6c09 # v5.1.0
 *
 * A tag or a branch can be moved by whoever controls that repository, and the next run would execute
 * their new code with this workflow's token and secrets; a commit SHA cannot. `docker://` images need a
 * digest (`@sha256:...`) for the same reason. Local actions (`./...`) are this repository's own code.
 * Also refused: one commit given two versions, or one version given two commits (a comment that lies).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { ConfigurationProblem } from '../src/core/errors.js';
import { formatPath, loadYamlWithPositions, type PositionedYaml, type YamlPath } from '../src/core/yaml.js';

/** One `uses:` (or a docker action's `runs.image`) as written. */
export interface UsesRef {
  file: string;
  line: number;
  column: number;
  /** Where in the file: `jobs.test.steps[0].uses`. */
  path: string;
  value: string;
  /** The comment after the value on its line, without `#` (empty when there is none). */
  comment: string;
}

const FULL_SHA = /^[0-9a-f]{40}$/;
const HEXISH = /^[0-9a-fA-F]{7,64}$/;
const DOCKER_DIGEST = /@sha256:[0-9a-f]{64}$/;
/** `owner/repo[/path]@ref`, as GitHub parses a remote action or reusable workflow. */
const REMOTE = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)((?:\/[^@\s]*)?)@(\S+)$/;
/** The version a comment starts with: v5.1.0, 5.1.0, v2, v1.2.3-rc.1. */
const VERSION = /^v?\d+(?:\.\d+)*(?:[-+][0-9A-Za-z.-]+)?(?=\s|$|[,;)])/;

/** The version a pin's comment names (its first word), or undefined. */
export function commentVersion(comment: string): string | undefined {
  return VERSION.exec(comment.trim())?.[0];
}

/** The comment on the line where a value starts (after its first ` #`), without the `#`. */
export function commentAfter(text: string, line: number, column: number): string {
  const source = text.split(/\r?\n/)[line - 1] ?? '';
  const rest = source.slice(Math.max(0, column - 1));
  const at = rest.search(/\s#/);
  return at < 0 ? '' : rest.slice(at).trim().replace(/^#\s*/, '').trim();
}

function ref(doc: PositionedYaml, text: string, path: YamlPath, value: unknown): UsesRef {
  const { line, column } = doc.at(path);
  return { file: doc.file, line, column, path: formatPath(path), value: typeof value === 'string' ? value : JSON.stringify(value), comment: typeof value === 'string' ? commentAfter(text, line, column) : '' };
}

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Every `uses:` of a workflow (`jobs.<id>.uses`, `jobs.<id>.steps[i].uses`) or an action
 * (`runs.steps[i].uses` of a composite, `runs.image` of a docker action when it is `docker://...`).
 */
export function collectUses(text: string, file: string): UsesRef[] {
  const out: UsesRef[] = [];
  if (text.trim() === '') return out;
  const doc = loadYamlWithPositions(text, file);
  const root = doc.value;
  if (!isDict(root)) return out;
  const steps = (base: YamlPath, list: unknown): void => {
    if (!Array.isArray(list)) return;
    list.forEach((step, i) => {
      if (isDict(step) && 'uses' in step) out.push(ref(doc, text, [...base, i, 'uses'], step.uses));
    });
  };
  if (isDict(root.jobs)) {
    for (const [id, job] of Object.entries(root.jobs)) {
      if (!isDict(job)) continue;
      if ('uses' in job) out.push(ref(doc, text, ['jobs', id, 'uses'], job.uses));
      steps(['jobs', id, 'steps'], job.steps);
    }
  }
  if (isDict(root.runs)) {
    steps(['runs', 'steps'], root.runs.steps);
    if (typeof root.runs.image === 'string' && root.runs.image.startsWith('docker://')) out.push(ref(doc, text, ['runs', 'image'], root.runs.image));
  }
  return out;
}

const LS_REMOTE = (owner: string, repo: string): string => `git ls-remote --tags https://github.com/${owner}/${repo} lists each tag's commit (for an annotated tag, the line ending in ^{})`;

/** Why this `uses:` is not pinned, or undefined when it is (or is local). */
export function pinProblem(u: UsesRef): ConfigurationProblem | undefined {
  const location = { file: u.file, line: u.line, column: u.column };
  const v = u.value.trim();
  const problem = (what: string, fix: string): ConfigurationProblem => ({ input: u.path, problem: `\`${v}\` ${what}`, fix, location });
  if (v.startsWith('./')) return undefined;
  if (v.includes('${{')) return problem('is an expression', 'name the action literally, pinned by its full commit SHA');
  if (v.startsWith('docker://')) {
    return DOCKER_DIGEST.test(v) ? undefined : problem('is not pinned by digest: a tag can be pushed again with other content', 'pin it by digest: docker://<image>@sha256:<64 hex> (skopeo inspect docker://<image>:<tag> prints the Digest), with the tag in a comment');
  }
  const m = REMOTE.exec(v);
  if (!m) return problem('is neither a local action (./...), owner/repo[/path]@ref nor docker://', 'write owner/repo[/path]@<full commit SHA> # <version>, or ./<path> for an action of this repository');
  const [, owner, repo, , at] = m as unknown as [string, string, string, string, string];
  const example = `uses: ${owner}/${repo}${m[3] ?? ''}@<40-character commit SHA> # <version>`;
  if (!FULL_SHA.test(at)) {
    if (HEXISH.test(at) && at.length !== 40) return problem(`is pinned by a short or malformed commit SHA (${at.length} characters): another commit can come to share the prefix`, `give all 40 lower-case hex characters: ${example}; ${LS_REMOTE(owner, repo)}`);
    if (HEXISH.test(at)) return problem('has its commit SHA in upper case', `write the SHA in lower case: ${example}`);
    return problem(`is pinned by the tag or branch "${at}", which the owner of ${owner}/${repo} can move to other code`, `pin the commit "${at}" names now, with the version in a comment: ${example}; ${LS_REMOTE(owner, repo)}`);
  }
  if (!commentVersion(u.comment)) {
    const said = u.comment ? `has the comment "${u.comment}", which does not start with a version` : 'has no version comment';
    return problem(`is pinned by commit but ${said}: nobody can tell which release it is or update it`, `add the tag that commit is after the value on the same line: ${v} # v1.2.3`);
  }
  return undefined;
}

/** A commit given two versions, or one version given two commits, across all the files: one comment is wrong. */
export function consistencyProblems(refs: readonly UsesRef[]): ConfigurationProblem[] {
  interface Pin { u: UsesRef; repo: string; owner: string; name: string; sha: string; version: string }
  const pins: Pin[] = [];
  for (const u of refs) {
    const m = REMOTE.exec(u.value.trim());
    const version = commentVersion(u.comment);
    if (m && FULL_SHA.test(m[4]!) && version) pins.push({ u, repo: `${m[1]}/${m[2]}`.toLowerCase(), owner: m[1]!, name: m[2]!, sha: m[4]!, version });
  }
  const out: ConfigurationProblem[] = [];
  const conflicts = (key: (p: Pin) => string, other: (p: Pin) => string, what: (first: Pin) => string): void => {
    const groups = new Map<string, Pin[]>();
    for (const p of pins) groups.set(`${p.repo} ${key(p)}`, [...(groups.get(`${p.repo} ${key(p)}`) ?? []), p]);
    for (const group of groups.values()) {
      if (new Set(group.map(other)).size < 2) continue;
      const first = group[0]!;
      const where = group.map((p) => `${p.u.file}:${p.u.line} (${p.sha.slice(0, 12)} # ${p.version})`).join(', ');
      out.push({ input: first.u.path, problem: `${what(first)}: ${where}`, fix: `look the tag up (${LS_REMOTE(first.owner, first.name)}) and correct the wrong SHA or comment`, location: { file: first.u.file, line: first.u.line, column: first.u.column } });
    }
  };
  conflicts((p) => p.sha, (p) => p.version, (p) => `${p.repo}@${p.sha} is given different versions`);
  conflicts((p) => p.version, (p) => p.sha, (p) => `${p.repo} ${p.version} is pinned to different commits`);
  return out;
}

export interface PinReport {
  files: string[];
  uses: UsesRef[];
  /** `uses:` of other repositories (not local). */
  remote: number;
  problems: ConfigurationProblem[];
}

/** Checks files given as (path shown in messages, text). */
export function checkPins(files: ReadonlyArray<{ file: string; text: string }>): PinReport {
  const uses: UsesRef[] = [];
  const problems: ConfigurationProblem[] = [];
  for (const { file, text } of files) {
    try {
      uses.push(...collectUses(text, file));
    } catch (err) {
      problems.push({ input: file, problem: `cannot be read as YAML: ${err instanceof Error ? err.message : String(err)}`, fix: 'correct the file (actionlint shows the error too)', location: { file } });
    }
  }
  for (const u of uses) {
    const p = pinProblem(u);
    if (p) problems.push(p);
  }
  problems.push(...consistencyProblems(uses));
  return { files: files.map((f) => f.file), uses, remote: uses.filter((u) => !u.value.trim().startsWith('./')).length, problems };
}

const SKIP_DIRS = new Set(['node_modules', 'dist', '.dist-staging', 'coverage']);

/**
 * The files the rule covers under `root`, relative and sorted: `.github/workflows/*.yml|yaml` and every
 * `action.yml|yaml` in the tree (composite, JavaScript and docker actions alike), outside node_modules,
 * build output and hidden directories other than .github.
 */
export function pinnedFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, e.name);
      if (e.isDirectory()) {
        if (SKIP_DIRS.has(e.name) || (e.name.startsWith('.') && e.name !== '.github')) continue;
        walk(full);
      } else if (e.isFile()) {
        const rel = relative(root, full).split(sep).join('/');
        if (/^action\.ya?ml$/.test(e.name) || /^\.github\/workflows\/[^/]+\.ya?ml$/.test(rel)) out.push(rel);
      }
    }
  };
  walk(root);
  return out.sort();
}

/** pinnedFiles + checkPins, reading the files. */
export function checkRepository(root: string): PinReport {
  return checkPins(pinnedFiles(root).map((file) => ({ file, text: readFileSync(join(root, file), 'utf8') })));
}
