/**
 * tsx scripts/release.ts <vX.Y.Z> [--repo DIR] [--no-build] [--push REMOTE]
 *
 * Publishes the actions' bundles for a version tag, the way `uses: <org>/<repo>/actions/<name>@v1` needs
 * them: bundles are build output, never committed on main, so each release gets its own commit.
 *
 *   1. source = the commit the checked-out work tree is at (the tag's commit on main, as release.yml checks
 *      it out); the work tree must be clean apart from ignored files.
 *   2. `npm run build` (unless --no-build: then the bundles already in the work tree are used).
 *   3. release commit = source's tree + every actions/<name>/dist/ (added through a private index, so the work
 *      tree, the branch and the repository's index are untouched), with source as its only parent and a
 *      `Release-Of: <source>` trailer. Checked: it differs from source only under actions/<name>/dist/, and
 *      every runs.main / runs.post of every action.yml is in it.
 *   4. vX.Y.Z is (re)pointed at the release commit (annotated), and so is the major tag vX when X.Y.Z is the
 *      highest stable release of that major (a fix to an older minor does not move v1 back; a pre-release such
 *      as v1.3.0-rc.1 never moves it).
 *   5. --push REMOTE: pushes both tags (forced, atomic).
 *
 * Re-running for a tag that already points at its release commit (a re-run of release.yml checks that commit
 * out) builds nothing and creates nothing: it only makes sure the major tag is right (and pushes).
 * Prints one JSON line: { version, source, release, major, majorMoved, created }.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { load } from 'js-yaml';

const VERSION = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$/;
const TRAILER = 'Release-Of';

export interface ReleaseResult {
  version: string;
  source: string;
  release: string;
  major: string;
  majorMoved: boolean;
  created: boolean;
}

type Semver = [number, number, number];

function parseVersion(tag: string): { core: Semver; pre: boolean } | undefined {
  const m = VERSION.exec(tag);
  return m ? { core: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] !== undefined } : undefined;
}

function compare(a: Semver, b: Semver): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

function gitIn(repo: string, env: NodeJS.ProcessEnv = process.env) {
  return (...args: string[]): string => {
    const r = spawnSync('git', args, { cwd: repo, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim()}`);
    return r.stdout.trim();
  };
}

/** Identity for the release commit and tags: the repository's, else the Actions bot's. */
function identity(git: (...a: string[]) => string): NodeJS.ProcessEnv {
  const get = (key: string): string | undefined => {
    try {
      return git('config', '--get', key) || undefined;
    } catch {
      return undefined;
    }
  };
  const name = process.env.GIT_AUTHOR_NAME ?? get('user.name') ?? 'github-actions[bot]';
  const email = process.env.GIT_AUTHOR_EMAIL ?? get('user.email') ?? '41898282+github-actions[bot]@users.noreply.github.com';
  return { GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_COMMITTER_NAME: process.env.GIT_COMMITTER_NAME ?? name, GIT_COMMITTER_EMAIL: process.env.GIT_COMMITTER_EMAIL ?? email };
}

/** The files each action's action.yml runs (dist/main/index.js, dist/post/index.js, ...). */
function runFiles(repo: string): string[] {
  const base = join(repo, 'actions');
  const files: string[] = [];
  for (const name of existsSync(base) ? readdirSync(base).sort() : []) {
    const yml = join(base, name, 'action.yml');
    if (!existsSync(yml)) continue;
    const runs = (load(readFileSync(yml, 'utf8')) as { runs?: Record<string, unknown> }).runs ?? {};
    for (const key of ['pre', 'main', 'post']) if (typeof runs[key] === 'string') files.push(`actions/${name}/${runs[key] as string}`);
  }
  return files;
}

