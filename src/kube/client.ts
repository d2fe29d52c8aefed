import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { ConfigurationError, errorMessage, OperationError } from '../core/errors.js';

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

/** An API error in one line, `HTTP 403 Forbidden: <the Status message>`, rather than client-node's dump of body and headers. */
export function apiError(err: unknown): string {
  const e = err as { code?: number; body?: unknown };
  if (typeof e?.code !== 'number') return errorMessage(err).split('\n')[0] ?? '';
  let body = e.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      // not JSON: keep the text
    }
  }
  const status = body as { reason?: string; message?: string } | string | undefined;
  const detail = typeof status === 'string' ? status : [status?.reason, status?.message].filter(Boolean).join(': ');
  return `HTTP ${e.code}${detail ? ` ${detail}` : ''}`;
}

/** Whether a namespace exists. Any answer but 200 or 404 is an OperationError that says what to check. */
export async function namespaceExists(kc: KubeConfig, name: string): Promise<boolean> {
  try {
    await kc.makeApiClient(CoreV1Api).readNamespace({ name });
    return true;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return false;
    throw new OperationError(`reading namespace ${name}: ${apiError(err)}`, { hint: 'check the kubeconfig (run oke-login first), that the API server is reachable from this runner, and that this identity may get namespaces' });
  }
}
