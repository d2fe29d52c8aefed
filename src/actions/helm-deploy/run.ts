import { StateKey, type ActionEnv } from '../../core/action.js';
import { OperationError } from '../../core/errors.js';
import { withGroup } from '../../core/groups.js';
import { PrivateDir } from '../../core/tempfiles.js';
import { parseHelmDeployInputs } from './inputs.js';

export async function helmDeploy(env: ActionEnv): Promise<void> {
  const inputs = parseHelmDeployInputs(env.inputs, env.secrets, env.env);

  // Heavy modules load only after the inputs are known to be good, and while Helm is being resolved.
  const [{ SafeRunner }, { resolveHelm }] = await Promise.all([import('../../core/exec.js'), import('../../helm/tool.js')]);
  const runner = new SafeRunner(env.log, env.secrets);
  const binaryP = withGroup(env.log, 'Helm', () => resolveHelm(inputs.helm, runner, { log: env.log }), env.timings);
  binaryP.catch(() => undefined); // awaited below: an error thrown before then must not leave it unhandled
  const [{ Helm }, { loadKubeConfig }, { deploy }, { renderSummary }, { chartVersionOf }] = await Promise.all([
    import('../../helm/helm.js'),
    import('../../kube/client.js'),
    import('./deploy.js'),
    import('./summary.js'),
    import('../../helm/release.js'),
  ]);
  const kc = loadKubeConfig(inputs.kubeconfig, env.env);
  const kubeconfig = inputs.kubeconfig ?? env.env.KUBECONFIG;

  const valuesFiles = [...inputs.valuesFiles];
  if (inputs.secretValues !== undefined) {
    const dir = new PrivateDir('helm-deploy', env.env.RUNNER_TEMP);
    env.saveState(StateKey.CleanupPaths, JSON.stringify([dir.path]));
    valuesFiles.push(dir.write('secret-values.yaml', inputs.secretValues));
  }

  const binary = await binaryP;
  const helm = new Helm(binary, runner, env.log, { ...env.env, ...(kubeconfig ? { KUBECONFIG: kubeconfig } : {}) });
  const chart = inputs.chart.kind === 'local' ? inputs.chart.path : inputs.chart.kind === 'oci' ? inputs.chart.ref : inputs.chart.name;

  const result = await deploy(
    {
      recoverPending: inputs.recoverPending,
      upgrade: {
        release: inputs.release,
        chart,
        namespace: inputs.namespace,
        chartVersion: inputs.chartVersion,
        repo: inputs.chart.kind === 'repo' ? inputs.chart.repo : undefined,
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
      },
    },
    { helm, kc, log: env.log, timings: env.timings },
  );

  env.setOutputs({
    revision: result.live?.revision,
    status: result.latest?.status ?? 'none',
    'chart-version': result.latest ? chartVersionOf(result.latest.chart) : undefined,
    'app-version': result.latest?.appVersion,
    'rolled-back': result.rolledBack,
    'helm-version': binary.version,
  });
  env.writeSummary(renderSummary(inputs, binary.version, result, env.timings));
  if (!result.ok) {
    throw new OperationError(`helm upgrade --install ${inputs.release} failed: ${result.failure}\nOutcome: ${result.outcome}`, {
      hint: result.hint ?? 'read the Diagnostics group above (events, pod states, logs) and the job summary',
    });
  }
  env.log.info(`${inputs.release}: ${result.outcome}`);
}
