import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseVerifyInputs } from '../../../src/actions/verify-events/inputs.js';
import { Inputs, objectInputs } from '../../../src/core/inputs.js';
import { Secrets } from '../../../src/core/secrets.js';
import { configError } from '../../support/config-error.js';

const base = { brokers: '127.0.0.1:19093', username: 'u', password: 'pw-secret-1', 'app-id': 'todo-worker', 'probe-topic': 'task-events', 'reply-topic': 'task-updates' };
const parse = (values: Record<string, string>, secrets = new Secrets()) => parseVerifyInputs(new Inputs(objectInputs({ ...base, ...values })), secrets, { RUNNER_TEMP: '/rt', GITHUB_REPOSITORY: 'acme/todo', GITHUB_SHA: 'abc123' });
const message = (values: Record<string, string>): string => configError(() => parse(values)).message;

describe('verify-events inputs', () => {
  it('takes the topics given, the app id as group, and names the commit as source', () => {
    const masked: string[] = [];
    const i = parse({}, new Secrets((v) => masked.push(v)));
    expect(i).toMatchObject({ probeTopic: 'task-events', replyTopic: 'task-updates', consumerGroup: 'todo-worker', probeType: 'io.oke-dapr-actions.probe', pubsubName: 'pubsub', probes: 3, warmupProbes: 0, concurrency: 1, timeoutMs: 60_000, source: 'https://github.com/acme/todo/commit/abc123', reportPath: '/rt/verify-events-report.json' });
    expect(i.connection).toMatchObject({ brokers: ['127.0.0.1:19093'], sasl: { mechanism: 'SCRAM-SHA-256', username: 'u' }, timeoutMs: 30_000 });
    expect(masked).toContain('pw-secret-1');
  });

  it('takes consumer-group over app-id', () => expect(parse({ 'consumer-group': 'custom' }).consumerGroup).toBe('custom'));

  it.each([
    [{ 'app-id': '' }, /app-id: is required \(or consumer-group\)/],
    [{ 'probe-topic': '' }, /probe-topic: is required but was empty or not set. Fix: set `probe-topic` to the topic your app's probe subscription listens on/],
    [{ 'reply-topic': '' }, /reply-topic: is required but was empty or not set. Fix: set `reply-topic` to the topic your app publishes probe acknowledgements to/],
    [{ 'reply-topic': 'task-events' }, /reply-topic: is the probe topic \(task-events\)/],
    [{ 'probe-topic': 'bad topic' }, /probe-topic: "bad topic" is not a valid topic name/],
    [{ probes: '0' }, /probes: 0 is out of range/],
    [{ 'warmup-probes': '101' }, /warmup-probes: 101 is out of range/],
    [{ 'warmup-probes': '-1' }, /warmup-probes: /],
    [{ probes: '2', concurrency: '5' }, /concurrency: 5 is more than probes \(2\)/],
    [{ 'max-p95-ms': 'fast' }, /max-p95-ms: "fast" is not a whole number/],
    [{ timeout: '60' }, /timeout: "60" is not a duration/],
    [{ brokers: 'kafka://x:1' }, /brokers: "kafka:\/\/x:1" has a URL scheme/],
    [{ 'app-id': 'Todo_Worker' }, /^app-id: "Todo_Worker" is not a valid Dapr app id\. Fix: use lowercase letters/],
    [{ 'app-id': 'todo.worker' }, /^app-id: "todo\.worker" is not a valid Dapr app id/],
    [{ 'app-id': 'a'.repeat(59) }, /^app-id: "a{59}" is 59 characters; Dapr makes the Service "<app-id>-dapr" from it.*at most 58/],
    [{ 'pubsub-name': 'Kafka_PubSub' }, /^pubsub-name: "Kafka_PubSub" is not a valid Dapr component name/],
    [{ 'pubsub-name': 'x'.repeat(254) }, /^pubsub-name: "x+… \(254 characters\)" is 254 characters; a Dapr component name has at most 253/],
    [{ 'dead-letter-topic': 'task-events' }, /^dead-letter-topic: is the probe topic \(task-events\)/],
    [{ 'dead-letter-topic': 'task-updates' }, /^dead-letter-topic: is the reply topic \(task-updates\)/],
    [{ 'consumer-group': 'a b' }, /^consumer-group: "a b" contains whitespace/],
    [{ 'report-path': '/etc/ve.json' }, /^report-path: \/etc\/ve\.json is outside the workspace/],
    [{ 'report-path': '/etc/ve.json', 'allow-outside-workspace': 'yes' }, /allow-outside-workspace: "yes" is not a boolean/],
  ])('refuses %j', (values, re) => expect(message(values)).toMatch(re));

  it('has no default topics: both are required, and reported together', () => {
    expect(configError(() => parseVerifyInputs(new Inputs(objectInputs({ brokers: 'b:9092', 'sasl-mechanism': 'none', 'app-id': 'a' })), new Secrets(), {})).message).toMatch(/^2 problems:\n- probe-topic: is required[^\n]*\n- reply-topic: is required/);
  });

  it('reports every problem together, the concurrency one too', () => {
    expect(message({ 'app-id': 'Bad', 'pubsub-name': 'Bad', probes: '2', concurrency: '5' })).toMatch(/^3 problems:\n- app-id: .*\n- pubsub-name: .*\n- concurrency: 5 is more than probes \(2\)/);
  });

  it('accepts a report path outside the workspace with allow-outside-workspace: true', () => {
    // The temp folder is writable for any user and outside the workspace (this checkout, as GITHUB_WORKSPACE is unset).
    const path = join(tmpdir(), 've-inputs-test.json');
    expect(parse({ 'report-path': path, 'allow-outside-workspace': 'true' }).reportPath).toBe(path);
    expect(message({ 'report-path': path })).toMatch(/^report-path: .* is outside the workspace/);
  });

  it('never echoes the password in an error', () => expect(message({ brokers: '', password: 'pw-secret-1' })).not.toContain('pw-secret-1'));
});
