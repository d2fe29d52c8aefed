/**
 * dapr: install the control plane (the stand-in Dapr chart from a loopback Helm repository, on the stack's
 * real API server with kwok), then re-run with the same inputs: did the install reach Ready, did the re-run
 * change anything, how long did the re-run take. Goal: rerun_s < 5, rerun_changed false, install_ready true.
 */
import { CoreV1Api } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadKubeConfig } from '../src/kube/client.js';
import { DAPR_VERSION } from '../src/versions.js';
import { runActionBundle } from '../test/support/action-harness.js';
import { helmMirror } from '../test/support/helm-mirror.js';
import { helmRepo } from '../test/support/helm-repo.js';
import { stack } from '../test/support/stack.js';
import type { BenchOutcome } from './run.js';

export async function run(): Promise<BenchOutcome> {
  const kubeconfig = stack.kubeconfig();
  const core = loadKubeConfig(kubeconfig).makeApiClient(CoreV1Api);
  const [repo, mirror] = await Promise.all([helmRepo(resolve(import.meta.dirname, '..', 'test', 'fixtures', 'charts', 'dapr'), [DAPR_VERSION]), helmMirror()]);
  const system = `bench-dapr-${randomUUID().slice(0, 6)}`;
  const apps = `bench-apps-${randomUUID().slice(0, 6)}`;
  await core.createNamespace({ body: { metadata: { name: apps } } });
  const env = { KUBECONFIG: kubeconfig, RUNNER_TOOL_CACHE: mkdtempSync(join(tmpdir(), 'bench-dapr-tc-')), GITHUB_WORKSPACE: resolve(import.meta.dirname, '..') };
  const inputs = { 'chart-repo': repo.url, 'helm-version': mirror.versions.helm4, 'helm-base-url': mirror.url, namespace: system, 'scheduler-storage': 'in-memory', components: 'test/fixtures/dapr-components', 'components-namespace': apps, timeout: '120s' };
  try {
    const t0 = performance.now();
    const install = await runActionBundle('dapr-install', 'main', inputs, { env });
    const install_s = (performance.now() - t0) / 1000;
    const install_ready = install.code === 0;
    const t1 = performance.now();
    const rerun = await runActionBundle('dapr-install', 'main', inputs, { env });
    const rerun_s = +((performance.now() - t1) / 1000).toFixed(3);
    const rerun_changed = rerun.code !== 0 || rerun.outputs.changed !== 'false';
    const ok = install_ready && !rerun_changed && rerun_s < 5;
    return {
      result: { install_ready, rerun_changed, rerun_s, install_s: +install_s.toFixed(3), dapr_version: DAPR_VERSION, chart: 'stand-in (test/fixtures/charts/dapr)' },
      ok,
      summary: `install_ready ${install_ready} (${install_s.toFixed(1)} s), rerun_changed ${rerun_changed}, rerun ${rerun_s} s (goal < 5)`,
    };
  } finally {
    await Promise.all([repo.close(), mirror.close()]);
    await Promise.all([core.deleteNamespace({ name: system }), core.deleteNamespace({ name: apps })].map((p) => p.catch(() => undefined)));
  }
}
