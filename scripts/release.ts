/**
 * node node_modules/tsx/dist/cli.mjs scripts/release.ts <vX.Y.Z> [--source SHA] [--remote NAME] [--main BRANCH]
 *     [--check | --dry-run] [--expect SHA] [--subjects FILE] [--no-build] [--repo DIR]
 *
 * Publishes the actions' bundles for a release tag, the way `uses: <org>/<repo>/actions/<name>@v1` needs them:
 * bundles are build output, never committed on main, so each release gets its own commit. release.yml runs
 * it (see there for the order); the one supported way to release is to push the tag.
 *
 *   1. The tag must be a release tag (v1.4.2, v1.5.0-rc.1); the source is --source (release.yml: the commit
 *      the tag was pushed on, GITHUB_SHA, which a re-run keeps), by default the commit the tag points at.
 *   2. The tags and main are read from --remote (default ".", this repository) into a private ref namespace,
 *      never from the checkout's own tags (a re-run's checkout may have rewritten them). The version tag there:
 *        - on the source: to publish;
 *        - on a release commit whose Release-Of trailer names the source: already released, nothing moves
 *          (a re-run, or a run after one that succeeded): exits 0 with action "unchanged";
 *        - anywhere else, or gone: refused.
 *      The source must be on main. --check stops here.
 *   3. Publishing: the work tree must be at the source and clean (ignored files aside); `npm run build` unless
 *      --no-build; every runs.main/runs.post of every action.yml exists, and every bundle passes its smoke run
 *      (scripts/release-smoke.ts).
 *   4. The release commit: the source's tree plus every actions/<name>/dist/ (through a private index; the work
 *      tree, branch and index stay as they are), the source as only parent, a Release-Of trailer, and a fixed
 *      identity, message and dates (the source's committer date): built twice, it is the same commit. It may
 *      differ from the source only under actions/<name>/dist/. --expect: it must be that commit (release.yml:
 *      the one the build job tested and the attestations are for). --subjects FILE: sha256sum lines of every
 *      file under dist/ in it (actions/attest-build-provenance's subject-checksums).
 *   5. The tags: vX.Y.Z moves to it, and the major tag (v1) when this is the newest stable release of that
 *      major (never for a pre-release, never back to an older minor). Tag objects are fixed as well.
 *      --dry-run stops here (action "planned"). Otherwise one atomic push to the remote, each ref leased to
 *      the value read in step 2: if anything moved meanwhile, nothing is changed. Publishing to a remote
 *      other than "." runs in GitHub Actions only.
 *
 * Prints one JSON line: { version, source, release, action, prerelease, latest, major, majorMoves, tags }.
 * A refusal exits 1 and says why; no tag has moved then.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { load } from 'js-yaml';
import {
  HOW_TO_RELEASE,
  ReleaseError,
  checksumsFile,
  decide,
  isLatest,
  majorMoves,
  notOnMain,
  parseReleaseTag,
  releaseCommitEnv,
  releaseMessage,
  releaseOf,
  tagObjectText,
  type TagTarget,
} from './release-plan.js';
import { listBundles, smokeRun } from './release-smoke.js';

export interface ReleaseOptions {
  version: string;
  /** The repository (work tree) to release from; default ".". */
  repo?: string;
  /** Where the tags live; "." (default) is the repository itself. */
  remote?: string;
  /** The commit the tag was pushed on; default: the commit the remote's tag points at (or releases). */
  source?: string;
  main?: string;
  /** Run `npm run build` first (default true). */
  build?: boolean;
  /** Stop after the decision (no bundles needed). */
  check?: boolean;
  /** Build and check everything, move nothing. */
  dryRun?: boolean;
  /** The release commit must be this one. */
  expect?: string;
  /** Write the attestation subjects (sha256sum format) here. */
  subjects?: string;
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export interface TagMove {
  ref: string;
  /** Object the ref held (undefined: it did not exist). */
  from?: string;
  to: string;
}

export interface ReleaseResult {
  version: string;
  source: string;
  /** The release commit (for "unchanged", the one the tag already points at; for --check, empty). */
  release: string;
  /** publish: --check found work to do; planned: --dry-run built it; published: pushed; unchanged: already released. */
  action: 'publish' | 'planned' | 'published' | 'unchanged';
  prerelease: boolean;
  /** The GitHub release should be marked Latest. */
  latest: boolean;
  major: string;
  majorMoves: boolean;
  tags: TagMove[];
}

const STATE = 'refs/release-state';

type Git = (...args: string[]) => string;

