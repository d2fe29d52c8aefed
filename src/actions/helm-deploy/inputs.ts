import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { load, YAMLException } from 'js-yaml';
import { ConfigurationError, ProblemList } from '../../core/errors.js';
import { checkDnsLabel, checkDnsSubdomain, checkPath, checkUrl, clip, pathPolicy, type Inputs, type PathPolicy } from '../../core/inputs.js';
import type { Secrets } from '../../core/secrets.js';
import { checkKubeconfigFile, checkValuesFile } from '../../core/yaml-files.js';
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
  /** Helm 4: take over fields that another field manager owns (--force-conflicts); checked against the major at run. */
  forceConflicts: boolean;
  dryRun: boolean;
  historyMax: number;
  /** apply: deploy (default); plan: compute the diff and change nothing. */
  mode: 'apply' | 'plan';
  /** Compute what the upgrade changes before it runs (always in plan mode). */
  diff: boolean;
  /** Post the diff as one comment on the event's pull request, updated in place. */
  commentOnPr: boolean;
  /** The token for that comment (masked). */
  githubToken?: string;
}

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


/** `scheme://` at the start of a chart: a URL, not a path (Helm would look for a folder named `ftp:`). */
const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
const CHART_FIX = 'use a local chart (a directory with Chart.yaml, or a .tgz, in the workspace), oci://<registry>/<path>/<chart>, or a chart name with repo: https://<repository>';

function chartSource(chart: string, repo: string | undefined, policy: PathPolicy, secrets: Secrets, problems: ProblemList): ChartSource | undefined {
  const scheme = SCHEME.exec(chart)?.[1]?.toLowerCase();
  if (scheme === 'oci') {
    if (repo) problems.add({ input: 'repo', problem: 'is set together with an oci:// chart', fix: 'leave repo empty for OCI charts; the registry is part of the chart reference' });
    if (!/^oci:\/\/[^/\s]+\/\S+$/.test(chart)) problems.add({ input: 'chart', problem: `"${clip(chart)}" is not a valid OCI reference`, fix: 'write oci://<registry>/<path>/<chart>, e.g. oci://ghcr.io/acme/charts/todo' });
    return problems.length ? undefined : { kind: 'oci', ref: chart };
  }
  if (scheme === 'http' || scheme === 'https') {
    problems.add({ input: 'chart', problem: `"${clip(chart)}" is a URL; helm-deploy takes an http(s) chart repository through repo`, fix: 'set repo to the repository URL and chart to the chart\'s name, e.g. repo: https://dapr.github.io/helm-charts/ and chart: dapr; or use an oci:// reference' });
    return undefined;
  }
  if (scheme !== undefined) {
    problems.add({ input: 'chart', problem: `"${clip(chart)}" uses ${scheme}://, which helm-deploy does not support`, fix: CHART_FIX });
    return undefined;
  }
  if (repo) {
    const url = problems.collect(() => {
      try {
        const parsed = new URL(repo);
        if (parsed.password) secrets.add(decodeURIComponent(parsed.password)); // credentials in the URL: masked at birth
      } catch {
        // checkUrl says what is wrong
      }
      return checkUrl('repo', repo, { schemes: ['https', 'http'], example: 'https://dapr.github.io/helm-charts/' });
    });
    if (!/^[a-z0-9][a-z0-9._-]*$/i.test(chart)) problems.add({ input: 'chart', problem: `"${clip(chart)}" is not a chart name`, fix: 'with repo set, chart is the chart\'s name in that repository (no slashes), e.g. dapr' });
    return url && problems.length === 0 ? { kind: 'repo', name: chart, repo } : undefined;
  }
  const path = problems.collect(() => checkPath('chart', chart, policy, 'file or directory'));
  if (path === undefined) return undefined;
  const isChart = statSync(path).isDirectory() ? existsSync(resolve(path, 'Chart.yaml')) : /\.tgz$/.test(path);
  if (!isChart) {
    problems.add({ input: 'chart', problem: statSync(path).isDirectory() ? `${clip(chart)} is not a chart (no Chart.yaml in ${path})` : `${clip(chart)} is not a packaged chart (.tgz)`, fix: CHART_FIX });
    return undefined;
  }
  return { kind: 'local', path };
}

export const ALLOW_OUTSIDE_INPUT = 'allow-outside-workspace';

