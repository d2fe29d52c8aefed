import { chartVersionOf, isPending, liveRevision, parseHistory } from '../../../src/helm/release.js';
import { describeOutcome } from '../../../src/actions/helm-deploy/deploy.js';
import { helmRelease, parseHelmVersion } from '../../../src/helm/tool.js';
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
    expect(describeOutcome(ok, before, after, rollback)).toEqual({ outcome, rolledBack });
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
  ])('parseHelmVersion(%j) = %s', (input, v) => expect(parseHelmVersion(input)).toBe(v));

  it.each(['^3.17', '3.17', 'latest', '3.x', '5'])('refuses %j with the fix', (input) => expect(() => parseHelmVersion(input)).toThrow(/helm-version: ".*" is not an exact Helm version. Fix: use an exact version such as 4.2.3 \(no ranges\), 3 or 4 for the pinned 3.18.0 or 4.2.3/));

  it('refuses a major it does not support', () => expect(() => parseHelmVersion('2.17.0')).toThrow('helm-version: Helm 2.17.0 is not supported. Fix: use Helm 3 or Helm 4 (pinned: 3.18.0, 4.2.3)'));
});
