import { chartVersionOf, isPending, liveRevision, parseHistory } from '../../../src/helm/release.js';
import { describeOutcome } from '../../../src/actions/helm-deploy/deploy.js';
import { helmFailure } from '../../../src/helm/helm.js';
import { checkHelmMajor, helmRelease, parseHelmVersion, resolveHelm } from '../../../src/helm/tool.js';
import { RecordingLogger } from '../../support/recording-logger.js';
import { HELM3_VERSION, HELM_VERSION } from '../../../src/versions.js';

const h = (revision: number, status: string, description = ''): { revision: number; status: string; chart: string; app_version: string; updated: string; description: string } => ({ revision, status, chart: 'hello-0.1.0', app_version: '1.0.0', updated: '2026-11-26T10:00:00Z', description });

describe('release history', () => {
  it('parses helm history JSON, oldest first', () => {
    const revs = parseHistory(JSON.stringify([h(2, 'deployed'), h(1, 'superseded')]));
    expect(revs.map((r) => r.revision)).toEqual([1, 2]);
    expect(revs[1]).toMatchObject({ status: 'deployed', chart: 'hello-0.1.0', appVersion: '1.0.0' });
    expect(parseHistory('')).toEqual([]);
  });

  it.each([
    ['hello-0.1.0', '0.1.0'],
    ['my-chart-1.2.3-rc.1', '1.2.3-rc.1'],
    ['app-2fa-10.0.0', '10.0.0'],
    ['weird', ''],
  ])('chartVersionOf(%s) = %j', (chart, v) => expect(chartVersionOf(chart)).toBe(v));

  it.each([['pending-install', true], ['pending-upgrade', true], ['pending-rollback', true], ['deployed', false], ['failed', false]] as const)('isPending(%s) = %s', (s, p) => expect(isPending(s)).toBe(p));

  it('the live revision is the newest deployed one', () => {
    expect(liveRevision(parseHistory(JSON.stringify([h(1, 'superseded'), h(2, 'deployed'), h(3, 'failed')])))?.revision).toBe(2);
    expect(liveRevision(parseHistory(JSON.stringify([h(1, 'failed')])))).toBeUndefined();
  });
});

describe('describeOutcome', () => {
  const revs = (...xs: Array<ReturnType<typeof h>>) => parseHistory(JSON.stringify(xs));
  it.each([
    ['success', true, 1, revs(h(1, 'superseded'), h(2, 'deployed')), true, 'revision 2 is live', false],
    ['rolled back by --atomic', false, 1, revs(h(1, 'superseded'), h(2, 'failed'), h(3, 'deployed', 'Rollback to 1')), true, 'rolled back: revision 3 (Rollback to 1) is live; revision 2 failed', true],
    ['failed without rollback', false, 1, revs(h(1, 'deployed'), h(2, 'failed')), false, 'revision 1 is still live; revision 2 failed', false],
    ['failed first install removed', false, undefined, revs(), true, 'nothing is live: the failed first install was removed', false],
    ['failed first install kept', false, undefined, revs(h(1, 'failed')), false, 'nothing is live: the first install is failed', false],
  ])('%s', (_n, ok, beforeRev, after, rollback, outcome, rolledBack) => {
    const before = beforeRev === undefined ? undefined : { revision: beforeRev, status: 'deployed' as const, chart: 'hello-0.1.0', appVersion: '1', updated: '', description: '' };
    expect(describeOutcome(ok, before, after, rollback)).toMatchObject({ outcome, rolledBack });
  });

  const live1 = { revision: 1, status: 'deployed' as const, chart: 'hello-0.1.0', appVersion: '1', updated: '', description: '' };
  it.each([
    // helm refused the values before installing anything: no "failed first install was removed"
    ['first install refused before anything was made', undefined, revs(), 0, 'Error: INSTALLATION FAILED: YAML parse error on hello/templates/x.yaml', 'nothing was installed: helm failed before creating the release', false, undefined],
    ['upgrade refused before a revision was made', live1, revs(h(1, 'deployed')), 1, 'Error: UPGRADE FAILED: template: hello/templates/deployment.yaml:3: bad', 'revision 1 is still live: helm failed before making a new revision', false, undefined],
    ['an earlier failed release, refused again', undefined, revs(h(1, 'failed')), 1, 'Error: values don\'t meet the specifications of the schema', 'nothing is live: helm failed before making a new revision (the newest, 1, is failed)', false, undefined],
    ['first install that failed and was removed (Helm 3)', undefined, revs(), 0, 'Error: INSTALLATION FAILED: release hello failed, and has been uninstalled due to atomic being set: context deadline exceeded', 'nothing is live: the failed first install was removed', true, undefined],
    ['first install that failed and was removed (Helm 4)', undefined, revs(), 0, 'Error: INSTALLATION FAILED: release hello failed, and has been uninstalled due to rollback-on-failure being set: timeout', 'nothing is live: the failed first install was removed', true, undefined],
    ['helm killed mid-upgrade', live1, revs(h(1, 'deployed'), h(2, 'pending-upgrade')), 1, '', 'the release is left pending-upgrade at revision 2 (helm stopped mid-operation and left its lock); revision 1 is still live', true, 'pending-upgrade'],
    ['helm killed mid-install', undefined, revs(h(1, 'pending-install')), 0, '', 'the release is left pending-install at revision 1 (helm stopped mid-operation and left its lock); nothing is live', true, 'pending-install'],
  ])('%s', (_n, before, after, previousLatest, helmSaid, outcome, changed, pending) => {
    const r = describeOutcome(false, before, after, true, { previousLatest, helmSaid });
    expect(r).toMatchObject({ outcome, changed, rolledBack: false });
    expect(r.pending?.status).toBe(pending);
  });
});