/** Every input checked, every problem collected and reported together, before anything runs. */
export function parseHelmDeployInputs(inputs: Inputs, secrets: Secrets, env: NodeJS.ProcessEnv, platform = hostPlatform()): HelmDeployInputs {
  const problems = new ProblemList();
  const c = <T>(fn: () => T): T | undefined => problems.collect(fn);
  const policy = pathPolicy(env, c(() => inputs.boolean(ALLOW_OUTSIDE_INPUT, false)) ?? false, ALLOW_OUTSIDE_INPUT);

  const secretValues = inputs.raw('secret-values') !== undefined ? inputs.string('secret-values') : undefined;
  if (secretValues !== undefined) c(() => parseSecretValues(secretValues, secrets));

  const release = c(() => checkDnsSubdomain('release', inputs.required('release'), 'release name', 53));
  const namespace = c(() => checkDnsLabel('namespace', inputs.string('namespace', 'default')!, 'namespace name'));
  const chartInput = c(() => inputs.required('chart'));
  const chart = chartInput === undefined ? undefined : chartSource(chartInput, inputs.string('repo'), policy, secrets, problems);
  const chartVersion = inputs.string('chart-version');
  if (chartVersion && chart?.kind === 'local') problems.add({ input: 'chart-version', problem: 'is set for a local chart, where Helm ignores it', fix: 'remove chart-version, or use a repository or oci:// chart' });

  const valuesFix = 'point values-files at YAML files of Helm values (key: value mappings), relative to the workspace';
  const valuesFiles = inputs
    .list('values-files')
    .map((f) => c(() => { const path = checkPath('values-files', f, policy, 'file'); checkValuesFile('values-files', f, path, valuesFix); return path; }))
    .filter((f): f is string => f !== undefined);
  const set = c(() => inputs.keyValues('set')) ?? [];
  const setString = c(() => inputs.keyValues('set-string')) ?? [];
  const setFile = (c(() => inputs.keyValues('set-file')) ?? []).map(({ key, value }) => ({ key, value: c(() => checkPath('set-file', value.trim(), policy, 'file')) ?? value }));
  const kubeconfigInput = inputs.string('kubeconfig');
  const kubeconfig = kubeconfigInput === undefined ? undefined : c(() => { const path = checkPath('kubeconfig', kubeconfigInput, policy, 'file'); checkKubeconfigFile('kubeconfig', kubeconfigInput, path); return path; });

  const result = {
    timeoutMs: c(() => inputs.duration('timeout', '5m', { minMs: 1000, maxMs: 6 * 3_600_000 })),
    wait: c(() => inputs.boolean('wait', true)),
    createNamespace: c(() => inputs.boolean('create-namespace', false)),
    rollbackOnFailure: c(() => inputs.boolean('rollback-on-failure', true)),
    recoverPending: c(() => inputs.boolean('recover-pending', false)),
    forceConflicts: c(() => inputs.boolean('force-conflicts', false)),
    dryRun: c(() => inputs.boolean('dry-run', false)),
    historyMax: c(() => inputs.integer('history-max', 10, { min: 0, max: 1000 })),
    mode: c(() => inputs.oneOf('mode', ['apply', 'plan'] as const, 'apply')),
    diff: c(() => inputs.boolean('diff', true)),
    commentOnPr: c(() => inputs.boolean('comment-on-pr', false)),
  };
  const githubToken = secrets.add(inputs.string('github-token'));
  if (result.mode === 'plan' && result.diff === false) problems.add({ input: 'diff', problem: 'is false while mode is plan, which only computes the diff', fix: 'leave diff at true, or use mode: apply' });
  if (result.mode === 'plan' && result.dryRun === true) problems.add({ input: 'dry-run', problem: 'is true while mode is plan; a plan changes nothing already', fix: 'remove dry-run (plan shows the diff), or use mode: apply with dry-run: true' });
  if (result.commentOnPr === true && result.diff === false) problems.add({ input: 'comment-on-pr', problem: 'is true while diff is false: there is no diff to post', fix: 'set diff: true, or comment-on-pr: false' });
  if (result.commentOnPr === true && !githubToken) problems.add({ input: 'github-token', problem: 'is empty while comment-on-pr is true', fix: 'leave github-token at its default (${{ github.token }}), or pass a token that may write pull-request comments' });
  const helm = parseHelmInputs(inputs, problems, { platform, allowInsecure: parseAllowInsecure(inputs, problems) });
  if (result.rollbackOnFailure === true && result.wait === false) problems.add({ input: 'wait', problem: 'is false while rollback-on-failure is true; Helm must wait to know that a release failed', fix: 'leave wait at true, or set rollback-on-failure: false' });

  problems.throwIfAny();
  return {
    release: release!,
    chart: chart!,
    chartVersion,
    namespace: namespace!,
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
    kubeconfig,
    recoverPending: result.recoverPending!,
    forceConflicts: result.forceConflicts!,
    dryRun: result.dryRun!,
    historyMax: result.historyMax!,
    mode: result.mode!,
    diff: result.diff! || result.mode === 'plan',
    commentOnPr: result.commentOnPr!,
    githubToken,
  };
}
