import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { loadAll } from 'js-yaml';
import { stack } from '../../support/stack.js';
import { helmDeployCall, type ExpressionContext } from '../../support/workflow-render.js';

/**
 * The oke job has never run here (no Oracle Cloud, no Redpanda Cloud): this renders the chart with exactly
 * the values files and --set lines its deploy passes, read from deploy.yml and the deploy body it uses, with
 * its variables given test values. A template error, a missing value, or a `<no value>` fails it.
 */
const root = resolve(import.meta.dirname, '..', '..', '..');
const DIGEST = `sha256:${'c'.repeat(64)}`;
const ctx: ExpressionContext = {
  vars: { REDPANDA_BROKERS: 'seed-a.redpanda.example:9092,seed-b.redpanda.example:9092', REDPANDA_USERNAME: 'todo-deployer', APP_URL: 'https://todo.example.com', GHCR_PULL_USERNAME: '' },
  secrets: { REDPANDA_PASSWORD: 'pw', POSTGRES_CONNECTION_STRING: 'postgres://x', JWT_SIGNING_KEY: 'k', GITHUB_TOKEN: 't', GHCR_PULL_TOKEN: '' },
  github: { sha: 'd'.repeat(40), actor: 'octocat', server_url: 'https://github.com', repository: 'acme/todo', run_id: '1' },
  steps: {
    image: { ref: `ghcr.io/acme/todo@${DIGEST}`, platforms: 'linux/amd64,linux/arm64' },
    registry: { image: 'ghcr.io/acme/todo' },
    bundles: {},
    login: {},
  },
  // The deploy body's own step that splits image-ref (repository@digest).
  compositeSteps: { ref: { repository: 'ghcr.io/acme/todo', digest: DIGEST }, secret: { revision: '4711' } },
};

function template(call: { valuesFiles: string[]; sets: string[] }): { code: number; out: string } {
  const args = ['template', 'todo', join(root, 'chart'), '-n', 'todo', ...call.valuesFiles.flatMap((f) => ['-f', join(root, f)]), ...call.sets.flatMap((s) => ['--set', s])];
  const r = spawnSync(stack.helm().helm4, args, { encoding: 'utf8', maxBuffer: 32 * 1024 * 1024 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status === 0 && out.includes('<no value>')) return { code: 1, out: `a template printed <no value>:\n${out.split('\n').filter((l) => l.includes('<no value>')).join('\n')}` };
  return { code: r.status ?? 1, out };
}

describe('the oke job renders the chart', () => {
  it('renders with the values files and set lines deploy.yml passes: image by digest, brokers, user, pull secret', () => {
    const call = helmDeployCall(root, join(root, '.github', 'workflows', 'deploy.yml'), 'oke', ctx);
    expect(call.valuesFiles).toEqual(['chart/values.yaml', 'chart/values-oke.yaml']);
    const r = template(call);
    if (r.code !== 0) throw new Error(`helm template failed for the oke job's values:\n${r.out}`);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- rendered manifests are read field by field
    type Doc = Record<string, any>;
    const docs = (loadAll(r.out) as Array<Doc | null>).filter((d): d is Doc => !!d);
    const deployments = docs.filter((d) => d.kind === 'Deployment');
    expect(deployments).toHaveLength(2);
    for (const d of deployments) {
      expect(d.spec.template.spec.containers[0].image).toBe(`ghcr.io/acme/todo@${DIGEST}`);
      expect(d.spec.template.spec.imagePullSecrets).toEqual([{ name: 'app-registry' }]);
      expect(d.spec.template.metadata.annotations['oke-dapr-actions.io/secrets-revision']).toBe('4711');
    }
    const pubsub = docs.find((d) => d.kind === 'Component' && d.spec?.type === 'pubsub.kafka')!;
    const meta = Object.fromEntries((pubsub.spec.metadata as Array<{ name: string; value?: string }>).map((m) => [m.name, m.value]));
    expect(meta.brokers).toBe('seed-a.redpanda.example:9092,seed-b.redpanda.example:9092');
    expect(meta.saslUsername).toBe('todo-deployer');
    expect(meta.disableTls).toBe('false');
  });

  it('fails on the workflow before issue 17, which left pubsub.brokers empty (the check can fail)', () => {
    const call = helmDeployCall(root, join(root, 'test', 'fixtures', 'workflows', 'deploy-before-issue-17.yml'), 'oke', {
      ...ctx,
      steps: { ...ctx.steps, image: { name: 'ghcr.io/acme/todo' } },
    });
    const r = template(call);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/pubsub\.brokers is empty/);
  });

  it('names an expression the test values do not cover instead of rendering an empty value', () => {
    expect(() => helmDeployCall(root, join(root, '.github', 'workflows', 'deploy.yml'), 'oke', { ...ctx, vars: {} })).toThrow(/vars\.REDPANDA_BROKERS/);
  });

  it('a values file that leaves a required value empty fails, naming the value and the fix', () => {
    const call = helmDeployCall(root, join(root, '.github', 'workflows', 'deploy.yml'), 'oke', ctx);
    const r = template({ ...call, sets: call.sets.filter((s) => !s.startsWith('pubsub.sasl.username')) });
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/pubsub\.sasl\.username is empty while pubsub\.sasl\.enabled is true: set it/);
    const noRepo = template({ ...call, sets: [...call.sets, 'image.repository='] });
    expect(noRepo.out).toMatch(/image\.repository is empty: set it/);
    // A drain shorter than daprd's graceful shutdown: daprd would be killed before it leaves the consumer group.
    const shortDrain = template({ ...call, sets: [...call.sets, 'shutdown.terminationGracePeriodSeconds=10'] });
    expect(shortDrain.code).not.toBe(0);
    expect(shortDrain.out).toMatch(/dapr\.gracefulShutdownSeconds \(20\) must be below shutdown\.terminationGracePeriodSeconds \(10\)/);
  });
});
