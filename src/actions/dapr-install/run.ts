import type { KubeConfig } from '@kubernetes/client-node';
import type { ActionResult, StepContext } from '../../core/action.js';
import type { DownloadChoice } from '../../core/download-inputs.js';
import { ConfigurationError } from '../../core/errors.js';
import { withGroup, type Timings } from '../../core/groups.js';
import type { Logger } from '../../core/log.js';
import type { TrustBundle } from '../../dapr/certs.js';
import type { HelmBinary, HelmChoice } from '../../helm/tool.js';
import type { Applied } from '../../kube/apply.js';
import type { DaprResource } from './components.js';
import type { DaprInstallInputs } from './inputs.js';
import type { ControlPlaneResult } from './install.js';
import type { RotationResult, SkewResult } from './maintenance.js';

/**
 * dapr-install's run: validate against the cluster, then Helm (only when something differs), wait for readiness,
 * apply components, the CLI, the mTLS certificates and the sidecars' versions. What is done before a failure stays
 * in the result (the entry writes its outputs and summary, then fails the step).
 */

/** What the run does to the cluster the kubeconfig names (install.ts, maintenance.ts and the Kubernetes client). */
export interface DaprCluster {
  namespaceExists(namespace: string): Promise<boolean>;
  installControlPlane(inputs: DaprInstallInputs, helm: HelmBinary): Promise<ControlPlaneResult>;
  /** Server-side apply, field manager dapr-install. */
  apply(resources: DaprResource[]): Promise<Applied[]>;
  readTrustBundle(namespace: string): Promise<TrustBundle>;
  rotateCertificates(namespace: string, o: { validityDays: number; timeoutMs: number }): Promise<RotationResult>;
  sidecarSkew(namespace: string, o: { version: string; restart: boolean; timeoutMs: number }): Promise<SkewResult>;
}

export interface DaprInstallDeps {
  log: Logger;
  timings: Timings;
  /** The Helm binary (preinstalled, or downloaded and verified): started first, while the rest loads. */
  resolveHelm(choice: HelmChoice): Promise<HelmBinary>;
  /** The cluster of a kubeconfig path (undefined: KUBECONFIG or the default), its file checked as an input is. */
  cluster(kubeconfig: string | undefined): Promise<DaprCluster>;
  /** Downloads and verifies the Dapr CLI; returns the binary's path. */
  installCli(cli: DownloadChoice): Promise<string>;
  now(): Date;
}

export interface CertificateState {
  what: 'trust anchor' | 'issuer certificate';
  subject: string;
  expires: Date;
  daysLeft: number;
}

export interface DaprInstallResult extends ActionResult {
  inputs: Pick<DaprInstallInputs, 'namespace' | 'ha' | 'schedulerStorage' | 'certWarnDays' | 'restartOutdatedSidecars'>;
  /** Each part is set once it is done (a failure leaves the later ones unset). */
  controlPlane?: ControlPlaneResult;
  applied?: Applied[];
  cliPath?: string;
  certificates?: CertificateState[];
  rotation?: RotationResult & { reason: string };
  /** Why the certificates were not renewed (rotate-certificates is not false). */
  notRotated?: string;
  skew?: SkewResult;
  /** Kind/namespace/name of the workloads restarted, by the rotation and for the sidecars' versions. */
  restarted?: { rotation: string[]; skew: string[] };
  /** The outdated sidecars left, as the outdated-sidecar-pods output's JSON. */
  outdatedPods?: string;
  /** Set when the run completed: whether anything changed. */
  changed?: boolean;
}

