import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ConfigurationError, ProblemList } from '../../core/errors.js';
import { checkDnsLabel, checkDnsSubdomain, checkPath, clip, pathPolicy, type Inputs } from '../../core/inputs.js';
import { hostPlatform, parseAllowInsecure } from '../../core/download-inputs.js';
import { checkKubeconfigFile } from '../../core/yaml-files.js';
import { parseHelmInputs, type HelmChoice } from '../../helm/tool.js';
import type { Secrets } from '../../core/secrets.js';
import { DEFAULT_PROBE_TYPE } from '../../events/probe.js';
import { parseKafkaConnection, type KafkaConnection } from '../../kafka/connection-inputs.js';
import { checkReportPath } from './report.js';

export interface VerifyInputs {
  connection: KafkaConnection;
  probeTopic: string;
  replyTopic: string;
  deadLetterTopic?: string;
  pubsubName: string;
  consumerGroup: string;
  /** The subscriber's Dapr app id: only acknowledgements it published (CloudEvent source) count. */
  appId?: string;
  probeType: string;
  probes: number;
  /** Probes sent first, one at a time: they must make the round trip, but their latency is not counted. */
  warmupProbes: number;
  concurrency: number;
  timeoutMs: number;
  maxP95Ms?: number;
  source: string;
  reportPath: string;
  /** The Helm release the round trip verifies, when named (release, release-namespace). */
  release?: { name: string; namespace: string };
  /** rollback-on-failure: true - what to roll back to when the round trip fails, and with which Helm. */
  rollback?: RollbackSettings;
}

export interface RollbackSettings {
  release: string;
  namespace: string;
  /** The revision live before the deploy (helm-deploy's previous-revision); undefined: a first install, nothing to go back to. */
  revision?: number;
  /** helm rollback --wait's deadline. */
  timeoutMs: number;
  helm: HelmChoice;
  kubeconfig?: string;
}

/** Dapr (Kubernetes) turns the app id into the Service "<app-id>-dapr", an RFC 1123 label: 63 - 5 characters. */
const APP_ID_MAX = 58;

/** The app id as Dapr's sidecar injector accepts it (dapr/pkg/validation ValidateKubernetesAppID). */
function checkAppId(value: string): string {
  checkDnsLabel('app-id', value, 'Dapr app id');
  if (value.length > APP_ID_MAX) throw new ConfigurationError({ input: 'app-id', problem: `"${clip(value)}" is ${value.length} characters; Dapr makes the Service "<app-id>-dapr" from it, an RFC 1123 label of at most 63`, fix: `use the app's dapr.io/app-id, at most ${APP_ID_MAX} characters` });
  return value;
}

const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

/**
 * release, release-namespace, rollback-on-failure, rollback-to-revision, rollback-timeout, kubeconfig and the Helm
 * download inputs (as helm-deploy has them). Problems are collected; the Helm and kubeconfig inputs are checked
 * only when a rollback may run.
 */
function parseRollback(inputs: Inputs, problems: ProblemList, paths: ReturnType<typeof pathPolicy>, platform: string): { release?: VerifyInputs['release']; rollback?: RollbackSettings } {
  const c = <T>(fn: () => T): T | undefined => problems.collect(fn);
  const releaseInput = inputs.string('release');
  const name = releaseInput === undefined ? undefined : c(() => checkDnsSubdomain('release', releaseInput, 'release name', 53));
  const namespace = c(() => checkDnsLabel('release-namespace', inputs.string('release-namespace', 'default')!, 'namespace name'));
  const enabled = c(() => inputs.boolean('rollback-on-failure', false));
  const revisionRaw = inputs.string('rollback-to-revision');
  let revision: number | undefined;
  if (revisionRaw !== undefined) {
    if (!/^\d+$/.test(revisionRaw) || Number(revisionRaw) < 1 || Number(revisionRaw) > 2_147_483_647) {
      problems.add({ input: 'rollback-to-revision', problem: `"${clip(revisionRaw)}" is not a Helm revision (a whole number from 1)`, fix: "pass helm-deploy's previous-revision output, e.g. rollback-to-revision: ${{ steps.deploy.outputs.previous-revision }}" });
    } else revision = Number(revisionRaw);
  }
  const timeoutMs = c(() => inputs.duration('rollback-timeout', '5m', { minMs: 1000, maxMs: 6 * 3_600_000 }));
  const kubeconfigInput = inputs.string('kubeconfig');
  const helm = parseHelmInputs(inputs, problems, { platform, allowInsecure: parseAllowInsecure(inputs, problems) });
  if (enabled !== true) {
    if (revisionRaw !== undefined) problems.add({ input: 'rollback-to-revision', problem: 'is set while rollback-on-failure is false, so nothing would use it', fix: 'set rollback-on-failure: true to roll back when the round trip fails, or remove rollback-to-revision' });
    if (kubeconfigInput !== undefined) problems.add({ input: 'kubeconfig', problem: 'is set while rollback-on-failure is false; only the rollback talks to the cluster', fix: 'set rollback-on-failure: true, or remove kubeconfig' });
    return { release: name && namespace ? { name, namespace } : undefined };
  }
  if (releaseInput === undefined) problems.add({ input: 'release', problem: 'is required when rollback-on-failure is true', fix: "name the Helm release to roll back, e.g. release: ${{ inputs.release }} (the one helm-deploy deployed)" });
  const kubeconfig = kubeconfigInput === undefined ? undefined : c(() => { const path = checkPath('kubeconfig', kubeconfigInput, paths, 'file'); checkKubeconfigFile('kubeconfig', kubeconfigInput, path); return path; });
  if (!name || !namespace || timeoutMs === undefined || !helm) return {};
  return { release: { name, namespace }, rollback: { release: name, namespace, revision, timeoutMs, helm, kubeconfig } };
}

