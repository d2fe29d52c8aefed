import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseVerifyInputs, type RollbackSettings, type VerifyInputs } from '../../../src/actions/verify-events/inputs.js';
import { decideRollback, rollBack, waitForReplacedPods, type RollbackHelm } from '../../../src/actions/verify-events/rollback.js';
import { failureOf, run, type VerifyEventsDeps } from '../../../src/actions/verify-events/run.js';
import { outputsOf, renderSummary } from '../../../src/actions/verify-events/summary.js';
import type { VerifyResult } from '../../../src/actions/verify-events/verify.js';
import { ConfigurationError, OperationError } from '../../../src/core/errors.js';
import { Timings } from '../../../src/core/groups.js';
import { Inputs, objectInputs } from '../../../src/core/inputs.js';
import { Secrets } from '../../../src/core/secrets.js';
import type { Revision } from '../../../src/helm/release.js';
import { RecordingLogger } from '../../support/recording-logger.js';

/** rollback-on-failure: its inputs, when it rolls back, the rollback through a fake Helm, and what the step reports. */
const workspace = mkdtempSync(join(tmpdir(), 've-rollback-'));
const kubeconfig = join(workspace, 'kubeconfig');
writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
const env = { RUNNER_TEMP: join(workspace, 'tmp'), GITHUB_WORKSPACE: workspace };
const base = { brokers: '127.0.0.1:19093', 'sasl-mechanism': 'none', tls: 'false', 'app-id': 'todo-worker', 'probe-topic': 'task-events', 'reply-topic': 'task-updates' };
const parse = (extra: Record<string, string>): VerifyInputs => parseVerifyInputs(new Inputs(objectInputs({ ...base, ...extra })), new Secrets(), env, 'linux-amd64');
const ON = { release: 'todo', 'release-namespace': 'apps', 'rollback-on-failure': 'true', 'rollback-to-revision': '6' };

describe('verify-events rollback inputs', () => {
  it('rollback-on-failure with release, namespace and revision: the settings, helm pinned by default', () => {
    const i = parse({ ...ON, 'rollback-timeout': '90s', kubeconfig });
    expect(i.release).toEqual({ name: 'todo', namespace: 'apps' });
    expect(i.rollback).toMatchObject({ release: 'todo', namespace: 'apps', revision: 6, timeoutMs: 90_000, kubeconfig });
    expect(i.rollback!.helm).toMatchObject({ version: '4.2.3' });
  });

  it('off by default: no rollback settings, the release still named for the summary', () => {
    const i = parse({ release: 'todo' });
    expect(i.rollback).toBeUndefined();
    expect(i.release).toEqual({ name: 'todo', namespace: 'default' });
    expect(parse({}).release).toBeUndefined();
    // action.yml's defaults arrive as inputs: they alone change nothing.
    const defaults = parse({ 'release-namespace': 'default', 'rollback-on-failure': 'false', 'rollback-timeout': '5m', 'helm-version': '4.2.3', 'helm-base-url': 'https://get.helm.sh', 'allow-insecure-download': 'false' });
    expect([defaults.release, defaults.rollback]).toEqual([undefined, undefined]);
  });

  it('a first install (empty rollback-to-revision) is accepted: nothing to roll back to', () => {
    const i = parse({ ...ON, 'rollback-to-revision': '' });
    expect(i.rollback).toMatchObject({ release: 'todo', revision: undefined });
  });

  it('helm-version preinstalled', () => {
    expect(parse({ ...ON, 'helm-version': 'preinstalled' }).rollback!.helm).toEqual({ version: 'preinstalled' });
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['rollback without release', { 'rollback-on-failure': 'true', 'rollback-to-revision': '3' }, /release: is required when rollback-on-failure is true/],
    ['a release name Helm refuses', { ...ON, release: 'Todo_App' }, /release: .*Todo_App/],
    ['a namespace that is no label', { ...ON, 'release-namespace': 'Apps.x' }, /release-namespace: .*Apps\.x/],
    ['revision zero', { ...ON, 'rollback-to-revision': '0' }, /rollback-to-revision: "0" is not a Helm revision \(a whole number from 1\)/],
    ['revision not a number', { ...ON, 'rollback-to-revision': 'v5' }, /rollback-to-revision: "v5" is not a Helm revision.*previous-revision/],
    ['revision negative', { ...ON, 'rollback-to-revision': '-2' }, /rollback-to-revision: "-2" is not a Helm revision/],
    ['rollback-on-failure not a boolean', { ...ON, 'rollback-on-failure': 'yes please' }, /rollback-on-failure/],
    ['rollback-to-revision with rollback off', { release: 'todo', 'rollback-to-revision': '4' }, /rollback-to-revision: is set while rollback-on-failure is false/],
    ['kubeconfig with rollback off', { release: 'todo', kubeconfig }, /kubeconfig: is set while rollback-on-failure is false/],
    ['a rollback-timeout that is no duration', { ...ON, 'rollback-timeout': 'soon' }, /rollback-timeout/],
    ['helm 2', { ...ON, 'helm-version': '2.17.0' }, /helm-version: Helm 2\.17\.0 is not supported/],
    ['a kubeconfig that does not exist', { ...ON, kubeconfig: join(workspace, 'nope') }, /kubeconfig: /],
    ['a kubeconfig outside the workspace', { ...ON, kubeconfig: '/etc/hostname' }, /kubeconfig: .*outside/i],
  ])('refuses %s before any probe', (_name, extra, message) => {
    expect(() => parse(extra)).toThrow(ConfigurationError);
    expect(() => parse(extra)).toThrow(message);
  });

  it('reports every problem at once', () => {
    expect(() => parse({ 'rollback-on-failure': 'true', 'rollback-to-revision': 'x', 'rollback-timeout': 'soon' })).toThrow(/^3 problems:(?=[\s\S]*release: is required)(?=[\s\S]*rollback-to-revision: "x")(?=[\s\S]*rollback-timeout: "soon")/);
  });
});

