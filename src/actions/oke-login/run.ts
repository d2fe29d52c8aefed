/**
 * oke-login's run: OCI auth -> cluster + kubeconfig -> 0600 files -> verified access. The result says what to
 * export (KUBECONFIG, kubectl on PATH) and what the outputs and summary show; the entry does the exporting.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ActionResult, StepContext } from '../../core/action.js';
import type { Timings } from '../../core/groups.js';
import type { Logger } from '../../core/log.js';
import type { Secrets } from '../../core/secrets.js';
import type { PrivateDir } from '../../core/tempfiles.js';
import type { OkeLoginInputs } from './inputs.js';
import type { LoginDeps, LoginResult } from './login.js';

export interface OkeLoginDeps {
  log: Logger;
  secrets: Secrets;
  timings: Timings;
  /** The process environment the login reads (ACTIONS_ID_TOKEN_REQUEST_*, HOME ...). */
  env: NodeJS.ProcessEnv;
  /** The bundled credential helper's path (dist/oke-token/index.js beside this bundle's dist/main/); throws when it is missing. */
  helperScript: () => string;
  /** The Node binary kubectl runs the credential helper with. */
  node: string;
  /**
   * Called before the OCI SDK is loaded. The SDK's dependencies (node-fetch, http-signature) trip Node deprecation
   * warnings users cannot act on; Node has only a per-process switch for them (process.noDeprecation), so the
   * default flips it for this step's process, which ends with the step.
   */
  quietDeprecations: () => void;
  /** The login itself (login.ts, which loads the OCI SDK). */
  login: (inputs: OkeLoginInputs, deps: LoginDeps) => Promise<LoginResult>;
  /** The private directory for the kubeconfig and key material; the post step removes it. */
  privateDir: () => PrivateDir;
  /** The GitHub OIDC token (default: asked of the runner with ACTIONS_ID_TOKEN_REQUEST_* from env, no @actions/core). */
  idToken?: LoginDeps['idToken'];
}

export interface OkeLoginResult extends ActionResult {
  login: LoginResult;
}

export async function run(inputs: OkeLoginInputs, deps: OkeLoginDeps): Promise<OkeLoginResult> {
  inputs.notes.forEach((n) => deps.log.info(n));
  const script = deps.helperScript();
  deps.quietDeprecations();
  const login = await deps.login(inputs, {
    log: deps.log,
    secrets: deps.secrets,
    timings: deps.timings,
    helper: { node: deps.node, script },
    env: deps.env,
    privateDir: deps.privateDir,
    ...(deps.idToken ? { idToken: deps.idToken } : {}),
  });
  return { login, exportVariables: { KUBECONFIG: login.kubeconfigPath }, addPaths: login.kubectlPath ? [dirname(login.kubectlPath)] : [] };
}

/** The real dependencies, from the runner's services. */
export function deps(step: StepContext): OkeLoginDeps {
  return {
    log: step.log,
    secrets: step.secrets,
    timings: step.timings,
    env: step.env,
    helperScript: () => {
      // Kept dynamic so the bundler leaves it alone.
      const script = fileURLToPath(new URL(['..', 'oke-token', 'index.js'].join('/'), import.meta.url));
      if (!existsSync(script)) throw new Error(`bug: the credential helper ${script} is missing from the action bundle`);
      return script;
    },
    node: process.execPath,
    quietDeprecations: () => {
      process.noDeprecation = true;
    },
    login: async (inputs, d) => (await import('./login.js')).login(inputs, d),
    privateDir: () => step.privateDir('oke-login'),
  };
}
