import { applyConflict, applyConflictHint, dryRunHint, helmEnv } from '../../../src/helm/helm.js';
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
    ['Helm 4 takes over conflicting fields when asked', { forceConflicts: true }, 4, ['--force-conflicts', '--rollback-on-failure', '--wait=watcher']],
    ['Helm 4 dry run with force-conflicts (the diff sees what the apply will do)', { forceConflicts: true, dryRun: true }, 4, ['--force-conflicts', '--dry-run=server', '--hide-secret']],
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

describe('applyConflict (Helm 4 server-side apply conflicts)', () => {
  // As Helm 4.1.4 printed it against the stack's API server after `kubectl patch` of a chart object (quotes escaped in its log line).
  const patched = 'level=WARN msg="upgrade failed" name=todo error="conflict occurred while applying object todo/todo-dapr dapr.io/v1alpha1, Kind=Configuration: Apply failed with 1 conflict: conflict with \\"kubectl-patch\\" using dapr.io/v1alpha1: .spec.tracing.samplingRate"';
  const edited = 'Error: UPGRADE FAILED: conflict occurred while applying object shop/web apps/v1, Kind=Deployment: Apply failed with 2 conflicts: conflicts with "kubectl-edit":\n- .spec.replicas\n- .spec.template.spec.containers[name="web"].image';

  it('names the object, kind, field manager and field', () => {
    expect(applyConflict(patched)).toEqual({ object: 'todo/todo-dapr', kind: 'Configuration', manager: 'kubectl-patch', field: '.spec.tracing.samplingRate' });
  });

  it('names the first field and counts the others', () => {
    expect(applyConflict(edited)).toEqual({ object: 'shop/web', kind: 'Deployment', manager: 'kubectl-edit', field: '.spec.replicas (and 1 more field)' });
  });

  it('is undefined for other failures', () => {
    expect(applyConflict('Error: UPGRADE FAILED: context deadline exceeded')).toBeUndefined();
    expect(applyConflict('')).toBeUndefined();
  });

  it('says what to do: undo the change, or take the field over where the caller can', () => {
    const c = applyConflict(patched)!;
    expect(applyConflictHint(c, 'force-conflicts: true')).toBe('.spec.tracing.samplingRate of Configuration todo/todo-dapr was last set outside Helm, by field manager "kubectl-patch" (kubectl edit, patch or scale, another tool or a controller), and Helm\'s server-side apply does not overwrite it: undo that change, or let Helm take the field back with force-conflicts: true');
    expect(applyConflictHint(c)).toMatch(/: undo that change \(or remove that manager's ownership of the field\), then run again$/);
    expect(dryRunHint(edited, 'force-conflicts: true')).toMatch(/^\.spec\.replicas \(and 1 more field\) of Deployment shop\/web .* force-conflicts: true$/);
    expect(dryRunHint('Error: template: x.yaml:3: unexpected EOF')).toMatch(/do not render/);
  });
});

describe('upgradeArgs with Helm 3 and force-conflicts', () => {
  it('is a bug the input check prevents (Helm 3 has no server-side apply)', () => {
    expect(() => upgradeArgs({ ...base, forceConflicts: true }, 3)).toThrow(/bug: forceConflicts with Helm 3/);
  });
});
