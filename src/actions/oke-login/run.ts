/**
 * oke-login's main step: inputs -> OCI auth -> cluster + kubeconfig -> 0600 files -> verified access ->
 * KUBECONFIG, outputs, summary. Inputs are validated before the OCI SDK is even loaded. Everything from the
 * runner comes through ActionEnv, everything else from the process through OkeLoginDeps (main.ts passes the real ones).
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StateKey, type ActionEnv } from '../../core/action.js';
import { PrivateDir } from '../../core/tempfiles.js';
import { parseOkeLoginInputs } from './inputs.js';
import type { LoginDeps, login as loginFn } from './login.js';
import type { loginSummary as summaryFn } from './summary.js';

/** What oke-login needs from the process beyond ActionEnv; tests pass their own. */
export interface OkeLoginDeps {
  /** The bundled credential helper's path (dist/oke-token/index.js beside this bundle's dist/main/). */
  helperScript: () => string;
  /**
   * Called once the inputs are valid, before the OCI SDK is loaded. The SDK's dependencies (node-fetch,
   * http-signature) trip Node deprecation warnings users cannot act on; Node has only a per-process switch
   * for them (process.noDeprecation), so the default flips it for this step's process, which ends with the step.
   */
  quietDeprecations: () => void;
  /** The GitHub OIDC token (default: asked of the runner with ACTIONS_ID_TOKEN_REQUEST_* from env.env, no @actions/core). */
  idToken?: LoginDeps['idToken'];
  /** Loads the logic that pulls in the OCI SDK (only once the inputs are valid). */
  loadLogin: () => Promise<{ login: typeof loginFn; loginSummary: typeof summaryFn }>;
}

export const defaultDeps: OkeLoginDeps = {
  // Kept dynamic so the bundler leaves it alone.
  helperScript: () => fileURLToPath(new URL(['..', 'oke-token', 'index.js'].join('/'), import.meta.url)),
  quietDeprecations: () => {
    process.noDeprecation = true;
  },
  loadLogin: async () => ({ login: (await import('./login.js')).login, loginSummary: (await import('./summary.js')).loginSummary }),
};

export async function run(env: ActionEnv, deps: OkeLoginDeps = defaultDeps): Promise<void> {
  const inputs = parseOkeLoginInputs(env.inputs, env.env, env.secrets);
  inputs.notes.forEach((n) => env.log.info(n));
  const script = deps.helperScript();
  if (!existsSync(script)) throw new Error(`bug: the credential helper ${script} is missing from the action bundle`);

  deps.quietDeprecations();
  const { login, loginSummary } = await deps.loadLogin();
  const result = await login(inputs, {
    log: env.log,
    secrets: env.secrets,
    timings: env.timings,
    helper: { node: process.execPath, script },
    env: env.env,
    ...(deps.idToken ? { idToken: deps.idToken } : {}),
    privateDir: () => {
      const dir = new PrivateDir('oke-login', env.env.RUNNER_TEMP);
      env.saveState(StateKey.CleanupPaths, JSON.stringify([dir.path]));
      return dir;
    },
  });

  env.exportVariable('KUBECONFIG', result.kubeconfigPath);
  if (result.kubectlPath) env.addPath(dirname(result.kubectlPath));
  env.setOutputs({
    kubeconfig: result.kubeconfigPath,
    'cluster-name': result.clusterName,
    'kubernetes-version': result.kubernetesVersion,
    endpoint: result.endpoint,
    'kubectl-path': result.kubectlPath,
  });
  env.writeSummary(loginSummary(result, env.timings.steps));
}
