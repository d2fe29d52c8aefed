/**
 * dapr: dapr-install with Dapr's own chart (packaged by the stack from the github.com/dapr/dapr module) and
 * images built from the same module, on the stack's real node: the install until every workload is Ready
 * for real, a re-run with the same inputs (must change nothing), then a pod annotated dapr.io/enabled (is
 * daprd injected, and does the pod become Ready with it). Goals on this 2-core machine: install < 90 s with
 * the images already in the registry, re-run < 3 s, no change on the re-run, sidecar injected.
 * Then the upgrade: Dapr removed, the previous minor installed (its own chart and images, built the same way)
 * with the annotated app on it, and dapr-install to the pinned version with restart-outdated-sidecars:
 * upgrade_s is that run (CRDs, Helm, the wait, the app's rollout onto the new daprd); upgrade_ok says it
 * upgraded and left no outdated sidecar.
 */
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadKubeConfig } from '../src/kube/client.js';
import { waitForWorkloads } from '../src/kube/wait.js';
import { runActionBundle } from '../test/support/action-harness.js';
import { daprInstallInputs, daprProbeDeployment, DAPR_NAMESPACE, removeDapr } from '../test/support/dapr-cluster.js';
import { helmMirror } from '../test/support/helm-mirror.js';
import { stack } from '../test/support/stack.js';
import type { BenchOutcome } from './run.js';

export async function run(): Promise<BenchOutcome> {
  const kubeconfig = stack.kubeconfig();
  const kc = loadKubeConfig(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const dapr = stack.daprChart();
  const mirror = await helmMirror();
  // One Dapr per cluster (its webhook and cluster roles): the same namespace as the tests', emptied first.
  const system = DAPR_NAMESPACE;
  await removeDapr(kubeconfig, system);
  const appNs = `bench-dapr-app-${randomUUID().slice(0, 6)}`;
  const env = { KUBECONFIG: kubeconfig, RUNNER_TOOL_CACHE: mkdtempSync(join(tmpdir(), 'bench-dapr-tc-')), GITHUB_WORKSPACE: resolve(import.meta.dirname, '..') };
  const inputs = daprInstallInputs(dapr, mirror, '300s');
  try {
    const t0 = performance.now();
    const install = await runActionBundle('dapr-install', 'main', inputs, { env });
    const install_s = +((performance.now() - t0) / 1000).toFixed(2);
    const install_ready = install.code === 0;
    if (!install_ready) throw new Error(`dapr-install failed: ${install.stdout.slice(-3000)}`);
    const t1 = performance.now();
    const rerun = await runActionBundle('dapr-install', 'main', inputs, { env });
    const rerun_s = +((performance.now() - t1) / 1000).toFixed(3);
    const rerun_changed = rerun.code !== 0 || rerun.outputs.changed !== 'false';

    await core.createNamespace({ body: { metadata: { name: appNs } } });
    const t2 = performance.now();
    await apps.createNamespacedDeployment({ namespace: appNs, body: daprProbeDeployment({ annotations: { 'dapr.io/control-plane-namespace': system } }) });
    const [probe] = await waitForWorkloads(kc, [{ kind: 'Deployment', namespace: appNs, name: 'probe' }], 120_000).catch(() => [undefined]);
    const sidecar_ready_s = +((performance.now() - t2) / 1000).toFixed(2);
    const [pod] = (await core.listNamespacedPod({ namespace: appNs, labelSelector: 'app=probe' })).items;
    const sidecar_injected = Boolean(pod?.spec?.containers.some((c) => c.name === 'daprd')) && probe?.readiness.ready === true;

    // Upgrade from the previous minor, with the app on it.
    await core.deleteNamespace({ name: appNs }).catch(() => undefined);
    await removeDapr(kubeconfig, system);
    const prevRun = await runActionBundle('dapr-install', 'main', { ...inputs, chart: dapr.previous.chart, 'dapr-version': dapr.previous.version }, { env });
    if (prevRun.code !== 0) throw new Error(`dapr-install of Dapr ${dapr.previous.version} failed: ${prevRun.stdout.slice(-3000)}`);
    const upNs = `${appNs}-up`;
    await core.createNamespace({ body: { metadata: { name: upNs } } });
    await apps.createNamespacedDeployment({ namespace: upNs, body: daprProbeDeployment({ replicas: 2 }) });
    await waitForWorkloads(kc, [{ kind: 'Deployment', namespace: upNs, name: 'probe' }], 120_000);
    const t3 = performance.now();
    const up = await runActionBundle('dapr-install', 'main', { ...inputs, 'restart-outdated-sidecars': 'true' }, { env });
    const upgrade_s = +((performance.now() - t3) / 1000).toFixed(2);
    const upgrade_ok = up.code === 0 && up.outputs['control-plane'] === 'upgraded' && up.outputs['outdated-sidecars'] === '0' && (up.outputs['restarted-workloads'] ?? '').includes(`Deployment/${upNs}/probe`);
    await core.deleteNamespace({ name: upNs }).catch(() => undefined);

    const ok = install_ready && install_s < 90 && !rerun_changed && rerun_s < 3 && sidecar_injected && upgrade_ok;
    return {
      result: {
        chart: `${dapr.chart} (Dapr's own chart ${dapr.version}, from github.com/dapr/dapr@v${dapr.version} charts/dapr)`,
        images: dapr.images,
        install_ready, install_s, rerun_changed, rerun_s,
        crds: (install.outputs.crds ?? '').split(',').filter(Boolean).map((x) => x.split('=')[0]),
        sidecar_injected, sidecar_ready_s,
        upgrade_from: dapr.previous.version, upgrade_ok, upgrade_s,
      },
      ok,
      summary: `install_ready ${install_ready} in ${install_s} s (goal < 90), rerun ${rerun_s} s (goal < 3), rerun_changed ${rerun_changed}, sidecar_injected ${sidecar_injected} (Ready in ${sidecar_ready_s} s), upgrade from ${dapr.previous.version} ok ${upgrade_ok} in ${upgrade_s} s (app rolled onto the new daprd)`,
    };
  } finally {
    await mirror.close();
    await core.deleteNamespace({ name: appNs }).catch(() => undefined);
  }
}
