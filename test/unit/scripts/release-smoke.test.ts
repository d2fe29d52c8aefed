import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { listBundles, probeFor, smokeRun } from '../../../scripts/release-smoke.js';

/**
 * The bundles' smoke run (scripts/release-smoke.ts) on small stand-in bundles: real node processes, each
 * doing one thing a real bundle does (stop at an input error, clean up nothing, print its usage) or fails to.
 */
function repo(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'smoke-repo-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const deployYml = 'name: deploy\ninputs:\n  release:\n    required: true\n  timeout:\n    default: 5m\nruns:\n  using: node24\n  main: dist/main/index.js\n  post: dist/post/index.js\n';
const installYml = 'name: install\ninputs:\n  timeout:\n    default: 5m\nruns:\n  using: node24\n  main: dist/main/index.js\n';
const GOOD = {
  'actions/deploy/action.yml': deployYml,
  'actions/deploy/dist/main/index.js': "process.stdout.write('::error::release: is required but was empty or not set\\n'); process.exitCode = 1;\n",
  'actions/deploy/dist/post/index.js': "console.log('nothing to clean up');\n",
  'actions/deploy/dist/token/index.js': "process.stderr.write('usage: token --config <file>\\n'); process.exitCode = 2;\n",
  'actions/install/action.yml': installYml,
  'actions/install/dist/main/index.js': "const t = process.env.INPUT_TIMEOUT; if (t === 'soon') { console.log('::error::timeout: \"soon\" is not a duration'); process.exit(1); } console.log('installed');\n",
  'actions/empty/action.yml': installYml, // no dist/: not built, not listed
};

describe('listBundles', () => {
  it('lists every dist/<dir>/index.js with its kind from action.yml and the required inputs', () => {
    const dir = repo(GOOD);
    expect(listBundles(dir).map((b) => [b.file, b.kind, b.required])).toEqual([
      ['actions/deploy/dist/main/index.js', 'main', ['release']],
      ['actions/deploy/dist/post/index.js', 'post', ['release']],
      ['actions/deploy/dist/token/index.js', 'helper', ['release']],
      ['actions/install/dist/main/index.js', 'main', []],
    ]);
  });
});

describe('probeFor', () => {
  it('gives a main bundle no inputs, or a malformed timeout when it requires none', () => {
    expect(probeFor({ kind: 'main', required: ['release'] }).inputs).toEqual({});
    expect(probeFor({ kind: 'main', required: [] }).inputs).toEqual({ INPUT_TIMEOUT: 'soon' });
  });
});

describe('smokeRun', () => {
  it('passes bundles that reach their first input check', async () => {
    const lines: string[] = [];
    expect(await smokeRun(listBundles(repo(GOOD)), { log: (l) => lines.push(l) })).toEqual([]);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^actions\/deploy\/dist\/main\/index.js: ok, its first input error/);
  });

  it('names each bundle that fails, what it should have done and what it did', async () => {
    const dir = repo({
      ...GOOD,
      // Loads a module that the bundle does not hold (a broken bundle).
      'actions/deploy/dist/main/index.js': "require('./chunk-that-is-missing.js');\n",
      // Exits 0 without looking at its inputs.
      'actions/install/dist/main/index.js': "console.log('hello');\n",
      // Crashes instead of cleaning up nothing.
      'actions/deploy/dist/post/index.js': "throw new Error('state is not JSON');\n",
      // Hangs.
      'actions/deploy/dist/token/index.js': 'setInterval(() => {}, 1000);\n',
    });
    const problems = await smokeRun(listBundles(dir), { timeoutMs: 1500 });
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(/^actions\/deploy\/dist\/main\/index.js: expected its first input error \(a required input is missing\), got exit 1:\n.*Cannot find module/s);
    expect(problems[1]).toMatch(/^actions\/deploy\/dist\/post\/index.js: expected exit 0 .*got exit 1:.*state is not JSON/s);
    expect(problems[2]).toMatch(/^actions\/deploy\/dist\/token\/index.js: expected its usage and exit 2 .*, got it did not stop within the time limit/);
    expect(problems[3]).toMatch(/^actions\/install\/dist\/main\/index.js: expected its first input error \(timeout: "soon" is not a duration\), got exit 0:\n {4}hello/);
  });

  it('hands the bundle none of its own environment (no tokens), only the runner files and the inputs', async () => {
    const dir = repo({
      'actions/a/action.yml': 'name: a\ninputs:\n  x:\n    required: true\nruns:\n  using: node24\n  main: dist/main/index.js\n',
      'actions/a/dist/main/index.js':
        "const leaked = Object.keys(process.env).filter((k) => !['PATH', 'HOME', 'RUNNER_TEMP', 'GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY', 'GITHUB_STATE', 'GITHUB_ENV'].includes(k));\nconsole.log(leaked.length ? 'leaked ' + leaked.join(',') : 'x: is required'); process.exitCode = 1;\n",
    });
    process.env.SMOKE_TEST_SECRET = 'do-not-pass';
    try {
      expect(await smokeRun(listBundles(dir))).toEqual([]);
    } finally {
      delete process.env.SMOKE_TEST_SECRET;
    }
  });
});
