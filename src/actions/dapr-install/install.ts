import { AppsV1Api, CoreV1Api, KubernetesObjectApi, type KubeConfig } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigurationError, errorMessage, OperationError } from '../../core/errors.js';
import { withGroup, type Timings } from '../../core/groups.js';
import type { Logger } from '../../core/log.js';
import { compareVersions, controlPlaneValues, controlPlaneWorkloads } from '../../dapr/control-plane.js';
import { chartDaprVersion } from '../../dapr/chart.js';
import { chartCrds, keepLiveConversion } from '../../dapr/crds.js';
import { sidecarVersion } from '../../dapr/sidecars.js';
import { serverSideApply, type Applied } from '../../kube/apply.js';
import { applyConflict, applyConflictHint, type Helm } from '../../helm/helm.js';
import { chartVersionOf, isPending, latest, liveRevision } from '../../helm/release.js';
import { deployedReleaseLabels } from '../../helm/storage.js';
import type { KubeRest } from '../../kube/rest.js';
import { waitForCrds } from '../../kube/crds.js';
import { collectDiagnostics } from '../../kube/diagnostics.js';
import { refName, waitForWorkload, type WorkloadRef } from '../../kube/wait.js';
import type { DaprInstallInputs } from './inputs.js';

export const RELEASE = 'dapr';
const DIGEST_LABEL = 'dapr-install-inputs';

export interface ControlPlaneRow {
  workload: string;
  ready: string;
  version: string;
  /** The workload's container image as its template names it ('' when the workload is missing). */
  image: string;
}

export interface ControlPlaneResult {
  action: 'installed' | 'upgraded' | 'downgraded' | 'reconfigured' | 'unchanged';
  from?: string;
  /** The Dapr the control plane runs (its images, else its release): what the summary and outputs report. */
  version: string;
  /** The dapr-version asked for. */
  requested: string;
  changed: boolean;
  rows: ControlPlaneRow[];
  /** The chart's CRDs as applied before Helm ran: created, configured or unchanged. */
  crds: Applied[];
}

export interface InstallDeps {
  helm: Helm;
  kc: KubeConfig;
  /** The same cluster through the light client (src/kube/rest.ts): Helm's release records. */
  kube: KubeRest;
  log: Logger;
  timings: Timings;
}

/** A digest of everything that shapes the release, kept as a release label: same inputs, no helm run. */
export function inputsDigest(i: DaprInstallInputs): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ v: i.daprVersion, chart: i.chart, ha: i.ha, storage: i.schedulerStorage, set: i.set }));
  for (const f of i.valuesFiles) h.update(readFileSync(f));
  return h.digest('hex').slice(0, 16);
}

/** What is installed now, and whether the requested version may replace it. Throws before any change. */
export async function planControlPlane(i: DaprInstallInputs, deps: InstallDeps): Promise<{ from?: string; skip: boolean; digest: string }> {
  const history = await deps.helm.history(RELEASE, i.namespace);
  const last = latest(history);
  if (last && isPending(last.status)) {
    throw new OperationError(`the Dapr release in ${i.namespace} is ${last.status} at revision ${last.revision}: another Helm operation is running, or an earlier run was cancelled`, {
      hint: `if no other run is active, roll it back (helm rollback ${RELEASE} -n ${i.namespace}) or use helm-deploy with recover-pending`,
    });
  }
  const live = liveRevision(history);
  const from = live ? chartVersionOf(live.chart) : undefined;
  if (from && compareVersions(i.daprVersion, from) < 0 && !i.allowDowngrade) {
    throw new ConfigurationError({ input: 'dapr-version', problem: `${i.daprVersion} is older than the installed Dapr ${from}`, fix: 'a downgrade can break apps and CRDs; set allow-downgrade: true if you mean it' });
  }
  const digest = inputsDigest(i);
  const labels = live ? await deployedReleaseLabels(deps.kube, RELEASE, i.namespace) : undefined;
  return { from, skip: from === i.daprVersion && labels?.[DIGEST_LABEL] === digest, digest };
}

/** The tag of an image reference (`edge`, a digest's short form), for the summary when it is no version. */
function imageTag(image: string): string {
  const [named = '', digest] = image.split('@', 2);
  const last = named.slice(named.lastIndexOf('/') + 1);
  return last.includes(':') ? last.slice(last.indexOf(':') + 1) : digest ? digest.slice(0, 19) : '';
}

