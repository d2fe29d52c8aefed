import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { load } from 'js-yaml';
import { ConfigurationError, ProblemList } from '../../core/errors.js';
import { checkDnsLabel, checkExactVersion, checkPath, checkUrl, clip, pathPolicy, type Inputs, type PathPolicy } from '../../core/inputs.js';
import { DAPR_HELM_REPO } from '../../dapr/control-plane.js';
import { checkKubeconfigFile, checkValuesFile } from '../../core/yaml-files.js';
import { chartDaprVersion, readLocalChart } from '../../dapr/chart.js';
import { ALLOW_INSECURE_INPUT, hostPlatform, parseAllowInsecure, parseDownload, type DownloadChoice } from '../../core/download-inputs.js';
import { DAPR_CLI_DOWNLOAD } from '../../dapr/cli.js';
import { parseHelmInputs, type HelmChoice } from '../../helm/tool.js';
import { DAPR_CLI_VERSION, DAPR_VERSION } from '../../versions.js';
import { componentFiles, loadComponents, type LoadedResource } from './components.js';

export interface DaprInstallInputs {
  daprVersion: string;
  /** Where the chart comes from: the repo (default Dapr's), or an override (path, .tgz or oci://). */
  chart: { kind: 'repo'; repo: string } | { kind: 'local'; path: string } | { kind: 'oci'; ref: string };
  namespace: string;
  ha: boolean;
  valuesFiles: string[];
  set: Array<{ key: string; value: string }>;
  schedulerStorage: 'persistent' | 'in-memory';
  timeoutMs: number;
  allowDowngrade: boolean;
  componentFiles: string[];
  /** Every Dapr resource of those files, read and checked with the rest of the inputs. */
  components: LoadedResource[];
  componentsNamespace: string;
  allowPlaintextSecrets: boolean;
  /** The Helm to run: preinstalled, or a pinned (or user-checksummed) download. */
  helm: HelmChoice;
  kubeconfig?: string;
  /** Warn when a Dapr mTLS certificate expires within this many days. */
  certWarnDays: number;
  /** Install the Dapr CLI (verified download) and put it on PATH. */
  cli?: DownloadChoice;
  /** Renew the trust anchor and issuer: never, always (this run), or only when one expires within certWarnDays. */
  rotateCertificates: 'never' | 'always' | 'expiring';
  /** Validity of certificates minted by a rotation. */
  certValidityDays: number;
  /** Restart the workloads of pods whose daprd differs from the control plane's version, and wait for them. */
  restartOutdatedSidecars: boolean;
}

const OCI_EXAMPLE = 'oci://registry.example.com/charts/dapr';

/**
 * Raw inputs -> typed, checked inputs. Every problem of the set (files included: the chart's own version, values
 * files, component files, the kubeconfig) is collected and thrown together, before anything is changed.
 */
