import { AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Container, type V1OwnerReference, type V1Pod } from '@kubernetes/client-node';
import { OperationError } from '../core/errors.js';
import { apiError } from '../kube/rest.js';
import type { Logger } from '../core/log.js';
import { workloadReadiness, type Readiness } from '../kube/readiness.js';
import { refName, waitForWorkload, type WorkloadRef } from '../kube/wait.js';
import { compareVersions } from './control-plane.js';

/** The name Dapr's injector gives the sidecar container (pkg/injector/consts: SidecarContainerName). */
export const SIDECAR_CONTAINER = 'daprd';
/** The injector's Deployment and container in the control-plane namespace (the Dapr chart's names). */
export const INJECTOR = 'dapr-sidecar-injector';
/** The annotation `kubectl rollout restart` sets on the pod template. */
export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

export interface SidecarPod {
  namespace: string;
  pod: string;
  /** The daprd container's image as the pod spec holds it (what the injector wrote). */
  image: string;
  /** The Dapr version read from the image tag; undefined when the image has none (a digest, `edge`). */
  version?: string;
  /** The controlling workload a rollout can restart. */
  owner?: WorkloadRef;
  /** Why there is no owner: `no controller`, or the controller nothing here can roll (`Job/x`). */
  ownerNote?: string;
}

/**
 * The Dapr version in a daprd image reference: `registry:5000/dapr/daprd:1.18.2` -> 1.18.2,
 * `daprd:v1.17.0` -> 1.17.0, `daprd:1.18.2-mariner` -> 1.18.2, `daprd:1.18.0-rc.1` -> 1.18.0-rc.1.
 * Only the last path segment can hold a tag, so a registry port is never taken for one. Variant suffixes
 * (`-mariner`, `-stablecomponents`, ...) are dropped; a release candidate (`-rc.N`) is kept. An image pinned
 * by digest alone, without a tag, or with a tag that is no version (`edge`, `latest`) gives undefined; with both
 * a tag and a digest the tag is taken as the author's statement of the version.
 */
export function sidecarVersion(image: string): string | undefined {
  const named = image.trim().split('@', 1)[0] ?? '';
  const last = named.slice(named.lastIndexOf('/') + 1);
  const colon = last.indexOf(':');
  if (colon < 0) return undefined;
  const m = /^v?(\d+\.\d+\.\d+)(-rc\.\d+)?(?:$|[-+_.])/.exec(last.slice(colon + 1));
  return m ? `${m[1]}${m[2] ?? ''}` : undefined;
}

