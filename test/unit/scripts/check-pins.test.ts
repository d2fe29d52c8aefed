import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { checkPins, checkRepository, commentAfter, commentVersion, pinnedFiles } from '../../../scripts/check-pins-lib.js';

const root = resolve(import.meta.dirname, '..', '..', '..');
const SHA = 'fbc6f3992d24b796d5a048ff273f7fcc4a7b6c09';
const OTHER_SHA = 'a0853c24544627f65ddf259abe73b1d18a591444';
const DIGEST = `sha256:${'e'.repeat(64)}`;

/** A workflow whose one job's steps are these `uses:` lines (written as given, comments included). */
const workflow = (...uses: string[]): string => `on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n${uses.map((u) => `      - uses: ${u}\n`).join('')}`;
const check = (text: string, file = '.github/workflows/w.yml') => checkPins([{ file, text }]);

describe('check-pins: the rule', () => {
  it('accepts a commit SHA with its version in a comment, local actions, and docker images by digest', () => {
    const r = check(workflow(`actions/checkout@${SHA} # v5.1.0`, `"actions/setup-node@${OTHER_SHA}" # v5.0.0 (node 24)`, './actions/helm-deploy', `docker://alpine@${DIGEST} # 3.22`));
    expect(r.problems).toEqual([]);
    expect(r.uses).toHaveLength(4);
    expect(r.remote).toBe(3);
  });

  it('refuses a tag or branch, naming file, line, column, the step and the fix', () => {
    const r = check(workflow(`actions/checkout@${SHA} # v5.1.0`, 'actions/setup-go@v6'));
    expect(r.problems).toHaveLength(1);
    const [p] = r.problems;
    expect(p!.location).toEqual({ file: '.github/workflows/w.yml', line: 7, column: 15 });
    expect(p!.input).toBe('jobs.build.steps[1].uses');
    expect(p!.problem).toBe('`actions/setup-go@v6` is pinned by the tag or branch "v6", which the owner of actions/setup-go can move to other code');
    expect(p!.fix).toMatch(/uses: actions\/setup-go@<40-character commit SHA> # <version>; git ls-remote --tags https:\/\/github\.com\/actions\/setup-go/);
  });

  it.each([
    ['a branch', 'actions/cache@main', /tag or branch "main"/],
    ['a short SHA', `actions/cache@${SHA.slice(0, 7)}`, /short or malformed commit SHA \(7 characters\)/],
    ['an upper-case SHA', `actions/cache@${SHA.toUpperCase()} # v4.3.0`, /commit SHA in upper case/],
    ['no version comment', `actions/cache@${SHA}`, /pinned by commit but has no version comment/],
    ['a comment that is no version', `actions/cache@${SHA} # pinned`, /has the comment "pinned", which does not start with a version/],
    ['a sub-path action by tag', 'github/codeql-action/init@v3', /`github\/codeql-action\/init@v3` is pinned by the tag or branch "v3"/],
    ['a docker image by tag', 'docker://alpine:3.22', /not pinned by digest/],
    ['an expression', 'actions/cache@${{ env.REF }}', /is an expression/],
    ['something else', 'checkout', /neither a local action/],
  ])('refuses %s', (_, uses, message) => {
    const r = check(workflow(uses));
    expect(r.problems.map((p) => p.problem)).toEqual([expect.stringMatching(message)]);
  });

  it('covers reusable workflows (jobs.<id>.uses), composite steps and docker actions\' runs.image; not `with:` values', () => {
    const reusable = `on: push\njobs:\n  a:\n    uses: acme/pipelines/.github/workflows/build.yml@v1\n  b:\n    uses: ./.github/workflows/local.yml\n  c:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./x\n        with:\n          uses: some/thing@v1\n`;
    expect(check(reusable).problems.map((p) => p.input)).toEqual(['jobs.a.uses']);
    const composite = `name: c\nruns:\n  using: composite\n  steps:\n    - run: echo\n      shell: bash\n    - uses: actions/cache@v4\n`;
    expect(check(composite, 'actions/c/action.yml').problems.map((p) => `${p.location?.file}:${p.location?.line} ${p.input}`)).toEqual(['actions/c/action.yml:7 runs.steps[1].uses']);
    const docker = `name: d\nruns:\n  using: docker\n  image: docker://ghcr.io/acme/tool:1\n`;
    expect(check(docker, 'actions/d/action.yml').problems.map((p) => p.input)).toEqual(['runs.image']);
    expect(check(`name: d\nruns:\n  using: docker\n  image: Dockerfile\n`, 'actions/d/action.yml').uses).toEqual([]);
    expect(check(`name: n\nruns:\n  using: node24\n  main: dist/index.js\n`, 'actions/n/action.yml').uses).toEqual([]);
  });

  it('refuses a commit given two versions, or a version given two commits, across files', () => {
    const r = checkPins([
      { file: 'a.yml', text: workflow(`actions/checkout@${SHA} # v5.1.0`) },
      { file: 'b.yml', text: workflow(`actions/checkout@${SHA} # v5.0.0`, `actions/setup-node@${OTHER_SHA} # v5.0.0`) },
      { file: 'c.yml', text: workflow(`actions/setup-node@${SHA} # v5.0.0`) },
    ]);
    expect(r.problems.map((p) => p.problem)).toEqual([
      `actions/checkout@${SHA} is given different versions: a.yml:6 (fbc6f3992d24 # v5.1.0), b.yml:6 (fbc6f3992d24 # v5.0.0)`,
      `actions/setup-node v5.0.0 is pinned to different commits: b.yml:7 (a0853c245446 # v5.0.0), c.yml:6 (fbc6f3992d24 # v5.0.0)`,
    ]);
    // The same pin in several files is fine.
    expect(checkPins([{ file: 'a.yml', text: workflow(`actions/checkout@${SHA} # v5.1.0`) }, { file: 'b.yml', text: workflow(`actions/checkout@${SHA} # v5.1.0`) }]).problems).toEqual([]);
  });

  it('reports a file that is not YAML instead of skipping it', () => {
    const r = check('jobs: [unclosed\n');
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.problem).toMatch(/cannot be read as YAML: .*not valid YAML/);
    expect(check('').problems).toEqual([]);
  });

  it('reads the comment after a value, plain or quoted, and its version', () => {
    expect(commentAfter(`      - uses: a/b@${SHA}   #  v1.2.3 extra`, 1, 15)).toBe('v1.2.3 extra');
    expect(commentAfter(`  uses: "a/b@${SHA}" # v2`, 1, 9)).toBe('v2');
    expect(commentAfter('  uses: a/b@x', 1, 9)).toBe('');
    expect(commentVersion('v5.1.0')).toBe('v5.1.0');
    expect(commentVersion('5.1.0 (node 24)')).toBe('5.1.0');
    expect(commentVersion('v1.2.3-rc.1')).toBe('v1.2.3-rc.1');
    expect(commentVersion('pinned v5')).toBeUndefined();
    expect(commentVersion('version5')).toBeUndefined();
  });
});

