import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';

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
