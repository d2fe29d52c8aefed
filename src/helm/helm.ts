import { OperationError } from '../core/errors.js';
import type { CommandResult, CommandRunner } from '../core/exec.js';
import type { Logger } from '../core/log.js';
import { rollbackArgs, upgradeArgs, type UpgradeOptions } from './args.js';
import { parseHistory, parseUpgradeJson, type Revision } from './release.js';
import type { HelmBinary } from './tool.js';

/** A command's end as the runner saw it; `signal` is set when the runner can tell which signal killed it. */
export type HelmExit = Pick<CommandResult, 'stdout' | 'stderr'> & { exitCode: number | null; signal?: string | null };

/**
 * Why a helm command failed, in words: its last error lines, and how it ended when that was not an exit code.
 * A helm killed mid-operation (SIGKILL from the OOM killer, a cancelled job) has no exit code; the runner then
 * reports code null, which says nothing to a reader.
 */
/** A server-side apply conflict in helm's error: a field of an object the chart renders belongs to another field manager. */
export interface ApplyConflict {
  /** namespace/name (or name) of the object. */
  object: string;
  kind: string;
  /** The field manager that owns the field: kubectl-edit, kubectl-patch, kubectl-client-side-apply, a controller... */
  manager: string;
  /** The field path as the API server names it, e.g. .spec.replicas. */
  field: string;
}

/**
 * Helm 4 applies server-side: when a field the chart sets was last set by someone else (kubectl edit, patch or
 * scale, another tool, a controller), the API server refuses the apply with a conflict naming the object, the
 * manager and the field. Pure; undefined when helm's error is something else.
 */
export function applyConflict(stderr: string): ApplyConflict | undefined {
  const text = stderr.replace(/\\"/g, '"');
  const m = /conflict occurred while applying object (\S+) [^,]*, Kind=(\w+): Apply failed with (\d+) conflicts?: conflicts? with "([^"]+)"(?: using [^:]+)?:\s*(?:-\s*)?(\S+?)(?:[\s"]|$)/.exec(text);
  if (!m) return undefined;
  const more = Number(m[3]) - 1;
  return { object: m[1]!, kind: m[2]!, manager: m[4]!, field: more > 0 ? `${m[5]!} (and ${more} more field${more > 1 ? 's' : ''})` : m[5]! };
}

/** What to do about an apply conflict; `takeOver` names how the caller lets Helm take the field (an input), if it can. */
export function applyConflictHint(c: ApplyConflict, takeOver?: string): string {
  const undo = `${c.field} of ${c.kind} ${c.object} was last set outside Helm, by field manager "${c.manager}" (kubectl edit, patch or scale, another tool or a controller), and Helm's server-side apply does not overwrite it`;
  return takeOver ? `${undo}: undo that change, or let Helm take the field back with ${takeOver}` : `${undo}: undo that change (or remove that manager's ownership of the field), then run again`;
}

/** The hint for a dry run helm failed: the conflict's when it is one, else where to look. */
export function dryRunHint(stderr: string, takeOver?: string): string {
  const c = applyConflict(stderr);
  return c ? applyConflictHint(c, takeOver) : 'the chart or values do not render, or the API server refused the objects; see the lines above';
}

export function helmFailure(result: HelmExit, lines = 10): string {
  const tail = result.stderr.trim().split('\n').slice(-lines).join('\n');
  const killed = result.exitCode === null || result.exitCode === undefined || (result.signal !== undefined && result.signal !== null);
  if (killed) {
    const how = `helm was killed by ${result.signal ? result.signal : 'a signal'} before it finished (it has no exit code)`;
    return tail ? `${tail}\n${how}` : how;
  }
  return tail || `helm exited with code ${result.exitCode} and printed no error`;
}

/** Helm's words when --atomic / --rollback-on-failure removed a failed first install. */
export const FIRST_INSTALL_REMOVED = /has been uninstalled due to/i;

/** The environment Helm runs with against a kubeconfig path (undefined: the step's KUBECONFIG, or Helm's default). */
export function helmEnv(env: NodeJS.ProcessEnv, kubeconfig: string | undefined): NodeJS.ProcessEnv {
  const path = kubeconfig ?? env.KUBECONFIG;
  return { ...env, ...(path ? { KUBECONFIG: path } : {}) };
}

/**
 * The one Helm runner of the project (helm-deploy and dapr-install both use it). Every call goes through
 * the project's CommandRunner, so command lines and output are redacted; values never reach --debug.
 */
