import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { ReleaseStatus, Revision } from './release.js';

/**
 * Reads the labels Helm keeps on a release's storage Secret (`sh.helm.release.v1.<name>.v<N>`): custom
 * `--labels` live there for both Helm 3 and Helm 4 (only Helm 4's `get metadata` shows them).
 * Returns the labels of the deployed revision, or undefined (no release, or another storage driver).
 */
export async function deployedReleaseLabels(kc: KubeConfig, release: string, namespace: string): Promise<Record<string, string> | undefined> {
  const core = kc.makeApiClient(CoreV1Api);
  const list = await core.listNamespacedSecret({ namespace, labelSelector: `owner=helm,name=${release},status=deployed` });
  const newest = list.items.sort((a, b) => Number(b.metadata?.labels?.version ?? 0) - Number(a.metadata?.labels?.version ?? 0))[0];
  return newest?.metadata?.labels;
}

/**
 * A release's revisions (number and status) from the labels of Helm's storage Secrets: one API call in
 * process instead of running `helm history` (a second binary start and the same call). Chart, app version and
 * description are not in the labels and are left empty. Undefined when it cannot tell (e.g. HELM_DRIVER is
 * not "secret"): the caller then asks helm.
 */
export async function revisionsFromStorage(kc: KubeConfig, release: string, namespace: string, env: NodeJS.ProcessEnv = process.env): Promise<Revision[] | undefined> {
  if (env.HELM_DRIVER && env.HELM_DRIVER !== 'secret' && env.HELM_DRIVER !== 'secrets') return undefined;
  const core = kc.makeApiClient(CoreV1Api);
  const list = await core.listNamespacedSecret({ namespace, labelSelector: `owner=helm,name=${release}` });
  return list.items
    .map((s) => s.metadata?.labels ?? {})
    .filter((l) => /^\d+$/.test(l.version ?? ''))
    .map((l) => ({ revision: Number(l.version), status: (l.status ?? 'unknown') as ReleaseStatus, chart: '', appVersion: '', updated: l.modifiedAt ? new Date(Number(l.modifiedAt) * 1000).toISOString() : '', description: '' }))
    .sort((a, b) => a.revision - b.revision);
}