const passed: VerifyResult = { ok: true, verdict: '3 of 3 probe(s) made the round trip', sent: 3, acknowledged: 3, stats: { p50: 5, p95: 9, max: 9 }, probes: [] };
const lost: VerifyResult = { ok: false, verdict: '3 of 3 probe(s) were consumed but not acknowledged', next: 'look at the handler', sent: 3, acknowledged: 0, probes: [] };
const slow: VerifyResult = { ok: false, verdict: 'too slow: p95 900 ms is over max-p95-ms 100', next: 'look at latency', sent: 3, acknowledged: 3, stats: { p50: 800, p95: 900, max: 900 }, probes: [] };
const unreachable: VerifyResult = { ok: false, verdict: 'connecting to Kafka failed', sent: 0, acknowledged: 0, probes: [], error: new OperationError('connecting to Kafka failed', { hint: 'check brokers' }) };
const settings = (revision?: number): RollbackSettings => ({ release: 'todo', namespace: 'apps', revision, timeoutMs: 60_000, helm: { version: 'preinstalled' } });

describe('decideRollback', () => {
  it.each<[string, VerifyResult, RollbackSettings | undefined, { roll: boolean; revision?: number; reason?: RegExp }]>([
    ['passed: nothing to undo', passed, settings(6), { roll: false }],
    ['failed, rollback off', lost, undefined, { roll: false }],
    ['probes lost: roll back', lost, settings(6), { roll: true, revision: 6 }],
    ['too slow: roll back', slow, settings(2), { roll: true, revision: 2 }],
    ['could not verify (Kafka unreachable): not the release\'s fault', unreachable, settings(6), { roll: false, reason: /could not run/ }],
    ['a first install: nothing before it', lost, settings(undefined), { roll: false, reason: /rollback-to-revision is empty/ }],
  ])('%s', (_n, first, s, want) => {
    const d = decideRollback(first, s);
    expect(d.roll).toBe(want.roll);
    if (d.roll) expect(d.revision).toBe(want.revision);
    else if (want.reason) expect(d.reason).toMatch(want.reason);
    else expect(d.reason).toBeUndefined();
  });
});

