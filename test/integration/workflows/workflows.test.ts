import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { load } from 'js-yaml';
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
  environment?: unknown;
  concurrency?: { group?: string };
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

  it('deploy.yml: both jobs run one deploy body; only credentials and the registry are their own', () => {
    const { jobs } = workflow('deploy.yml');
    const oke = jobs.oke!;
    const local = jobs.local!;
    // Credential steps are each job's own: oke-login and the image's GHCR name; the local stack.
    const OWN = { oke: ['login', 'registry'], local: ['stack'] };
    const shared = (job: Job, own: string[]): string[] => job.steps.filter((s) => !own.includes(s.id ?? '') && !s.if?.includes('env.ACT')).map((s) => s.uses?.replace(/@.*/, '') ?? s.name ?? '?');
    expect(shared(oke, OWN.oke)).toEqual(['actions/checkout', 'actions/setup-node', 'Build the action bundles', './.github/actions/app-image', './.github/actions/deploy', 'actions/upload-artifact']);
    // Under act every remote action of the job is fetched before its first step: the local job uses none but
    // actions/checkout (act's own); its summary keeps the reports instead of an artifact upload.
    expect(shared(local, OWN.local).filter((u) => u !== 'actions/checkout')).toEqual(['Build the action bundles', './.github/actions/app-image', './.github/actions/deploy']);
    expect(local.steps.filter((s) => s.uses && !s.uses.startsWith('./')).map((s) => s.uses)).toEqual(['actions/checkout@v5']);
    expect(oke.steps.find((s) => s.id === 'login')?.uses).toBe('./actions/oke-login');
    // The body: the image check, then the actions in their order, the secrets, the summary (always).
    const body = load(readFileSync(join(root, '.github', 'actions', 'deploy', 'action.yml'), 'utf8')) as { runs: { using: string; steps: Step[] } };
    expect(body.runs.using).toBe('composite');
    expect(body.runs.steps.map((s) => s.id ?? s.name)).toEqual(['image', 'dapr', 'topics', 'secret', 'pull-secret', 'ref', 'deploy', 'settle', 'verify', 'Summary']);
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
    expect(local.concurrency?.group).toBe('deploy-local');
    expect(oke.environment).toMatchObject({ name: 'oke' });
  });

  it('release.yml runs on vX.Y.Z tags only and publishes through scripts/release.ts', () => {
    const w = workflow('release.yml');
    expect(w.on).toEqual({ push: { tags: ['v[0-9]+.[0-9]+.[0-9]+'] } });
    expect(readFileSync(join(root, '.github', 'workflows', 'release.yml'), 'utf8')).toContain('scripts/release.ts');
  });
});
