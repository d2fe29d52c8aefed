import type { KubeRest } from '../kube/rest.js';
import type { ReleaseStatus, Revision } from './release.js';

/**
 * Helm's release records as its storage Secrets (`sh.helm.release.v1.<name>.v<N>`) label them: `owner=helm`,
 * `name`, `status`, `version` (the revision) and `modifiedAt`, plus custom `--labels` (kept there by Helm 3 and
 * Helm 4; only Helm 4's `get metadata` shows them). Reading the labels is one API call in process instead of a
 * second helm start. The parsing is pure and table-tested; the one call is injected (ListSecrets).
 */

/** A storage Secret as far as these reads look at it: its labels. */
export interface StoredRecord {
  metadata?: { labels?: Record<string, string> };
}

/** Lists a namespace's Secrets matching a label selector. */
export type ListSecrets = (namespace: string, labelSelector: string) => Promise<StoredRecord[]>;

/**
 * The records' metadata only (PartialObjectMetadataList): the labels are all these reads use, and Helm's records
 * are large (each holds its gzipped manifest and values), so their data is neither sent nor held here.
 */
export const METADATA_ONLY = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;q=0.9';

export function secretLister(kube: KubeRest): ListSecrets {
  return async (namespace, labelSelector) =>
    (await kube.get<{ items?: StoredRecord[] }>(`/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets?labelSelector=${encodeURIComponent(labelSelector)}`, METADATA_ONLY)).items ?? [];
}

/** The label selector of a release's records, optionally only those in one status. */
export const recordSelector = (release: string, status?: ReleaseStatus): string => `owner=helm,name=${release}${status ? `,status=${status}` : ''}`;

/** The records' labels with a revision number (`version` all digits), newest revision first. Others are not Helm's records. */
function byRevisionNewestFirst(records: readonly StoredRecord[]): Array<{ revision: number; labels: Record<string, string> }> {
  return records
    .map((r) => r.metadata?.labels ?? {})
    .filter((l) => /^\d+$/.test(l.version ?? ''))
    .map((labels) => ({ revision: Number(labels.version), labels }))
    .sort((a, b) => b.revision - a.revision);
}

/** The labels of the newest record (by revision number, not by name: v10 is newer than v9), or undefined when none has a revision. */
export function newestLabels(records: readonly StoredRecord[]): Record<string, string> | undefined {
  return byRevisionNewestFirst(records)[0]?.labels;
}

/** The records as revisions, oldest first (Helm's history order). Chart, app version and description are not in the labels: left empty. */
export function revisionsOf(records: readonly StoredRecord[]): Revision[] {
  return byRevisionNewestFirst(records)
    .reverse()
    .map(({ revision, labels: l }) => ({ revision, status: (l.status ?? 'unknown') as ReleaseStatus, chart: '', appVersion: '', updated: /^\d+$/.test(l.modifiedAt ?? '') ? new Date(Number(l.modifiedAt) * 1000).toISOString() : '', description: '' }));
}

/** True when Helm keeps releases in Secrets with this HELM_DRIVER (unset: Helm's default, secret). */
export const storesInSecrets = (driver: string | undefined): boolean => !driver || driver === 'secret' || driver === 'secrets';

/**
 * The labels of the release's deployed revision (the newest one, if Helm left several marked deployed), or
 * undefined (no release, or another storage driver).
 */
export async function deployedReleaseLabels(kube: KubeRest, release: string, namespace: string, list: ListSecrets = secretLister(kube)): Promise<Record<string, string> | undefined> {
  return newestLabels(await list(namespace, recordSelector(release, 'deployed')));
}

/**
 * A release's revisions (number and status, oldest first) from its storage Secrets. Undefined when Helm does not
 * keep them there (`driver`, the HELM_DRIVER helm runs with, is configmap, memory or sql): the caller then asks helm.
 */
export async function revisionsFromStorage(kube: KubeRest, release: string, namespace: string, driver: string | undefined, list: ListSecrets = secretLister(kube)): Promise<Revision[] | undefined> {
  if (!storesInSecrets(driver)) return undefined;
  return revisionsOf(await list(namespace, recordSelector(release)));
}