const rev = (revision: number, status: Revision['status'], description = ''): Revision => ({ revision, status, chart: 'todo-0.1.0', appVersion: '0.1.0', updated: '', description });

/** A Helm whose history and rollback are scripted; it records what it was asked. */
function fakeHelm(histories: Revision[][], rollbackError?: Error) {
  const calls: string[] = [];
  let n = 0;
  const helm: RollbackHelm = {
    history: async (r, ns) => (calls.push(`history ${r} ${ns}`), histories[Math.min(n++, histories.length - 1)]!),
    rollback: async (r, ns, to, t) => {
      calls.push(`rollback ${r} ${ns} ${to} ${t}`);
      if (rollbackError) throw rollbackError;
    },
  };
  return { helm, calls };
}

describe('rollBack', () => {
  const deployed = [rev(5, 'superseded'), rev(6, 'superseded'), rev(7, 'deployed')];
  const after = [...deployed.slice(0, 2), rev(7, 'superseded'), rev(8, 'deployed', 'Rollback to 6')];

  it('rolls back, waits (helm --wait) and names the revision the rollback made', async () => {
    const f = fakeHelm([deployed, after]);
    const o = await rollBack(settings(6), 6, async () => f.helm, new RecordingLogger());
    expect(f.calls).toEqual(['history todo apps', 'rollback todo apps 6 60000', 'history todo apps']);
    expect(o).toEqual({ release: 'todo', namespace: 'apps', revision: 6, status: 'done', madeRevision: 8 });
  });

  it.each<[string, number, Revision[][], Error | undefined, RegExp, RegExp, string[]]>([
    ['a revision not in the history: refused before helm rollback', 9, [deployed], undefined, /revision 9 is not in the history of release todo \(its history shows revisions 5\.\.7\)/, /unchanged: revision 7 is deployed/, ['history todo apps']],
    ['no such release', 6, [[]], undefined, /release todo does not exist in namespace apps/, /unchanged/, ['history todo apps']],
    ['helm rollback fails: its message, and the release as Helm left it', 6, [deployed, [...deployed, rev(8, 'failed')]], new OperationError('helm rollback todo 6 --namespace apps exited with code 1:\nError: timed out waiting for the condition'), /timed out waiting for the condition/, /revision 7 is deployed; the newest, revision 8, is failed/, ['history todo apps', 'rollback todo apps 6 60000', 'history todo apps']],
  ])('%s', async (_n, target, histories, err, message, left, calls) => {
    const f = fakeHelm(histories, err);
    const o = await rollBack(settings(target), target, async () => f.helm, new RecordingLogger());
    expect(o.status).toBe('failed');
    expect(o.message).toMatch(message);
    expect(o.left).toMatch(left);
    expect(f.calls).toEqual(calls);
  });

  it('helm cannot be resolved: failed, nothing touched', async () => {
    const o = await rollBack(settings(6), 6, async () => { throw new OperationError('helm download failed: checksum mismatch'); }, new RecordingLogger());
    expect(o).toMatchObject({ status: 'failed', message: /checksum mismatch/, left: /did not start/ });
  });

  it('the target is live already: skipped, nothing rolled back', async () => {
    const f = fakeHelm([[rev(5, 'superseded'), rev(6, 'deployed')]]);
    const o = await rollBack(settings(6), 6, async () => f.helm, new RecordingLogger());
    expect(o.status).toBe('skipped');
    expect(f.calls).toEqual(['history todo apps']);
  });
});

