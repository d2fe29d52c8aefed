import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { load } from 'js-yaml';
import { runAct } from '../../support/act.js';
import { stack } from '../../support/stack.js';

/** actionlint (built from the Go module proxy, with shellcheck for run: scripts) over .github/workflows. */
const root = resolve(import.meta.dirname, '..', '..', '..');

function shellcheck(): string {
  try {
    return execFileSync('bash', ['-c', 'command -v shellcheck'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('shellcheck is not installed (actionlint checks run: scripts with it): run bash stack/install-system.sh');
  }
}

function actionlint(cwd: string): { code: number | null; out: string } {
  const r = spawnSync(stack.act().actionlint, ['-no-color', '-oneline', '-shellcheck', shellcheck()], { cwd, encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

interface Step {
  id?: string;
  if?: string;
  name?: string;
  uses?: string;
  with?: Record<string, unknown>;
}
interface Job {
  if?: string;
  needs?: string | string[];
  environment?: unknown;
  concurrency?: { group?: string };
  permissions?: Record<string, string>;
  outputs?: Record<string, string>;
  steps: Step[];
}
const workflow = (name: string): { on: Record<string, unknown>; jobs: Record<string, Job> } =>
  load(readFileSync(join(root, '.github', 'workflows', name), 'utf8')) as { on: Record<string, unknown>; jobs: Record<string, Job> };

describe('workflows', () => {
  it('pass actionlint (and shellcheck on every run: script)', () => {
    const r = actionlint(root);
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  });

  it('actionlint fails a broken workflow (the check can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'actionlint-'));
    mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
    writeFileSync(join(dir, '.github', 'workflows', 'bad.yml'), 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo "${{ steps.nope.outputs.x }}" && cd $UNQUOTED\n');
    execFileSync('git', ['init', '-q'], { cwd: dir });
    const r = actionlint(dir);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/property "nope" is not defined/);
    expect(r.out).toMatch(/SC2086/);
  });

  it('deploy.yml: both targets run one deploy body; only credentials and the registry are their own', () => {
    const { jobs } = workflow('deploy.yml');
    const image = jobs['oke-image']!;
    const oke = jobs.oke!;
    const local = jobs.local!;
    // Credential steps are each job's own: oke-login; the image's GHCR name; the local stack.
    const OWN = { oke: ['login'], image: ['registry'], local: ['stack'] };
    const shared = (job: Job, own: string[]): string[] => job.steps.filter((s) => !own.includes(s.id ?? '') && !s.if?.includes('env.ACT')).map((s) => s.uses?.replace(/@.*/, '') ?? s.name ?? '?');
    expect(shared(image, OWN.image)).toEqual(['actions/checkout', 'actions/setup-node', 'npm ci', './.github/actions/app-image']);
    expect(shared(oke, OWN.oke)).toEqual(['actions/checkout', 'actions/setup-node', 'Build the action bundles', './.github/actions/deploy', 'actions/upload-artifact']);
    // Under act every remote action of the job is fetched before its first step: the local job uses none but
    // actions/checkout (act's own); its summary keeps the reports instead of an artifact upload.
    expect(shared(local, OWN.local).filter((u) => u !== 'actions/checkout')).toEqual(['Build the action bundles', './.github/actions/app-image', './.github/actions/deploy']);
    expect(local.steps.filter((s) => s.uses && !s.uses.startsWith('./')).map((s) => s.uses)).toEqual([expect.stringMatching(/^actions\/checkout@[0-9a-f]{40}$/)]);
    expect(oke.steps.find((s) => s.id === 'login')?.uses).toBe('./actions/oke-login');
    // The body: the Kafka settings and the image check (nothing changed yet), then the actions in their order,
    // the secrets, the summary (always).
    const body = load(readFileSync(join(root, '.github', 'actions', 'deploy', 'action.yml'), 'utf8')) as { runs: { using: string; steps: Step[] } };
    expect(body.runs.using).toBe('composite');
    expect(body.runs.steps.map((s) => s.id ?? s.name)).toEqual(['kafka', 'image', 'dapr', 'topics', 'secret', 'pull-secret', 'ref', 'deploy', 'settle', 'verify', 'Summary']);
    // Deploys run one at a time: a pending release is one a cancelled run left, and helm-deploy recovers it.
    expect(body.runs.steps.find((s) => s.id === 'deploy')?.with?.['recover-pending']).toBe(true);
    expect(body.runs.steps.filter((s) => s.uses).map((s) => s.uses)).toEqual(['./actions/dapr-install', './actions/redpanda-topics', './actions/helm-deploy', './actions/verify-events']);
    // What differs is given as values: the values file, the registry, Kafka's endpoint and TLS.
    const use = (job: Job) => job.steps.find((s) => s.uses === './.github/actions/deploy')!.with!;
    expect(use(oke)['values-file']).toBe('chart/values-oke.yaml');
    expect(use(local)['values-file']).toBe('chart/values-local.yaml');
    expect(use(oke)['kafka-tls']).toBe(true);
    // The local Kafka listener is SASL_PLAINTEXT: TLS is turned off explicitly, never by default.
    expect(use(local)['kafka-tls']).toBe(false);
    expect(oke.steps.some((s) => s.uses?.startsWith('docker/'))).toBe(false);
    // One deploy at a time per environment; the oke environment carries the protection rules.
    expect(oke.concurrency?.group).toBe('deploy-oke');
    // Images one at a time as well, so each run's deploy queues behind the previous run's (pushes deploy in order).
    expect(image.concurrency?.group).toBe('deploy-oke-image');
    expect(local.concurrency?.group).toBe('deploy-local');
    expect(oke.environment).toMatchObject({ name: 'oke' });
    // The reports are uploaded only when the body named one (upload-artifact fails on an empty path).
    const upload = oke.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
    expect(upload.if).toBe("always() && (steps.body.outputs.plan-file != '' || steps.body.outputs.report-path != '')");
  });

  it('deploy.yml: least privilege - the image job may write packages and holds nothing else; the deploy job gets the cloud', () => {
    const text = readFileSync(join(root, '.github', 'workflows', 'deploy.yml'), 'utf8');
    const { jobs } = workflow('deploy.yml');
    const image = jobs['oke-image']!;
    const oke = jobs.oke!;
    expect(image.permissions).toEqual({ contents: 'read', packages: 'write' });
    expect(image.environment).toBeUndefined();
    // The image job reads no secret but its own GITHUB_TOKEN, and no variable.
    const imageText = text.slice(text.indexOf('\n  oke-image:'), text.indexOf('\n  oke:'));
    expect([...imageText.matchAll(/\b(secrets|vars)\.(\w+)/g)].map((m) => m[0])).toEqual(['secrets.GITHUB_TOKEN']);
    expect(oke.permissions).toEqual({ contents: 'read', packages: 'read', 'id-token': 'write' });
    expect(oke.needs).toBe('oke-image');
    // No other job of the workflow may write packages or mint OIDC tokens.
    for (const [id, job] of Object.entries(jobs)) {
      if (id !== 'oke-image') expect([id, job.permissions?.packages]).not.toEqual([id, 'write']);
      if (id !== 'oke') expect([id, job.permissions?.['id-token']]).toEqual([id, undefined]);
    }
    // The image reaches the deploy by digest, through the image job's outputs.
    expect(image.outputs?.ref).toBe('${{ steps.image.outputs.ref }}');
    expect(oke.steps.find((s) => s.uses === './.github/actions/deploy')?.with?.['image-ref']).toBe('${{ needs.oke-image.outputs.ref }}');
    // No checkout leaves a token in .git/config for the steps after it.
    for (const name of ['deploy.yml', 'ci.yml']) {
      for (const [id, job] of Object.entries(workflow(name).jobs)) {
        for (const s of job.steps.filter((x) => x.uses?.startsWith('actions/checkout@'))) expect([name, id, s.with?.['persist-credentials']]).toEqual([name, id, false]);
      }
    }
  });

  it('act handles a commit-pinned actions/checkout itself: nothing is fetched (and another pinned action would be)', async () => {
    // A job with a remote action, its server a closed port on this machine: any fetch of an action fails at once,
    // and nothing leaves the machine.
    const actJob = async (uses: string): Promise<{ code: number | null; log: string }> => {
      const repo = mkdtempSync(join(tmpdir(), 'act-checkout-'));
      mkdirSync(join(repo, '.github', 'workflows'), { recursive: true });
      writeFileSync(join(repo, 'marker.txt'), 'from the clone\n');
      writeFileSync(join(repo, '.github', 'workflows', 'w.yml'), `on: workflow_dispatch\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ${uses}\n        with:\n          persist-credentials: false\n      - run: cat marker.txt\n`);
      const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com' };
      execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo });
      execFileSync('git', ['add', '-A'], { cwd: repo });
      execFileSync('git', ['commit', '-q', '-m', 'w'], { cwd: repo, env: gitEnv });
      return runAct({ cwd: repo, workflow: '.github/workflows/w.yml', env: { GITHUB_SERVER_URL: 'http://127.0.0.1:1' }, timeoutMs: 120_000 });
    };
    const pinned = (name: string): string => workflow('deploy.yml').jobs.oke!.steps.find((s) => s.uses?.startsWith(`${name}@`))!.uses!;
    // The pin deploy.yml's local job uses (npm run local runs it with no network).
    const localCheckout = workflow('deploy.yml').jobs.local!.steps.find((s) => s.uses?.startsWith('actions/checkout@'))!.uses!;
    expect(localCheckout).toBe(pinned('actions/checkout'));
    const checkout = await actJob(localCheckout);
    expect(checkout.log).not.toMatch(/git clone|failed to fetch|connection refused/i);
    expect(checkout.log).toContain('from the clone');
    expect(checkout.code).toBe(0);
    // The check can fail: any other pinned action is fetched (from the closed port) and the job fails.
    const other = await actJob(pinned('actions/setup-node'));
    expect(other.log).toMatch(/git clone 'http:\/\/127\.0\.0\.1:1\/actions\/setup-node' # ref=[0-9a-f]{40}/);
    expect(other.log).toMatch(/connection refused/);
    expect(other.code).not.toBe(0);
  }, 250_000);

  it('release.yml runs on every v* tag (to refuse the ones that are not releases), refuses dispatch and UI releases, and publishes through scripts/release.ts', () => {
    const w = workflow('release.yml');
    expect(w.on).toEqual({ push: { tags: ['v*'] }, workflow_dispatch: null, release: { types: ['published'] } });
    expect(readFileSync(join(root, '.github', 'workflows', 'release.yml'), 'utf8')).toContain('scripts/release.ts');
  });
});
