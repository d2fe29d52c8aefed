import { KubernetesObjectApi, PatchStrategy, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { errorMessage, OperationError } from '../core/errors.js';

export type ApplyResult = 'created' | 'configured' | 'unchanged';

export interface Applied {
  kind: string;
  name: string;
  namespace: string;
  result: ApplyResult;
}

/**
 * Server-side apply under one field manager. What changed is read from the server, not guessed: an object
 * that did not exist is created; one whose resourceVersion moved was configured; otherwise unchanged.
 */
export async function serverSideApply(kc: KubeConfig, objects: KubernetesObject[], fieldManager: string): Promise<Applied[]> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  const results: Applied[] = [];
  for (const obj of objects) {
    const ref = { apiVersion: obj.apiVersion!, kind: obj.kind!, metadata: { name: obj.metadata!.name!, namespace: obj.metadata!.namespace! } };
    const before = await api.read(ref).then(
      (o) => o.metadata?.resourceVersion,
      (err: unknown) => {
        if ((err as { code?: number }).code === 404) return undefined;
        throw new OperationError(`reading ${obj.kind}/${ref.metadata.name}: ${errorMessage(err)}`, { hint: 'check that the identity may read and patch Dapr resources in that namespace' });
      },
    );
    let after: KubernetesObject;
    try {
      after = await api.patch(obj, undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply);
    } catch (err) {
      const body = (err as { body?: unknown }).body;
      const detail = typeof body === 'string' ? body : body ? JSON.stringify(body) : errorMessage(err);
      throw new OperationError(`applying ${obj.kind}/${ref.metadata.name} in ${ref.metadata.namespace}: ${detail}`, { hint: 'the API server refused the object; check its fields against the Dapr CRD' });
    }
    const result: ApplyResult = before === undefined ? 'created' : after.metadata?.resourceVersion === before ? 'unchanged' : 'configured';
    results.push({ kind: obj.kind!, name: ref.metadata.name, namespace: ref.metadata.namespace, result });
  }
  return results;
}