describe('waitForReplacedPods', () => {
  /** A clock that the fake sleep moves on. */
  const clock = () => {
    let t = 0;
    return { now: () => t, sleep: async (ms: number) => void (t += ms) };
  };

  it('polls until the replaced pods are gone', async () => {
    const lists = [['todo-worker-old'], ['todo-worker-old'], []];
    const c = clock();
    const log = new RecordingLogger();
    expect(await waitForReplacedPods(async () => lists.shift()!, log, c)).toBe(true);
    expect(lists).toEqual([]);
    expect(c.now()).toBe(2000);
    expect(log.text()).toBe('');
  });

  it('a deadline passed: warns naming the pods, goes on', async () => {
    const c = clock();
    const log = new RecordingLogger();
    expect(await waitForReplacedPods(async () => ['todo-worker-old'], log, { ...c, timeoutMs: 5000 })).toBe(false);
    expect(c.now()).toBe(5000);
    expect(log.text()).toMatch(/^warning: rollback-on-failure: replaced pods still stopping: todo-worker-old; the second verification may see/m);
  });

  it('the list fails: warns, goes on', async () => {
    const log = new RecordingLogger();
    expect(await waitForReplacedPods(async () => { throw new Error('pods is forbidden'); }, log, clock())).toBe(false);
    expect(log.text()).toMatch(/could not list the replaced pods \(pods is forbidden\)/);
  });
});

