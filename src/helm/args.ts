/** Pure: the helm command lines the actions run, for Helm 3 and Helm 4. Table-tested. */
export interface UpgradeOptions {
  release: string;
  chart: string;
  namespace: string;
  chartVersion?: string;
  repo?: string;
  createNamespace: boolean;
  valuesFiles: string[];
  set: Array<{ key: string; value: string }>;
  setString: Array<{ key: string; value: string }>;
  setFile: Array<{ key: string; value: string }>;
  timeoutMs: number;
  wait: boolean;
  rollbackOnFailure: boolean;
  dryRun: boolean;
  historyMax?: number;
  /** Release labels (kept on Helm's storage Secret), e.g. a digest of the inputs for idempotent re-runs. */
  labels?: Record<string, string>;
  /** Leave the chart's crds/ folder to the caller (dapr-install applies CRDs itself, on upgrades too). */
  skipCrds?: boolean;
  /** Helm 4 only: server-side apply takes over fields another field manager owns (--force-conflicts). */
  forceConflicts?: boolean;
}

const seconds = (ms: number): string => `${Math.max(1, Math.ceil(ms / 1000))}s`;

export function upgradeArgs(o: UpgradeOptions, major: 3 | 4): string[] {
  const args = ['upgrade', o.release, o.chart, '--install', '--namespace', o.namespace, '--timeout', seconds(o.timeoutMs)];
  if (o.chartVersion) args.push('--version', o.chartVersion);
  if (o.repo) args.push('--repo', o.repo);
  if (o.createNamespace) args.push('--create-namespace');
  for (const f of o.valuesFiles) args.push('--values', f);
  for (const { key, value } of o.set) args.push('--set', `${key}=${value}`);
  for (const { key, value } of o.setString) args.push('--set-string', `${key}=${value}`);
  for (const { key, value } of o.setFile) args.push('--set-file', `${key}=${value}`);
  if (o.historyMax !== undefined) args.push('--history-max', String(o.historyMax));
  if (o.skipCrds) args.push('--skip-crds');
  if (o.labels && Object.keys(o.labels).length) args.push('--labels', Object.entries(o.labels).map(([k, v]) => `${k}=${v}`).join(','));
  if (o.forceConflicts) {
    // Helm 3 applies client-side (three-way merge): there are no field managers' conflicts to force.
    if (major === 3) throw new Error('bug: forceConflicts with Helm 3 (the input check refuses it)');
    args.push('--force-conflicts');
  }
  if (o.dryRun) {
    // Server-side dry run; --hide-secret keeps rendered Secrets (base64 values) out of the output.
    args.push('--dry-run=server', '--hide-secret');
    return args;
  }
  const wait = o.wait || o.rollbackOnFailure;
  if (major === 3) {
    if (o.rollbackOnFailure) args.push('--atomic');
    else if (wait) args.push('--wait');
  } else {
    if (o.rollbackOnFailure) args.push('--rollback-on-failure');
    if (wait) args.push('--wait=watcher');
  }
  return args;
}

export function rollbackArgs(release: string, namespace: string, revision: number, timeoutMs: number, major: 3 | 4): string[] {
  return ['rollback', release, String(revision), '--namespace', namespace, '--timeout', seconds(timeoutMs), major === 3 ? '--wait' : '--wait=watcher'];
}