describe('check-pins: which files', () => {
  it('every workflow and every action.yml, outside node_modules, build output and hidden directories but .github', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pins-'));
    const files = ['.github/workflows/a.yml', '.github/workflows/b.yaml', '.github/workflows/notes.md', '.github/actions/x/action.yml', 'actions/y/action.yaml', 'deep/er/action.yml', 'node_modules/p/action.yml', 'actions/y/dist/action.yml', '.stack/z/action.yml', 'test/fixtures/workflows/old.yml'];
    for (const f of files) {
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      writeFileSync(join(dir, f), 'name: x\n');
    }
    expect(pinnedFiles(dir)).toEqual(['.github/actions/x/action.yml', '.github/workflows/a.yml', '.github/workflows/b.yaml', 'actions/y/action.yaml', 'deep/er/action.yml']);
  });

  it('this repository: its workflows and actions are all covered, and all pinned', () => {
    const r = checkRepository(root);
    expect(r.files).toEqual(expect.arrayContaining(['.github/workflows/ci.yml', '.github/workflows/deploy.yml', '.github/workflows/release.yml', '.github/actions/deploy/action.yml', '.github/actions/app-image/action.yml', 'actions/helm-deploy/action.yml']));
    expect(r.remote).toBeGreaterThan(0);
    expect(r.problems).toEqual([]);
  });
});

describe('check-pins: the script', () => {
  const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const run = (dir: string, env: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [tsx, join(root, 'scripts', 'check-pins.ts'), dir], { encoding: 'utf8', env: { ...process.env, GITHUB_ACTIONS: '', ...env } });
    return { code: r.status, out: `${r.stdout}${r.stderr}` };
  };
  const repo = (text: string): string => {
    const dir = mkdtempSync(join(tmpdir(), 'pins-'));
    mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
    writeFileSync(join(dir, '.github', 'workflows', 'ci.yml'), text);
    return dir;
  };

  it('exits 0 and counts when all is pinned; 1 with file:line:column and the fix when not', () => {
    const good = run(repo(workflow(`actions/checkout@${SHA} # v5.1.0`)));
    expect(good.out).toMatch(/check-pins: 1 uses of other repositories in 1 files, each pinned/);
    expect(good.code).toBe(0);
    const bad = run(repo(workflow('actions/checkout@v5')));
    expect(bad.out).toContain('.github/workflows/ci.yml:6:15: jobs.build.steps[0].uses: `actions/checkout@v5` is pinned by the tag or branch "v5"');
    expect(bad.out).toMatch(/Fix: pin the commit "v5" names now/);
    expect(bad.code).toBe(1);
  }, 30_000);

  it('annotates each problem under GitHub Actions, and refuses a directory with nothing to check', () => {
    const bad = run(repo(workflow('actions/checkout@v5')), { GITHUB_ACTIONS: 'true' });
    expect(bad.out).toMatch(/^::error file=\.github\/workflows\/ci\.yml,line=6,col=15,title=Action not pinned::jobs\.build\.steps\[0\]\.uses: /m);
    expect(bad.code).toBe(1);
    const empty = run(mkdtempSync(join(tmpdir(), 'pins-')));
    expect(empty.out).toMatch(/no workflow \(\.github\/workflows\/\*\.yml\) or action\.yml under .*: give the repository's root/);
    expect(empty.code).toBe(1);
  }, 30_000);
});
