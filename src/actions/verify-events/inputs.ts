import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ConfigurationError, ProblemList } from '../../core/errors.js';
import type { Inputs } from '../../core/inputs.js';
import type { Secrets } from '../../core/secrets.js';
import { DEFAULT_PROBE_TYPE } from '../../events/probe.js';
import { parseKafkaConnection, type KafkaConnection } from '../../kafka/connection-inputs.js';

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
  concurrency: number;
  timeoutMs: number;
  maxP95Ms?: number;
  source: string;
  reportPath: string;
}

const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

export function parseVerifyInputs(inputs: Inputs, secrets: Secrets, env: NodeJS.ProcessEnv): VerifyInputs {
  const problems = new ProblemList();
  const c = <T>(fn: () => T): T | undefined => problems.collect(fn);
  const connection = c(() => parseKafkaConnection(inputs, secrets, { workspace: env.GITHUB_WORKSPACE, defaultClientId: 'verify-events', defaultTimeout: '30s', names: { timeout: 'connect-timeout' } }));

  const topic = (name: string, required?: string): string | undefined => {
    const v = required ? c(() => inputs.required(name, required)) : inputs.string(name);
    if (v !== undefined && (!TOPIC.test(v) || v === '.' || v === '..')) problems.add({ input: name, problem: `"${v}" is not a valid topic name`, fix: 'use letters, digits, ".", "_" and "-" (at most 249)' });
    return v;
  };
  // No defaults: they would name this repository's sample app's topics, and a probe sent to a topic your app
  // does not subscribe to can only time out.
  const probeTopic = topic('probe-topic', "set `probe-topic` to the topic your app's probe subscription listens on (task-events in this repository's sample app)");
  const replyTopic = topic('reply-topic', 'set `reply-topic` to the topic your app publishes probe acknowledgements to (task-updates in the sample app)');
  const deadLetterTopic = topic('dead-letter-topic');
  if (probeTopic !== undefined && probeTopic === replyTopic) problems.add({ input: 'reply-topic', problem: `is the probe topic (${probeTopic})`, fix: 'the app acknowledges on another topic (task-updates in the sample app)' });
  // Dapr's Kafka pub/sub joins the consumer group named after the app id unless the component sets consumerGroup.
  const consumerGroup = inputs.string('consumer-group') ?? inputs.string('app-id');
  if (!consumerGroup) problems.add({ input: 'app-id', problem: 'is required (or consumer-group)', fix: 'set app-id to the Dapr app id of the subscriber (e.g. todo-worker), or consumer-group when its pub/sub component sets consumerGroup' });
  const probeType = inputs.string('probe-type', DEFAULT_PROBE_TYPE)!;
  if (!/^[\w.:/-]{1,200}$/.test(probeType)) problems.add({ input: 'probe-type', problem: `"${probeType}" is not a CloudEvent type the app can route on`, fix: `use a reverse-DNS name such as ${DEFAULT_PROBE_TYPE}` });
  const probes = c(() => inputs.integer('probes', 3, { min: 1, max: 1000 }));
  const concurrency = c(() => inputs.integer('concurrency', 1, { min: 1, max: 50 }));
  const timeoutMs = c(() => inputs.duration('timeout', '60s', { minMs: 1000, maxMs: 30 * 60_000 }));
  const maxP95 = inputs.raw('max-p95-ms') === undefined ? undefined : c(() => inputs.integer('max-p95-ms', 0, { min: 1, max: 600_000 }));
  problems.throwIfAny();
  if (concurrency! > probes!) throw new ConfigurationError({ input: 'concurrency', problem: `${concurrency} is more than probes (${probes})`, fix: 'use a concurrency no larger than the number of probes' });

  const repo = env.GITHUB_REPOSITORY;
  const source = inputs.string('source') ?? (repo ? `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${repo}/commit/${env.GITHUB_SHA ?? 'unknown'}` : 'verify-events');
  return {
    connection: connection!,
    probeTopic: probeTopic!,
    replyTopic: replyTopic!,
    deadLetterTopic,
    pubsubName: inputs.string('pubsub-name', 'pubsub')!,
    consumerGroup: consumerGroup!,
    appId: inputs.string('app-id'),
    probeType,
    probes: probes!,
    concurrency: concurrency!,
    timeoutMs: timeoutMs!,
    maxP95Ms: maxP95,
    source,
    reportPath: inputs.string('report-path') ?? join(env.RUNNER_TEMP || tmpdir(), 'verify-events-report.json'),
  };
}
