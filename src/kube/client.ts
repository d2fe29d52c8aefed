import { KubeConfig } from '@kubernetes/client-node';
import { ConfigurationError } from '../core/errors.js';
import { kubeconfigFile } from './kubeconfig.js';

/**
 * Loads a kubeconfig from an explicit path, else $KUBECONFIG (first entry), else ~/.kube/config.
 * A missing file is a ConfigurationError naming the input it came from.
 */
export function loadKubeConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env, input = 'kubeconfig'): KubeConfig {
  const file = kubeconfigFile(path, env, input);
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  if (!kc.getCurrentCluster()) {
    throw new ConfigurationError({ input: path ? input : 'KUBECONFIG', problem: 'the kubeconfig has no current cluster', fix: 'set current-context in the kubeconfig, or run oke-login first' });
  }
  return kc;
}