/** `docker.io/daprio/daprd:1.0` and `daprio/daprd:1.0` name the same image. */
const normalImage = (image: string): string => image.trim().replace(/^(?:index\.)?docker\.io\//, '');

/**
 * The pods whose sidecar is outdated. The rule:
 * - a sidecar whose version is known is outdated when that version differs (either way: older or newer) from
 *   the control plane's; the registry or variant of its image does not matter (a pod may ask for its own image
 *   with the dapr.io/sidecar-image annotation);
 * - a sidecar of unknown version (an image by digest, `edge`) is outdated only when the injector's current
 *   image is known and the sidecar's image differs from it; without it, nothing can be said, so it is not.
 */
export function outdatedSidecars(pods: SidecarPod[], controlPlane: { version: string; sidecarImage?: string }): SidecarPod[] {
  return pods.filter((p) => {
    if (p.version !== undefined) return compareVersions(p.version, controlPlane.version) !== 0;
    return controlPlane.sidecarImage !== undefined && normalImage(p.image) !== normalImage(controlPlane.sidecarImage);
  });
}

/** The daprd container of a pod: a regular container, or (Dapr 1.18+ `dapr.io/enable-native-sidecar`) an init container with restartPolicy Always. */
export function daprdContainer(pod: V1Pod): V1Container | undefined {
  const named = (c: V1Container): boolean => c.name === SIDECAR_CONTAINER;
  return pod.spec?.containers?.find(named) ?? pod.spec?.initContainers?.find(named);
}

const controllerOf = (refs: V1OwnerReference[] | undefined): V1OwnerReference | undefined => refs?.find((r) => r.controller === true);
const isApps = (r: V1OwnerReference): boolean => r.apiVersion === 'apps/v1';

/**
 * The workload that owns a pod, from its controller reference: a StatefulSet or DaemonSet (apps/v1) directly,
 * a ReplicaSet's controlling Deployment through `replicaSetOwner` (the ReplicaSet's controller reference:
 * undefined when it has none, null when the ReplicaSet is gone). Anything else (a Job, a bare ReplicaSet, an
 * operator's kind such as an Argo Rollout or an apps.kruise.io StatefulSet) is named in ownerNote instead.
 */
export async function podOwner(namespace: string, pod: V1Pod, replicaSetOwner: (namespace: string, name: string) => Promise<V1OwnerReference | undefined | null>): Promise<Pick<SidecarPod, 'owner' | 'ownerNote'>> {
  const c = controllerOf(pod.metadata?.ownerReferences);
  if (!c) return { ownerNote: 'no controller' };
  if (isApps(c) && (c.kind === 'StatefulSet' || c.kind === 'DaemonSet')) return { owner: { kind: c.kind, namespace, name: c.name } };
  if (!isApps(c) || c.kind !== 'ReplicaSet') return { ownerNote: `${c.kind}/${c.name}` };
  const d = await replicaSetOwner(namespace, c.name);
  if (d === null) return { ownerNote: `ReplicaSet/${c.name} (gone)` };
  if (!d) return { ownerNote: `ReplicaSet/${c.name}` };
  if (isApps(d) && d.kind === 'Deployment') return { owner: { kind: 'Deployment', namespace, name: d.name } };
  return { ownerNote: `${d.kind}/${d.name}` };
}

const PAGE = 500;


/**
 * Every live pod, in every namespace, with a daprd container or init container, and the workload that owns it.
 * Pods being deleted and finished pods (Succeeded, Failed) are left out: they will not run that sidecar again.
 * Pods are listed in pages; each ReplicaSet is read once.
 */
export async function listDaprSidecars(kc: KubeConfig): Promise<SidecarPod[]> {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const replicaSets = new Map<string, Promise<V1OwnerReference | undefined | null>>();
  const replicaSetOwner = (namespace: string, name: string): Promise<V1OwnerReference | undefined | null> => {
    const key = `${namespace}/${name}`;
    let p = replicaSets.get(key);
    if (!p) {
      p = apps.readNamespacedReplicaSet({ name, namespace }).then(
        (rs) => controllerOf(rs.metadata?.ownerReferences),
        (err: unknown) => {
          // Deleted since the pod was listed (an old ReplicaSet cleaned up): its pods are going too.
          if ((err as { code?: number }).code === 404) return null;
          throw new OperationError(`reading ReplicaSet ${key}: ${apiError(err)}`, { hint: 'the identity needs get on replicasets (apps) in every namespace with Dapr apps' });
        },
      );
      replicaSets.set(key, p);
    }
    return p;
  };

  const found: Array<{ namespace: string; pod: V1Pod; image: string }> = [];
  let token: string | undefined;
  do {
    const list = await core.listPodForAllNamespaces({ limit: PAGE, _continue: token }).catch((err: unknown) => {
      throw new OperationError(`listing pods in all namespaces: ${apiError(err)}`, { hint: 'the identity needs list on pods cluster-wide' });
    });
    for (const pod of list.items) {
      if (pod.metadata?.deletionTimestamp || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
      const daprd = daprdContainer(pod);
      if (daprd) found.push({ namespace: pod.metadata?.namespace ?? '', pod, image: daprd.image ?? '' });
    }
    token = list.metadata?._continue || undefined;
  } while (token);

  return mapLimit(found, 8, async ({ namespace, pod, image }) => {
    const version = sidecarVersion(image);
    return { namespace, pod: pod.metadata?.name ?? '', image, ...(version ? { version } : {}), ...(await podOwner(namespace, pod, replicaSetOwner)) };
  });
}

/** fn over items with at most `limit` calls in flight (a cluster can have hundreds of ReplicaSets to read). */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * The daprd image the injector injects now: env SIDECAR_IMAGE of the dapr-sidecar-injector Deployment's
 * container (the chart writes registry/daprd:tag, or image.name when it holds a '/'). Undefined when the
 * injector is not installed (injector disabled) or the value does not come as a literal.
 */
export async function readSidecarImage(kc: KubeConfig, namespace: string): Promise<string | undefined> {
  const apps = kc.makeApiClient(AppsV1Api);
  const d = await apps.readNamespacedDeployment({ name: INJECTOR, namespace }).catch((err: unknown) => {
    if ((err as { code?: number }).code === 404) return undefined;
    throw new OperationError(`reading Deployment ${namespace}/${INJECTOR}: ${apiError(err)}`, { hint: 'the identity needs get on deployments in the control plane\'s namespace' });
  });
  const containers = d?.spec?.template.spec?.containers ?? [];
  const image = (c: V1Container | undefined): string | undefined => c?.env?.find((e) => e.name === 'SIDECAR_IMAGE')?.value || undefined;
  return image(containers.find((c) => c.name === INJECTOR)) ?? containers.map(image).find(Boolean);
}

export interface RestartResult {
  ref: WorkloadRef;
  ready: boolean;
  /** `ready`, or why not: the readiness reason at the deadline, a refused patch, a rollout that cannot start. */
  reason: string;
  /** From the first patch until rolled out (or until given up). */
  seconds: number;
}

interface Patched {
  spec?: { paused?: boolean; updateStrategy?: { type?: string } };
}

/** Why a workload whose template just changed will not roll its pods by itself; undefined when it will. */
export function cannotRoll(kind: WorkloadRef['kind'], obj: Patched): string | undefined {
  if (kind === 'Deployment' && obj.spec?.paused) return 'is paused: its pods are replaced only after kubectl rollout resume';
  if (kind !== 'Deployment' && obj.spec?.updateStrategy?.type === 'OnDelete') return 'has updateStrategy OnDelete: its pods pick up the restart only when they are deleted';
  return undefined;
}

/** Pause before watching again after a watch answered from a stale cache. */
const REWAIT_MS = 250;

/** A consistent read of a workload (no resourceVersion: the API server reads etcd, not its watch cache); undefined when it is gone. */
async function readWorkload(apps: AppsV1Api, ref: WorkloadRef): Promise<unknown> {
  const p = { name: ref.name, namespace: ref.namespace };
  const read = ref.kind === 'Deployment' ? apps.readNamespacedDeployment(p) : ref.kind === 'StatefulSet' ? apps.readNamespacedStatefulSet(p) : apps.readNamespacedDaemonSet(p);
  return read.catch((err: unknown) => {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  });
}

/**
 * Waits until the restarted workload has rolled out. waitForWorkload's watch carries no resourceVersion, and the
 * API server (1.27+) serves such a watch's first event from its watch cache without waiting for it to catch up:
 * right after the patch that event can still be the workload before it (old generation, observed, ready). So
 * whatever the watch calls ready is confirmed by a consistent read, whose generation is the patched one or later:
 * workloadReadiness then accepts it only once the controller has observed that generation and counts the new
 * pods updated and available. A stale answer means waiting again, until the deadline.
 */
async function waitForRestart(kc: KubeConfig, apps: AppsV1Api, ref: WorkloadRef, deadline: number, log: Logger): Promise<Readiness> {
  for (;;) {
    const w = await waitForWorkload(kc, ref, Math.max(0, deadline - Date.now()), log);
    if (!w.readiness.ready) return w.readiness;
    const fresh = await readWorkload(apps, ref).catch((err: unknown) => err as Error);
    const r = fresh instanceof Error ? { ready: false, reason: `reading it: ${apiError(fresh)}` } : workloadReadiness(ref.kind, fresh as Parameters<typeof workloadReadiness>[1]);
    if (r.ready || Date.now() + REWAIT_MS >= deadline) return r;
    log.debug(`${refName(ref)}: the watch said ready, a fresh read says ${r.reason}; waiting again`);
    await new Promise((resolve) => setTimeout(resolve, REWAIT_MS));
  }
}

/**
 * What `kubectl rollout restart` does, for several workloads at once: each (deduplicated) gets a new
 * kubectl.kubernetes.io/restartedAt on its pod template, all are patched first, then all are waited for
 * together (waitForRestart: the new generation rolled out, never the old pods' readiness). A refused patch,
 * a paused Deployment and an OnDelete StatefulSet or DaemonSet come back not ready, with the reason, and are
 * not waited for.
 */
export async function restartWorkloads(kc: KubeConfig, refs: WorkloadRef[], timeoutMs: number, log: Logger, now: () => Date = () => new Date()): Promise<RestartResult[]> {
  const apps = kc.makeApiClient(AppsV1Api);
  const unique = [...new Map(refs.map((r) => [refName(r), r])).values()];
  const t0 = Date.now();
  const deadline = t0 + timeoutMs;
  const at = now().toISOString();
  const body = { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: at } } } } };
  const smp = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

  const patched = await Promise.all(
    unique.map(async (ref): Promise<{ ref: WorkloadRef; failed?: string }> => {
      const p = { name: ref.name, namespace: ref.namespace, body };
      try {
        const obj: Patched = ref.kind === 'Deployment' ? await apps.patchNamespacedDeployment(p, smp) : ref.kind === 'StatefulSet' ? await apps.patchNamespacedStatefulSet(p, smp) : await apps.patchNamespacedDaemonSet(p, smp);
        const why = cannotRoll(ref.kind, obj);
        log.info(`${refName(ref)}: restart requested (${RESTARTED_AT}=${at})${why ? `, but it ${why}` : ''}`);
        return why ? { ref, failed: why } : { ref };
      } catch (err) {
        const failed = (err as { code?: number }).code === 404 ? 'not restarted: it no longer exists' : `not restarted: ${apiError(err)}`;
        log.warning(`${refName(ref)}: ${failed}`);
        return { ref, failed };
      }
    }),
  );

  return Promise.all(
    patched.map(async ({ ref, failed }): Promise<RestartResult> => {
      const r = failed ? { ready: false, reason: failed } : await waitForRestart(kc, apps, ref, deadline, log);
      return { ref, ready: r.ready, reason: r.reason, seconds: (Date.now() - t0) / 1000 };
    }),
  );
}
