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

  it('deploy.yml: the local job runs the same actions in the same order as the oke job, the stack in oke-login\'s place', () => {
    const { jobs } = workflow('deploy.yml');
    const actions = (job: Job): string[] => job.steps.filter((s) => s.uses?.startsWith('./actions/')).map((s) => s.uses!);
    expect(actions(jobs.oke!)).toEqual(['./actions/oke-login', './actions/dapr-install', './actions/redpanda-topics', './actions/helm-deploy', './actions/verify-events']);
    expect(actions(jobs.local!)).toEqual(['./actions/dapr-install', './actions/redpanda-topics', './actions/helm-deploy', './actions/verify-events']);
    const ids = (job: Job): string[] => job.steps.map((s) => s.id).filter((id): id is string => !!id);
    expect(ids(jobs.oke!)).toEqual(['bundles', 'image', 'push', 'login', 'dapr', 'topics', 'secret', 'deploy', 'verify']);
    expect(ids(jobs.local!)).toEqual(['bundles', 'stack', 'dapr', 'topics', 'secret', 'deploy', 'app', 'verify']);
    // Values files as the issue says; the local job never builds an image.
    const deploy = (job: Job): Step => job.steps.find((s) => s.id === 'deploy')!;
    expect(String(deploy(jobs.oke!).with?.['values-files']).trim().split('\n')).toEqual(['chart/values.yaml', 'chart/values-oke.yaml']);
    expect(String(deploy(jobs.local!).with?.['values-files']).trim().split('\n')).toEqual(['chart/values.yaml', 'chart/values-local.yaml']);
    expect(jobs.local!.steps.some((s) => s.uses?.startsWith('docker/'))).toBe(false);
    // The local Kafka listener is SASL_PLAINTEXT: TLS is turned off explicitly, never by default.
    for (const id of ['topics', 'verify']) expect(jobs.local!.steps.find((s) => s.id === id)!.with?.tls).toBe(false);
    // One deploy at a time per environment; the oke environment carries the protection rules.
    expect(jobs.oke!.concurrency?.group).toBe('deploy-oke');
    expect(jobs.local!.concurrency?.group).toBe('deploy-local');
    expect(jobs.oke!.environment).toMatchObject({ name: 'oke' });
  });

  it('release.yml runs on vX.Y.Z tags only and publishes through scripts/release.ts', () => {
    const w = workflow('release.yml');
    expect(w.on).toEqual({ push: { tags: ['v[0-9]+.[0-9]+.[0-9]+'] } });
    expect(readFileSync(join(root, '.github', 'workflows', 'release.yml'), 'utf8')).toContain('scripts/release.ts');
  });
});