export function release(options: { version: string; repo: string; build: boolean; push?: string; log?: (line: string) => void }): ReleaseResult {
  const log = options.log ?? ((l: string) => console.error(`release: ${l}`));
  const repo = resolve(options.repo);
  const parsed = parseVersion(options.version);
  if (!parsed) throw new Error(`"${options.version}" is not a release tag: use vMAJOR.MINOR.PATCH (e.g. v1.4.2), optionally with a pre-release suffix (v1.5.0-rc.1)`);
  const major = `v${parsed.core[0]}`;
  const git = gitIn(repo);
  const who = identity(git);
  const gitAs = gitIn(repo, { ...process.env, ...who });

  const head = git('rev-parse', 'HEAD^{commit}');
  const isRelease = (commit: string): boolean => git('log', '-1', `--format=%(trailers:key=${TRAILER},valueonly)`, commit).trim() !== '';
  let source = head;
  let releaseCommit: string | undefined;
  if (isRelease(head)) {
    // A re-run: the work tree is at the release commit the tag already points to.
    releaseCommit = head;
    source = git('rev-parse', `${head}^1`);
    log(`${head.slice(0, 12)} is already the release commit of ${source.slice(0, 12)}; nothing to build`);
  } else {
    const dirty = git('status', '--porcelain', '--untracked-files=all');
    if (dirty) throw new Error(`the work tree of ${repo} has changes (a release is built from a clean checkout of the tag):\n${dirty}`);
    if (options.build) {
      log(`building the bundles of ${source.slice(0, 12)}`);
      execFileSync('npm', ['run', 'build'], { cwd: repo, stdio: ['ignore', 'inherit', 'inherit'] });
    }
    const expected = runFiles(repo);
    const missing = expected.filter((f) => !existsSync(join(repo, f)));
    if (missing.length) throw new Error(`bundles missing (run npm run build): ${missing.join(', ')}`);

    const dir = mkdtempSync(join(tmpdir(), 'release-index-'));
    try {
      const withIndex = gitIn(repo, { ...process.env, ...who, GIT_INDEX_FILE: join(dir, 'index') });
      withIndex('read-tree', source);
      const dists = readdirSync(join(repo, 'actions')).filter((n) => existsSync(join(repo, 'actions', n, 'dist'))).map((n) => `actions/${n}/dist`);
      withIndex('add', '--force', '--', ...dists);
      const tree = withIndex('write-tree');
      const message = `Release ${options.version}\n\nThe actions' bundles (actions/<name>/dist/), built from ${source}.\n\n${TRAILER}: ${source}\n`;
      releaseCommit = gitAs('commit-tree', tree, '-p', source, '-m', message);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const changed = git('diff', '--name-only', source, releaseCommit).split('\n').filter(Boolean);
    const outside = changed.filter((f) => !/^actions\/[^/]+\/dist\//.test(f));
    if (outside.length) throw new Error(`the release commit would change files outside actions/*/dist/: ${outside.join(', ')}`);
    const absent = expected.filter((f) => spawnSync('git', ['cat-file', '-e', `${releaseCommit}:${f}`], { cwd: repo }).status !== 0);
    if (absent.length) throw new Error(`the release commit lacks ${absent.join(', ')}`);
    log(`release commit ${releaseCommit.slice(0, 12)} (parent ${source.slice(0, 12)}): ${changed.length} bundle files`);
  }

  const created = releaseCommit !== head;
  const current = (() => {
    try {
      return git('rev-parse', `refs/tags/${options.version}^{commit}`);
    } catch {
      return undefined;
    }
  })();
  if (current !== releaseCommit) gitAs('tag', '--force', '--annotate', '--message', `${options.version}`, options.version, releaseCommit);

  // The major tag follows the highest stable release of its major.
  let majorMoved = false;
  if (!parsed.pre) {
    const highest = git('tag', '--list', `${major}.*`)
      .split('\n')
      .map((t) => ({ t, v: parseVersion(t) }))
      .filter((x): x is { t: string; v: { core: Semver; pre: boolean } } => !!x.v && !x.v.pre && x.v.core[0] === parsed.core[0])
      .reduce((best, x) => (compare(x.v.core, best) > 0 ? x.v.core : best), parsed.core);
    if (compare(parsed.core, highest) >= 0) {
      const was = (() => {
        try {
          return git('rev-parse', `refs/tags/${major}^{commit}`);
        } catch {
          return undefined;
        }
      })();
      if (was !== releaseCommit) gitAs('tag', '--force', '--annotate', '--message', `${major} -> ${options.version}`, major, releaseCommit);
      majorMoved = was !== releaseCommit;
      log(`${major} -> ${options.version} (${releaseCommit.slice(0, 12)})${majorMoved ? '' : ', already there'}`);
    } else {
      log(`${major} stays on v${highest.join('.')} (newer than ${options.version})`);
    }
  }

  if (options.push) {
    const refs = [`refs/tags/${options.version}`];
    if (!parsed.pre && git('tag', '--list', major) !== '') refs.push(`refs/tags/${major}`);
    gitAs('push', '--force', '--atomic', options.push, ...refs);
    log(`pushed ${refs.join(' ')} to ${options.push}`);
  }
  return { version: options.version, source, release: releaseCommit!, major, majorMoved, created };
}

// Run as a program (not imported); argv[1] may be a symlinked path (act's workspace links the clone).
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  try {
    const { values, positionals } = parseArgs({ allowPositionals: true, options: { repo: { type: 'string', default: '.' }, 'no-build': { type: 'boolean' }, push: { type: 'string' } } });
    if (positionals.length !== 1) throw new Error('usage: tsx scripts/release.ts <vX.Y.Z> [--repo DIR] [--no-build] [--push REMOTE]');
    const result = release({ version: positionals[0]!, repo: values.repo!, build: !values['no-build'], push: values.push });
    console.log(JSON.stringify(result));
  } catch (err) {
    console.error(`release: ${(err as Error).message}`);
    process.exit(1);
  }
}