export function parseVerifyInputs(inputs: Inputs, secrets: Secrets, env: NodeJS.ProcessEnv, platform = hostPlatform()): VerifyInputs {
  const problems = new ProblemList();
  const c = <T>(fn: () => T): T | undefined => problems.collect(fn);
  const allowOutside = c(() => inputs.boolean('allow-outside-workspace', false));
  const paths = pathPolicy(env, allowOutside === true);
  const connection = c(() => parseKafkaConnection(inputs, secrets, { workspace: env.GITHUB_WORKSPACE, paths, defaultClientId: 'verify-events', defaultTimeout: '30s', names: { timeout: 'connect-timeout' } }));

  const topic = (name: string, required?: string): string | undefined => {
    const v = required ? c(() => inputs.required(name, required)) : inputs.string(name);
    if (v !== undefined && (!TOPIC.test(v) || v === '.' || v === '..')) problems.add({ input: name, problem: `"${clip(v)}" is not a valid topic name`, fix: 'use letters, digits, ".", "_" and "-" (at most 249)' });
    return v;
  };
  // No defaults: they would name this repository's sample app's topics, and a probe sent to a topic your app
  // does not subscribe to can only time out.
  const probeTopic = topic('probe-topic', "set `probe-topic` to the topic your app's probe subscription listens on (task-events in this repository's sample app)");
  const replyTopic = topic('reply-topic', 'set `reply-topic` to the topic your app publishes probe acknowledgements to (task-updates in the sample app)');
  const deadLetterTopic = topic('dead-letter-topic');
  if (probeTopic !== undefined && probeTopic === replyTopic) problems.add({ input: 'reply-topic', problem: `is the probe topic (${probeTopic})`, fix: 'the app acknowledges on another topic (task-updates in the sample app)' });
  if (deadLetterTopic !== undefined && (deadLetterTopic === probeTopic || deadLetterTopic === replyTopic)) {
    problems.add({ input: 'dead-letter-topic', problem: `is the ${deadLetterTopic === probeTopic ? 'probe' : 'reply'} topic (${deadLetterTopic})`, fix: 'name the probe subscription\'s deadLetterTopic (task-events-dlq in the sample app), or leave it empty' });
  }
  // Dapr's Kafka pub/sub joins the consumer group named after the app id unless the component sets consumerGroup.
  const appId = inputs.string('app-id');
  if (appId !== undefined) c(() => checkAppId(appId));
  const group = inputs.string('consumer-group');
  if (group !== undefined && /\s/.test(group)) problems.add({ input: 'consumer-group', problem: `"${clip(group)}" contains whitespace`, fix: 'use the consumerGroup of the pub/sub component, one name on one line' });
  const consumerGroup = group ?? appId;
  if (!consumerGroup) problems.add({ input: 'app-id', problem: 'is required (or consumer-group)', fix: 'set app-id to the Dapr app id of the subscriber (e.g. todo-worker), or consumer-group when its pub/sub component sets consumerGroup' });
  // The pub/sub component is a Kubernetes object: its name is an RFC 1123 subdomain, as the API server enforces.
  const pubsubName = c(() => checkDnsSubdomain('pubsub-name', inputs.string('pubsub-name', 'pubsub')!, 'Dapr component name'));
  const probeType = inputs.string('probe-type', DEFAULT_PROBE_TYPE)!;
  if (!/^[\w.:/-]{1,200}$/.test(probeType)) problems.add({ input: 'probe-type', problem: `"${clip(probeType)}" is not a CloudEvent type the app can route on`, fix: `use a reverse-DNS name such as ${DEFAULT_PROBE_TYPE}` });
  const probes = c(() => inputs.integer('probes', 3, { min: 1, max: 1000 }));
  const warmupProbes = c(() => inputs.integer('warmup-probes', 0, { min: 0, max: 100 }));
  const concurrency = c(() => inputs.integer('concurrency', 1, { min: 1, max: 50 }));
  const timeoutMs = c(() => inputs.duration('timeout', '60s', { minMs: 1000, maxMs: 30 * 60_000 }));
  const maxP95 = inputs.raw('max-p95-ms') === undefined ? undefined : c(() => inputs.integer('max-p95-ms', 0, { min: 1, max: 600_000 }));
  // Checked now, before any probe: a report the runner cannot write must not cost a run (or hang in /proc).
  const reportInput = inputs.string('report-path');
  const reportPath = reportInput === undefined ? join(env.RUNNER_TEMP || tmpdir(), 'verify-events-report.json') : c(() => checkReportPath(reportInput, paths));
  const release = parseRollback(inputs, problems, paths, platform);
  if (concurrency !== undefined && probes !== undefined && concurrency > probes) problems.add({ input: 'concurrency', problem: `${concurrency} is more than probes (${probes})`, fix: 'use a concurrency no larger than the number of probes' });
  problems.throwIfAny();

  const repo = env.GITHUB_REPOSITORY;
  const source = inputs.string('source') ?? (repo ? `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${repo}/commit/${env.GITHUB_SHA ?? 'unknown'}` : 'verify-events');
  return {
    connection: connection!,
    probeTopic: probeTopic!,
    replyTopic: replyTopic!,
    deadLetterTopic,
    pubsubName: pubsubName!,
    consumerGroup: consumerGroup!,
    appId,
    probeType,
    probes: probes!,
    warmupProbes: warmupProbes!,
    concurrency: concurrency!,
    timeoutMs: timeoutMs!,
    maxP95Ms: maxP95,
    source,
    reportPath: reportPath!,
    ...(release.release ? { release: release.release } : {}),
    ...(release.rollback ? { rollback: release.rollback } : {}),
  };
}