export async function run(inputs: DaprInstallInputs, deps: DaprInstallDeps): Promise<DaprInstallResult> {
  const { log, timings } = deps;
  const result: DaprInstallResult = { inputs: { namespace: inputs.namespace, ha: inputs.ha, schedulerStorage: inputs.schedulerStorage, certWarnDays: inputs.certWarnDays, restartOutdatedSidecars: inputs.restartOutdatedSidecars } };
  const components = inputs.components;
  const binaryP = withGroup(log, 'Helm', () => deps.resolveHelm(inputs.helm), timings);
  binaryP.catch(() => undefined); // awaited below: an error thrown before then must not leave it unhandled
  try {
    // Pure helpers of modules that load the Kubernetes client: loaded while Helm is resolved.
    const [{ daysLeft }, { rotationDue }, { podsJson, workloadNames }] = await Promise.all([import('../../dapr/certs.js'), import('../../dapr/rotate.js'), import('./maintenance.js')]);
    const cluster = await deps.cluster(inputs.kubeconfig);
    if (components.length && !(await cluster.namespaceExists(inputs.componentsNamespace))) {
      throw new ConfigurationError({ input: 'components-namespace', problem: `namespace "${inputs.componentsNamespace}" does not exist`, fix: "create it first (for example with the app's chart), or choose an existing namespace" });
    }
    const controlPlane = await cluster.installControlPlane(inputs, await binaryP);
    result.controlPlane = controlPlane;
    result.applied = components.length
      ? await withGroup(log, `Apply ${components.length} Dapr resources to ${inputs.componentsNamespace}`, async () => {
          const r = await cluster.apply(components.map((c) => c.resource));
          for (const a of r) log.info(`${a.kind}/${a.name}: ${a.result}`);
          return r;
        }, timings)
      : [];
    const cli = inputs.cli;
    if (cli) {
      result.cliPath = await withGroup(log, `Dapr CLI ${cli.version}`, () => deps.installCli(cli), timings);
      result.addPaths = [result.cliPath.slice(0, result.cliPath.lastIndexOf('/'))];
    }

    let certs = await cluster.readTrustBundle(inputs.namespace);
    const due = rotationDue(inputs.rotateCertificates, certs, inputs.certWarnDays, deps.now());
    if (due.rotate) {
      log.info(`renewing the mTLS certificates: ${due.reason}`);
      const rotation = await withGroup(log, 'Renew the mTLS trust anchor and issuer', () => cluster.rotateCertificates(inputs.namespace, { validityDays: inputs.certValidityDays, timeoutMs: inputs.timeoutMs }), timings);
      result.rotation = { ...rotation, reason: due.reason };
      for (const p of rotation.unowned) log.warning(`${p.namespace}/${p.pod} has a Dapr sidecar but no controller to roll it: it keeps the old trust anchors until it is recreated (delete it, or run it from a Deployment)`);
      certs = await cluster.readTrustBundle(inputs.namespace);
    } else if (inputs.rotateCertificates !== 'never') {
      log.info(`mTLS certificates not renewed: ${due.reason}`);
      result.notRotated = due.reason;
    }
    const now = deps.now();
    result.certificates = [];
    for (const [what, c] of [['trust anchor', certs.trustAnchor], ['issuer certificate', certs.issuer]] as const) {
      if (!c) continue;
      const days = daysLeft(c.expires, now);
      result.certificates.push({ what, subject: c.subject, expires: c.expires, daysLeft: days });
      log.info(`Dapr mTLS ${what} (${c.subject}) expires ${c.expires.toISOString()} (in ${days} days)`);
      if (days < inputs.certWarnDays) {
        log.warning(`the Dapr mTLS ${what} expires ${c.expires.toISOString()}, in ${days} days (cert-warn-days: ${inputs.certWarnDays}): renew it before then (rotate-certificates: expiring renews it in place), or sidecars lose mTLS when it lapses`);
      }
    }

    const skew = await withGroup(log, 'Sidecar versions', () => cluster.sidecarSkew(inputs.namespace, { version: controlPlane.version, restart: inputs.restartOutdatedSidecars, timeoutMs: inputs.timeoutMs }), timings);
    result.skew = skew;
    result.outdatedPods = podsJson(skew.remaining);
    result.restarted = { rotation: workloadNames(result.rotation?.restarted ?? []), skew: workloadNames(skew.restarted) };
    if (skew.remaining.length) {
      const versions = [...new Set(skew.remaining.map((p) => p.version ?? 'of unknown version'))].join(', ');
      const fix = skew.remaining.every((p) => !p.owner)
        ? 'nothing controls them to roll them: recreate them'
        : inputs.restartOutdatedSidecars ? 'their rollout did not replace them: look at their workloads' : 'set restart-outdated-sidecars: true, or roll them yourself (kubectl rollout restart); pods without a controller must be recreated';
      log.warning(`${skew.remaining.length} pods run daprd ${versions} while the control plane runs ${controlPlane.version}: ${fix}`);
    }
    const restarted = workloadNames([...(result.rotation?.restarted ?? []), ...skew.restarted]);
    const componentsChanged = result.applied.filter((a) => a.result !== 'unchanged').length;
    const crdsChanged = controlPlane.crds.filter((c) => c.result !== 'unchanged').length;
    result.changed = controlPlane.changed || componentsChanged > 0 || result.rotation !== undefined || skew.restarted.length > 0;
    log.info(
      result.changed
        ? `changed: control plane ${controlPlane.action}, ${crdsChanged} CRDs and ${componentsChanged} resources created or configured${result.rotation ? ', certificates renewed' : ''}${restarted.length ? `, ${restarted.length} workloads restarted` : ''}`
        : 'no changes: Dapr, its CRDs and every resource were already as declared',
    );
  } catch (err) {
    result.failure = err;
  }
  return result;
}