export function parseDaprInstallInputs(inputs: Inputs, env: NodeJS.ProcessEnv, platform = hostPlatform()): DaprInstallInputs {
  const problems = new ProblemList();
  const c = <T>(fn: () => T): T | undefined => problems.collect(fn);
  const policy = pathPolicy(env, c(() => inputs.boolean('allow-outside-workspace', false)) ?? false);
  const allowInsecure = parseAllowInsecure(inputs, problems);

  const daprVersion = c(() => checkExactVersion('dapr-version', inputs.string('dapr-version', DAPR_VERSION)!, DAPR_VERSION));
  const chart = parseChart(inputs, policy, daprVersion, allowInsecure, problems);
  const namespace = c(() => checkDnsLabel('namespace', inputs.string('namespace', 'dapr-system')!, 'namespace name'));
  const componentsNamespace = c(() => checkDnsLabel('components-namespace', inputs.string('components-namespace', 'default')!, 'namespace name'));
  const valuesFiles = inputs.list('values-files').flatMap((f) => {
    const path = c(() => checkPath('values-files', f, policy, 'file'));
    return path !== undefined && c(() => (checkValuesFile('values-files', f, path), true)) ? [path] : [];
  });
  const parsed = {
    ha: c(() => inputs.boolean('ha', false)),
    set: c(() => inputs.keyValues('set')),
    schedulerStorage: c(() => inputs.oneOf('scheduler-storage', ['persistent', 'in-memory'] as const, 'persistent')),
    timeoutMs: c(() => inputs.duration('timeout', '10m', { minMs: 10_000, maxMs: 3_600_000 })),
    allowDowngrade: c(() => inputs.boolean('allow-downgrade', false)),
    allowPlaintextSecrets: c(() => inputs.boolean('allow-plaintext-secrets', false)),
    installCli: c(() => inputs.boolean('install-cli', false)),
    certWarnDays: c(() => inputs.integer('cert-warn-days', 30, { min: 1, max: 3650 })),
    rotate: c(() => inputs.oneOf('rotate-certificates', ['false', 'true', 'expiring'] as const, 'false')),
    certValidityDays: c(() => inputs.integer('cert-validity-days', 365, { min: 1, max: 3650 })),
    restartOutdated: c(() => inputs.boolean('restart-outdated-sidecars', false)),
  };
  const files = c(() => componentFiles(inputs.list('components'), policy)) ?? [];
  // Read with the namespace they are applied in; an invalid components-namespace is reported above.
  const components = files.length && componentsNamespace ? (c(() => loadComponents(files, componentsNamespace, parsed.allowPlaintextSecrets ?? false)) ?? []) : [];
  const kubeconfigGiven = inputs.string('kubeconfig');
  const kubeconfig = kubeconfigGiven === undefined ? undefined : c(() => checkPath('kubeconfig', kubeconfigGiven, policy, 'file'));
  if (kubeconfig !== undefined) c(() => checkKubeconfigFile('kubeconfig', kubeconfigGiven!, kubeconfig));
  if (kubeconfigGiven === undefined) c(() => checkKubeconfigSource(env));

  const download = { platform, allowInsecure };
  const helm = parseHelmInputs(inputs, problems, download);
  let cli: DownloadChoice | undefined;
  if (parsed.installCli) {
    const cliVersion = c(() => checkExactVersion('cli-version', inputs.string('cli-version', DAPR_CLI_VERSION)!, DAPR_CLI_VERSION));
    cli = parseDownload(inputs, problems, DAPR_CLI_DOWNLOAD, cliVersion, download);
  } else if (parsed.installCli === false) {
    for (const p of unusedCliInputs(inputs)) problems.add(p);
  }
  for (const p of chartRejections(parsed.ha, parsed.schedulerStorage, parsed.set ?? [])) problems.add(p);
  if (parsed.rotate && parsed.rotate !== 'false') {
    if (lastSet(parsed.set ?? [], 'global.mtls.enabled') === 'false') problems.add({ input: 'rotate-certificates', problem: `${parsed.rotate} while mTLS is off (set: global.mtls.enabled=false): there are no certificates to renew`, fix: 'set rotate-certificates: false, or turn mTLS on' });
    const given = sentryCertsGiven(parsed.set ?? [], valuesFiles);
    if (given) problems.add({ input: 'rotate-certificates', problem: `${parsed.rotate} while the chart values bring their own certificates (${given}): the next Helm run would put those back`, fix: 'renew the certificates where they come from (your values) and set rotate-certificates: false' });
  }
  problems.throwIfAny();
  return {
    daprVersion: daprVersion!,
    chart: chart!,
    namespace: namespace!,
    ha: parsed.ha!,
    valuesFiles,
    set: parsed.set!,
    schedulerStorage: parsed.schedulerStorage!,
    timeoutMs: parsed.timeoutMs!,
    allowDowngrade: parsed.allowDowngrade!,
    componentFiles: files,
    components,
    componentsNamespace: componentsNamespace!,
    allowPlaintextSecrets: parsed.allowPlaintextSecrets!,
    helm: helm!,
    kubeconfig,
    cli,
    certWarnDays: parsed.certWarnDays!,
    rotateCertificates: parsed.rotate === 'true' ? 'always' : parsed.rotate === 'expiring' ? 'expiring' : 'never',
    certValidityDays: parsed.certValidityDays!,
    restartOutdatedSidecars: parsed.restartOutdated!,
  };
}

/**
 * chart and chart-repo: one of them. A local chart is read here (its Chart.yaml), so that a chart of another
 * Dapr than dapr-version is refused with the other input problems; a repository or oci:// chart is read with
 * `helm show chart` before any change (install.ts).
 */
