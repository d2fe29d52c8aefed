import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { load } from 'js-yaml';

/**
 * release.yml's release.ts steps, run as the workflow runs them, against a local bare repository (origin):
 * each job gets a fresh checkout (as actions/checkout with ref: github.sha and fetch-depth: 0 makes it), the
 * step's `run:` script from release.yml runs with bash -eo pipefail, its `env:` (expressions resolved from the
 * run's context), GITHUB_OUTPUT and GITHUB_STEP_SUMMARY. `npm run build` is stood in for by small bundles that
 * behave like real ones in the smoke run (the consumer test, consumer.test.ts, releases the real bundles), and
 * the artifact by copying the build job's dist/ folders. The steps that need GitHub itself (the hand-made
 * release guard, the attestation, the GitHub release) are checked for their conditions only.
 * Origin's update hook refuses to move a tag whose GitHub release is "immutable" (listed in a file), as GitHub
 * does: once a release is published, any run that tried to move its tag would fail.
 */
const root = resolve(import.meta.dirname, '..', '..', '..');
const workflowText = readFileSync(join(root, '.github', 'workflows', 'release.yml'), 'utf8');

interface Step {
  id?: string;
  name?: string;
  if?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
interface Job {
  if?: string;
  needs?: string;
  permissions?: Record<string, string>;
  outputs?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: unknown;
  concurrency: { group: string; 'cancel-in-progress': boolean };
  jobs: Record<string, Job>;
}
const workflow = load(workflowText) as Workflow;

function step(job: string, id: string): Step {
  const found = workflow.jobs[job]?.steps.find((s) => s.id === id);
  if (!found) throw new Error(`release.yml: job ${job} has no step with id ${id}`);
  return found;
}

const gitEnv = { GIT_AUTHOR_NAME: 'Maintainer', GIT_AUTHOR_EMAIL: 'm@example.com', GIT_COMMITTER_NAME: 'Maintainer', GIT_COMMITTER_EMAIL: 'm@example.com' };

function git(repo: string, ...args: string[]): string {
  const r = spawnSync('git', args, { cwd: repo, encoding: 'utf8', env: { ...process.env, ...gitEnv } });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

function write(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

/** Stand-in bundles: each does what a real one does in the smoke run; `label` makes each build's bytes its own. */
function bundles(label: string): Record<string, string> {
  const error = (input: string): string => `// ${label}\nprocess.stdout.write('::error::${input}: is required but was empty or not set\\n');\nprocess.exitCode = 1;\n`;
  return {
    'actions/deploy/dist/main/index.js': error('release'),
    'actions/deploy/dist/post/index.js': `// ${label}\nconsole.log('nothing to clean up');\n`,
    'actions/deploy/dist/token/index.js': `// ${label}\nprocess.stderr.write('usage: token --config <file>\\n');\nprocess.exitCode = 2;\n`,
    'actions/verify/dist/main/index.js': error('brokers'),
    'actions/verify/dist/.inputs-digest': `${label}\n`, // npm run build's --if-changed record: part of dist/, hidden
  };
}
const BUNDLE_FILES = Object.keys(bundles('x')).sort();

interface Repo {
  origin: string;
  /** The maintainer's clone: commits on main, pushes tags. */
  work: string;
}

/** origin (bare, with the immutable-release hook) and a maintainer clone with one commit on main. */
function project(): Repo {
  const origin = mkdtempSync(join(tmpdir(), 'release-origin-'));
  git(origin, 'init', '-q', '--bare', '-b', 'main');
  writeFileSync(
    join(origin, 'hooks', 'update'),
    '#!/bin/sh\n# A tag whose GitHub release is immutable cannot move (refs listed in immutable-tags).\nif grep -qxF "$1" "$GIT_DIR/immutable-tags" 2>/dev/null; then echo "refusing to update $1: its release is immutable" >&2; exit 1; fi\n',
  );
  chmodSync(join(origin, 'hooks', 'update'), 0o755);
  const work = mkdtempSync(join(tmpdir(), 'release-work-'));
  git(work, 'init', '-q', '-b', 'main');
  git(work, 'remote', 'add', 'origin', origin);
  write(work, {
    '.gitignore': 'dist/\nnode_modules/\n',
    'README.md': 'actions\n',
    'actions/deploy/action.yml': 'name: deploy\ninputs:\n  release:\n    required: true\nruns:\n  using: node24\n  main: dist/main/index.js\n  post: dist/post/index.js\n',
    'actions/verify/action.yml': 'name: verify\ninputs:\n  brokers:\n    required: true\nruns:\n  using: node24\n  main: dist/main/index.js\n',
  });
  git(work, 'add', '-A');
  git(work, 'commit', '-q', '-m', 'source');
  git(work, 'push', '-q', 'origin', 'main');
  return { origin, work };
}

/** A new commit on main (pushed), tagged and the tag pushed: what a maintainer does to release. Returns the commit. */
function tagOnMain(repo: Repo, tag: string, change = tag): string {
  write(repo.work, { 'README.md': `actions ${change}\n` });
  git(repo.work, 'commit', '-q', '-am', change);
  git(repo.work, 'push', '-q', 'origin', 'main');
  git(repo.work, 'tag', '-a', '-m', tag, tag);
  git(repo.work, 'push', '-q', 'origin', `refs/tags/${tag}`);
  return git(repo.work, 'rev-parse', 'HEAD');
}

/** A runner's checkout of the commit: actions/checkout with ref: <sha>, fetch-depth: 0 (all branches and tags). */
function checkout(repo: Repo, sha: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'release-runner-'));
  git(dir, 'init', '-q');
  git(dir, 'remote', 'add', 'origin', repo.origin);
  git(dir, 'fetch', '-q', 'origin', '+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*');
  git(dir, 'checkout', '-q', '--detach', sha);
  // The run: scripts call scripts/release.ts and node_modules/ from the checkout: this project's, linked and
  // excluded from git (they are not part of the stand-in project).
  symlinkSync(join(root, 'scripts'), join(dir, 'scripts'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  appendFileSync(join(dir, '.git', 'info', 'exclude'), '/scripts\n/node_modules\n');
  return dir;
}

interface StepRun {
  code: number | null;
  log: string;
  outputs: Record<string, string>;
  summary: string;
  temp: string;
}

/** Runs a step of release.yml as the runner does: bash -eo pipefail, its env with expressions resolved from `context`. */
function runStep(job: string, id: string, cwd: string, context: Record<string, string>, extraEnv: Record<string, string> = {}): StepRun {
  const s = step(job, id);
  if (!s.run) throw new Error(`release.yml: ${job}.${id} has no run: script`);
  const temp = mkdtempSync(join(tmpdir(), 'release-temp-'));
  const files = { GITHUB_OUTPUT: join(temp, 'output'), GITHUB_STEP_SUMMARY: join(temp, 'summary') };
  for (const f of Object.values(files)) writeFileSync(f, '');
  const resolveExpr = (value: string): string =>
    String(value).replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_m, expr: string) => {
      if (!(expr in context)) throw new Error(`release.yml: ${job}.${id} uses \${{ ${expr} }}, which this test does not provide: extend the context`);
      return context[expr]!;
    });
  const env: NodeJS.ProcessEnv = { ...process.env, GITHUB_ACTIONS: 'true', GITHUB_RUN_ATTEMPT: '1', RUNNER_TEMP: temp, ...files, ...extraEnv };
  for (const [k, v] of Object.entries(s.env ?? {})) env[k] = resolveExpr(v);
  if (/\$\{\{/.test(s.run)) throw new Error(`release.yml: ${job}.${id} has an expression inside run: (pass it through env:)`);
  const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', s.run], { cwd, env, encoding: 'utf8' });
  const outputs = Object.fromEntries(
    readFileSync(files.GITHUB_OUTPUT, 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return { code: r.status, log: `${r.stdout}${r.stderr}`, outputs, summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'), temp };
}

interface Run {
  check: StepRun;
  buildPlan?: StepRun;
  publishPlan?: StepRun;
  push?: StepRun;
  /** The commit the tags point at after the run (from origin). */
  failed?: StepRun;
}

/**
 * One run of release.yml for a tag pushed on `sha`: the build job (check, [npm run build], plan, artifact),
 * then the publish job (download, plan, [guard, attest], push). `stopBeforePush` ends it as a run that failed
 * between its plan and its push; `beforeEachJob` changes a job's checkout (e.g. the tag as a re-run's
 * checkout rewrites it); `artifact` changes the downloaded bundles.
 */
function workflowRun(repo: Repo, tag: string, sha: string, options: { label?: string; stopBeforePush?: boolean; beforeEachJob?: (dir: string) => void; artifact?: (dir: string) => void; build?: Record<string, string> } = {}): Run {
  const context: Record<string, string> = { 'github.ref_name': tag, 'github.sha': sha };
  // Job build: contents: read.
  const build = checkout(repo, sha);
  options.beforeEachJob?.(build);
  const check = runStep('build', 'check', build, context);
  const run: Run = { check };
  if (check.code !== 0) return { ...run, failed: check };
  const action = check.outputs.action;
  if (action === 'publish') {
    write(build, options.build ?? bundles(options.label ?? tag)); // npm run build
    run.buildPlan = runStep('build', 'plan', build, context);
    if (run.buildPlan.code !== 0) return { ...run, failed: run.buildPlan };
  }
  context['needs.build.outputs.release'] = run.buildPlan?.outputs.release ?? '';

  // Job publish: contents: write, id-token: write, attestations: write.
  const publish = checkout(repo, sha);
  options.beforeEachJob?.(publish);
  if (action === 'publish') {
    for (const name of readdirSync(join(build, 'actions'))) {
      if (existsSync(join(build, 'actions', name, 'dist'))) cpSync(join(build, 'actions', name, 'dist'), join(publish, 'actions', name, 'dist'), { recursive: true });
    }
    options.artifact?.(publish);
  }
  run.publishPlan = runStep('publish', 'plan', publish, context);
  if (run.publishPlan.code !== 0) return { ...run, failed: run.publishPlan };
  if (run.publishPlan.outputs.action === 'planned' && !options.stopBeforePush) {
    context['steps.plan.outputs.release'] = run.publishPlan.outputs.release!;
    run.push = runStep('publish', 'push', publish, context);
    if (run.push.code !== 0) return { ...run, failed: run.push };
  }
  return run;
}

/** Every ref of origin and the object it holds: "nothing moved" is this string staying the same. */
const refs = (repo: Repo): string => git(repo.origin, 'for-each-ref', '--format=%(objectname) %(refname)');
const commitOf = (dir: string, ref: string): string => git(dir, 'rev-parse', `${ref}^{commit}`);
const lock = (repo: Repo, tag: string): void => appendFileSync(join(repo.origin, 'immutable-tags'), `refs/tags/${tag}\n`);

describe('release.yml with scripts/release.ts, against a local bare repository', () => {
  it('publishes a tag: bundles on a deterministic release commit (child of the tag\'s commit), vX.Y.Z and v1 moved to it, attestation subjects written', () => {
    const repo = project();
    const source = tagOnMain(repo, 'v1.0.0');
    const run = workflowRun(repo, 'v1.0.0', source);
    expect(run.failed?.log).toBeUndefined();
    expect(run.check.outputs).toEqual({ action: 'publish' });
    const release = run.buildPlan!.outputs.release!;
    expect(release).toMatch(/^[0-9a-f]{40}$/);
    expect(run.buildPlan!.outputs.artifact).toBe('release-bundles-1');
    expect(run.publishPlan!.outputs).toMatchObject({ action: 'planned', release, source, major: 'v1', 'major-moves': 'true', prerelease: 'false', latest: 'true' });
    expect(run.publishPlan!.log).toMatch(/smoke-running 4 bundles/);
    expect(run.push!.log).toMatch(/pushed v1.0.0, v1 to origin/);

    expect(commitOf(repo.origin, 'v1.0.0')).toBe(release);
    expect(commitOf(repo.origin, 'v1')).toBe(release);
    expect(git(repo.origin, 'rev-parse', `${release}^@`)).toBe(source); // one parent: the tagged commit
    expect(git(repo.origin, 'diff', '--name-only', source, release).split('\n')).toEqual(BUNDLE_FILES);
    expect(git(repo.origin, 'log', '-1', '--format=%an <%ae> %ad|%cn %cd|%(trailers:key=Release-Of,valueonly)', '--date=raw', release)).toBe(
      `github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com> ${git(repo.origin, 'log', '-1', '--format=%cd', '--date=raw', source)}|github-actions[bot] ${git(repo.origin, 'log', '-1', '--format=%cd', '--date=raw', source)}|${source}`,
    );
    expect(git(repo.origin, 'cat-file', '-t', 'refs/tags/v1')).toBe('tag'); // annotated, named for itself
    expect(git(repo.origin, 'cat-file', '-p', 'refs/tags/v1')).toMatch(/^tag v1$/m);
    expect(commitOf(repo.origin, 'main')).toBe(source);
    expect(git(repo.origin, 'ls-tree', '-r', '--name-only', 'main').includes('dist/')).toBe(false);
    // The attestation subjects: every file under dist/ in the release commit, by its sha256.
    const subjects = readFileSync(join(run.publishPlan!.temp, 'subjects.txt'), 'utf8');
    const built = bundles('v1.0.0');
    const expected = BUNDLE_FILES.map((f) => `${createHash('sha256').update(built[f]!).digest('hex')}  ${f}\n`).join('');
    expect(subjects).toBe(expected);
  });

  it('a re-run of the same tag is a no-op: every tag stays where it was (the release is immutable: a move would be refused)', () => {
    const repo = project();
    const source = tagOnMain(repo, 'v1.0.0');
    const first = workflowRun(repo, 'v1.0.0', source);
    expect(first.failed?.log).toBeUndefined();
    lock(repo, 'v1.0.0'); // the GitHub release step published an immutable release
    const before = refs(repo);
    const release = commitOf(repo.origin, 'v1.0.0');

    // The re-run keeps GITHUB_SHA; its checkouts fetch the tag at the release commit. Worse, as actions/checkout
    // does when it checks out the tag ref itself (fetching +<sha>:refs/tags/v1.0.0), the local tag is rewritten
    // to the source commit: release.ts reads origin's tags, never the checkout's.
    const rewriteLocalTag = (dir: string): void => {
      expect(commitOf(dir, 'v1.0.0')).toBe(release);
      git(dir, 'tag', '-f', 'v1.0.0', source);
    };
    const again = workflowRun(repo, 'v1.0.0', source, { label: 'rebuilt', beforeEachJob: rewriteLocalTag });
    expect(again.failed?.log).toBeUndefined();
    expect(again.check.outputs).toEqual({ action: 'unchanged' });
    expect(again.check.log).toMatch(/already released, no tag moves/);
    expect(again.buildPlan).toBeUndefined(); // nothing built
    expect(again.publishPlan!.outputs).toMatchObject({ action: 'unchanged', release, 'major-moves': 'false' });
    expect(again.push).toBeUndefined();
    expect(refs(repo)).toBe(before);

    // A third run, in case: still nothing.
    expect(workflowRun(repo, 'v1.0.0', source).failed).toBeUndefined();
    expect(refs(repo)).toBe(before);
    // The lock is real: moving the tag is refused, as GitHub refuses it for an immutable release.
    const move = spawnSync('git', ['push', '-f', 'origin', `${source}:refs/tags/v1.0.0`], { cwd: repo.work, encoding: 'utf8' });
    expect(move.status).not.toBe(0);
    expect(move.stderr).toMatch(/refusing to update refs\/tags\/v1.0.0: its release is immutable/);
  });

  it('a re-run after a run that failed between its plan and its push builds the same release commit and publishes it', () => {
    const repo = project();
    const source = tagOnMain(repo, 'v1.0.0');
    const before = refs(repo);
    const failed = workflowRun(repo, 'v1.0.0', source, { stopBeforePush: true });
    expect(failed.failed?.log).toBeUndefined();
    expect(refs(repo)).toBe(before); // nothing moved: the run "failed" after its plan (e.g. in the attestation)
    const planned = failed.publishPlan!.outputs.release;

    // Later, elsewhere, with the same bundles (a deterministic build): the same commit, whatever the clock says.
    const rerun = workflowRun(repo, 'v1.0.0', source, { label: 'v1.0.0', beforeEachJob: (dir) => git(dir, 'config', 'user.name', 'Someone Else') });
    expect(rerun.failed?.log).toBeUndefined();
    expect(rerun.buildPlan!.outputs.release).toBe(planned);
    expect(commitOf(repo.origin, 'v1.0.0')).toBe(planned);
    expect(commitOf(repo.origin, 'v1')).toBe(planned);
  });

  it('refuses bundles that differ from the ones the build job planned (the attested commit), before any tag moves', () => {
    const repo = project();
    const source = tagOnMain(repo, 'v1.0.0');
    const before = refs(repo);
    const run = workflowRun(repo, 'v1.0.0', source, { artifact: (dir) => write(dir, { 'actions/verify/dist/main/index.js': "// changed\nconsole.log('brokers: is required'); process.exitCode = 1;\n" }) });
    expect(run.failed).toBe(run.publishPlan);
    expect(run.failed!.log).toMatch(/Release refused::the release commit is [0-9a-f]{12}, not [0-9a-f]{12} \(the one the build job tested and the attestations are for\)/);
    expect(refs(repo)).toBe(before);
  });

  it('moves the major tag forward only; a pre-release publishes without moving it', () => {
    const repo = project();
    const released = (tag: string): Run => {
      const run = workflowRun(repo, tag, tagOnMain(repo, tag));
      expect(run.failed?.log).toBeUndefined();
      return run;
    };
    released('v1.2.0');
    const v1 = commitOf(repo.origin, 'v1');
    expect(v1).toBe(commitOf(repo.origin, 'v1.2.0'));
    const rc = released('v1.3.0-rc.1');
    expect(rc.publishPlan!.outputs).toMatchObject({ prerelease: 'true', latest: 'false', 'major-moves': 'false' });
    expect(rc.push!.log).toMatch(/v1 stays: v1.3.0-rc.1 is a pre-release/);
    expect(commitOf(repo.origin, 'v1.3.0-rc.1')).toBe(rc.publishPlan!.outputs.release);
    expect(commitOf(repo.origin, 'v1')).toBe(v1);
    const fix = released('v1.1.1');
    expect(fix.publishPlan!.outputs).toMatchObject({ latest: 'false', 'major-moves': 'false' });
    expect(commitOf(repo.origin, 'v1')).toBe(v1);
    released('v2.0.0');
    expect(commitOf(repo.origin, 'v2')).toBe(commitOf(repo.origin, 'v2.0.0'));
    expect(commitOf(repo.origin, 'v1')).toBe(v1);
    released('v1.3.0');
    expect(commitOf(repo.origin, 'v1')).toBe(commitOf(repo.origin, 'v1.3.0'));
  });

  describe('refuses, saying why, before any tag moves', () => {
    const refused = (repo: Repo, tag: string, sha: string, options: Parameters<typeof workflowRun>[3] = {}): StepRun => {
      const before = refs(repo);
      const run = workflowRun(repo, tag, sha, options);
      expect(run.failed).toBeDefined();
      expect(run.failed!.code).toBe(1);
      expect(run.push).toBeUndefined();
      expect(refs(repo)).toBe(before);
      expect(run.failed!.summary).toMatch(/^### Release refused\n/);
      expect(run.failed!.summary).toContain('No tag was moved.');
      return run.failed!;
    };

    it('a tag that is not on main', () => {
      const repo = project();
      git(repo.work, 'checkout', '-q', '-b', 'feature');
      write(repo.work, { 'README.md': 'unreviewed\n' });
      git(repo.work, 'commit', '-q', '-am', 'feature');
      git(repo.work, 'push', '-q', 'origin', 'feature');
      git(repo.work, 'tag', 'v1.1.0');
      git(repo.work, 'push', '-q', 'origin', 'v1.1.0');
      const sha = git(repo.work, 'rev-parse', 'HEAD');
      const failed = refused(repo, 'v1.1.0', sha);
      expect(failed.log).toMatch(/v1.1.0 points at [0-9a-f]{12}, which is not on origin\/main: releases are made from main only\. Nothing was changed\. Delete the tag/);
    });

    it.each([
      ['v1.0', /"v1.0" is not a release tag: a release tag is "v" and a semantic version/],
      ['v1', /"v1" is a major tag: release.yml moves it to the newest v1.x.y release/],
      ['v1.0.0+build.1', /has build metadata/],
    ])('a tag that is not a release tag: %s', (tag, message) => {
      const repo = project();
      const sha = tagOnMain(repo, tag, `change for ${tag}`);
      expect(refused(repo, tag, sha).log).toMatch(message);
    });

    it('a release whose bundles fail their smoke run', () => {
      const repo = project();
      const sha = tagOnMain(repo, 'v1.0.0');
      const broken = { ...bundles('broken'), 'actions/verify/dist/main/index.js': "import('./chunk-1.js').then(() => console.log('ready'));\n", 'actions/deploy/dist/post/index.js': 'process.exit(3);\n' };
      const failed = refused(repo, 'v1.0.0', sha, { build: broken });
      expect(failed.log).toMatch(/2 of 4 bundles failed their smoke run .*so nothing is published/);
      expect(failed.log).toMatch(/actions\/deploy\/dist\/post\/index.js: expected exit 0 .*got exit 3/);
      expect(failed.log).toMatch(/actions\/verify\/dist\/main\/index.js: expected its first input error .*got exit 1.*Cannot find module/s);
    });

    it('a missing bundle', () => {
      const repo = project();
      const sha = tagOnMain(repo, 'v1.0.0');
      const some = bundles('x');
      delete some['actions/deploy/dist/post/index.js'];
      expect(refused(repo, 'v1.0.0', sha, { build: some }).log).toMatch(/bundles missing: actions\/deploy\/dist\/post\/index.js/);
    });

    it('a run for a tag that was moved after it was pushed (a stale run)', () => {
      const repo = project();
      const first = tagOnMain(repo, 'v1.0.0');
      write(repo.work, { 'README.md': 'fixed\n' });
      git(repo.work, 'commit', '-q', '-am', 'fix');
      git(repo.work, 'push', '-q', 'origin', 'main');
      git(repo.work, 'tag', '-f', '-a', '-m', 'v1.0.0', 'v1.0.0');
      git(repo.work, 'push', '-q', '-f', 'origin', 'v1.0.0');
      expect(refused(repo, 'v1.0.0', first).log).toMatch(/v1.0.0 on origin points at [0-9a-f]{12}, not at [0-9a-f]{12}, the commit this run was started for: the tag was moved after it was pushed/);
    });
  });

  it('publishing to a remote by hand (outside GitHub Actions) is refused with the way to release; --dry-run shows the plan', () => {
    const repo = project();
    const sha = tagOnMain(repo, 'v1.0.0');
    const dir = checkout(repo, sha);
    write(dir, bundles('x'));
    const cli = (...args: string[]) => spawnSync(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, 'scripts', 'release.ts'), 'v1.0.0', '--remote', 'origin', '--no-build', ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, GITHUB_ACTIONS: '' } });
    const before = refs(repo);
    const byHand = cli();
    expect(byHand.status).toBe(1);
    expect(byHand.stderr).toMatch(/publishing to origin is release.yml's job, not done by hand .*push a version tag on a commit of main/);
    const dry = cli('--dry-run');
    expect(dry.status).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ action: 'planned', version: 'v1.0.0', source: sha });
    expect(refs(repo)).toBe(before);
  });

  it('without a remote, releases into the repository itself (the layout the consumer test uses), and again changes nothing', () => {
    const repo = project();
    const source = tagOnMain(repo, 'v1.0.0');
    write(repo.work, bundles('x'));
    const cli = () => spawnSync(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, 'scripts', 'release.ts'), 'v1.0.0', '--repo', repo.work, '--no-build'], { encoding: 'utf8' });
    const first = cli();
    expect(first.stderr).toContain('pushed v1.0.0, v1 to this repository');
    expect(first.status).toBe(0);
    const release = commitOf(repo.work, 'v1');
    expect(git(repo.work, 'rev-parse', `${release}^`)).toBe(source);
    expect(git(repo.work, 'status', '--porcelain')).toBe('');
    expect(git(repo.work, 'for-each-ref', 'refs/release-state')).toBe(''); // the private namespace is gone
    const tags = git(repo.work, 'for-each-ref', '--format=%(objectname) %(refname)', 'refs/tags');
    const again = cli();
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ action: 'unchanged', release });
    expect(git(repo.work, 'for-each-ref', '--format=%(objectname) %(refname)', 'refs/tags')).toBe(tags);
  });
});

