import { CoreV1Api, type V1Deployment } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { loadKubeConfig } from '../../src/kube/client.js';
import { runActionBundle, type ActionRun } from './action-harness.js';
import type { HelmMirror } from './helm-mirror.js';
import { stack } from './stack.js';

/**
 * Dapr's own chart on the stack's cluster (tests and the dapr bench). Its injector webhook and cluster roles
 * are cluster-wide, so there is one installation per cluster, in this namespace.
 */
export const DAPR_NAMESPACE = 'dapr-system';

/** Uninstalls the `dapr` release and waits until its namespace is gone (nothing to do when there is none). */
export async function removeDapr(kubeconfig: string, namespace = DAPR_NAMESPACE): Promise<void> {
  const core = loadKubeConfig(kubeconfig).makeApiClient(CoreV1Api);
  try {
    execFileSync(stack.helm().helm4, ['uninstall', 'dapr', '-n', namespace, '--wait', '--timeout', '120s'], { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: 'pipe' });
  } catch {
    // not installed
  }
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  for (let i = 0; i < 240; i++) {
    if (!(await core.readNamespace({ name: namespace }).then(() => true, () => false))) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`namespace ${namespace} is still there after 120 s`);
}

/**
 * A Deployment `probe` (one replica unless told) of the stack's test image, annotated for Dapr's sidecar
 * injector. Rollouts surge one pod and keep every old one until it is replaced (maxUnavailable 0).
 */
export function daprProbeDeployment(options: { readinessProbe?: boolean; annotations?: Record<string, string>; replicas?: number } = {}): V1Deployment {
  return {
    metadata: { name: 'probe' },
    spec: {
      replicas: options.replicas ?? 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      selector: { matchLabels: { app: 'probe' } },
      template: {
        metadata: { labels: { app: 'probe' }, annotations: { 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'probe', 'dapr.io/app-port': '8080', ...options.annotations } },
        spec: {
          containers: [{
            name: 'app', image: stack.node().images.testapp, ports: [{ containerPort: 8080 }],
            ...(options.readinessProbe ? { readinessProbe: { httpGet: { path: '/readyz', port: 8080 } } } : {}),
          }],
        },
      },
    },
  };
}

/**
 * What every dapr-install run against the stack's cluster shares: a chart the stack packaged (the pinned Dapr
 * or the previous minor) with the stack's registry, the in-memory scheduler, Helm from the test mirror.
 */
export function daprInstallInputs(chart: { chart: string; version: string }, mirror: HelmMirror, timeout = '240s'): Record<string, string> {
  return {
    // The stack's chart lives in its cache, outside the workspace.
    chart: chart.chart, 'allow-outside-workspace': 'true', 'dapr-version': chart.version, namespace: DAPR_NAMESPACE, 'scheduler-storage': 'in-memory', timeout,
    set: `global.registry=${stack.daprChart().registry}`, ...mirror.inputs(mirror.versions.helm4),
  };
}

/** Runs the dapr-install bundle with those inputs (and `inputs` over them) against the stack's cluster. */
export function runDaprInstall(chart: { chart: string; version: string }, mirror: HelmMirror, toolCache: string, inputs: Record<string, string> = {}): Promise<ActionRun> {
  return runActionBundle('dapr-install', 'main', { ...daprInstallInputs(chart, mirror), ...inputs }, {
    env: { KUBECONFIG: stack.kubeconfig(), RUNNER_TOOL_CACHE: toolCache, GITHUB_WORKSPACE: process.cwd() },
  });
}

/** kubectl against the stack's cluster; its output (throws with stderr on a non-zero exit). */
export function kubectl(args: string[], input?: string): string {
  return execFileSync(stack.helm().kubectl, args, { env: { ...process.env, KUBECONFIG: stack.kubeconfig() }, encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}