async function rows(kc: KubeConfig, refs: WorkloadRef[]): Promise<ControlPlaneRow[]> {
  const apps = kc.makeApiClient(AppsV1Api);
  return Promise.all(
    refs.map(async (r) => {
      const obj = await (r.kind === 'Deployment' ? apps.readNamespacedDeployment({ name: r.name, namespace: r.namespace }) : apps.readNamespacedStatefulSet({ name: r.name, namespace: r.namespace })).catch(() => undefined);
      const image = obj?.spec?.template.spec?.containers[0]?.image ?? '';
      return { workload: `${r.kind}/${r.name}`, ready: obj ? `${obj.status?.readyReplicas ?? 0}/${obj.spec?.replicas ?? 1}` : 'missing', version: sidecarVersion(image) ?? imageTag(image), image };
    }),
  );
}

/**
 * The target chart's CRDs, applied with server-side apply before the Helm upgrade (Helm never upgrades a
 * chart's crds/), each reported as created, configured or unchanged, and waited for until Established.
 */
async function applyCrds(i: DaprInstallInputs, deps: InstallDeps): Promise<Applied[]> {
  const chart = chartRef(i);
  const text = await deps.helm.showCrds(chart, { version: i.chart.kind === 'local' ? undefined : i.daprVersion, repo: i.chart.kind === 'repo' ? i.chart.repo : undefined });
  const api = KubernetesObjectApi.makeApiClient(deps.kc);
  const crds = await Promise.all(chartCrds(text, chart).map(async (c) => {
    const live = await api.read({ apiVersion: c.apiVersion!, kind: c.kind!, metadata: { name: c.metadata!.name! } }).catch(() => undefined);
    return keepLiveConversion(c, live);
  }));
  const applied = await serverSideApply(deps.kc, crds, 'dapr-install');
  for (const a of applied) deps.log.info(`CustomResourceDefinition/${a.name}: ${a.result}`);
  await waitForCrds(deps.kc, applied.map((a) => a.name), i.timeoutMs);
  deps.log.info(`${applied.length} CRDs Established`);
  return applied;
}

/**
 * A chart from a repository or an oci:// reference is read with `helm show chart` before anything changes (a
 * local chart was read with the inputs): it must install the Dapr asked for, or the action would report a
 * version that does not run. A chart version the repository does not have is the user's to fix (dapr-version).
 */
export async function checkChartVersion(i: DaprInstallInputs, deps: Pick<InstallDeps, 'helm'>): Promise<void> {
  if (i.chart.kind === 'local') return;
  const where = i.chart.kind === 'repo' ? `chart-repo ${i.chart.repo}` : i.chart.ref;
  const chart = await deps.helm.showChart(chartRef(i), { version: i.daprVersion, repo: i.chart.kind === 'repo' ? i.chart.repo : undefined }).catch((err: unknown) => {
    if (/not found|manifest unknown|no such (manifest|tag)|: 404\b/i.test(errorMessage(err))) {
      throw new ConfigurationError({ input: 'dapr-version', problem: `${i.daprVersion}: ${where} has no Dapr chart of that version (${errorMessage(err).split('\n')[0]})`, fix: `use a Dapr release that ${i.chart.kind === 'repo' ? 'chart-repo' : 'chart'} holds (helm search repo dapr --versions lists them)` });
    }
    throw err;
  });
  const runs = chartDaprVersion(chart);
  if (runs !== i.daprVersion) {
    throw new ConfigurationError({ input: 'dapr-version', problem: `${i.daprVersion} is not what the chart at ${where} installs: Dapr ${runs} (chart version ${chart.version})`, fix: `set dapr-version: ${runs}, or point chart at the chart of Dapr ${i.daprVersion}` });
  }
}

/**
 * The Dapr the control plane runs: the version its images carry when they all agree (`:1.18.2`, `:1.18.2-mariner`),
 * else the release's appVersion (images by digest, or a mix). Never merely the version asked for.
 */
export function runningVersion(images: string[], release: { appVersion?: string; chart?: string } | undefined): { version: string; from: 'images' | 'release'; imageVersions: string[] } {
  const imageVersions = [...new Set(images.map((x) => sidecarVersion(x)).filter((v): v is string => v !== undefined))];
  if (imageVersions.length === 1 && images.every((x) => sidecarVersion(x) !== undefined)) return { version: imageVersions[0]!, from: 'images', imageVersions };
  const fromRelease = (release?.appVersion || (release?.chart ? chartVersionOf(release.chart) : '')).replace(/^v/, '');
  return { version: fromRelease, from: 'release', imageVersions };
}

function chartRef(i: DaprInstallInputs): string {
  return i.chart.kind === 'repo' ? RELEASE : i.chart.kind === 'oci' ? i.chart.ref : i.chart.path;
}

/**
 * The injector's pod can be Ready before its webhook serves (it fetches its certificate from sentry and then
 * patches the webhook's CA bundle); meanwhile the API server skips the webhook (failurePolicy Ignore) and apps
 * start without sidecars. So the wait ends only when a server-side dry run of an annotated pod comes back
 * with daprd in it: injection proven, nothing created.
 */