describe('helmFailure', () => {
  it.each([
    ['a signal the runner names', { exitCode: null, signal: 'SIGKILL', stdout: '', stderr: '' }, 'helm was killed by SIGKILL before it finished (it has no exit code)'],
    ['a signal the runner cannot name', { exitCode: null, stdout: '', stderr: '' }, 'helm was killed by a signal before it finished (it has no exit code)'],
    ['a signal after some output', { exitCode: null, signal: 'SIGTERM', stdout: '', stderr: 'Release "hello" does not exist. Installing it now.\n' }, 'Release "hello" does not exist. Installing it now.\nhelm was killed by SIGTERM before it finished (it has no exit code)'],
    ['an exit code and its error', { exitCode: 1, stdout: '', stderr: 'a\nError: UPGRADE FAILED: boom\n' }, 'a\nError: UPGRADE FAILED: boom'],
    ['an exit code and no words', { exitCode: 2, stdout: '', stderr: '' }, 'helm exited with code 2 and printed no error'],
  ])('%s', (_n, result, text) => {
    expect(helmFailure(result)).toBe(text);
    expect(helmFailure(result)).not.toContain('code null');
  });
});

describe('helm tool', () => {
  it('builds get.helm.sh URLs (no checksum URL: the SHA-256 comes from the pins or the user)', () => {
    expect(helmRelease('3.18.0', 'https://mirror.example/helm/', { os: 'linux', arch: 'amd64' })).toEqual({
      tool: 'helm',
      version: '3.18.0',
      url: 'https://mirror.example/helm/helm-v3.18.0-linux-amd64.tar.gz',
      fileName: 'helm-v3.18.0-linux-amd64.tar.gz',
      archive: 'tar.gz',
      binaryPath: 'linux-amd64/helm',
    });
    expect(helmRelease('4.2.3', 'https://get.helm.sh', { os: 'windows', arch: 'arm64' })).toMatchObject({ url: 'https://get.helm.sh/helm-v4.2.3-windows-arm64.zip', archive: 'zip', binaryPath: 'windows-arm64/helm.exe' });
  });

  it.each([
    ['3.17.3', '3.17.3'],
    ['v4.1.4', '4.1.4'],
    ['preinstalled', 'preinstalled'],
    [undefined, HELM_VERSION],
    ['4', HELM_VERSION],
    ['v3', HELM3_VERSION],
    ['4.1.0-rc.1', '4.1.0-rc.1'],
  ])('parseHelmVersion(%j) = %s', (input, v) => expect(parseHelmVersion(input)).toBe(v));

  it.each(['^3.17', '3.17', 'latest', '3.x', '>=3', '3.18.0 '.repeat(3).trim()])('refuses %j with the fix', (input) => expect(() => parseHelmVersion(input)).toThrow(/helm-version: ".*" is not an exact Helm version. Fix: use an exact version such as 4.2.3 \(no ranges\), 3 or 4 for the pinned 3.18.0 or 4.2.3/));

  it.each([
    ['2.17.0', 'helm-version: Helm 2.17.0 is not supported: Helm 2 needs Tiller in the cluster, and its flags and release storage differ. Fix: use Helm 3 or Helm 4 (pinned: 3.18.0, 4.2.3)'],
    ['v2.16.1', 'helm-version: Helm 2.16.1 is not supported: Helm 2 needs Tiller'],
    ['2', 'helm-version: Helm 2 is not supported: Helm 2 needs Tiller'],
    ['2.17', 'helm-version: Helm 2.17 is not supported'],
    ['5', 'helm-version: Helm 5 is not supported: this action knows Helm 3 and 4 only'],
    ['5.0.0', 'helm-version: Helm 5.0.0 is not supported: this action knows Helm 3 and 4 only'],
  ])('refuses %j, a major it does not support, naming the supported ones', (input, message) => expect(() => parseHelmVersion(input)).toThrow(message));

  it('checkHelmMajor reads the major of a version as helm prints it', () => {
    expect(checkHelmMajor('v3.18.0')).toBe(3);
    expect(checkHelmMajor('4.2.3')).toBe(4);
    expect(() => checkHelmMajor('v2.17.0+gabcdef')).toThrow('Helm 2.17.0+gabcdef is not supported');
  });

  it('resolveHelm refuses Helm 2 before fetching anything (no download, no checksum request)', async () => {
    const fetched: string[] = [];
    const runner = { run: () => Promise.reject(new Error('must not run')) };
    const choice = { version: '2.17.0', baseUrl: 'https://get.helm.sh', expected: { checksumUrl: { url: 'https://get.helm.sh/helm-v2.17.0-linux-amd64.tar.gz.sha256sum', input: 'helm-checksum-url' } }, allowInsecure: false };
    await expect(resolveHelm(choice, runner, { log: new RecordingLogger(), fetch: async (url) => (fetched.push(url), { ok: true, status: 200, text: async () => '' }) })).rejects.toThrow('helm-version: Helm 2.17.0 is not supported');
    expect(fetched).toEqual([]);
  });

  it('resolveHelm refuses a preinstalled Helm 2, naming what helm reported', async () => {
    const runner = { run: async () => ({ exitCode: 0, stdout: 'v2.17.0+ga690bad', stderr: '', durationMs: 1 }) };
    await expect(resolveHelm({ version: 'preinstalled' }, runner, { log: new RecordingLogger() })).rejects.toThrow('helm-version: Helm 2.17.0+ga690bad is not supported: Helm 2 needs Tiller');
  });
});
