import type { KubeRest } from '../../../src/kube/rest.js';
import { deployedReleaseLabels, newestLabels, revisionsFromStorage, revisionsOf, storesInSecrets, type ListSecrets, type StoredRecord } from '../../../src/helm/storage.js';

/**
 * Helm's storage Secrets read by their labels: helm-deploy's preflight takes the history from them (pending
 * releases, the live revision) and dapr-install's no-op decision takes the deployed revision's inputs digest.
 * Both rest on the parsing and the ordering here: revision numbers, not names or list order.
 */
const record = (labels: Record<string, string>): StoredRecord => ({ metadata: { labels: { owner: 'helm', name: 'todo', ...labels } } });
const kube = {} as KubeRest; // never used: every read below goes through the injected list

/** A ListSecrets that answers from `records` and notes each selector it was asked for. */
function lister(records: StoredRecord[]): ListSecrets & { calls: string[] } {
  const calls: string[] = [];
  const list = async (namespace: string, selector: string): Promise<StoredRecord[]> => {
    calls.push(`${namespace} ${selector}`);
    return records;
  };
  return Object.assign(list, { calls });
}

describe('revisionsOf: the history from the labels', () => {
  it.each<[string, StoredRecord[], Array<[number, string]>]>([
    ['no records: no history', [], []],
    ['ordered by revision number, oldest first, whatever the list order', [record({ version: '3', status: 'deployed' }), record({ version: '1', status: 'superseded' }), record({ version: '2', status: 'superseded' })], [[1, 'superseded'], [2, 'superseded'], [3, 'deployed']]],
    ['numerically: 10 after 9 (not as text)', [record({ version: '10', status: 'pending-upgrade' }), record({ version: '9', status: 'deployed' }), record({ version: '1', status: 'superseded' })], [[1, 'superseded'], [9, 'deployed'], [10, 'pending-upgrade']]],
    ['records without a revision number are not Helm releases: left out', [record({ version: 'v2', status: 'deployed' }), record({ status: 'deployed' }), { metadata: {} }, {}, record({ version: '4', status: 'failed' })], [[4, 'failed']]],
    ['a missing status reads unknown', [record({ version: '1' })], [[1, 'unknown']]],
  ])('%s', (_, records, expected) => {
    expect(revisionsOf(records).map((r) => [r.revision, r.status])).toEqual(expected);
  });

  it.each([
    ['seconds since the epoch', '1764576000', '2025-12-01T08:00:00.000Z'],
    ['absent', undefined, ''],
    ['not a number', 'yesterday', ''],
  ])('modifiedAt %s -> updated', (_, modifiedAt, updated) => {
    const [rev] = revisionsOf([record({ version: '1', status: 'deployed', ...(modifiedAt ? { modifiedAt } : {}) })]);
    expect(rev).toEqual({ revision: 1, status: 'deployed', chart: '', appVersion: '', updated, description: '' });
  });
});

describe('newestLabels: the deployed revision whose labels dapr-install compares', () => {
  it.each<[string, StoredRecord[], Record<string, string> | undefined]>([
    ['none', [], undefined],
    ['one', [record({ version: '1', digest: 'a' })], { owner: 'helm', name: 'todo', version: '1', digest: 'a' }],
    ['the highest revision number wins over list order and text order (10 > 9)', [record({ version: '9', digest: 'old' }), record({ version: '10', digest: 'new' }), record({ version: '2', digest: 'older' })], { owner: 'helm', name: 'todo', version: '10', digest: 'new' }],
    ['a record without a revision number never wins', [record({ version: 'x', digest: 'bogus' }), record({ version: '1', digest: 'real' })], { owner: 'helm', name: 'todo', version: '1', digest: 'real' }],
  ])('%s', (_, records, expected) => {
    expect(newestLabels(records)).toEqual(expected);
  });
});

describe('storage reads through the injected list', () => {
  it('deployedReleaseLabels asks for the deployed records of the release in its namespace only', async () => {
    const list = lister([record({ version: '2', status: 'deployed', digest: 'd2' }), record({ version: '1', status: 'deployed', digest: 'd1' })]);
    await expect(deployedReleaseLabels(kube, 'dapr', 'dapr-system', list)).resolves.toMatchObject({ version: '2', digest: 'd2' });
    expect(list.calls).toEqual(['dapr-system owner=helm,name=dapr,status=deployed']);
  });

  it('revisionsFromStorage asks for every record of the release', async () => {
    const list = lister([record({ version: '2', status: 'pending-upgrade' }), record({ version: '1', status: 'deployed' })]);
    const revisions = await revisionsFromStorage(kube, 'todo', 'apps', undefined, list);
    expect(revisions?.map((r) => `${r.revision}:${r.status}`)).toEqual(['1:deployed', '2:pending-upgrade']);
    expect(list.calls).toEqual(['apps owner=helm,name=todo']);
  });

  it.each([
    [undefined, true],
    ['', true],
    ['secret', true],
    ['secrets', true],
    ['configmap', false],
    ['memory', false],
    ['sql', false],
  ])('HELM_DRIVER %j: read from Secrets %s (otherwise left to helm, with no API call)', async (driver, secrets) => {
    expect(storesInSecrets(driver)).toBe(secrets);
    const list = lister([record({ version: '1', status: 'deployed' })]);
    const revisions = await revisionsFromStorage(kube, 'todo', 'apps', driver, list);
    expect(revisions === undefined).toBe(!secrets);
    expect(list.calls.length).toBe(secrets ? 1 : 0);
  });
});
