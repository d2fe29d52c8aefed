import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { load, YAMLException } from 'js-yaml';
import { ConfigurationError, ProblemList } from '../../core/errors.js';
import type { Inputs } from '../../core/inputs.js';
import type { Secrets } from '../../core/secrets.js';
import { hostPlatform, parseAllowInsecure } from '../../core/download-inputs.js';
import { parseHelmInputs, type HelmChoice } from '../../helm/tool.js';

export type ChartSource = { kind: 'local'; path: string } | { kind: 'repo'; name: string; repo: string } | { kind: 'oci'; ref: string };

export interface HelmDeployInputs {
  release: string;
  chart: ChartSource;
  chartVersion?: string;
  namespace: string;
  createNamespace: boolean;
  valuesFiles: string[];
  set: Array<{ key: string; value: string }>;
  setString: Array<{ key: string; value: string }>;
  setFile: Array<{ key: string; value: string }>;
  /** The secret-values YAML document (masked; written to a 0600 file by the action). */
  secretValues?: string;
  timeoutMs: number;
  wait: boolean;
  rollbackOnFailure: boolean;
  /** The Helm to run: preinstalled, or a pinned (or user-checksummed) download. */
  helm: HelmChoice;
  kubeconfig?: string;
  recoverPending: boolean;
  dryRun: boolean;
  historyMax: number;
}

const RELEASE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Registers every string leaf of the secret values as a secret (numbers and booleans are not secrets). */
function maskLeaves(value: unknown, secrets: Secrets): void {
  if (typeof value === 'string') secrets.add(value);
  else if (Array.isArray(value)) value.forEach((v) => maskLeaves(v, secrets));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => maskLeaves(v, secrets));
}

/**
 * Parses secret-values without ever echoing it: js-yaml's messages quote the source, so only the line is kept.
 * Masks the string values (and their lines), not the YAML's keys: masking "password:" would blank the log.
 */
export function parseSecretValues(text: string, secrets: Secrets): void {
  let doc: unknown;
  try {
    doc = load(text);
  } catch (err) {
    secrets.add(text); // unparseable: mask every line, since the values cannot be told from the keys
    const line = err instanceof YAMLException ? err.mark?.line : undefined;
    throw new ConfigurationError({ input: 'secret-values', problem: `is not valid YAML${line !== undefined ? ` (line ${line + 1} of the input)` : ''}: ${err instanceof YAMLException ? err.reason : 'parse error'}`, fix: 'pass a YAML mapping of Helm values, e.g. from a secret: `secret-values: ${{ secrets.HELM_SECRET_VALUES }}`' });
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigurationError({ input: 'secret-values', problem: 'is not a YAML mapping', fix: 'write key: value pairs (Helm values), not a list or a single value' });
  }
  maskLeaves(doc, secrets);
}

function existingFile(input: string, file: string, workspace: string): string {
  const path = isAbsolute(file) ? file : resolve(workspace, file);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new ConfigurationError({ input, problem: `file ${file} does not exist (looked at ${path})`, fix: 'check the path; relative paths are resolved from the workspace (GITHUB_WORKSPACE)' });
  }
  return path;
}

function chartSource(chart: string, repo: string | undefined, workspace: string): ChartSource {
  if (chart.startsWith('oci://')) {
    if (repo) throw new ConfigurationError({ input: 'repo', problem: 'is set together with an oci:// chart', fix: 'leave repo empty for OCI charts; the registry is part of the chart reference' });
    if (!/^oci:\/\/[^/\s]+\/\S+$/.test(chart)) throw new ConfigurationError({ input: 'chart', problem: `"${chart}" is not a valid OCI reference`, fix: 'write oci://<registry>/<path>/<chart>, e.g. oci://ghcr.io/acme/charts/todo' });
    return { kind: 'oci', ref: chart };
  }
  if (repo) {
    if (!/^https?:\/\/\S+$/.test(repo)) throw new ConfigurationError({ input: 'repo', problem: `"${repo}" is not an http(s) URL`, fix: 'write the chart repository URL, e.g. https://dapr.github.io/helm-charts/' });
    if (!/^[a-z0-9][a-z0-9._-]*$/i.test(chart)) throw new ConfigurationError({ input: 'chart', problem: `"${chart}" is not a chart name`, fix: 'with repo set, chart is the chart\'s name in that repository (no slashes), e.g. dapr' });
    return { kind: 'repo', name: chart, repo };
  }
  const path = isAbsolute(chart) ? chart : resolve(workspace, chart);
  const ok = existsSync(path) && (statSync(path).isDirectory() ? existsSync(resolve(path, 'Chart.yaml')) : /\.tgz$/.test(path));
  if (!ok) {
    throw new ConfigurationError({
      input: 'chart',
      problem: existsSync(path) ? `${chart} is not a chart (no Chart.yaml in ${path})` : `${chart} does not exist (looked at ${path})`,
      fix: 'point chart at a directory with Chart.yaml or a packaged .tgz (relative to the workspace), or set repo for a repository chart, or use oci://',
    });
  }
  return { kind: 'local', path };
}

