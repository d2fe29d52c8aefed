/**
 * helm-deploy's diff against the real API server, with Helm 3 and Helm 4: a release with a Secret, a ConfigMap and
 * a Deployment; a plan that changes each (named in the diff, Secret values nowhere); a diff too large for the job
 * summary (cut there, whole in the file output); an apply after which a plan finds nothing to change; and the
 * pull-request comment through @actions/github against a local stand-in of the GitHub API.
 */
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKubeConfig } from '../../../src/kube/client.js';
import { runActionBundle, type ActionRun } from '../../support/action-harness.js';
import { helmMirror, type HelmMirror } from '../../support/helm-mirror.js';
import { stack } from '../../support/stack.js';
import { tempDir } from '../../support/temp.js';

const kubeconfig = stack.kubeconfig();
const kc = loadKubeConfig(kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const toolCache = tempDir('helm-diff-toolcache-');
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/**
 * The workspace: a chart with a Secret, a ConfigMap and a Deployment (0 replicas: the diff needs no pods). Some
 * fields are what the API server defaults or leaves out anyway (minReadySeconds: 0, "0.1" CPU), which a diff must
 * not report.
 */
const workspace = mkdtempSync(join(tmpdir(), 'helm-diff-ws-'));
mkdirSync(join(workspace, 'chart', 'templates'), { recursive: true });
writeFileSync(join(workspace, 'chart', 'Chart.yaml'), 'apiVersion: v2\nname: diff-demo\nversion: 0.1.0\nappVersion: "1.0"\n');
writeFileSync(join(workspace, 'chart', 'values.yaml'), 'image: localhost:16460/demo:1\nreplicas: 0\nconfig: {}\nsecret: {}\n');
writeFileSync(
  join(workspace, 'chart', 'templates', 'all.yaml'),
  `apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-creds
type: Opaque
stringData:
  {{- range $k, $v := .Values.secret }}
  {{ $k }}: {{ $v | quote }}
  {{- end }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-config
data:
  {{- range $k, $v := .Values.config }}
  {{ $k }}: {{ $v | quote }}
  {{- end }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicas }}
  minReadySeconds: 0
  selector:
    matchLabels: {app: {{ .Release.Name }}}
  template:
    metadata:
      labels: {app: {{ .Release.Name }}}
    spec:
      containers:
        - name: app
          image: {{ .Values.image }}
          imagePullPolicy: IfNotPresent
          ports: [{containerPort: 8080}]
          resources: {requests: {cpu: "0.1", memory: 64Mi}}
          envFrom:
            - configMapRef: {name: {{ .Release.Name }}-config}
            - secretRef: {name: {{ .Release.Name }}-creds}
`,
);

const OLD = { password: 'first-Passw0rd-xyz', user: 'app-user-7' };
const NEW = { password: 'second-Passw0rd-abc', apiKey: 'api-KEY-0123456789' };
const SECRET_VALUES = [OLD.password, NEW.password, NEW.apiKey, OLD.user];
const valuesFile = (name: string, values: Record<string, unknown>): string => {
  writeFileSync(join(workspace, name), JSON.stringify(values));
  return name;
};
const v1 = valuesFile('v1.json', { secret: { password: OLD.password, user: OLD.user }, config: { LOG_LEVEL: 'info', GREETING: 'hello' } });
const v2 = valuesFile('v2.json', { image: 'localhost:16460/demo:2', replicas: 2, secret: { password: NEW.password, user: OLD.user, 'api-key': NEW.apiKey }, config: { LOG_LEVEL: 'debug', GREETING: 'hello' } });
// About 600 KB of ConfigMap: its diff is far over the summary's 200 KiB share.
const huge = Array.from({ length: 12_000 }, (_, i) => `line ${String(i).padStart(5, '0')} ${'q'.repeat(40)}`).join('\n');
const v3 = valuesFile('v3.json', { secret: { password: OLD.password, user: OLD.user }, config: { LOG_LEVEL: 'info', GREETING: 'hello', BIG: huge } });

let mirror: HelmMirror;
const namespaces: string[] = [];

/** A stand-in for the GitHub REST API's issue comments, as @actions/github reaches it through GITHUB_API_URL. */
interface FakeGitHub {
  url: string;
  comments: Array<{ id: number; body: string }>;
  requests: string[];
  close(): Promise<void>;
}
async function fakeGitHub(): Promise<FakeGitHub> {
  const comments: Array<{ id: number; body: string }> = [];
  const requests: string[] = [];
  const body = async (req: IncomingMessage): Promise<{ body: string }> => {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    return JSON.parse(text) as { body: string };
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      requests.push(`${req.method} ${req.url?.split('?')[0]} ${req.headers.authorization ?? ''}`);
      const reply = (code: number, value: unknown) => res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      if (req.method === 'GET' && /^\/repos\/acme\/app\/issues\/5\/comments/.test(req.url ?? '')) return reply(200, comments);
      if (req.method === 'POST' && req.url === '/repos/acme/app/issues/5/comments') {
        const c = { id: comments.length + 100, ...(await body(req)) };
        comments.push(c);
        return reply(201, { ...c, html_url: `https://github.example/acme/app/pull/5#issuecomment-${c.id}` });
      }
      const patch = /^\/repos\/acme\/app\/issues\/comments\/(\d+)$/.exec(req.url ?? '');
      if (req.method === 'PATCH' && patch) {
        const c = comments.find((x) => x.id === Number(patch[1]));
        if (!c) return reply(404, { message: 'Not Found' });
        c.body = (await body(req)).body;
        return reply(200, c);
      }
      reply(404, { message: 'Not Found' });
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, comments, requests, close: () => new Promise((r) => server.close(() => r())) };
}

beforeAll(async () => {
  mirror = await helmMirror();
});
afterAll(async () => {
  await mirror.close();
  await Promise.all(namespaces.map((name) => core.deleteNamespace({ name }).catch(() => undefined)));
});

function helmDeploy(inputs: Record<string, string>, helmVersion: string, env: Record<string, string> = {}): Promise<ActionRun> {
  return runActionBundle('helm-deploy', 'main', { chart: 'chart', ...mirror.inputs(helmVersion), timeout: '60s', wait: 'false', 'rollback-on-failure': 'false', ...inputs }, { env: { KUBECONFIG: kubeconfig, GITHUB_WORKSPACE: workspace, RUNNER_TOOL_CACHE: toolCache, ...env } });
}

/** No Secret value, raw or base64, anywhere the run wrote: log, outputs, summary, and the diff file. */
function expectNoSecretValues(run: ActionRun): void {
  const file = run.outputs['diff-file'] ? readFileSync(run.outputs['diff-file'], 'utf8') : '';
  for (const v of SECRET_VALUES) {
    for (const form of [v, b64(v)]) {
      expect(run.everything()).not.toContain(form);
      expect(file).not.toContain(form);
    }
  }
}

describe.each([
  ['Helm 3', 'helm3'],
  ['Helm 4', 'helm4'],
] as const)('helm-deploy diff with %s', (_label, major) => {
  const version = (): string => mirror.versions[major];
  const namespace = `hd-diff-${major}-${randomUUID().slice(0, 6)}`;
  namespaces.push(namespace);
  const release = 'demo';

  it('installs: the diff lists the three resources as added', async () => {
    const run = await helmDeploy({ release, namespace, 'create-namespace': 'true', 'values-files': v1 }, version());
    expect(run.stdout).not.toMatch(/::error::/);
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ revision: '1', status: 'deployed', changes: '3' });
    expect(run.outputs.diff).toContain('### + Secret/demo-creds (added)');
    expect(run.outputs.diff).toContain('# Secret data (values are never shown): keys added: password, user');
    expect(run.outputs.diff).toContain('### + ConfigMap/demo-config (added)');
    expect(run.outputs.diff).toContain('### + Deployment/demo (added)');
    expect(run.summary).toContain('### Diff of release demo in namespace');
    expect(run.stdout).toMatch(/::group::Diff/);
    expectNoSecretValues(run);
  });

  it('plans a change of Secret keys, a ConfigMap value, the image and replicas: each named, no value shown, nothing changed', async () => {
    const run = await helmDeploy({ release, namespace, 'values-files': v2, mode: 'plan' }, version());
    expect(run.stdout).not.toMatch(/::error::/);
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ revision: '1', status: 'deployed', changes: '3' });
    const diff = run.outputs.diff!;
    expect(diff).toContain(`# Diff of release demo in namespace ${namespace}: 3 changed, 0 added, 0 removed, 0 unchanged`);
    expect(diff).toContain('### ~ Secret/demo-creds (changed)');
    expect(diff).toContain('# Secret data (values are never shown): keys added: api-key; changed: password');
    expect(diff).toMatch(/^-\s+LOG_LEVEL: info$/m);
    expect(diff).toMatch(/^\+\s+LOG_LEVEL: debug$/m);
    expect(diff).not.toMatch(/^[-+]\s+GREETING/m);
    expect(diff).toMatch(/^- {2}replicas: 0$/m);
    expect(diff).toMatch(/^\+ {2}replicas: 2$/m);
    expect(diff).toMatch(/^-\s+image: localhost:16460\/demo:1$/m);
    expect(diff).toMatch(/^\+\s+image: localhost:16460\/demo:2$/m);
    // Defaults the API server added (strategy, protocol, terminationMessagePath) and its bookkeeping are not diffs.
    expect(diff).not.toMatch(/strategy|protocol|terminationMessagePath|managedFields|resourceVersion|meta\.helm\.sh/);
    expect(readFileSync(run.outputs['diff-file']!, 'utf8')).toBe(diff);
    expect(statSync(run.outputs['diff-file']!).mode & 0o777).toBe(0o600);
    expect(run.summary).toContain('## helm-deploy: demo plan');
    expect(run.summary).toContain('<summary><code>~ Secret/demo-creds</code> changed</summary>');
    expectNoSecretValues(run);
    // A plan changes nothing.
    const d = await apps.readNamespacedDeployment({ name: release, namespace });
    expect([d.spec?.replicas, d.spec?.template.spec?.containers[0]?.image]).toEqual([0, 'localhost:16460/demo:1']);
    const s = await core.readNamespacedSecret({ name: 'demo-creds', namespace });
    expect(Object.keys(s.data ?? {}).sort()).toEqual(['password', 'user']);
  });

  it('a diff over the summary\'s limit is cut there with a marker; the file output holds all of it', async () => {
    const run = await helmDeploy({ release, namespace, 'values-files': v3, mode: 'plan' }, version());
    expect(run.code).toBe(0);
    expect(run.outputs.changes).toBe('1');
    expect(Buffer.byteLength(run.summary)).toBeLessThan(1024 * 1024);
    expect(run.summary).toMatch(/\*\*Diff cut:\*\* 0 of 1 changed resource\(s\) shown in full, to stay under the size limit; the full diff is in the file named by the step output `diff-file`/);
    expect(Buffer.byteLength(run.outputs.diff!)).toBeLessThanOrEqual(256 * 1024);
    expect(run.outputs.diff).toContain('... diff cut here to stay under the output size limit; the full diff is in the file named by the step output `diff-file`');
    const file = readFileSync(run.outputs['diff-file']!, 'utf8');
    expect(file.split('\n').filter((l) => /^\+\s+line \d{5} q{40}$/.test(l))).toHaveLength(12_000);
    expectNoSecretValues(run);
  });

  it('applies the change (the diff first), after which a plan finds nothing to change', async () => {
    const applied = await helmDeploy({ release, namespace, 'values-files': v2 }, version());
    expect(applied.code).toBe(0);
    expect(applied.outputs).toMatchObject({ revision: '2', status: 'deployed', changes: '3' });
    expectNoSecretValues(applied);
    const plan = await helmDeploy({ release, namespace, 'values-files': v2, mode: 'plan' }, version());
    expect(plan.code).toBe(0);
    expect(plan.outputs.changes).toBe('0');
    expect(plan.outputs.diff).toContain('0 changed, 0 added, 0 removed, 3 unchanged');
    expect(plan.summary).toContain('the upgrade changes nothing');
  });

  it('comment-on-pr: one comment on the pull request, updated by the next run', async () => {
    const gh = await fakeGitHub();
    try {
      const event = join(workspace, `event-${major}.json`);
      writeFileSync(event, JSON.stringify({ pull_request: { number: 5 } }));
      const env = { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: event, GITHUB_REPOSITORY: 'acme/app', GITHUB_API_URL: gh.url, GITHUB_SERVER_URL: 'https://github.example', GITHUB_RUN_ID: '1' };
      const inputs = { release, namespace, mode: 'plan', 'comment-on-pr': 'true', 'github-token': 'ghs_fake_token_123' };
      const first = await helmDeploy({ ...inputs, 'values-files': v1 }, version(), env);
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(/comment-on-pr: created the diff comment on pull request #5/);
      const second = await helmDeploy({ ...inputs, 'values-files': v2 }, version(), env);
      expect(second.stdout).toMatch(/comment-on-pr: updated the diff comment on pull request #5/);
      expect(gh.comments).toHaveLength(1);
      const body = gh.comments[0]!.body;
      expect(body.startsWith(`<!-- oke-dapr-actions:helm-diff:demo/${namespace} -->\n`)).toBe(true);
      expect(body).toContain('0 changed, 0 added, 0 removed, 3 unchanged'); // v2 is what is live now
      expect(gh.requests.every((r) => r.endsWith('token ghs_fake_token_123'))).toBe(true);
      for (const v of SECRET_VALUES) expect(body).not.toContain(v);
      expect(first.everything()).not.toContain('ghs_fake_token_123');

      // A refused comment is a warning; the plan still succeeds.
      const refused = await helmDeploy({ ...inputs, 'values-files': v2 }, version(), { ...env, GITHUB_REPOSITORY: 'acme/other' });
      expect(refused.code).toBe(0);
      expect(refused.stdout).toMatch(/::warning::comment-on-pr: could not post the diff on pull request #5: /);
    } finally {
      await gh.close();
    }
  });
});
