import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { runAct, type ActRun } from '../../support/act.js';
import { stack } from '../../support/stack.js';

/**
 * The release layout works from another repository: a consumer repository whose workflow says
 * `uses: acme/oke-actions/actions/helm-deploy@v1` runs through act (host mode), with acme/oke-actions@v1
 * mapped (--local-repository, --action-offline-mode) to a copy of the commit that scripts/release.ts made
 * and tagged v1 in a repository holding this project's files, and deploys the fixture chart to the stack.
 * The same workflow mapped to the source commit (main: no bundles) fails: the bundles exist only on the
 * release commit.
 */
const root = resolve(import.meta.dirname, '..', '..', '..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');
const id = randomUUID().slice(0, 6);
const namespace = `consumer-${id}`;
const kubeconfig = stack.kubeconfig();
const helmDir = dirname(stack.helm().helm4);

const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com' };
const git = (repo: string, ...args: string[]): string => execFileSync('git', args, { cwd: repo, env: gitEnv, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }).trim();

/** A copy of a commit's tree (what act's local-repository mapping reads: plain files, no git). */
function checkoutCopy(repo: string, ref: string): string {
  const dir = mkdtempSync(join(tmpdir(), `oke-actions-${ref}-`));
  const tar = execFileSync('git', ['archive', '--format=tar', ref], { cwd: repo, maxBuffer: 512 * 1024 * 1024 });
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  return dir;
}

const consumerWorkflow = `name: Consumer
on: workflow_dispatch
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - name: Deploy hello
        id: deploy
        uses: acme/oke-actions/actions/helm-deploy@v1
        with:
          release: hello
          chart: charts/hello
          namespace: ${namespace}
          create-namespace: true
          set: |
            message=from-a-consumer
            image=${stack.node().images.testapp}
          secret-values: |
            note: from-a-secret
          helm-version: preinstalled
          timeout: 90s
      - name: Outputs
        run: |
          echo "status=\${{ steps.deploy.outputs.status }} revision=\${{ steps.deploy.outputs.revision }} helm=\${{ steps.deploy.outputs.helm-version }}"
          test "\${{ steps.deploy.outputs.status }}" = deployed
`;

let releaseCopy: string;
let mainCopy: string;
let consumer: string;

beforeAll(() => {
  // The bundles as npm test builds them (unchanged ones are not rebuilt).
  execFileSync(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, 'scripts', 'build.ts'), '--if-changed'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });

  // The producer: this project's files (tracked and new, not ignored) committed on main, tagged v1.2.3 ...
  const producer = mkdtempSync(join(tmpdir(), 'oke-actions-src-'));
  git(producer, 'init', '-q', '-b', 'main');
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, maxBuffer: 64 * 1024 * 1024 }).toString().split('\0').filter(Boolean);
  for (const f of listed) {
    if (!existsSync(join(root, f))) continue; // deleted in the work tree
    mkdirSync(dirname(join(producer, f)), { recursive: true });
    cpSync(join(root, f), join(producer, f));
  }
  git(producer, 'add', '-A');
  git(producer, 'commit', '-q', '-m', 'source');
  git(producer, 'tag', 'v1.2.3');
  // ... with the bundles in its work tree (ignored, as after npm run build), then released.
  for (const name of readdirSync(join(root, 'actions'))) {
    if (existsSync(join(root, 'actions', name, 'dist'))) cpSync(join(root, 'actions', name, 'dist'), join(producer, 'actions', name, 'dist'), { recursive: true });
  }
  execFileSync(tsx, [join(root, 'scripts', 'release.ts'), 'v1.2.3', '--repo', producer, '--no-build'], { env: gitEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  releaseCopy = checkoutCopy(producer, 'v1');
  mainCopy = checkoutCopy(producer, 'main');

  consumer = mkdtempSync(join(tmpdir(), 'consumer-'));
  git(consumer, 'init', '-q', '-b', 'main');
  cpSync(join(root, 'test', 'fixtures', 'charts', 'hello'), join(consumer, 'charts', 'hello'), { recursive: true });
  mkdirSync(join(consumer, '.github', 'workflows'), { recursive: true });
  writeFileSync(join(consumer, '.github', 'workflows', 'deploy.yml'), consumerWorkflow);
  git(consumer, 'add', '-A');
  git(consumer, 'commit', '-q', '-m', 'consumer');
}, 600_000);

afterAll(() => {
  try {
    execFileSync(stack.helm().kubectl, ['delete', 'namespace', namespace, '--wait=false', '--ignore-not-found'], { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: 'ignore' });
  } catch {
    // best effort
  }
});

const consume = (copy: string): Promise<ActRun> =>
  runAct({
    cwd: consumer,
    workflow: '.github/workflows/deploy.yml',
    payload: { inputs: {} },
    env: { KUBECONFIG: kubeconfig },
    localRepositories: { 'acme/oke-actions@v1': copy },
    path: [helmDir],
    timeoutMs: 240_000,
  });

describe('a consumer repository uses the released actions by reference (act, host mode)', () => {
  it('acme/oke-actions/actions/helm-deploy@v1 from the release commit deploys the chart (main and post steps run from the bundles)', async () => {
    const run = await consume(releaseCopy);
    if (run.code !== 0) throw new Error(`act exited ${run.code}:\n${run.log.slice(-6000)}`);
    expect(run.log).toMatch(/LocalRepositoryCache matched .*acme\/oke-actions with ref v1/);
    expect(run.steps['Deploy hello']).toBeGreaterThan(0);
    // The post step ran from the bundle and removed the private folder that held the secret values.
    expect(run.steps).toHaveProperty(['Post Deploy hello']);
    expect(run.log).toMatch(/removed \S*helm-deploy-\S+/);
    expect(run.log).toContain('status=deployed revision=1');
    // An independent look: helm itself sees the release deployed in the stack's cluster.
    const status = JSON.parse(execFileSync(stack.helm().helm4, ['status', 'hello', '-n', namespace, '-o', 'json'], { env: { ...process.env, KUBECONFIG: kubeconfig } }).toString()) as { info: { status: string }; config?: Record<string, unknown> };
    expect(status.info.status).toBe('deployed');
  });

  it('the same reference mapped to the source commit (no bundles on main) fails', async () => {
    expect(existsSync(join(mainCopy, 'actions', 'helm-deploy', 'action.yml'))).toBe(true);
    expect(existsSync(join(mainCopy, 'actions', 'helm-deploy', 'dist'))).toBe(false);
    const run = await consume(mainCopy);
    expect(run.code).not.toBe(0);
    expect(run.log).toMatch(/Cannot find module '[^']*actions\/helm-deploy\/dist\/main\/index\.js'/);
    expect(run.log).toMatch(/Failure - Main Deploy hello/);
  });
});