describe('verify-events run with rollback-on-failure', () => {
  const REPORT = join(env.RUNNER_TEMP, 'verify-events-report.json');
  function deps(verdicts: VerifyResult[], helm: RollbackHelm | Error) {
    const calls: string[] = [];
    const written: unknown[] = [];
    const log = new RecordingLogger();
    let n = 0;
    const d: VerifyEventsDeps = {
      log,
      timings: new Timings(),
      verify: async () => (calls.push('verify'), verdicts[n++]!),
      report: { prepare: () => void calls.push('prepare'), write: (_p, r) => void (calls.push('write'), written.push(r)) },
      helm: async (s) => {
        calls.push(`helm ${s.release}`);
        if (helm instanceof Error) throw helm;
        return helm;
      },
      stoppingPods: async (s) => (calls.push(`stopping ${s.namespace}/${s.release}`), []),
    };
    return { d, calls, written, log };
  }
  const history = [rev(6, 'superseded'), rev(7, 'deployed')];
  const rolled = [rev(6, 'superseded'), rev(7, 'superseded'), rev(8, 'deployed', 'Rollback to 6')];

  it('lost probes: rolls back to the previous revision, verifies again; both verdicts reported, the step fails', async () => {
    const f = deps([lost, passed], fakeHelm([history, rolled]).helm);
    const r = await run(parse(ON), f.d);
    expect(f.calls).toEqual(['prepare', 'verify', 'helm todo', 'stopping apps/todo', 'verify', 'write']);
    expect(r.verify).toBe(lost);
    expect(r.second).toBe(passed);
    expect((r.failure as OperationError).message).toBe(`verify-events: ${lost.verdict}. rolled back release todo (namespace apps) to revision 6 (recorded as revision 8); after the rollback: ${passed.verdict}`);
    expect(outputsOf(r)).toMatchObject({ verdict: lost.verdict, 'rolled-back': true, 'rollback-revision': 6, 'second-verdict': passed.verdict });
    expect(f.written[0]).toMatchObject({ ok: false, verdict: lost.verdict, rollback: { status: 'done', revision: 6, madeRevision: 8 }, afterRollback: { ok: true, verdict: passed.verdict } });
    const md = renderSummary(r, []).toMarkdown();
    expect(md).toContain('## verify-events: FAILED');
    expect(md).toContain('### Rollback');
    expect(md).toContain('| todo | apps | 6 | rolled back to revision 6 (recorded as revision 8) |');
    expect(md).toContain('### After the rollback: PASSED');
    expect(md).toContain(`**Verdict:** ${passed.verdict}`);
  });

  it('still failing after the rollback: says the cause is not only the new revision', async () => {
    const f = deps([slow, lost], fakeHelm([history, rolled]).helm);
    const r = await run(parse(ON), f.d);
    expect((r.failure as OperationError).message).toMatch(/after the rollback the round trip fails too: 3 of 3 probe\(s\) were consumed/);
    expect((r.failure as OperationError).hint).toMatch(/not only the new revision/);
    expect(renderSummary(r, []).toMarkdown()).toContain('### After the rollback: FAILED');
  });

  it('a rollback that fails: names release, revision and helm\'s message; no second verification', async () => {
    const f = deps([lost], fakeHelm([history, [...history, rev(8, 'failed')]], new OperationError('helm rollback exited with code 1:\nError: release todo failed: context deadline exceeded')).helm);
    const r = await run(parse(ON), f.d);
    expect(f.calls).toEqual(['prepare', 'verify', 'helm todo', 'write']);
    expect(r.second).toBeUndefined();
    const err = r.failure as OperationError;
    expect(err.message).toMatch(/^verify-events: 3 of 3 probe\(s\) were consumed but not acknowledged\. Rolling back release todo \(namespace apps\) to revision 6 failed: helm rollback exited with code 1:\nError: release todo failed: context deadline exceeded$/);
    expect(err.hint).toMatch(/left as Helm left it \(revision 7 is deployed; the newest, revision 8, is failed\).*helm history todo -n apps/);
    expect(outputsOf(r)).toMatchObject({ 'rolled-back': false, 'rollback-revision': undefined, 'second-verdict': undefined });
    expect(renderSummary(r, []).toMarkdown()).toMatch(/FAILED: helm rollback exited[\s\S]*The release is left as Helm left it:\*\* revision 7 is deployed/);
  });

  it('passed: helm never resolved, rolled-back false', async () => {
    const f = deps([passed], new Error('must not be called'));
    const r = await run(parse(ON), f.d);
    expect(f.calls).toEqual(['prepare', 'verify', 'write']);
    expect(r.failure).toBeUndefined();
    expect(outputsOf(r)['rolled-back']).toBe(false);
  });

  it('Kafka unreachable: nothing rolled back, the verification error is the failure', async () => {
    const f = deps([unreachable], new Error('must not be called'));
    const r = await run(parse(ON), f.d);
    expect(f.calls).toEqual(['prepare', 'verify', 'write']);
    expect(r.failure).toBe(unreachable.error);
    expect(renderSummary(r, []).toMarkdown()).toMatch(/\*\*Rollback:\*\* release todo was not rolled back: the verification could not run/);
  });

  it('a first install: warns up front, fails with the verdict, nothing rolled back', async () => {
    const f = deps([lost], new Error('must not be called'));
    const r = await run(parse({ ...ON, 'rollback-to-revision': '' }), f.d);
    expect(f.log.text()).toMatch(/^warning: rollback-on-failure: rollback-to-revision is empty/m);
    expect((r.failure as OperationError).message).toBe(`verify-events: ${lost.verdict}`);
    expect(outputsOf(r)['rolled-back']).toBe(false);
  });

  it('rollback off: outputs carry no rollback fields', async () => {
    const f = deps([lost], new Error('must not be called'));
    const r = await run(parse({}), f.d);
    expect(outputsOf(r)).toMatchObject({ 'rolled-back': undefined, 'rollback-revision': undefined, 'second-verdict': undefined });
    expect(REPORT).toContain('verify-events-report.json');
  });

  it('failureOf: no rollback, or a skipped one, leaves the plain verdict to the caller', () => {
    expect(failureOf(lost, undefined, undefined)).toBeUndefined();
    expect(failureOf(lost, { release: 'todo', namespace: 'apps', revision: 6, status: 'skipped', message: 'live already' }, undefined)).toBeUndefined();
  });
});

describe("helm-deploy's previous-revision, verify-events' rollback-to-revision", () => {
  it('is the revision live before the deploy; absent on a first install', async () => {
    const { outputsOf: deployOutputs } = await import('../../../src/actions/helm-deploy/summary.js');
    const result = (previous?: Revision) => ({ release: 'todo', namespace: 'apps', chart: { kind: 'local' as const, path: 'chart' }, dryRun: false, deploy: { ok: true, rolledBack: false, outcome: 'revision 7 is live', live: rev(7, 'deployed'), latest: rev(7, 'deployed'), previous } });
    const out = deployOutputs(result(rev(6, 'superseded')));
    expect(out).toMatchObject({ revision: 7, 'previous-revision': 6 });
    expect(parse({ ...ON, 'rollback-to-revision': String(out['previous-revision']) }).rollback!.revision).toBe(6);
    expect(deployOutputs(result(undefined))['previous-revision']).toBeUndefined();
  });
});
