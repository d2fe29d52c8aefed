import type { KubeConfig } from '@kubernetes/client-node';
import { OperationError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { Secrets } from '../../core/secrets.js';
import { controlPlaneWorkloads } from '../../dapr/control-plane.js';
import { renewTrustBundle, type RenewedBundle } from '../../dapr/rotate.js';
import { listDaprSidecars, outdatedSidecars, readSidecarImage, restartWorkloads, type SidecarPod } from '../../dapr/sidecars.js';
import { refName, type WorkloadRef } from '../../kube/wait.js';
import { waitForInjection } from './install.js';

export interface Restarted {
  ref: WorkloadRef;
  ready: boolean;
  reason: string;
  seconds: number;
}

/** Deduplicated controlling workloads of pods, and the pods nothing can roll (no Deployment/StatefulSet/DaemonSet). */
export function workloadsOf(pods: SidecarPod[]): { refs: WorkloadRef[]; unowned: SidecarPod[] } {
  const refs = new Map<string, WorkloadRef>();
  const unowned: SidecarPod[] = [];
  for (const p of pods) {
    if (p.owner) refs.set(refName(p.owner), p.owner);
    else unowned.push(p);
  }
  return { refs: [...refs.values()], unowned };
}

async function restartOrThrow(kc: KubeConfig, refs: WorkloadRef[], timeoutMs: number, log: Logger, what: string): Promise<Restarted[]> {
  if (!refs.length) return [];
  const results = await restartWorkloads(kc, refs, timeoutMs, log);
  for (const r of results) log.info(`${refName(r.ref)}: ${r.ready ? `rolled out in ${r.seconds.toFixed(1)} s` : r.reason}`);
  const bad = results.filter((r) => !r.ready);
  if (bad.length) {
    throw new OperationError(`${what}: not rolled out after ${Math.round(timeoutMs / 1000)} s: ${bad.map((r) => `${refName(r.ref)} (${r.reason})`).join('; ')}`, {
      hint: 'look at the new pods of those workloads (kubectl describe pod, kubectl logs -c daprd): a sidecar that cannot get its certificate from sentry stays unready',
    });
  }
  return results;
}

export interface RotationResult extends RenewedBundle {
  restarted: Restarted[];
  /** Dapr pods without a controller: they keep the old anchors until someone recreates them. */
  unowned: SidecarPod[];
}

/**
 * Renews the trust anchor and issuer (renewTrustBundle), then restarts what holds the old ones: sentry first
 * (it reads the issuer at start), then the rest of the control plane, waits until injection works again, and
 * rolls every workload with a Dapr sidecar so each daprd gets the new anchors (the injector writes them into
 * the pod) and a certificate from the new issuer. Rolling updates keep the apps serving.
 */
export async function rotateCertificates(kc: KubeConfig, namespace: string, o: { validityDays: number; timeoutMs: number; log: Logger; secrets: Secrets }): Promise<RotationResult> {
  const { log } = o;
  const renewed = await renewTrustBundle(kc, namespace, { validForMs: o.validityDays * 86_400_000, secrets: o.secrets });
  log.info(`new trust anchor (expires ${renewed.rootExpires.toISOString()}) and issuer (expires ${renewed.issuerExpires.toISOString()}) written; ${renewed.keptAnchors} old anchor(s) kept in the bundle until they expire`);
  const cp = controlPlaneWorkloads(namespace);
  const sentry = cp.filter((r) => r.name === 'dapr-sentry');
  const restarted = [...await restartOrThrow(kc, sentry, o.timeoutMs, log, 'sentry with the new issuer')];
  restarted.push(...await restartOrThrow(kc, cp.filter((r) => r.name !== 'dapr-sentry'), o.timeoutMs, log, 'the control plane with the new certificates'));
  await waitForInjection(kc, namespace, o.timeoutMs, log);
  const { refs, unowned } = workloadsOf(await listDaprSidecars(kc));
  restarted.push(...await restartOrThrow(kc, refs, o.timeoutMs, log, 'Dapr apps onto the new trust anchors'));
  return { ...renewed, restarted, unowned };
}

export interface SkewResult {
  controlPlaneVersion: string;
  sidecarImage?: string;
  /** Outdated pods before any restart of this step. */
  found: SidecarPod[];
  restarted: Restarted[];
  /** Outdated pods after the restarts (all of `found` when none were asked for). */
  remaining: SidecarPod[];
  unowned: SidecarPod[];
}

/**
 * Every pod whose injected daprd differs from the control plane's version; with `restart`, their workloads are
 * rolled (and waited for) and the pods listed again.
 */
export async function sidecarSkew(kc: KubeConfig, namespace: string, o: { version: string; restart: boolean; timeoutMs: number; log: Logger }): Promise<SkewResult> {
  const sidecarImage = await readSidecarImage(kc, namespace);
  const cp = { version: o.version, sidecarImage };
  const found = outdatedSidecars(await listDaprSidecars(kc), cp);
  for (const p of found) o.log.info(`${p.namespace}/${p.pod}: daprd ${p.version ?? `of unknown version (${p.image})`}${p.owner ? ` (${refName(p.owner)})` : ` (${p.ownerNote ?? 'no controller'})`}`);
  const { refs, unowned } = workloadsOf(found);
  if (!o.restart || !found.length) return { controlPlaneVersion: o.version, sidecarImage, found, restarted: [], remaining: found, unowned };
  const restarted = await restartOrThrow(kc, refs, o.timeoutMs, o.log, 'workloads with outdated sidecars');
  const remaining = outdatedSidecars(await listDaprSidecars(kc), cp);
  return { controlPlaneVersion: o.version, sidecarImage, found, restarted, remaining, unowned };
}

/** Outdated pods as the `outdated-sidecar-pods` output: [{ namespace, pod, version, image, workload }]. */
export function podsJson(pods: SidecarPod[]): string {
  return JSON.stringify(pods.map((p) => ({ namespace: p.namespace, pod: p.pod, version: p.version ?? null, image: p.image, workload: p.owner ? refName(p.owner) : undefined })));
}

/** Kind/namespace/name of each workload restarted, once each, in order. */
export function workloadNames(restarted: Restarted[]): string[] {
  return [...new Set(restarted.map((r) => refName(r.ref)))];
}
