/**
 * Where helm-deploy's diff comes from: helm's server-side dry run of the upgrade (the manifest it would apply),
 * `helm get manifest` (the release as it is), and the live objects read with the Kubernetes client. No Helm
 * plugin; the same on Helm 3 and 4. Every manifest is read in memory only: rendered Secrets are in it.
 */
import { dumpYaml, KubernetesObjectApi, type KubeConfig } from '@kubernetes/client-node';
import { load } from 'js-yaml';
import { errorMessage, OperationError } from '../core/errors.js';
import type { CommandRunner } from '../core/exec.js';
import { apiError } from '../kube/rest.js';
import { upgradeArgs, type UpgradeOptions } from './args.js';
import { dryRunHint } from './helm.js';
import { redactDiff, secretValues, valueRedactor } from './diff-secrets.js';
import { diffRelease, objectsToRead, parseManifest, type KubeObject, type LiveObject, type ReleaseDiff } from './diff.js';

export interface DiffSources {
  /** The manifest the upgrade would apply. */
  proposed(): Promise<string>;
  /** The release's manifest now; undefined when there is no release. */
  previous(): Promise<string | undefined>;
  /** One object as the cluster has it. */
  read(ref: { apiVersion: string; kind: string; name: string; namespace: string }): Promise<LiveObject>;
}

/** The helm command line of the dry run: the upgrade's own, server-side, rendered Secrets kept (in memory), as JSON. */
export function dryRunArgs(options: UpgradeOptions, major: 3 | 4): string[] {
  return [...upgradeArgs({ ...options, dryRun: true }, major).filter((a) => a !== '--hide-secret'), '--output', 'json'];
}

/** The `manifest` of helm's release JSON (whatever helm printed before the JSON is skipped). */
export function manifestOfReleaseJson(stdout: string): string {
  const start = stdout.indexOf('{');
  let release: { manifest?: unknown };
  try {
    release = JSON.parse(start < 0 ? stdout : stdout.slice(start)) as { manifest?: unknown };
  } catch {
    throw new OperationError('helm printed no release JSON for the dry run', { hint: 'run the same helm upgrade with --dry-run=server --output json by hand and look at what it prints' });
  }
  if (typeof release.manifest !== 'string') throw new OperationError('the release JSON of helm\'s dry run has no manifest', { hint: 'this Helm may be too old for --dry-run=server; use helm-version: 3 or 4' });
  return release.manifest;
}

export interface HelmDiffSourceOptions {
  /** The helm binary and its environment (KUBECONFIG). */
  helm: { path: string; major: 3 | 4; env: NodeJS.ProcessEnv };
  /**
   * A runner that returns helm's output as printed: the manifests hold Secret values, which a redacting runner
   * would turn into *** (and into false "changed" keys). Its log lines are still redacted by the logger.
   */
  runner: CommandRunner;
  upgrade: UpgradeOptions;
  kc: KubeConfig;
}

/** The sources of a real run: helm through the runner, the cluster through the Kubernetes client. */
export function helmDiffSources(o: HelmDiffSourceOptions): DiffSources {
  const run = (args: string[]) => o.runner.run(o.helm.path, args, { env: { ...o.helm.env, HELM_DEBUG: 'false' }, allowFailure: true });
  const { release, namespace } = o.upgrade;
  let api: KubernetesObjectApi | undefined;
  return {
    async proposed() {
      const r = await run(dryRunArgs(o.upgrade, o.helm.major));
      if (r.exitCode !== 0) {
        throw new OperationError(`helm dry run of ${release} for the diff failed:\n${r.stderr.trim().split('\n').slice(-10).join('\n')}`, { hint: dryRunHint(r.stderr, o.upgrade.forceConflicts ? undefined : 'force-conflicts: true') });
      }
      return manifestOfReleaseJson(r.stdout);
    },
    async previous() {
      const r = await run(['get', 'manifest', release, '--namespace', namespace]);
      if (r.exitCode === 0) return r.stdout;
      if (/release: not found/i.test(r.stderr)) return undefined;
      throw new OperationError(`helm get manifest ${release} in ${namespace} failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`, { hint: 'check that the identity may read Secrets in the namespace (Helm stores releases there)' });
    },
    async read(ref) {
      api ??= KubernetesObjectApi.makeApiClient(o.kc);
      try {
        const obj = await api.read({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } });
        // Back to the wire's field names (the client's models rename a few, e.g. in CRDs) for the comparison.
        return { state: 'found', object: load(dumpYaml(obj)) as KubeObject };
      } catch (err) {
        const code = (err as { code?: number }).code;
        if (code === 404) return { state: 'absent' };
        if (/Unrecognized API version and kind/.test(errorMessage(err))) return { state: 'absent', note: `the cluster does not know ${ref.apiVersion} ${ref.kind} yet (a CRD this release installs?)` };
        return { state: 'unreadable', reason: apiError(err) };
      }
    },
  };
}

export interface ComputedDiff {
  diff: ReleaseDiff;
  /** Resources the diff covers (proposed and previous, each once). */
  resources: number;
}

/**
 * The release's diff, redacted: every Secret value seen (proposed, previous, live; raw and base64) and whatever
 * `redact` knows (the action's registered secrets) is replaced with *** wherever it would appear.
 */
export async function computeReleaseDiff(sources: DiffSources, releaseNamespace: string, redact: (text: string) => string = (t) => t, concurrency = 8): Promise<ComputedDiff> {
  const [proposedText, previousText] = await Promise.all([sources.proposed(), sources.previous()]);
  const proposed = parseManifest(proposedText, 'the manifest of helm\'s dry run');
  const previous = previousText === undefined ? [] : parseManifest(previousText, 'the release\'s current manifest');
  const wanted = objectsToRead(proposed, previous, releaseNamespace);
  const live = new Map<string, LiveObject>();
  const queue = [...wanted];
  await Promise.all(
    Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const { key, object } = next;
        live.set(key, await sources.read({ apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name, namespace: object.metadata.namespace ?? releaseNamespace }));
      }
    }),
  );
  const values = [...proposed, ...previous, ...[...live.values()].flatMap((l) => (l.state === 'found' ? [l.object] : []))].flatMap(secretValues);
  const byValue = valueRedactor(values);
  const diff = redactDiff(diffRelease({ releaseNamespace, proposed, previous, live }), (t) => redact(byValue(t)));
  return { diff, resources: wanted.length };
}