export function parseHelmDeployInputs(inputs: Inputs, secrets: Secrets, env: NodeJS.ProcessEnv, platform = hostPlatform()): HelmDeployInputs {
  const workspace = env.GITHUB_WORKSPACE ?? process.cwd();
  const problems = new ProblemList();
  const c = <T>(fn: () => T): T | undefined => problems.collect(fn);

  const secretValues = inputs.raw('secret-values') !== undefined ? inputs.string('secret-values') : undefined;
  if (secretValues !== undefined) c(() => parseSecretValues(secretValues, secrets));

  const release = c(() => inputs.required('release'));
  if (release !== undefined && (!RELEASE.test(release) || release.length > 53)) {
    problems.add({ input: 'release', problem: `"${release}" is not a valid release name`, fix: 'use at most 53 lowercase letters, digits, "-" and ".", starting and ending with a letter or digit' });
  }
  const namespace = inputs.string('namespace', 'default')!;
  if (!DNS_LABEL.test(namespace) || namespace.length > 63) {
    problems.add({ input: 'namespace', problem: `"${namespace}" is not a valid namespace name`, fix: 'use at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit' });
  }
  const chartInput = c(() => inputs.required('chart'));
  const chart = chartInput === undefined ? undefined : c(() => chartSource(chartInput, inputs.string('repo'), workspace));
  const chartVersion = inputs.string('chart-version');
  if (chartVersion && chart?.kind === 'local') problems.add({ input: 'chart-version', problem: 'is set for a local chart, where Helm ignores it', fix: 'remove chart-version, or use a repository or oci:// chart' });

  const valuesFiles = inputs.list('values-files').map((f) => c(() => existingFile('values-files', f, workspace))).filter((f): f is string => f !== undefined);
  const set = c(() => inputs.keyValues('set')) ?? [];
  const setString = c(() => inputs.keyValues('set-string')) ?? [];
  const setFile = (c(() => inputs.keyValues('set-file')) ?? []).map(({ key, value }) => ({ key, value: c(() => existingFile('set-file', value, workspace)) ?? value }));

  const result = {
    timeoutMs: c(() => inputs.duration('timeout', '5m', { minMs: 1000, maxMs: 6 * 3_600_000 })),
    wait: c(() => inputs.boolean('wait', true)),
    createNamespace: c(() => inputs.boolean('create-namespace', false)),
    rollbackOnFailure: c(() => inputs.boolean('rollback-on-failure', true)),
    recoverPending: c(() => inputs.boolean('recover-pending', false)),
    dryRun: c(() => inputs.boolean('dry-run', false)),
    historyMax: c(() => inputs.integer('history-max', 10, { min: 0, max: 1000 })),
  };
  const helm = parseHelmInputs(inputs, problems, { platform, allowInsecure: parseAllowInsecure(inputs, problems) });
  if (result.rollbackOnFailure === true && result.wait === false) problems.add({ input: 'wait', problem: 'is false while rollback-on-failure is true; Helm must wait to know that a release failed', fix: 'leave wait at true, or set rollback-on-failure: false' });

  problems.throwIfAny();
  return {
    release: release!,
    chart: chart!,
    chartVersion,
    namespace,
    createNamespace: result.createNamespace!,
    valuesFiles,
    set,
    setString,
    setFile,
    secretValues,
    timeoutMs: result.timeoutMs!,
    wait: result.wait!,
    rollbackOnFailure: result.rollbackOnFailure!,
    helm: helm!,
    kubeconfig: inputs.string('kubeconfig'),
    recoverPending: result.recoverPending!,
    dryRun: result.dryRun!,
    historyMax: result.historyMax!,
  };
}