function parseChart(inputs: Inputs, policy: PathPolicy, daprVersion: string | undefined, allowInsecure: boolean, problems: ProblemList): DaprInstallInputs['chart'] | undefined {
  const c = <T>(fn: () => T): T | undefined => problems.collect(fn);
  const override = inputs.string('chart');
  const repo = inputs.string('chart-repo', DAPR_HELM_REPO)!;
  // A runner fills unset inputs with action.yml's defaults: chart-repo equal to the default is not a conflict.
  const repoGiven = inputs.raw('chart-repo');
  if (override !== undefined && repoGiven !== undefined && repoGiven !== DAPR_HELM_REPO) {
    problems.add({ input: 'chart-repo', problem: 'is set together with a chart override (chart)', fix: 'use one: chart-repo for a repository, or chart for a path or oci:// reference' });
  }
  if (override === undefined) return c(() => checkChartUrl('chart-repo', repo, ['https', 'http'], DAPR_HELM_REPO, allowInsecure)) ? { kind: 'repo', repo } : undefined;
  if (/^oci:/i.test(override)) return c(() => checkChartUrl('chart', override, ['oci'], OCI_EXAMPLE)) ? { kind: 'oci', ref: override } : undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(override)) {
    problems.add({ input: 'chart', problem: `"${clip(withoutCredentials(override).shown)}" is a URL; chart takes a local chart (a directory or .tgz in the workspace) or an oci:// reference`, fix: `for a chart repository, set chart-repo (e.g. ${DAPR_HELM_REPO}) and leave chart empty; or download the chart into the workspace (helm pull) and point chart at the file` });
    return undefined;
  }
  const path = c(() => checkPath('chart', override, policy, 'file or directory'));
  if (path === undefined) return undefined;
  const meta = c(() => readLocalChart('chart', path, override));
  if (!meta) return undefined;
  if (meta.name !== 'dapr') {
    problems.add({ input: 'chart', problem: `${override} is the chart "${meta.name}", not Dapr's chart "dapr"`, fix: 'point chart at the Dapr chart (helm pull dapr/dapr --version <x.y.z>), or leave it empty to use chart-repo' });
    return undefined;
  }
  const runs = chartDaprVersion(meta);
  if (daprVersion !== undefined && runs !== daprVersion) {
    problems.add({ input: 'dapr-version', problem: `${daprVersion} is not what the chart at ${override} installs: Dapr ${runs} (chart version ${meta.version})`, fix: `set dapr-version: ${runs}, or point chart at the chart of Dapr ${daprVersion}` });
  }
  return { kind: 'local', path };
}

/**
 * The URL as messages show it: user and password replaced by ***. A URL that does not parse (a password with a
 * `/` in it, say) loses everything from `//` to its last `@` before any `?` or `#`, so no part of a password shows.
 */
export function withoutCredentials(value: string): { shown: string; credentials: boolean } {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url) return url.username || url.password ? { shown: `${url.protocol}//***@${url.host}${url.pathname}${url.search}${url.hash}`, credentials: true } : { shown: value, credentials: false };
  const shown = value.replace(/\/\/[^?#]*@/, '//***@');
  return { shown, credentials: shown !== value };
}

/**
 * checkUrl, shown without credentials (a password in the URL is never echoed), and refusing them: Helm would
 * print the URL in its errors, and this action takes no repository credentials. Plain http is refused unless
 * allow-insecure-download is true (`allowInsecure`, when the input takes http at all): anyone on the path could
 * hand the cluster another control plane.
 */
function checkChartUrl(input: string, value: string, schemes: readonly string[], example: string, allowInsecure?: boolean): true {
  const { shown, credentials } = withoutCredentials(value);
  const url = checkUrl(input, shown, { schemes, example });
  if (credentials) throw new ConfigurationError({ input, problem: `"${clip(shown)}" has credentials in it`, fix: `use a URL without user or password (a mirror the runner can read), e.g. ${example}` });
  if (allowInsecure === false && url.protocol === 'http:') {
    throw new ConfigurationError({ input, problem: `"${clip(shown)}" uses plain http, which anyone on the path can change (the chart becomes the cluster's Dapr control plane)`, fix: `use https://, e.g. ${example}; or set ${ALLOW_INSECURE_INPUT}: true for a mirror that only speaks http` });
  }
  return true;
}

/** The Kubernetes client's service-account token inside a pod (in-cluster configuration). */
const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * Without the kubeconfig input, the kubeconfig the Kubernetes client and Helm will read, checked now: the first
 * file of KUBECONFIG (it must exist and be a kubeconfig), else ~/.kube/config, else an in-cluster service account.
 * With none of them the client would quietly talk to http://localhost:8080.
 */
export function checkKubeconfigSource(env: NodeJS.ProcessEnv): void {
  const fromEnv = env.KUBECONFIG?.split(delimiter).find(Boolean);
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new ConfigurationError({ input: 'KUBECONFIG', problem: `the kubeconfig file ${clip(fromEnv)} does not exist`, fix: 'run oke-login (or another login step) before this action in the same job, or set kubeconfig to an existing kubeconfig file' });
    checkKubeconfigFile('KUBECONFIG', fromEnv, fromEnv);
    return;
  }
  if (env.HOME && existsSync(join(env.HOME, '.kube', 'config'))) return;
  if (existsSync(SERVICE_ACCOUNT_TOKEN)) return;
  throw new ConfigurationError({
    input: 'kubeconfig',
    problem: 'is not set and no kubeconfig was found: KUBECONFIG is unset, there is no ~/.kube/config and no in-cluster service account (the Kubernetes client would try http://localhost:8080)',
    fix: 'run oke-login (it exports KUBECONFIG) or another login step before this action, or set kubeconfig to the path of a kubeconfig file',
  });
}

