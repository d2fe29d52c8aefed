import { helmEnv } from '../../../src/helm/helm.js';
import { rollbackArgs, upgradeArgs, type UpgradeOptions } from '../../../src/helm/args.js';

const base: UpgradeOptions = {
  release: 'todo',
  chart: '/w/chart',
  namespace: 'apps',
  createNamespace: false,
  valuesFiles: [],
  set: [],
  setString: [],
  setFile: [],
  timeoutMs: 300_000,
  wait: true,
  rollbackOnFailure: true,
  dryRun: false,
};
const head = ['upgrade', 'todo', '/w/chart', '--install', '--namespace', 'apps', '--timeout', '300s'];

describe('upgradeArgs', () => {
  it.each<[string, Partial<UpgradeOptions>, 3 | 4, string[]]>([
    ['Helm 3 rollback on failure uses --atomic (implies wait)', {}, 3, ['--atomic']],
    ['Helm 4 rollback on failure uses --rollback-on-failure with the watcher wait', {}, 4, ['--rollback-on-failure', '--wait=watcher']],
    ['Helm 3 wait without rollback', { rollbackOnFailure: false }, 3, ['--wait']],
    ['Helm 4 wait without rollback', { rollbackOnFailure: false }, 4, ['--wait=watcher']],
    ['Helm 3 neither', { rollbackOnFailure: false, wait: false }, 3, []],
    ['Helm 4 neither', { rollbackOnFailure: false, wait: false }, 4, []],
    ['dry run is server-side and hides Secrets, never waits', { dryRun: true }, 4, ['--dry-run=server', '--hide-secret']],
    ['history max', { historyMax: 5, rollbackOnFailure: false, wait: false }, 3, ['--history-max', '5']],
  ])('%s', (_name, o, major, tail) => expect(upgradeArgs({ ...base, ...o }, major)).toEqual([...head, ...tail]));

  it('passes version, repo, namespace creation, values and sets in order', () => {
    const args = upgradeArgs({ ...base, chart: 'dapr', repo: 'https://dapr.github.io/helm-charts/', chartVersion: '1.16.2', createNamespace: true, valuesFiles: ['a.yaml', 'b.yaml'], set: [{ key: 'x', value: '1' }], setString: [{ key: 'tag', value: '007' }], setFile: [{ key: 'cfg', value: '/f' }], timeoutMs: 90_500, rollbackOnFailure: false, wait: false }, 3);
    expect(args).toEqual(['upgrade', 'todo', 'dapr', '--install', '--namespace', 'apps', '--timeout', '91s', '--version', '1.16.2', '--repo', 'https://dapr.github.io/helm-charts/', '--create-namespace', '--values', 'a.yaml', '--values', 'b.yaml', '--set', 'x=1', '--set-string', 'tag=007', '--set-file', 'cfg=/f']);
  });

  it.each([[3, '--wait'], [4, '--wait=watcher']] as const)('rollback waits with Helm %d', (major, wait) => {
    expect(rollbackArgs('todo', 'apps', 2, 60_000, major)).toEqual(['rollback', 'todo', '2', '--namespace', 'apps', '--timeout', '60s', wait]);
  });
});

describe('helmEnv: the environment Helm runs with', () => {
  it.each<[string, NodeJS.ProcessEnv, string | undefined, string | undefined]>([
    ['the input path wins over the step KUBECONFIG', { KUBECONFIG: '/a', PATH: '/bin' }, '/b', '/b'],
    ['without an input, the step KUBECONFIG', { KUBECONFIG: '/a', PATH: '/bin' }, undefined, '/a'],
    ['neither: no KUBECONFIG (Helm reads ~/.kube/config)', { PATH: '/bin' }, undefined, undefined],
  ])('%s', (_n, env, kubeconfig, expected) => {
    const before = { ...env };
    const out = helmEnv(env, kubeconfig);
    expect(out.KUBECONFIG).toBe(expected);
    expect(out.PATH).toBe('/bin');
    expect(env).toEqual(before); // the step's env is not changed
  });
});
