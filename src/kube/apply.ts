import { KubernetesObjectApi, loadYaml, PatchStrategy, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
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
      (o) => o,
      (err: unknown) => {
        if ((err as { code?: number }).code === 404) return undefined;
        throw new OperationError(`reading ${obj.kind}/${ref.metadata.name}: ${errorMessage(err)}`, { hint: 'check that the identity may read and patch Dapr resources in that namespace' });
      },
    );
    let after: KubernetesObject;
    try {
      // The client serializes kinds it knows (a CustomResourceDefinition) from its own model, whose field
      // names differ from the wire's (x-kubernetes-preserve-unknown-fields): a plain object would lose them.
      const model = loadYaml<KubernetesObject>(JSON.stringify(obj));
      after = await api.patch(model, undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply);
    } catch (err) {
      const body = (err as { body?: unknown }).body;
      const detail = typeof body === 'string' ? body : body ? JSON.stringify(body) : errorMessage(err);
      throw new OperationError(`applying ${obj.kind}/${ref.metadata.name} in ${ref.metadata.namespace}: ${detail}`, { hint: 'the API server refused the object; check its fields against the Dapr CRD' });
    }
    // Configured only when what the object says changed: a new field manager sharing fields of the same
    // value (Dapr's operator and this action on a CRD's conversion webhook) moves resourceVersion, nothing else.
    const result: ApplyResult = before === undefined ? 'created' : after.metadata?.resourceVersion === before.metadata?.resourceVersion || sameContent(before, after) ? 'unchanged' : 'configured';
    results.push({ kind: obj.kind!, name: ref.metadata.name, namespace: ref.metadata.namespace, result });
  }
  return results;
}

/** Same spec, data and labels/annotations (what an apply can change), ignoring status and bookkeeping. */
function sameContent(a: KubernetesObject, b: KubernetesObject): boolean {
  const pick = (o: KubernetesObject) => {
    const x = o as KubernetesObject & { spec?: unknown; data?: unknown; stringData?: unknown; scopes?: unknown; auth?: unknown };
    return JSON.stringify({ spec: x.spec, data: x.data, scopes: x.scopes, auth: x.auth, labels: o.metadata?.labels, annotations: o.metadata?.annotations });
  };
  return pick(a) === pick(b);
}
