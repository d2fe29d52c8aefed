/**
 * oke-login (main): inputs -> OCI auth -> cluster + kubeconfig -> 0600 files -> verified access ->
 * KUBECONFIG, outputs, summary. Inputs are validated before the OCI SDK is even loaded.
 */
import * as core from '@actions/core';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runAction, StateKey, type ActionEnv } from '../../core/action.js';
import { PrivateDir } from '../../core/tempfiles.js';
import { parseOkeLoginInputs } from './inputs.js';

/** The bundled credential helper, dist/oke-token/index.js beside this bundle's dist/main/ (kept dynamic so the bundler leaves it alone). */
function helperScript(): string {
  const base = import.meta.url;
  return fileURLToPath(new URL(['..', 'oke-token', 'index.js'].join('/'), base));
}

export async function run(env: ActionEnv): Promise<void> {
  const inputs = parseOkeLoginInputs(env.inputs, env.env, env.secrets);
  inputs.notes.forEach((n) => env.log.info(n));
  const script = helperScript();
  if (!existsSync(script)) throw new Error(`bug: the credential helper ${script} is missing from the action bundle`);

  // The OCI SDK's dependencies (node-fetch, http-signature) trip Node deprecation warnings users cannot act on.
  process.noDeprecation = true;
  const { login } = await import('./login.js');
  const { loginSummary } = await import('./summary.js');
  const result = await login(inputs, {
    log: env.log,
    secrets: env.secrets,
    timings: env.timings,
    helper: { node: process.execPath, script },
    env: env.env,
    privateDir: () => {
      const dir = new PrivateDir('oke-login', env.env.RUNNER_TEMP);
      env.saveState(StateKey.CleanupPaths, JSON.stringify([dir.path]));
      return dir;
    },
  });

  env.exportVariable('KUBECONFIG', result.kubeconfigPath);
  if (result.kubectlPath) core.addPath(dirname(result.kubectlPath));
  env.setOutputs({
    kubeconfig: result.kubeconfigPath,
    'cluster-name': result.clusterName,
    'kubernetes-version': result.kubernetesVersion,
    endpoint: result.endpoint,
    'kubectl-path': result.kubectlPath,
  });
  env.writeSummary(loginSummary(result, env.timings.steps));
}

await runAction('oke-login', run);