/** The real dependencies: the Kubernetes client, Helm and the downloads load here, once the inputs are valid. */
export function deps(step: StepContext): DaprInstallDeps {
  const { log, secrets, timings, env } = step;
  const runner = import('../../core/exec.js').then(({ SafeRunner }) => new SafeRunner(log, secrets));
  return {
    log,
    timings,
    resolveHelm: async (choice) => {
      const [{ resolveHelm }, r] = await Promise.all([import('../../helm/tool.js'), runner]);
      return resolveHelm(choice, r, { log });
    },
    cluster: async (kubeconfig) => {
      const [{ Helm, helmEnv }, { KubeRest, namespaceExists }, { installControlPlane }, { serverSideApply }, { readTrustBundle }, { rotateCertificates, sidecarSkew }, r] = await Promise.all([
        import('../../helm/helm.js'),
        import('../../kube/rest.js'),
        import('./install.js'),
        import('../../kube/apply.js'),
        import('../../dapr/certs.js'),
        import('./maintenance.js'),
        runner,
      ]);
      const kube = KubeRest.fromKubeconfig(kubeconfig, { env, onSecret: (v) => secrets.add(v) });
      const kc: KubeConfig = await kube.kubeConfig();
      return {
        namespaceExists: (namespace) => namespaceExists(kube, namespace),
        installControlPlane: (inputs, binary) => installControlPlane(inputs, { helm: new Helm(binary, r, log, helmEnv(env, kubeconfig)), kc, kube, log, timings }),
        apply: (resources) => serverSideApply(kc, resources, 'dapr-install'),
        readTrustBundle: (namespace) => readTrustBundle(kc, namespace),
        rotateCertificates: (namespace, o) => rotateCertificates(kc, namespace, { ...o, log, secrets }),
        sidecarSkew: (namespace, o) => sidecarSkew(kc, namespace, { ...o, log }),
      };
    },
    installCli: async (cli) => {
      const [{ installVerifiedTool }, { daprCliRelease }, { goPlatform }] = await Promise.all([import('../../core/download.js'), import('../../dapr/cli.js'), import('../../core/download-inputs.js')]);
      return installVerifiedTool({ release: daprCliRelease(cli.version, cli.baseUrl, goPlatform()), expected: cli.expected, allowInsecure: cli.allowInsecure }, { log });
    },
    now: () => new Date(),
  };
}
