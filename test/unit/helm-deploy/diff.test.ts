import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeRest } from '../../../src/kube/rest.js';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffStep } from '../../../src/actions/helm-deploy/deploy.js';
import { planDiff, type DiffDeps } from '../../../src/actions/helm-deploy/diff.js';
import { Timings } from '../../../src/core/groups.js';
import { parseHelmDeployInputs } from '../../../src/actions/helm-deploy/inputs.js';
import { Inputs, objectInputs } from '../../../src/core/inputs.js';
import { Secrets } from '../../../src/core/secrets.js';
import type { CommentsApi, IssueComment } from '../../../src/github/pr-comment.js';
import type { UpgradeOptions } from '../../../src/helm/args.js';
import type { DiffSources } from '../../../src/helm/diff-source.js';
import type { Helm } from '../../../src/helm/helm.js';
import { RecordingLogger } from '../../support/recording-logger.js';

const temp = mkdtempSync(join(tmpdir(), 'helm-diff-plan-'));
const upgrade: UpgradeOptions = { release: 'todo', chart: '/w/chart', namespace: 'apps', createNamespace: false, valuesFiles: [], set: [], setString: [], setFile: [], timeoutMs: 60_000, wait: true, rollbackOnFailure: true, dryRun: false };
const b64 = (s: string): string => Buffer.from(s).toString('base64');
// planDiff reaches Helm and the cluster only through DiffSources when none are given: tests always give them.
const helm = {} as Helm;
const kc = {} as KubeConfig;

