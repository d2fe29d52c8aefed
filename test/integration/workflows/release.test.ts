import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/**
 * scripts/release.ts against throw-away git repositories: what release.yml runs on a vX.Y.Z tag.
 * The bundles here are stand-ins (the release logic does not look inside them); the consumer test
 * (consumer.test.ts) runs real bundles from a real release commit through act.
 */
const root = resolve(import.meta.dirname, '..', '..', '..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');

function git(repo: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com' } }).trim();
}

function write(repo: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), text);
  }
}

/** A repository shaped like this one: two actions, dist/ ignored, one commit on main. */
function sourceRepo(): string {
  const repo = mkdtempSync(join(tmpdir(), 'release-src-'));
  git(repo, 'init', '-q', '-b', 'main');
  write(repo, {
    '.gitignore': 'dist/\nnode_modules/\n',
    'README.md': 'actions\n',
    'actions/deploy/action.yml': 'name: deploy\nruns:\n  using: node24\n  main: dist/main/index.js\n  post: dist/post/index.js\n',
    'actions/verify/action.yml': 'name: verify\nruns:\n  using: node24\n  main: dist/main/index.js\n',
  });
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'source');
  return repo;
}

function bundles(repo: string, tag = 'x'): void {
  write(repo, { 'actions/deploy/dist/main/index.js': `main ${tag}\n`, 'actions/deploy/dist/post/index.js': `post ${tag}\n`, 'actions/verify/dist/main/index.js': `verify ${tag}\n` });
}

function release(repo: string, version: string, ...extra: string[]): { code: number | null; out: string; err: string; json?: { source: string; release: string; majorMoved: boolean; created: boolean } } {
  const r = spawnSync(tsx, [join(root, 'scripts', 'release.ts'), version, '--repo', repo, '--no-build', ...extra], { encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'Release', GIT_AUTHOR_EMAIL: 'r@example.com' } });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return { code: r.status, out: r.stdout, err: r.stderr, json: r.status === 0 ? (JSON.parse(last) as { source: string; release: string; majorMoved: boolean; created: boolean }) : undefined };
}

const commitOf = (repo: string, ref: string): string => git(repo, 'rev-parse', `${ref}^{commit}`);
const files = (repo: string, ref: string): string[] => git(repo, 'ls-tree', '-r', '--name-only', ref).split('\n');

describe('scripts/release.ts', () => {
  it('puts the bundles on a release commit (child of the tagged commit) that vX.Y.Z and v1 point to; main never gets them', () => {
    const repo = sourceRepo();
    const source = commitOf(repo, 'HEAD');
    git(repo, 'tag', 'v1.0.0');
    bundles(repo);

    const r = release(repo, 'v1.0.0');
    expect(r.err).toContain('release commit');
    expect(r.code).toBe(0);
    const rel = r.json!.release;
    expect(r.json).toMatchObject({ source, majorMoved: true, created: true });
    expect(commitOf(repo, 'v1.0.0')).toBe(rel);
    expect(commitOf(repo, 'v1')).toBe(rel);
    expect(git(repo, 'rev-parse', `${rel}^@`)).toBe(source); // one parent: the tagged source commit
    expect(git(repo, 'diff', '--name-only', source, rel).split('\n').sort()).toEqual(['actions/deploy/dist/main/index.js', 'actions/deploy/dist/post/index.js', 'actions/verify/dist/main/index.js']);
    expect(git(repo, 'log', '-1', '--format=%B', rel)).toContain(`Release-Of: ${source}`);
    // main, the branch, the index and the work tree are untouched.
    expect(commitOf(repo, 'main')).toBe(source);
    expect(files(repo, 'main').some((f) => f.includes('/dist/'))).toBe(false);
    expect(git(repo, 'status', '--porcelain')).toBe('');
  });

  it('is idempotent: a re-run at the release commit (what a re-run of release.yml checks out) creates nothing', () => {
    const repo = sourceRepo();
    git(repo, 'tag', 'v1.0.0');
    bundles(repo);
    const first = release(repo, 'v1.0.0').json!;
    git(repo, 'checkout', '-q', 'v1.0.0');
    const again = release(repo, 'v1.0.0');
    expect(again.code).toBe(0);
    expect(again.err).toContain('already the release commit');
    expect(again.json).toMatchObject({ release: first.release, source: first.source, created: false, majorMoved: false });
  });

  it('moves the major tag forward only: v1.2.0 moves v1, a later v1.1.1 fix does not, v2.0.0 leaves v1 alone, a pre-release never moves it', () => {
    const repo = sourceRepo();
    const releaseAt = (version: string): string => {
      write(repo, { 'README.md': `actions ${version}\n` });
      git(repo, 'commit', '-q', '-am', version);
      git(repo, 'tag', version);
      bundles(repo, version);
      const r = release(repo, version);
      expect(r.code).toBe(0);
      return r.json!.release;
    };
    const v120 = releaseAt('v1.2.0');
    expect(commitOf(repo, 'v1')).toBe(v120);
    const v111 = releaseAt('v1.1.1');
    expect(commitOf(repo, 'v1.1.1')).toBe(v111);
    expect(commitOf(repo, 'v1')).toBe(v120);
    const v200 = releaseAt('v2.0.0');
    expect(commitOf(repo, 'v2')).toBe(v200);
    expect(commitOf(repo, 'v1')).toBe(v120);
    const rc = releaseAt('v1.3.0-rc.1');
    expect(commitOf(repo, 'v1.3.0-rc.1')).toBe(rc);
    expect(commitOf(repo, 'v1')).toBe(v120);
    const v130 = releaseAt('v1.3.0');
    expect(commitOf(repo, 'v1')).toBe(v130);
  });

  it('pushes both tags (forced, atomic) to a remote', () => {
    const repo = sourceRepo();
    const remote = mkdtempSync(join(tmpdir(), 'release-remote-'));
    git(remote, 'init', '-q', '--bare');
    git(repo, 'remote', 'add', 'origin', remote);
    git(repo, 'push', '-q', 'origin', 'main');
    git(repo, 'tag', 'v1.0.0');
    git(repo, 'push', '-q', 'origin', 'v1.0.0'); // the tag as a maintainer pushes it: on the source commit
    bundles(repo);
    const r = release(repo, 'v1.0.0', '--push', 'origin');
    expect(r.code).toBe(0);
    expect(commitOf(remote, 'v1.0.0')).toBe(r.json!.release);
    expect(commitOf(remote, 'v1')).toBe(r.json!.release);
    expect(files(remote, 'v1')).toContain('actions/deploy/dist/post/index.js');
    expect(files(remote, 'main').some((f) => f.includes('/dist/'))).toBe(false);
  });

  it.each([
    ['a version that is not vX.Y.Z', (repo: string) => repo, 'v1.0', /not a release tag/],
    ['a missing bundle (runs.post of actions/deploy)', (repo: string) => {
      write(repo, { 'actions/deploy/dist/main/index.js': 'm\n', 'actions/verify/dist/main/index.js': 'v\n' });
      return repo;
    }, 'v1.0.0', /bundles missing.*actions\/deploy\/dist\/post\/index\.js/],
    ['a work tree with changes', (repo: string) => {
      bundles(repo);
      write(repo, { 'README.md': 'edited\n' });
      return repo;
    }, 'v1.0.0', /work tree .* has changes/],
  ])('refuses %s, and tags nothing', (_name, prepare, version, message) => {
    const repo = prepare(sourceRepo());
    const r = release(repo, version);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
    expect(git(repo, 'tag', '--list')).toBe('');
  });
});
