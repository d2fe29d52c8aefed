import { KubeConfig } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { ConfigurationError } from '../core/errors.js';

/**
 * Loads a kubeconfig from an explicit path, else $KUBECONFIG (first entry), else ~/.kube/config.
 * A missing file is a ConfigurationError naming the input it came from.
 */
export function loadKubeConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env, input = 'kubeconfig'): KubeConfig {
  const fromEnv = env.KUBECONFIG?.split(':').find(Boolean);
  const file = path ?? fromEnv;
  const kc = new KubeConfig();
  if (file) {
    if (!existsSync(file)) {
      throw new ConfigurationError({
        input: path ? input : 'KUBECONFIG',
        problem: `the kubeconfig file ${file} does not exist`,
        fix: 'run oke-login (or another login step) before this action, or point the input at an existing kubeconfig',
      });
    }
    kc.loadFromFile(file);
  } else {
    kc.loadFromDefault();
  }
  if (!kc.getCurrentCluster()) {
    throw new ConfigurationError({ input: path ? input : 'KUBECONFIG', problem: 'the kubeconfig has no current cluster', fix: 'set current-context in the kubeconfig, or run oke-login first' });
  }
  return kc;
}
