import type { StepContext } from '../core/action.js';
import type { Helm } from './helm.js';
import type { HelmChoice } from './tool.js';

/**
 * Helm for a step that needs it only now and then (verify-events' rollback): resolved (downloaded and verified,
 * or found on PATH) and run through the project's redacting runner against `kubeconfig` (default KUBECONFIG).
 * Loads everything it needs on the call, so a step that never calls it never loads Helm's code.
 */
export async function helmForStep(step: Pick<StepContext, 'log' | 'secrets' | 'env'>, choice: HelmChoice, kubeconfig?: string): Promise<Helm> {
  const [{ SafeRunner }, { resolveHelm }, { Helm, helmEnv }] = await Promise.all([import('../core/exec.js'), import('./tool.js'), import('./helm.js')]);
  const runner = new SafeRunner(step.log, step.secrets);
  const binary = await resolveHelm(choice, runner, { log: step.log });
  return new Helm(binary, runner, step.log, helmEnv(step.env, kubeconfig));
}
