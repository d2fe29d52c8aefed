import type { ActionResult, StepContext } from '../../core/action.js';
import { ConfigurationError, OperationError } from '../../core/errors.js';
import { withGroup, type Timings } from '../../core/groups.js';
import type { Logger } from '../../core/log.js';
import type { KubeRest } from '../../kube/rest.js';
import type { Helm } from '../../helm/helm.js';
import type { HelmBinary, HelmChoice } from '../../helm/tool.js';
import type { DeployDeps, DeployRequest, DeployResult } from './deploy.js';
import type { DiffDeps } from './diff.js';
import type { ChartSource, HelmDeployInputs } from './inputs.js';

/**
 * helm-deploy's run: Helm resolved while the clients load, secret values into a private 0600 file, then the
 * deploy (preflight, upgrade, diagnostics, rollback). What the step reports comes back as the result, failures too.
 */
export interface HelmDeployDeps {
  log: Logger;
  timings: Timings;
  /** The Helm binary (preinstalled, or downloaded and verified): started first, while the rest loads. */
  resolveHelm(choice: HelmChoice): Promise<HelmBinary>;
  /** The cluster for a kubeconfig path (undefined: KUBECONFIG or the default), and Helm running against it. */
  clients(kubeconfig: string | undefined): Promise<{ kube: KubeRest; helm(binary: HelmBinary): Helm }>;
  deploy(request: DeployRequest, deps: DeployDeps): Promise<DeployResult>;
  /** Writes the secret values to a 0600 file that the post step removes; returns its path. */
  writeSecretValues(yaml: string): string;
  /** What the diff needs from the step (the secrets to redact, the environment): src/actions/helm-deploy/diff.ts. */
  diffStep?: DiffDeps['step'];
}

export interface HelmDeployResult extends ActionResult {
  release: string;
  namespace: string;
  chart: ChartSource;
  /** The chart version asked for, if any. */
  chartVersion?: string;
  dryRun: boolean;
  /** The Helm that ran (undefined: it could not be resolved). */
  helmVersion?: string;
  /** The deploy's outcome (undefined: the run failed before it). */
  deploy?: DeployResult;
}

export async function run(inputs: HelmDeployInputs, deps: HelmDeployDeps): Promise<HelmDeployResult> {
  const { log, timings } = deps;
  const result: HelmDeployResult = { release: inputs.release, namespace: inputs.namespace, chart: inputs.chart, chartVersion: inputs.chartVersion, dryRun: inputs.dryRun };
  const binaryP = withGroup(log, 'Helm', () => deps.resolveHelm(inputs.helm), timings);
  binaryP.catch(() => undefined); // awaited below: an error thrown before then must not leave it unhandled
  try {
    const clients = await deps.clients(inputs.kubeconfig);
    const valuesFiles = [...inputs.valuesFiles];
    if (inputs.secretValues !== undefined) valuesFiles.push(deps.writeSecretValues(inputs.secretValues));
    const binary = await binaryP;
    result.helmVersion = binary.version;
    if (inputs.forceConflicts && binary.major === 3) {
      throw new ConfigurationError({ input: 'force-conflicts', problem: `is true, but Helm ${binary.version} applies client-side (a three-way merge) and has no field-manager conflicts to force`, fix: 'remove force-conflicts, or set helm-version to a Helm 4 release' });
    }
    const c = inputs.chart;
    const upgrade = {
      release: inputs.release,
      chart: c.kind === 'local' ? c.path : c.kind === 'oci' ? c.ref : c.name,
      namespace: inputs.namespace,
      chartVersion: inputs.chartVersion,
      repo: c.kind === 'repo' ? c.repo : undefined,
      createNamespace: inputs.createNamespace,
      valuesFiles,
      set: inputs.set,
      setString: inputs.setString,
      setFile: inputs.setFile,
      timeoutMs: inputs.timeoutMs,
      wait: inputs.wait,
      rollbackOnFailure: inputs.rollbackOnFailure,
      dryRun: inputs.dryRun,
      historyMax: inputs.historyMax,
      forceConflicts: inputs.forceConflicts,
    };
    const diff = inputs.diff ? { commentOnPr: inputs.commentOnPr, githubToken: inputs.githubToken } : undefined;
    const deployed = await deps.deploy({ recoverPending: inputs.recoverPending, upgrade, mode: inputs.mode, diff }, { helm: clients.helm(binary), kube: clients.kube, log, timings, ...(deps.diffStep ? { diff: { step: deps.diffStep, kubeconfig: inputs.kubeconfig } } : {}) });
    result.deploy = deployed;
    if (!deployed.ok) {
      result.failure = new OperationError(`helm upgrade --install ${inputs.release} failed: ${deployed.failure}\nOutcome: ${deployed.outcome}`, {
        hint: deployed.hint ?? 'read the Diagnostics group above (events, pod states, logs) and the job summary',
      });
      return result;
    }
    log.info(`${inputs.release}: ${deployed.outcome}`);
    return result;
  } catch (err) {
    result.failure = err;
    return result;
  }
}

/** The real dependencies: heavy clients load here, once the inputs are valid, and while Helm is being resolved. */
export function deps(step: StepContext): HelmDeployDeps {
  const runner = import('../../core/exec.js').then(({ SafeRunner }) => new SafeRunner(step.log, step.secrets));
  return {
    log: step.log,
    timings: step.timings,
    resolveHelm: async (choice) => {
      const [{ resolveHelm }, r] = await Promise.all([import('../../helm/tool.js'), runner]);
      return resolveHelm(choice, r, { log: step.log });
    },
    clients: async (kubeconfig) => {
      const [{ Helm, helmEnv }, { KubeRest }, r] = await Promise.all([import('../../helm/helm.js'), import('../../kube/rest.js'), runner]);
      const kube = KubeRest.fromKubeconfig(kubeconfig, { env: step.env, onSecret: (v) => step.secrets.add(v) });
      return { kube, helm: (binary) => new Helm(binary, r, step.log, helmEnv(step.env, kubeconfig)) };
    },
    deploy: async (request, d) => (await import('./deploy.js')).deploy(request, d),
    writeSecretValues: (yaml) => step.privateDir('helm-deploy').write('secret-values.yaml', yaml),
    diffStep: step,
  };
}
