/**
 * One source of truth: the local run renders chart/ with values-host.yaml (helm template, the stack's
 * helm) and uses the result as it is. Components, Subscriptions and the Resiliency go into a resources
 * directory for daprd; the Configuration becomes daprd's --config; each Deployment's container env and
 * Dapr annotations become the app process's environment and its sidecar's settings.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { dump, loadAll } from 'js-yaml';

const run = promisify(execFile);

export interface RenderOptions {
  helm: string;
  chartDir: string;
  /** Where the resources directory and config file go (created; private). */
  outDir: string;
  release?: string;
  appIds: { api: string; worker: string };
  brokers: string;
  saslUsername: string;
  secretsFile: string;
  /** false renders the task-events subscription without the verify-events probe route. */
  probeRoute?: boolean;
  /** More --set-string values (tests). */
  set?: Record<string, string>;
  /** More --set values that are not strings (booleans, numbers). */
  values?: Record<string, boolean | number>;
}

export interface RenderedRole {
  appId: string;
  /** The container's env (everything the chart sets; ports are overridden by the runner). */
  env: Record<string, string>;
  /** dapr.io/* annotations without the prefix: app-port, config, log-level, ... */
  dapr: Record<string, string>;
}

export interface Rendered {
  resourcesDir: string;
  configFile: string;
  roles: { api: RenderedRole; worker: RenderedRole };
  /** kind/name of every resource handed to daprd. */
  resources: string[];
}

interface K8sDoc {
  kind?: string;
  metadata?: { name?: string; labels?: Record<string, string> };
  spec?: { template?: { metadata?: { annotations?: Record<string, string> }; spec?: { containers?: Array<{ env?: Array<{ name: string; value?: string }> }> } } };
}

const DAPR_KINDS = new Set(['Component', 'Subscription', 'Resiliency']);

export async function renderLocal(options: RenderOptions): Promise<Rendered> {
  // --set-string: values stay strings (a path or a broker is never read as a number or a list).
  const strings: Record<string, string> = {
    'pubsub.brokers[0]': options.brokers,
    'pubsub.sasl.username': options.saslUsername,
    'secretStore.localFile': options.secretsFile,
    'api.appId': options.appIds.api,
    'worker.appId': options.appIds.worker,
    ...options.set,
  };
  const args = [
    'template', options.release ?? 'local', options.chartDir,
    '-f', join(options.chartDir, 'values-host.yaml'),
    ...Object.entries(strings).flatMap(([k, v]) => ['--set-string', `${k}=${v}`]),
    '--set', `subscriptions.probeRoute=${options.probeRoute ?? true}`,
    ...Object.entries(options.values ?? {}).flatMap(([k, v]) => ['--set', `${k}=${v}`]),
  ];
  let stdout: string;
  try {
    ({ stdout } = await run(options.helm, args, { maxBuffer: 16 * 1024 * 1024 }));
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`helm template ${options.chartDir} failed: ${(e.stderr ?? e.message).trim()}`, { cause: err });
  }
  const docs = (loadAll(stdout) as Array<K8sDoc | null>).filter((d): d is K8sDoc => !!d && typeof d === 'object');

  rmSync(options.outDir, { recursive: true, force: true });
  const resourcesDir = join(options.outDir, 'resources');
  mkdirSync(resourcesDir, { recursive: true, mode: 0o700 });
  chmodSync(options.outDir, 0o700);
  const resources: string[] = [];
  let configFile = '';
  const roles: Partial<Rendered['roles']> = {};

  for (const doc of docs) {
    const name = doc.metadata?.name ?? '';
    if (doc.kind && DAPR_KINDS.has(doc.kind)) {
      writeFileSync(join(resourcesDir, `${doc.kind.toLowerCase()}-${name}.yaml`), dump(doc), { mode: 0o600 });
      resources.push(`${doc.kind}/${name}`);
    } else if (doc.kind === 'Configuration') {
      configFile = join(options.outDir, `configuration-${name}.yaml`);
      writeFileSync(configFile, dump(doc), { mode: 0o600 });
    } else if (doc.kind === 'Deployment') {
      const role = doc.metadata?.labels?.['app.kubernetes.io/component'];
      if (role !== 'api' && role !== 'worker') continue;
      const annotations = doc.spec?.template?.metadata?.annotations ?? {};
      const dapr = Object.fromEntries(Object.entries(annotations).filter(([k]) => k.startsWith('dapr.io/')).map(([k, v]) => [k.slice('dapr.io/'.length), v]));
      const env = Object.fromEntries((doc.spec?.template?.spec?.containers?.[0]?.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, String(e.value)]));
      roles[role] = { appId: dapr['app-id'] ?? '', env, dapr };
    }
  }
  if (!roles.api || !roles.worker) throw new Error('the rendered chart has no api and worker Deployments');
  if (!configFile) throw new Error('the rendered chart has no Dapr Configuration');
  return { resourcesDir, configFile, roles: roles as Rendered['roles'], resources };
}