describe('release.yml', () => {
  const jobs = workflow.jobs;

  it('runs on every v* tag; a manual run or a hand-made GitHub release only runs the refusal', () => {
    expect(workflow.on).toEqual({ push: { tags: ['v*'] }, workflow_dispatch: null, release: { types: ['published'] } });
    expect(jobs.refuse!.if).toBe("github.event_name != 'push'");
    expect(jobs.build!.if).toBe("github.event_name == 'push' && !github.event.deleted");
    expect(jobs.publish!.needs).toBe('build');
    const refuse = jobs.refuse!.steps[0]!.run!;
    expect(refuse).toContain('Running this workflow by hand releases nothing.');
    expect(refuse).toContain('was created by hand');
    expect(refuse).toContain('exit 1');
  });

  it('builds and tests with a read-only token; only the publish job may write, and it runs no install scripts and no tests', () => {
    expect(workflow.permissions).toEqual({});
    expect(jobs.refuse!.permissions).toEqual({ contents: 'read' });
    expect(jobs.build!.permissions).toEqual({ contents: 'read' });
    expect(jobs.publish!.permissions).toEqual({ contents: 'write', 'id-token': 'write', attestations: 'write', actions: 'read' });
    const runs = (job: string): string => jobs[job]!.steps.map((s) => s.run ?? '').join('\n');
    expect(runs('build')).toMatch(/npm test -- lint typecheck unit/);
    expect(runs('build')).toMatch(/npm run build/);
    expect(runs('publish')).not.toMatch(/npm test|npm run/);
    expect(runs('publish')).toMatch(/npm ci --ignore-scripts/);
    expect(runs('build')).not.toMatch(/--ignore-scripts/);
    // Every release.ts call of the build job checks or plans only.
    for (const line of runs('build').split('\n').filter((l) => l.includes('scripts/release.ts'))) expect(line).toMatch(/--check|--dry-run/);
  });

  it('checks out the commit the tag was pushed on (github.sha), never the tag, with main\'s history', () => {
    const checkouts = Object.values(jobs).flatMap((j) => j.steps.filter((s) => s.uses?.startsWith('actions/checkout@')));
    expect(checkouts).toHaveLength(2);
    for (const c of checkouts) expect(c.with).toMatchObject({ ref: '${{ github.sha }}', 'fetch-depth': 0 });
  });

  it('smoke-runs, attests and pushes only a planned release, in that order; the artifact carries the bundles', () => {
    const ids = jobs.publish!.steps.map((s) => s.id ?? s.name);
    expect(ids.indexOf('plan')).toBeLessThan(ids.indexOf('guard'));
    expect(ids.indexOf('guard')).toBeLessThan(ids.indexOf('attest'));
    expect(ids.indexOf('attest')).toBeLessThan(ids.indexOf('push'));
    for (const id of ['guard', 'attest', 'push']) expect(step('publish', id).if).toBe("steps.plan.outputs.action == 'planned'");
    expect(step('publish', 'attest').uses).toMatch(/^actions\/attest-build-provenance@[0-9a-f]{40}$/);
    expect(step('publish', 'attest').with).toEqual({ 'subject-checksums': '${{ runner.temp }}/subjects.txt' });
    expect(step('publish', 'plan').run).toContain('--subjects "$RUNNER_TEMP/subjects.txt"');
    expect(step('publish', 'plan').run).toContain('--expect "$PLANNED"');
    expect(step('publish', 'push').run).toContain('--expect "$PLANNED"');
    expect(step('publish', 'push').env?.PLANNED).toBe('${{ steps.plan.outputs.release }}');
    expect(step('build', 'upload').with).toMatchObject({ name: '${{ steps.plan.outputs.artifact }}', path: 'actions/*/dist/', 'include-hidden-files': true });
    expect(step('publish', 'download').with).toMatchObject({ name: '${{ needs.build.outputs.artifact }}', path: 'actions', 'run-id': '${{ github.run_id }}' });
    expect(step('publish', 'guard').run).toContain('releases/tags/$TAG');
  });

  it('queues runs per tag without cancelling (a tag queued behind another never cancels it)', () => {
    expect(workflow.concurrency).toEqual({ group: 'release-${{ github.event_name }}-${{ github.ref }}', 'cancel-in-progress': false });
  });

  it('pins every action of another repository by full commit SHA, with its version in a comment', () => {
    const uses = workflowText.split('\n').filter((l) => /^\s*(- )?uses:/.test(l));
    expect(uses.length).toBeGreaterThanOrEqual(6);
    for (const line of uses) expect(line).toMatch(/uses: [\w-]+\/[\w-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });
});