export async function waitForInjection(kc: KubeConfig, namespace: string, timeoutMs: number, log: Logger): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const deadline = Date.now() + timeoutMs;
  let last: string;
  for (let attempt = 0; ; attempt++) {
    try {
      const pod = await core.createNamespacedPod({
        namespace,
        dryRun: 'All',
        body: {
          metadata: { generateName: 'dapr-install-injection-probe-', annotations: { 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'dapr-install-probe' } },
          spec: { containers: [{ name: 'app', image: 'dapr-install/probe:dry-run' }] },
        },
      });
      if (pod.spec?.containers.some((c) => c.name === 'daprd')) {
        log.info(`sidecar injection works (a dry-run pod got daprd${attempt ? ` after ${attempt} attempts` : ''})`);
        return;
      }
      last = 'the dry-run pod came back without a daprd container (the injector webhook was skipped or did not answer)';
    } catch (err) {
      last = errorMessage(err).split('\n')[0] ?? '';
    }
    if (Date.now() > deadline) {
      throw new OperationError(`the Dapr sidecar injector does not inject yet: ${last}`, {
        hint: `look at the injector's logs (kubectl -n ${namespace} logs deploy/dapr-sidecar-injector) and its MutatingWebhookConfiguration dapr-sidecar-injector (CA bundle); apps deployed now would start without sidecars`,
      });
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Subscriptions are stored as v2alpha1 and served as v1alpha1 through the operator's conversion webhook, which
 * can answer a moment after the operator's pod is Ready (its Service endpoints, its CA bundle on the CRD). Until
 * then every v1alpha1 read or write of a Subscription fails, so the wait ends when a server-side dry run of a
 * v1alpha1 Subscription is converted: nothing is created.
 */
async function waitForConversion(kc: KubeConfig, namespace: string, timeoutMs: number, log: Logger): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      await api.create({ apiVersion: 'dapr.io/v1alpha1', kind: 'Subscription', metadata: { name: 'dapr-install-conversion-probe', namespace }, spec: { pubsubname: 'probe', topic: 'probe', route: '/probe' } } as never, undefined, 'All');
      log.info(`Subscription conversion (v1alpha1 <-> v2alpha1) works${attempt ? ` after ${attempt} attempts` : ''}`);
      return;
    } catch (err) {
      const msg = errorMessage(err);
      if (!/conversion webhook/i.test(msg)) {
        log.info(`Subscription conversion not checked: ${msg.split('\n')[0] ?? ''}`);
        return;
      }
      if (Date.now() > deadline) {
        throw new OperationError(`the Dapr operator's conversion webhook does not answer yet: ${msg.split('\n')[0] ?? ''}`, {
          hint: `look at the operator's logs (kubectl -n ${namespace} logs deploy/dapr-operator) and the Service dapr-webhook; v1alpha1 Subscriptions cannot be read or written until it answers`,
        });
      }
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Waits for every workload; on timeout, names each one that is not ready and why (from its pods). */
async function waitReady(i: DaprInstallInputs, deps: InstallDeps, since: Date): Promise<void> {
  const refs = controlPlaneWorkloads(i.namespace);
  const t0 = Date.now();
  const results = await Promise.all(refs.map((r) => waitForWorkload(deps.kc, r, i.timeoutMs, deps.log)));
  const bad = results.filter((r) => !r.readiness.ready);
  if (!bad.length) {
    const injectorOff = i.set.some((x) => x.key === 'dapr_sidecar_injector.enabled' && x.value === 'false');
    if (!injectorOff) await waitForInjection(deps.kc, i.namespace, Math.max(5_000, i.timeoutMs - (Date.now() - t0)), deps.log);
    await waitForConversion(deps.kc, i.namespace, Math.max(5_000, i.timeoutMs - (Date.now() - t0)), deps.log);
    return;
  }
  const d = await collectDiagnostics(deps.kc, i.namespace, { since });
  const why = bad.map((r) => {
    const mine = d.pods.filter((p) => p.name.startsWith(`${r.ref.name}-`));
    const pods = mine.map((p) => `pod ${p.name}: ${p.reason}${p.containers.filter((c) => !c.ready).map((c) => `; ${c.name} ${c.why ?? c.state}`).join('')}`);
    const events = d.events.filter((e) => e.type === 'Warning' && e.object.includes(r.ref.name)).slice(0, 2).map((e) => `${e.reason}: ${e.message}`);
    // A crash-looping container's own last words say more than its state.
    const logs = d.logs.filter((l) => mine.some((p) => p.name === l.pod)).slice(0, 1)
      .map((l) => `last log lines of ${l.pod}/${l.container}${l.previous ? ' (previous run)' : ''}:${l.text.trimEnd().split('\n').slice(-5).map((x) => `\n      ${x}`).join('')}`);
    return `${refName(r.ref)}: ${r.readiness.reason}${[...pods, ...events, ...logs].map((x) => `\n    ${x}`).join('')}`;
  });
  throw new OperationError(`the Dapr control plane is not ready after ${Math.round(i.timeoutMs / 1000)} s:\n  ${why.join('\n  ')}`, {
    hint: `look at the pods in ${i.namespace} (kubectl -n ${i.namespace} describe pods); apps deployed now would start without sidecars`,
  });
}

export async function installControlPlane(i: DaprInstallInputs, deps: InstallDeps): Promise<ControlPlaneResult> {
  const { log, timings, helm } = deps;
  const plan = await withGroup(log, 'Detect installed Dapr', () => planControlPlane(i, deps), timings);
  log.info(plan.from ? `installed: Dapr ${plan.from}; requested: ${i.daprVersion}` : `no Dapr release in ${i.namespace}; requested: ${i.daprVersion}`);
  await withGroup(log, 'Chart version', () => checkChartVersion(i, deps), timings);
  const since = new Date();
  const crds = await withGroup(log, 'Dapr CRDs (server-side apply)', () => applyCrds(i, deps), timings);
  let action: ControlPlaneResult['action'] = 'unchanged';
  if (plan.skip) {
    log.info(`Dapr ${i.daprVersion} is installed with the same inputs: nothing to change`);
  } else {
    action = !plan.from ? 'installed' : compareVersions(i.daprVersion, plan.from) > 0 ? 'upgraded' : compareVersions(i.daprVersion, plan.from) < 0 ? 'downgraded' : 'reconfigured';
    const chart = chartRef(i);
    const { result } = await withGroup(log, `helm upgrade --install ${RELEASE} (${action}, Dapr ${i.daprVersion})`, () =>
      helm.upgrade({
        release: RELEASE,
        chart,
        namespace: i.namespace,
        chartVersion: i.chart.kind === 'local' ? undefined : i.daprVersion,
        repo: i.chart.kind === 'repo' ? i.chart.repo : undefined,
        createNamespace: true,
        valuesFiles: i.valuesFiles,
        set: [...controlPlaneValues(i), ...i.set],
        setString: [],
        setFile: [],
        timeoutMs: i.timeoutMs,
        wait: false,
        rollbackOnFailure: false,
        dryRun: false,
        labels: { [DIGEST_LABEL]: plan.digest },
        skipCrds: true,
      }), timings);
    if (result.exitCode !== 0) throw helmFailure(result.stderr, i.namespace);
  }
  await withGroup(log, 'Wait for the control plane', () => waitReady(i, deps, since), timings);
  const crdsChanged = crds.some((c) => c.result !== 'unchanged');
  const table = await rows(deps.kc, controlPlaneWorkloads(i.namespace));
  const runs = runningVersion(table.map((r) => r.image), liveRevision(await helm.history(RELEASE, i.namespace)));
  if (runs.from === 'release' && runs.imageVersions.length > 1) log.warning(`the control plane's images carry different Dapr versions (${runs.imageVersions.join(', ')}): reporting the release's ${runs.version}; look at global.tag and the per-service image values`);
  if (runs.version !== i.daprVersion) log.warning(`the control plane runs Dapr ${runs.version || 'of unknown version'} (from its ${runs.from === 'images' ? 'images' : 'release'}), not the dapr-version ${i.daprVersion} asked for: look at global.tag and the image values in set / values-files`);
  return { action, from: plan.from, version: runs.version || i.daprVersion, requested: i.daprVersion, changed: action !== 'unchanged' || crdsChanged, rows: table, crds };
}

/** What a failed Helm run means, with the fix that fits (another Dapr elsewhere in the cluster, above all). */
export function helmFailure(stderr: string, namespace: string): OperationError {
  const tail = stderr.trim().split('\n').slice(-10).join('\n');
  const other = /cannot be imported into the current release: invalid ownership metadata;.*release-namespace" must equal "[^"]+": current value is "([^"]+)"/.exec(stderr.replace(/\\"/g, '"'));
  if (other?.[1] && other[1] !== namespace) {
    return new OperationError(`helm upgrade --install ${RELEASE} failed: Dapr is already installed in namespace ${other[1]}, and a cluster holds one Dapr (its sidecar injector webhook and cluster roles are cluster-wide):\n${tail}`, {
      hint: `set namespace: ${other[1]} to manage that installation, or uninstall it first (helm uninstall ${RELEASE} -n ${other[1]})`,
    });
  }
  const conflict = applyConflict(stderr);
  if (conflict) return new OperationError(`helm upgrade --install ${RELEASE} failed:\n${tail}`, { hint: applyConflictHint(conflict) });
  return new OperationError(`helm upgrade --install ${RELEASE} failed:\n${tail}`, { hint: 'check chart-repo / chart and dapr-version (does that chart version exist?), and the cluster permissions' });
}