export class Helm {
  constructor(
    readonly binary: HelmBinary,
    private readonly runner: CommandRunner,
    private readonly log: Logger,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  get major(): 3 | 4 {
    return this.binary.major;
  }

  /** HELM_DRIVER as helm runs with it here (undefined: Helm's default, Secrets), for reads of its storage. */
  get storageDriver(): string | undefined {
    return this.env.HELM_DRIVER;
  }

  private run(args: string[], options: { stream?: boolean; allowFailure?: boolean } = {}): Promise<CommandResult> {
    return this.runner.run(this.binary.path, args, { env: { ...this.env, HELM_DEBUG: 'false' }, ...options });
  }

  /** Revisions, oldest first; [] when the release does not exist. */
  async history(release: string, namespace: string): Promise<Revision[]> {
    const r = await this.run(['history', release, '--namespace', namespace, '--max', '20', '--output', 'json'], { allowFailure: true });
    if (r.exitCode === 0) return parseHistory(r.stdout);
    if (/release: not found/i.test(r.stderr)) return [];
    throw new OperationError(`helm history ${release} in ${namespace} failed: ${r.stderr.trim()}`, { hint: 'check the kubeconfig and that the identity may read Secrets in the namespace (Helm stores releases there)' });
  }

  /**
   * helm upgrade --install; never throws, so the caller can diagnose a failure. A real run asks for JSON
   * (the release it made, read in memory and never logged: it holds values); a dry run streams the
   * rendered manifests (Secrets hidden) for the reader.
   */
  async upgrade(options: UpgradeOptions): Promise<{ result: CommandResult; release?: Revision }> {
    if (options.dryRun) return { result: await this.run(upgradeArgs(options, this.major), { stream: true, allowFailure: true }) };
    const result = await this.run([...upgradeArgs(options, this.major), '--output', 'json'], { allowFailure: true });
    if (result.stderr.trim()) this.log.info(result.stderr.trim());
    const release = result.exitCode === 0 ? parseUpgradeJson(result.stdout) : undefined;
    if (release) this.log.info(`Release ${options.release}: revision ${release.revision} ${release.status} (chart ${release.chart}, app ${release.appVersion || '-'})`);
    return { result, release };
  }

  async rollback(release: string, namespace: string, revision: number, timeoutMs: number): Promise<void> {
    await this.run(rollbackArgs(release, namespace, revision, timeoutMs, this.major), { stream: true });
  }

  async uninstall(release: string, namespace: string, timeoutMs: number): Promise<void> {
    await this.run(['uninstall', release, '--namespace', namespace, '--timeout', `${Math.ceil(timeoutMs / 1000)}s`, ...(this.major === 3 ? ['--wait'] : ['--wait=watcher'])], { stream: true });
  }

  /** A chart's Chart.yaml (`helm show chart`): its version and appVersion, before anything is installed. */
  async showChart(chart: string, options: { version?: string; repo?: string } = {}): Promise<{ version: string; appVersion?: string }> {
    const args = ['show', 'chart', chart, ...(options.version ? ['--version', options.version] : []), ...(options.repo ? ['--repo', options.repo] : [])];
    const r = await this.run(args, { allowFailure: true });
    if (r.exitCode !== 0) {
      throw new OperationError(`helm show chart ${chart} failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`, { hint: 'check that the chart exists where chart / chart-repo point' });
    }
    const field = (name: string) => new RegExp(`^${name}:\\s*['"]?([^'"\\s]+)`, 'm').exec(r.stdout)?.[1];
    return { version: field('version') ?? '', appVersion: field('appVersion') };
  }

  /** The CRDs of a chart's crds/ folder as one YAML stream (`helm show crds`): what Helm itself would install. */
  async showCrds(chart: string, options: { version?: string; repo?: string } = {}): Promise<string> {
    const args = ['show', 'crds', chart, ...(options.version ? ['--version', options.version] : []), ...(options.repo ? ['--repo', options.repo] : [])];
    const r = await this.run(args, { allowFailure: true });
    if (r.exitCode !== 0) {
      throw new OperationError(`helm show crds ${chart}${options.version ? ` --version ${options.version}` : ''} failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`, { hint: 'check that the chart (and that version of it) exists where chart / chart-repo point' });
    }
    return r.stdout;
  }

  /** `helm status` as text (no values; notes are redacted by the runner). */
  async statusText(release: string, namespace: string): Promise<string> {
    const r = await this.run(['status', release, '--namespace', namespace], { allowFailure: true });
    // Up to NOTES: the chart's notes are the user's text, often with values in it.
    return (r.exitCode === 0 ? r.stdout.split(/^NOTES:/m)[0]! : r.stderr).trim();
  }
}