/** The CLI's inputs set (to other than action.yml's defaults) while install-cli is false: they would do nothing. */
function unusedCliInputs(inputs: Inputs): Array<{ input: string; problem: string; fix: string }> {
  const defaults: Record<string, string | undefined> = { 'cli-version': DAPR_CLI_VERSION, 'cli-base-url': DAPR_CLI_DOWNLOAD.defaultBaseUrl };
  const same = (a: string, b: string | undefined): boolean => b !== undefined && a.replace(/^v/, '').replace(/\/+$/, '') === b.replace(/\/+$/, '');
  return ['cli-version', 'cli-sha256', 'cli-checksum-url', 'cli-base-url'].flatMap((input) => {
    const v = inputs.raw(input);
    if (v === undefined || same(v, defaults[input])) return [];
    return [{ input, problem: 'is set, but install-cli is false: the Dapr CLI is not installed, so it would do nothing', fix: `set install-cli: true to install the CLI, or remove ${input}` }];
  });
}


/** The value a key ends up with when `set` names it more than once (Helm: the last wins). */
function lastSet(set: Array<{ key: string; value: string }>, key: string): string | undefined {
  return set.filter((x) => x.key === key).at(-1)?.value;
}

const SENTRY_TLS = ['dapr_sentry.tls.root.certPEM', 'dapr_sentry.tls.issuer.certPEM', 'dapr_sentry.tls.issuer.keyPEM'];

/** Where the chart values supply sentry's certificates (`set` or a values file), if they do. */
export function sentryCertsGiven(set: Array<{ key: string; value: string }>, valuesFiles: string[]): string | undefined {
  const inSet = set.find((x) => SENTRY_TLS.includes(x.key) && x.value.trim() !== '');
  if (inSet) return `set: ${inSet.key}`;
  for (const f of valuesFiles) {
    let doc: unknown;
    try {
      doc = load(readFileSync(f, 'utf8'));
    } catch {
      continue; // Helm reports a broken values file with its own position
    }
    for (const key of SENTRY_TLS) {
      const v = key.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), doc);
      if (typeof v === 'string' && v.trim() !== '') return `${f}: ${key}`;
    }
  }
  return undefined;
}

/**
 * Combinations Dapr's chart (or its control plane) refuses, caught before anything changes instead of
 * half-way through a Helm run: each with the inputs to change.
 */
export function chartRejections(ha: boolean | undefined, storage: 'persistent' | 'in-memory' | undefined, set: Array<{ key: string; value: string }>): Array<{ input: string; problem: string; fix: string }> {
  const out: Array<{ input: string; problem: string; fix: string }> = [];
  const value = (key: string): string | undefined => lastSet(set, key);
  const haOn = ha === true || value('global.ha.enabled') === 'true';
  if (haOn && (storage === 'in-memory' || value('dapr_scheduler.cluster.inMemoryStorage') === 'true')) {
    out.push({ input: 'ha', problem: 'true together with scheduler-storage: in-memory: the scheduler\'s replicas keep their etcd cluster on disk in HA, and Dapr refuses in-memory storage there', fix: 'use scheduler-storage: persistent with ha: true (a StorageClass must provide the volumes), or ha: false' });
  }
  const anti = value('global.ha.podAntiAffinityPolicy');
  if (anti !== undefined && anti !== 'preferredDuringSchedulingIgnoredDuringExecution' && anti !== 'requiredDuringSchedulingIgnoredDuringExecution') {
    out.push({ input: 'set', problem: `global.ha.podAntiAffinityPolicy="${anti}" is not a policy Dapr's chart accepts`, fix: 'use preferredDuringSchedulingIgnoredDuringExecution or requiredDuringSchedulingIgnoredDuringExecution' });
  }
  const nonRoot = value('dapr_sidecar_injector.sidecarRunAsNonRoot');
  const runAs = value('dapr_sidecar_injector.sidecarRunAsUser');
  if (runAs !== undefined && !/^\d+$/.test(runAs)) {
    out.push({ input: 'set', problem: `dapr_sidecar_injector.sidecarRunAsUser="${runAs}" is not a user id`, fix: 'give a number (a uid), or leave it out' });
  } else if (nonRoot === 'false' && runAs !== undefined && runAs !== '0') {
    out.push({ input: 'set', problem: `dapr_sidecar_injector.sidecarRunAsUser=${runAs} with sidecarRunAsNonRoot=false: Dapr's chart requires user 0 (or none) for a root sidecar`, fix: 'drop sidecarRunAsUser, set it to 0, or keep sidecarRunAsNonRoot true' });
  } else if (nonRoot !== 'false' && runAs === '0') {
    out.push({ input: 'set', problem: 'dapr_sidecar_injector.sidecarRunAsUser=0 while the sidecar runs as non-root (sidecarRunAsNonRoot, true by default)', fix: 'give a positive uid, or set dapr_sidecar_injector.sidecarRunAsNonRoot=false as well' });
  }
  return out;
}