const cm = (name: string, value: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}}\ndata:\n  v: ${JSON.stringify(value)}\n`;
const SECRET = 'apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {password: brand-new-pw}\n';
function sources(proposed: string): DiffSources {
  return {
    proposed: async () => proposed,
    previous: async () => `${SECRET.replace('brand-new-pw', 'older-pw-1')}---\n${cm('cfg', 'one')}`,
    read: async (ref) =>
      ref.kind === 'Secret'
        ? { state: 'found', object: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'apps' }, data: { password: b64('older-pw-1') } } }
        : ref.name === 'cfg'
          ? { state: 'found', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'apps' }, data: { v: 'one' } } }
          : { state: 'absent' },
  };
}

class FakeComments implements CommentsApi {
  readonly comments: IssueComment[] = [];
  constructor(private readonly fail?: string) {}
  list = async (): Promise<IssueComment[]> => {
    if (this.fail) throw new Error(this.fail);
    return this.comments;
  };
  create = async (_issue: number, body: string): Promise<IssueComment> => {
    const c = { id: this.comments.length + 1, body, html_url: 'https://github.example/c' };
    this.comments.push(c);
    return c;
  };
  update = async (id: number, body: string): Promise<IssueComment> => Object.assign(this.comments.find((c) => c.id === id)!, { body });
}

function deps(extra: Partial<DiffDeps> & { env?: NodeJS.ProcessEnv; secrets?: Secrets } = {}): DiffDeps {
  const { env, secrets, ...rest } = extra;
  return { step: { secrets: secrets ?? new Secrets(), env: { RUNNER_TEMP: temp, ...env } }, ...rest };
}

describe('planDiff (helm-deploy)', () => {
  it('writes the whole diff to a 0600 file, and the summary, output and count from it; no Secret value anywhere', async () => {
    const log = new RecordingLogger();
    const secrets = new Secrets();
    secrets.add('registered-secret-value');
    const r = await planDiff(upgrade, { commentOnPr: false }, helm, kc, deps({ sources: sources(`${SECRET}---\n${cm('cfg', 'two registered-secret-value')}---\n${cm('new', 'x')}`), secrets }), log);
    expect(r.counts).toEqual({ added: 1, changed: 2, removed: 0, unknown: 0, unchanged: 0 });
    expect(r.changes).toBe(3);
    expect(statSync(r.file).mode & 0o777).toBe(0o600);
    expect(r.file.startsWith(join(temp, 'helm-deploy-diff-'))).toBe(true);
    const file = readFileSync(r.file, 'utf8');
    expect(file).toBe(r.output);
    expect(file).toContain('# Secret data (values are never shown): keys changed: password');
    expect(file).toContain('+  v: two ***');
    expect(r.markdown).toContain('<summary><code>~ Secret/db</code> changed</summary>');
    for (const text of [file, r.markdown, log.text()]) for (const v of ['brand-new-pw', 'older-pw-1', b64('brand-new-pw'), b64('older-pw-1'), 'registered-secret-value']) expect(text).not.toContain(v);
    expect(log.text()).toContain('3 resource(s) compared: 2 changed, 1 added, 0 removed, 0 unchanged');
    expect(r.cut).toBe(false);
    expect(r.comment).toBeUndefined();
  });

  it('a diff too large for the summary is cut there with a marker; the file holds all of it', async () => {
    const huge = Array.from({ length: 30_000 }, (_, i) => `row ${i} ${'z'.repeat(30)}`).join('\n');
    const r = await planDiff(upgrade, { commentOnPr: false }, helm, kc, deps({ sources: sources(`${SECRET}---\n${cm('cfg', huge)}`) }), new RecordingLogger());
    expect(r.cut).toBe(true);
    expect(Buffer.byteLength(r.markdown)).toBeLessThanOrEqual(200 * 1024);
    expect(r.markdown).toMatch(/\*\*Diff cut:\*\* \d+ of 2 changed resource\(s\) shown in full, to stay under the size limit; the full diff is in the file named by the step output `diff-file`/);
    expect(Buffer.byteLength(r.output)).toBeLessThanOrEqual(256 * 1024);
    expect(r.output).toContain('... diff cut here to stay under the output size limit');
    const file = readFileSync(r.file, 'utf8');
    expect(file).toContain(`row 29999 ${'z'.repeat(30)}`);
    expect(file.split('\n').filter((l) => l.startsWith('+    row '))).toHaveLength(30_000);
  });

  it('comment-on-pr on a pull request: one comment, updated by the next run', async () => {
    const event = join(temp, 'event.json');
    writeFileSync(event, JSON.stringify({ pull_request: { number: 5 } }));
    const env = { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: event, GITHUB_REPOSITORY: 'acme/app', GITHUB_SERVER_URL: 'https://github.example', GITHUB_RUN_ID: '77' };
    const api = new FakeComments();
    const tokens: string[] = [];
    const comments = async (token: string) => (tokens.push(token), api);
    const log = new RecordingLogger();
    const first = await planDiff(upgrade, { commentOnPr: true, githubToken: 'ghs_token' }, helm, kc, deps({ sources: sources(SECRET), env, comments }), log);
    const second = await planDiff(upgrade, { commentOnPr: true, githubToken: 'ghs_token' }, helm, kc, deps({ sources: sources(`${SECRET}---\n${cm('cfg', 'three')}`), env, comments }), log);
    expect(tokens).toEqual(['ghs_token', 'ghs_token']);
    expect(first.comment).toBe('created on pull request #5 (https://github.example/c)');
    expect(second.comment).toBe('updated on pull request #5 (https://github.example/c)');
    expect(api.comments).toHaveLength(1);
    const body = api.comments[0]!.body!;
    expect(body.startsWith('<!-- oke-dapr-actions:helm-diff:todo/apps -->\n### helm-deploy: Diff of release todo in namespace apps')).toBe(true);
    expect(body).toContain('ConfigMap/cfg');
    expect(body).not.toMatch(/brand-new-pw|older-pw-1/);
  });

  it('a comment that cannot be posted is a warning; outside a pull request nothing is posted', async () => {
    const event = join(temp, 'event2.json');
    writeFileSync(event, JSON.stringify({ number: 5 }));
    const log = new RecordingLogger();
    const refused = await planDiff(upgrade, { commentOnPr: true, githubToken: 't' }, helm, kc, deps({ sources: sources(SECRET), env: { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: event, GITHUB_REPOSITORY: 'acme/app' }, comments: async () => new FakeComments('Resource not accessible by integration') }), log);
    expect(refused.comment).toBe('not posted: Resource not accessible by integration');
    expect(log.text()).toContain('warning: comment-on-pr: could not post the diff on pull request #5: Resource not accessible by integration. The job needs `permissions: pull-requests: write`');
    const calls: string[] = [];
    const push = await planDiff(upgrade, { commentOnPr: true, githubToken: 't' }, helm, kc, deps({ sources: sources(SECRET), env: { GITHUB_EVENT_NAME: 'push' }, comments: async () => (calls.push('api'), new FakeComments()) }), log);
    expect(push.comment).toBe('not posted: the event is "push", not a pull request');
    expect(calls).toEqual([]);
  });
});

describe('helm-deploy diff inputs', () => {
  const ws = mkdtempSync(join(tmpdir(), 'helm-diff-inputs-'));
  mkdirSync(join(ws, 'chart'));
  writeFileSync(join(ws, 'chart', 'Chart.yaml'), 'apiVersion: v2\nname: c\nversion: 0.1.0\n');
  const parse = (values: Record<string, string>, secrets = new Secrets()) => parseHelmDeployInputs(new Inputs(objectInputs({ release: 'todo', chart: 'chart', ...values })), secrets, { GITHUB_WORKSPACE: ws }, 'linux-amd64');

  it.each<[Record<string, string>, object]>([
    [{}, { mode: 'apply', diff: true, commentOnPr: false, githubToken: undefined }],
    [{ mode: 'PLAN' }, { mode: 'plan', diff: true }],
    [{ diff: 'false' }, { mode: 'apply', diff: false }],
    [{ 'comment-on-pr': 'true', 'github-token': 'ghs_abcdef' }, { commentOnPr: true, githubToken: 'ghs_abcdef' }],
  ])('%j', (values, expected) => expect(parse(values)).toMatchObject(expected));

  it('masks the token at once', () => {
    const secrets = new Secrets();
    parse({ 'github-token': 'ghs_abcdef' }, secrets);
    expect(secrets.list()).toContain('ghs_abcdef');
  });

  it.each<[Record<string, string>, string]>([
    [{ mode: 'destroy' }, 'mode: "destroy" is not one of the allowed values. Fix: use one of: apply, plan'],
    [{ mode: 'plan', diff: 'false' }, 'diff: is false while mode is plan, which only computes the diff. Fix: leave diff at true, or use mode: apply'],
    [{ mode: 'plan', 'dry-run': 'true' }, 'dry-run: is true while mode is plan; a plan changes nothing already'],
    [{ 'comment-on-pr': 'true', diff: 'false', 'github-token': 't0ken' }, 'comment-on-pr: is true while diff is false: there is no diff to post'],
    [{ 'comment-on-pr': 'true' }, 'github-token: is empty while comment-on-pr is true'],
  ])('refuses %j', (values, message) => expect(() => parse(values)).toThrow(message));
});

describe('the diff step of a deploy', () => {
  const failing: DiffSources = { proposed: async () => Promise.reject(new Error('helm dry run of todo for the diff failed: boom')), previous: async () => undefined, read: async () => ({ state: 'absent' }) };
  const run = (mode: 'apply' | 'plan', sources: DiffSources, log = new RecordingLogger()) =>
    diffStep({ upgrade, recoverPending: false, mode, diff: { commentOnPr: false } }, { helm, kube: { kubeConfig: async () => kc } as unknown as KubeRest, log, timings: new Timings(), diff: deps({ sources }) });

  it('before an apply, a diff that fails is a warning and the deploy goes on', async () => {
    const log = new RecordingLogger();
    expect(await run('apply', failing, log)).toEqual({ diffError: 'helm dry run of todo for the diff failed: boom' });
    expect(log.text()).toContain('warning: diff: could not compute what the upgrade changes (helm dry run of todo for the diff failed: boom); deploying without it');
  });

  it('in plan mode, it fails the step', async () => {
    await expect(run('plan', failing)).rejects.toThrow('helm dry run of todo for the diff failed: boom');
  });

  it('runs in a Diff log group and returns the report', async () => {
    const log = new RecordingLogger();
    const r = await run('plan', sources(SECRET), log);
    expect(r.diff?.counts).toMatchObject({ changed: 1, removed: 1 }); // the Secret's password; the ConfigMap the chart dropped
    expect(r.diff?.changes).toBe(2);
    expect(log.lines[0]).toBe('::group::Diff');
    expect(log.lines.at(-1)).toBe('::endgroup::');
  });
});
