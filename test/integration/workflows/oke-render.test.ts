import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { load, loadAll } from 'js-yaml';
import { stack } from '../../support/stack.js';
import { helmDeployCall, type ExpressionContext } from '../../support/workflow-render.js';

/**
 * The oke jobs have never run here (no Oracle Cloud, no Redpanda Cloud): this renders the chart with exactly
 * the values files and --set lines the oke job's deploy passes, read from deploy.yml and the deploy body it
 * uses, with its variables given test values. The image comes as the oke-image job's outputs (evaluated from
 * its `outputs:` against its image step's test outputs), and the body's own Kafka settings and image-parts
 * steps really run. A template error, a missing value, or a `<no value>` fails it.
 */
const root = resolve(import.meta.dirname, '..', '..', '..');
const deployYml = join(root, '.github', 'workflows', 'deploy.yml');
const DIGEST = `sha256:${'c'.repeat(64)}`;
const ctx: ExpressionContext = {
  vars: { REDPANDA_BROKERS: 'seed-a.redpanda.example:9092,seed-b.redpanda.example:9092', REDPANDA_USERNAME: 'todo-deployer', REDPANDA_APP_USERNAME: '', REDPANDA_SASL_MECHANISM: '', APP_URL: 'https://todo.example.com', GHCR_PULL_USERNAME: '' },
  secrets: { REDPANDA_PASSWORD: 'pw', REDPANDA_APP_PASSWORD: '', POSTGRES_CONNECTION_STRING: 'postgres://x', JWT_SIGNING_KEY: 'k', GITHUB_TOKEN: 't', GHCR_PULL_TOKEN: '' },
  github: { sha: 'd'.repeat(40), actor: 'octocat', server_url: 'https://github.com', repository: 'acme/todo', run_id: '1' },
  steps: { bundles: {}, login: {} },
  // The image job's app-image step, as the deploy job sees it through needs.oke-image.outputs.
  jobs: { 'oke-image': { image: { ref: `ghcr.io/acme/todo@${DIGEST}`, digest: DIGEST, platforms: 'linux/amd64,linux/arm64' } } },
  runCompositeSteps: ['kafka', 'ref'],
  compositeSteps: { secret: { revision: '4711' } },
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
    const call = helmDeployCall(root, deployYml, 'oke', ctx);
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
    expect(meta.saslMechanism).toBe('SHA-256');
    expect(meta.disableTls).toBe('false');
  });

  it('deploys the digest the oke-image job pushed, and refuses a ref that is not by digest', () => {
    const call = helmDeployCall(root, deployYml, 'oke', ctx);
    expect(call.sets).toEqual(expect.arrayContaining(['image.repository=ghcr.io/acme/todo', `image.digest=${DIGEST}`]));
    // A tag instead of a digest in the image job's output: the chart's digest check stops the deploy.
    const byTag = helmDeployCall(root, deployYml, 'oke', { ...ctx, jobs: { 'oke-image': { image: { ref: 'ghcr.io/acme/todo:v1', digest: '', platforms: '' } } } });
    const r = template(byTag);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/image\.digest "ghcr\.io\/acme\/todo:v1" is not a digest/);
    // Without the image job's outputs there is nothing to deploy: the render names what is missing.
    expect(() => helmDeployCall(root, deployYml, 'oke', { ...ctx, jobs: {} })).toThrow(/needs oke-image: give the outputs of its steps/);
  });

  it('one SASL mechanism: REDPANDA_SASL_MECHANISM reaches the app\'s Dapr component as Dapr spells it, and the actions as is', () => {
    const render = (mechanism: string): Record<string, string | undefined> => {
      const r = template(helmDeployCall(root, deployYml, 'oke', { ...ctx, vars: { ...ctx.vars, REDPANDA_SASL_MECHANISM: mechanism } }));
      if (r.code !== 0) throw new Error(r.out);
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- rendered manifests are read field by field
      const pubsub = (loadAll(r.out) as Array<Record<string, any> | null>).find((d) => d?.kind === 'Component' && d.spec?.type === 'pubsub.kafka')!;
      return Object.fromEntries((pubsub.spec.metadata as Array<{ name: string; value?: string }>).map((m) => [m.name, m.value]));
    };
    expect(render('scram-sha-512').saslMechanism).toBe('SHA-512');
    expect(render('plain').saslMechanism).toBe('PLAINTEXT');
    // Dapr reads any value it does not know as SASL PLAIN: a wrong one must stop the deploy before any change.
    expect(() => helmDeployCall(root, deployYml, 'oke', { ...ctx, vars: { ...ctx.vars, REDPANDA_SASL_MECHANISM: 'SCRAM-SHA-256' } })).toThrow(
      /kafka-sasl-mechanism is "SCRAM-SHA-256": give the mechanism the Kafka users were created with, scram-sha-256, scram-sha-512 or plain/,
    );
    // Every step of the body that talks to Kafka takes the same input; the oke job fills it from the variable.
    type Step = { id?: string; uses?: string; with?: Record<string, unknown>; env?: Record<string, string> };
    const body = load(readFileSync(join(root, '.github', 'actions', 'deploy', 'action.yml'), 'utf8')) as { runs: { steps: Step[] } };
    const kafkaSteps = body.runs.steps.filter((s) => s.uses === './actions/redpanda-topics' || s.uses === './actions/verify-events');
    expect(kafkaSteps).toHaveLength(2);
    for (const s of kafkaSteps) expect(s.with?.['sasl-mechanism']).toBe('${{ inputs.kafka-sasl-mechanism }}');
    const wf = load(readFileSync(deployYml, 'utf8')) as { jobs: Record<string, { steps: Step[] }> };
    expect(wf.jobs.oke!.steps.find((s) => s.uses === './.github/actions/deploy')?.with?.['kafka-sasl-mechanism']).toBe("${{ vars.REDPANDA_SASL_MECHANISM || 'scram-sha-256' }}");
  });

  it('the app\'s own Kafka user when REDPANDA_APP_USERNAME is set (its password goes into the app\'s Secret), else the pipeline\'s', () => {
    const withApp = { ...ctx, vars: { ...ctx.vars, REDPANDA_APP_USERNAME: 'todo-app' }, secrets: { ...ctx.secrets, REDPANDA_APP_PASSWORD: 'app-pw' } };
    expect(helmDeployCall(root, deployYml, 'oke', withApp).sets).toContain('pubsub.sasl.username=todo-app');
    expect(helmDeployCall(root, deployYml, 'oke', ctx).sets).toContain('pubsub.sasl.username=todo-deployer');
    expect(() => helmDeployCall(root, deployYml, 'oke', { ...withApp, secrets: { ...withApp.secrets, REDPANDA_APP_PASSWORD: '' } })).toThrow(/app-kafka-username is set but app-kafka-password is empty/);
    expect(() => helmDeployCall(root, deployYml, 'oke', { ...withApp, vars: { ...withApp.vars, REDPANDA_APP_USERNAME: '' } })).toThrow(/app-kafka-password is set but app-kafka-username is empty/);
    type Step = { id?: string; env?: Record<string, string> };
    const body = load(readFileSync(join(root, '.github', 'actions', 'deploy', 'action.yml'), 'utf8')) as { runs: { steps: Step[] } };
    expect(body.runs.steps.find((s) => s.id === 'secret')?.env?.KAFKA_PASSWORD).toBe('${{ inputs.app-kafka-password || inputs.kafka-password }}');
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
    expect(() => helmDeployCall(root, deployYml, 'oke', { ...ctx, vars: {} })).toThrow(/vars\.REDPANDA_BROKERS/);
  });

  it('a values file that leaves a required value empty fails, naming the value and the fix', () => {
    const call = helmDeployCall(root, deployYml, 'oke', ctx);
    const r = template({ ...call, sets: call.sets.filter((s) => !s.startsWith('pubsub.sasl.username')) });
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/pubsub\.sasl\.username is empty while pubsub\.sasl\.enabled is true: set it/);
    const noRepo = template({ ...call, sets: [...call.sets, 'image.repository='] });
    expect(noRepo.out).toMatch(/image\.repository is empty: set it/);
    // A grace period shorter than the pod's shutdown (daprd's block, then its own shutdown): daprd would be killed
    // before it leaves the consumer group.
    const shortDrain = template({ ...call, sets: [...call.sets, 'shutdown.terminationGracePeriodSeconds=10'] });
    expect(shortDrain.code).not.toBe(0);
    expect(shortDrain.out).toMatch(/shutdown\.terminationGracePeriodSeconds \(10\) must outlast the pod's longest shutdown, 42 s: .* dapr\.gracefulShutdownSeconds \(20\).* Set shutdown\.terminationGracePeriodSeconds to 43 or more/);
  });
});