function gitIn(repo: string, env: NodeJS.ProcessEnv, input?: string): Git {
  return (...args: string[]): string => {
    const r = spawnSync('git', args, { cwd: repo, env, input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim()}`);
    return r.stdout.trim();
  };
}

function tryGit(git: Git, ...args: string[]): string | undefined {
  try {
    return git(...args);
  } catch {
    return undefined;
  }
}

/** The files each action.yml runs (runs.pre/main/post), repository-relative. */
function runFiles(repo: string): string[] {
  const base = join(repo, 'actions');
  const files: string[] = [];
  for (const name of existsSync(base) ? readdirSync(base).sort() : []) {
    const yml = join(base, name, 'action.yml');
    if (!existsSync(yml)) continue;
    const runs = ((load(readFileSync(yml, 'utf8')) ?? {}) as { runs?: Record<string, unknown> }).runs ?? {};
    for (const key of ['pre', 'main', 'post']) if (typeof runs[key] === 'string') files.push(`actions/${name}/${runs[key] as string}`);
  }
  return files;
}

interface RemoteTag {
  object: string;
  commit: string;
}

/** Reads the remote's tags and main into the private namespace; returns the tags (name -> object, commit). */
function readRemote(git: Git, repo: string, remote: string, main: string): Map<string, RemoteTag> {
  dropState(git, repo);
  try {
    git('fetch', '--quiet', '--no-tags', '--no-write-fetch-head', remote, `+refs/heads/${main}:${STATE}/heads/${main}`);
  } catch (err) {
    throw new ReleaseError(`cannot read the branch ${main} of ${remote === '.' ? 'this repository' : remote}: ${(err as Error).message.split('\n').pop()}. Releases are made from ${main}; pass --main if it has another name.`);
  }
  git('fetch', '--quiet', '--no-tags', '--no-write-fetch-head', remote, `+refs/tags/*:${STATE}/tags/*`);
  const tags = new Map<string, RemoteTag>();
  const lines = git('for-each-ref', '--format=%(refname)%00%(objectname)%00%(objecttype)%00%(*objectname)%00%(*objecttype)', `${STATE}/tags/`);
  for (const line of lines.split('\n').filter(Boolean)) {
    const [ref, object, type, peeled, peeledType] = line.split('\0') as [string, string, string, string, string];
    const commit = type === 'commit' ? object : peeledType === 'commit' ? peeled : undefined;
    if (commit) tags.set(ref.slice(`${STATE}/tags/`.length), { object, commit });
  }
  return tags;
}

function dropState(git: Git, repo: string): void {
  const refs = git('for-each-ref', '--format=delete %(refname)', `${STATE}/`);
  if (refs) gitIn(repo, process.env, `${refs}\n`)('update-ref', '--stdin');
}

function commitMessage(git: Git, commit: string): string {
  return git('show', '-s', '--format=%B', commit);
}

export async function release(options: ReleaseOptions): Promise<ReleaseResult> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((l: string) => console.error(`release: ${l}`));
  const repo = resolve(options.repo ?? '.');
  const remote = options.remote ?? '.';
  const main = options.main ?? 'main';
  const version = parseReleaseTag(options.version);
  if (remote !== '.' && !options.check && !options.dryRun && env.GITHUB_ACTIONS !== 'true') {
    throw new ReleaseError(`publishing to ${remote} is release.yml's job, not done by hand (nothing was changed). ${HOW_TO_RELEASE} (--dry-run shows what a release would do.)`);
  }
  const git = gitIn(repo, env);
  git('rev-parse', '--git-dir');

  try {
    const tags = readRemote(git, repo, remote, main);
    const names = [...tags.keys()];
    const current = tags.get(version.tag);
    const target: TagTarget | undefined = current ? { commit: current.commit, releaseOf: releaseOf(commitMessage(git, current.commit)) } : undefined;
    let source: string;
    if (options.source) {
      const resolved = tryGit(git, 'rev-parse', '--verify', '--quiet', `${options.source}^{commit}`);
      if (!resolved) throw new ReleaseError(`--source ${options.source} is not a commit of ${repo}: fetch it first (release.yml checks out the tag's commit with its history).`);
      source = resolved;
    } else {
      source = target?.releaseOf ?? target?.commit ?? '';
    }
    const base = {
      version: version.tag,
      source,
      prerelease: version.pre.length > 0,
      latest: isLatest(version, names),
      major: version.majorTag,
    };
    const decision = decide({ version: version.tag, remote, source, sourceReleaseOf: source ? releaseOf(commitMessage(git, source)) : undefined, tag: target });
    if (decision === 'unchanged') {
      log(`${version.tag} already points at ${target!.commit.slice(0, 12)}, the release commit of ${source.slice(0, 12)}: already released, no tag moves`);
      return { ...base, release: target!.commit, action: 'unchanged', majorMoves: false, tags: [] };
    }
    if (spawnSync('git', ['merge-base', '--is-ancestor', source, `${STATE}/heads/${main}`], { cwd: repo }).status !== 0) {
      throw notOnMain(version.tag, source, main, remote);
    }
    const major = majorMoves(version, names);
    if (options.check) {
      log(`${version.tag} (${source.slice(0, 12)}, on ${main}) is to be released${version.pre.length ? ' (a pre-release: the major tag stays)' : ''}`);
      return { ...base, release: '', action: 'publish', majorMoves: major.moves, tags: [] };
    }

    // The bundles of the source, from the work tree.
    const head = git('rev-parse', 'HEAD^{commit}');
    if (head !== source) throw new ReleaseError(`the work tree of ${repo} is at ${head.slice(0, 12)}, not at ${source.slice(0, 12)} (the commit ${version.tag} was pushed on): check out the source commit (release.yml: actions/checkout with ref: github.sha).`);
    const dirty = git('status', '--porcelain', '--untracked-files=all');
    if (dirty) throw new ReleaseError(`the work tree of ${repo} has changes (a release is built from a clean checkout of the tag's commit; ignored files such as dist/ aside):\n${dirty}`);
    if (options.build ?? true) {
      log(`building the bundles of ${source.slice(0, 12)}`);
      execFileSync('npm', ['run', 'build'], { cwd: repo, stdio: ['ignore', 'inherit', 'inherit'] });
    }
    const expected = runFiles(repo);
    const missing = expected.filter((f) => !existsSync(join(repo, f)));
    if (missing.length) throw new ReleaseError(`bundles missing: ${missing.join(', ')} (action.yml runs them): run npm run build (release.yml: the build job's artifact).`);
    const bundles = listBundles(repo);
    log(`smoke-running ${bundles.length} bundles`);
    const problems = await smokeRun(bundles, { log });
    if (problems.length) throw new ReleaseError(`${problems.length} of ${bundles.length} bundles failed their smoke run (started as the runner starts them, they must reach their first input check), so nothing is published:\n  ${problems.join('\n  ')}`);

    // The release commit.
    const date = git('show', '-s', '--format=%cd', '--date=raw', source);
    const fixed = { ...env, ...releaseCommitEnv(date) };
    const dir = mkdtempSync(join(tmpdir(), 'release-index-'));
    let releaseCommit: string;
    try {
      const withIndex = gitIn(repo, { ...fixed, GIT_INDEX_FILE: join(dir, 'index') });
      withIndex('read-tree', source);
      const dists = readdirSync(join(repo, 'actions')).filter((n) => existsSync(join(repo, 'actions', n, 'dist'))).map((n) => `actions/${n}/dist`);
      withIndex('-c', 'core.autocrlf=false', 'add', '--force', '--', ...dists);
      // Modes as git would record them anywhere: plain files (an artifact download may change modes).
      const added = withIndex('ls-files', '-s', '--', ...dists).split('\n').filter(Boolean);
      const odd = added.filter((l) => !/^100(644|755) /.test(l));
      if (odd.length) throw new ReleaseError(`actions/*/dist/ may hold plain files only, found: ${odd.map((l) => l.split('\t')[1]).join(', ')}`);
      const executable = added.filter((l) => l.startsWith('100755 ')).map((l) => l.split('\t')[1]!);
      if (executable.length) withIndex('update-index', '--chmod=-x', '--', ...executable);
      const tree = withIndex('write-tree');
      releaseCommit = gitIn(repo, fixed)('-c', 'i18n.commitEncoding=UTF-8', 'commit-tree', '--no-gpg-sign', tree, '-p', source, '-m', releaseMessage(version.tag, source).trimEnd());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const changed = git('diff', '--name-only', '--no-renames', source, releaseCommit).split('\n').filter(Boolean);
    const outside = changed.filter((f) => !/^actions\/[^/]+\/dist\//.test(f));
    if (outside.length) throw new ReleaseError(`the release commit would change files outside actions/*/dist/: ${outside.join(', ')} (tracked files under dist/ on main?)`);
    const absent = expected.filter((f) => spawnSync('git', ['cat-file', '-e', `${releaseCommit}:${f}`], { cwd: repo }).status !== 0);
    if (absent.length) throw new ReleaseError(`the release commit lacks ${absent.join(', ')}`);
    log(`release commit ${releaseCommit.slice(0, 12)} (parent ${source.slice(0, 12)}): ${changed.length} bundle files`);
    if (options.expect && options.expect !== releaseCommit) {
      throw new ReleaseError(`the release commit is ${releaseCommit.slice(0, 12)}, not ${options.expect.slice(0, 12)} (the one the build job tested and the attestations are for): the bundles changed between them. Nothing was changed; re-run the whole workflow.`);
    }
    if (options.subjects) {
      const files = git('ls-tree', '-r', '--format=%(objectname) %(path)', releaseCommit, '--', 'actions')
        .split('\n')
        .map((l) => l.split(' ') as [string, string])
        .filter(([, path]) => /^actions\/[^/]+\/dist\//.test(path))
        .map(([blob, path]) => ({ path, sha256: createHash('sha256').update(execFileSync('git', ['cat-file', 'blob', blob], { cwd: repo, maxBuffer: 256 * 1024 * 1024 })).digest('hex') }));
      writeFileSync(options.subjects, checksumsFile(files));
    }

    // The tags.
    const tagObject = (name: string, message: string): string => gitIn(repo, env, tagObjectText({ object: releaseCommit, name, date, message }))('mktag');
    const moves: TagMove[] = [{ ref: `refs/tags/${version.tag}`, from: current!.object, to: tagObject(version.tag, `Release ${version.tag}`) }];
    const majorNow = tags.get(version.majorTag);
    if (major.moves && majorNow?.commit !== releaseCommit) moves.push({ ref: `refs/tags/${version.majorTag}`, from: majorNow?.object, to: tagObject(version.majorTag, `${version.majorTag} -> ${version.tag}`) });
    log(version.pre.length ? `${version.majorTag} stays: ${version.tag} is a pre-release` : major.moves ? `${version.majorTag} -> ${version.tag}` : `${version.majorTag} stays on ${major.newest} (newer than ${version.tag})`);
    const result = { ...base, release: releaseCommit, majorMoves: major.moves, tags: moves };
    if (options.dryRun) return { ...result, action: 'planned' };

    const push = spawnSync('git', ['push', '--atomic', '--porcelain', remote, ...moves.map((m) => `--force-with-lease=${m.ref}:${m.from ?? ''}`), ...moves.map((m) => `${m.to}:${m.ref}`)], { cwd: repo, env, encoding: 'utf8' });
    if (push.status !== 0) {
      throw new ReleaseError(`the push to ${remote === '.' ? 'this repository' : remote} was refused, so no tag moved:\n${`${push.stdout}${push.stderr}`.trim()}\n(A tag changed since this run read them, or the remote protects it, e.g. an immutable release: re-running this workflow releases what is still to release.)`);
    }
    if (remote !== '.') for (const m of moves) git('update-ref', m.ref, m.to);
    log(`pushed ${moves.map((m) => m.ref.slice('refs/tags/'.length)).join(', ')} to ${remote === '.' ? 'this repository' : remote}`);
    return { ...result, action: 'published' };
  } finally {
    dropState(git, repo);
  }
}

/** For the workflow's log and summary: a refusal as an error annotation and a summary section. */
function report(err: Error, env: NodeJS.ProcessEnv): void {
  const refused = err instanceof ReleaseError;
  console.error(`release: ${err.message}`);
  if (env.GITHUB_ACTIONS !== 'true') return;
  const escape = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  // On stderr: the runner reads workflow commands there too, and stdout is the JSON result (often redirected).
  console.error(`::error title=${refused ? 'Release refused' : 'Release failed'}::${escape(err.message)}`);
  if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, `### ${refused ? 'Release refused' : 'Release failed'}\n\n\`\`\`\n${err.message}\n\`\`\`\n\nNo tag was moved.\n\n`);
}

// Run as a program (not imported); argv[1] may be a symlinked path (act's workspace links the clone).
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  const usage = 'usage: scripts/release.ts <vX.Y.Z> [--source SHA] [--remote NAME] [--main BRANCH] [--check | --dry-run] [--expect SHA] [--subjects FILE] [--no-build] [--repo DIR]';
  try {
    const { values, positionals } = parseArgs({
      allowPositionals: true,
      options: {
        repo: { type: 'string' },
        remote: { type: 'string' },
        source: { type: 'string' },
        main: { type: 'string' },
        'no-build': { type: 'boolean' },
        check: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        expect: { type: 'string' },
        subjects: { type: 'string' },
      },
    });
    if (positionals.length !== 1) throw new Error(usage);
    const result = await release({
      version: positionals[0]!,
      repo: values.repo,
      remote: values.remote,
      source: values.source || undefined,
      main: values.main,
      build: !values['no-build'],
      check: values.check,
      dryRun: values['dry-run'],
      expect: values.expect || undefined,
      subjects: values.subjects,
    });
    console.log(JSON.stringify(result));
  } catch (err) {
    report(err as Error, process.env);
    process.exit(1);
  }
}
