/**
 * verify-events' bad inputs and faults, one line each: what is given, which input the ::error:: line must name,
 * and whether it is an input error (refused before connecting) or a fault found on the brokers before any probe.
 * Shared by bad-inputs.test.ts and by a script that ran the same table against the bundle before the fixes.
 */
export interface Topics {
  probe: string;
  reply: string;
  deadLetter: string;
}

export interface BadInputCase {
  name: string;
  inputs: (t: Topics) => Record<string, string>;
  /** The input the ::error:: line names. */
  names: string;
  /** What else the error must say (a regex on the ::error:: line). */
  says?: RegExp;
  /** input: refused with the inputs, nothing connects; fault: found on the brokers, before any probe. */
  kind: 'input' | 'fault';
}

const long = (n: number, c = 'a'): string => c.repeat(n);

export const BAD_INPUT_CASES: BadInputCase[] = [
  { name: 'probe-topic empty', inputs: () => ({ 'probe-topic': '' }), names: 'probe-topic', says: /is required/, kind: 'input' },
  { name: 'reply-topic empty', inputs: () => ({ 'reply-topic': '' }), names: 'reply-topic', says: /is required/, kind: 'input' },
  { name: 'reply-topic is the probe topic', inputs: (t) => ({ 'reply-topic': t.probe }), names: 'reply-topic', says: /is the probe topic/, kind: 'input' },
  { name: 'probe-topic with a space', inputs: () => ({ 'probe-topic': 'task events' }), names: 'probe-topic', says: /not a valid topic name/, kind: 'input' },
  { name: 'probe-topic of 250 characters', inputs: () => ({ 'probe-topic': long(250) }), names: 'probe-topic', says: /not a valid topic name/, kind: 'input' },
  { name: 'dead-letter-topic is the probe topic', inputs: (t) => ({ 'dead-letter-topic': t.probe }), names: 'dead-letter-topic', says: /is the probe topic/, kind: 'input' },
  { name: 'no app-id and no consumer-group', inputs: () => ({ 'app-id': '' }), names: 'app-id', says: /is required \(or consumer-group\)/, kind: 'input' },
  { name: 'app-id with capitals and "_"', inputs: () => ({ 'app-id': 'Todo_Worker' }), names: 'app-id', says: /not a valid Dapr app id/, kind: 'input' },
  { name: 'app-id with a dot', inputs: () => ({ 'app-id': 'todo.worker' }), names: 'app-id', says: /not a valid Dapr app id/, kind: 'input' },
  { name: 'app-id of 59 characters', inputs: () => ({ 'app-id': long(59) }), names: 'app-id', says: /at most 58/, kind: 'input' },
  { name: 'pubsub-name with capitals and "_"', inputs: () => ({ 'pubsub-name': 'Kafka_PubSub' }), names: 'pubsub-name', says: /not a valid Dapr component name/, kind: 'input' },
  { name: 'pubsub-name with a space', inputs: () => ({ 'pubsub-name': 'pub sub' }), names: 'pubsub-name', says: /not a valid Dapr component name/, kind: 'input' },
  { name: 'consumer-group on two lines', inputs: () => ({ 'consumer-group': 'todo-worker\nother' }), names: 'consumer-group', says: /contains whitespace/, kind: 'input' },
  { name: 'probes 0', inputs: () => ({ probes: '0' }), names: 'probes', says: /out of range/, kind: 'input' },
  { name: 'probes 1001', inputs: () => ({ probes: '1001' }), names: 'probes', says: /out of range/, kind: 'input' },
  { name: 'probes in words', inputs: () => ({ probes: 'three' }), names: 'probes', says: /not a whole number/, kind: 'input' },
  { name: 'concurrency 51', inputs: () => ({ probes: '100', concurrency: '51' }), names: 'concurrency', says: /out of range/, kind: 'input' },
  { name: 'concurrency above probes', inputs: () => ({ probes: '2', concurrency: '5' }), names: 'concurrency', says: /more than probes/, kind: 'input' },
  { name: 'timeout without a unit', inputs: () => ({ timeout: '60' }), names: 'timeout', says: /not a duration/, kind: 'input' },
  { name: 'timeout under a second', inputs: () => ({ timeout: '500ms' }), names: 'timeout', says: /shorter than the minimum/, kind: 'input' },
  { name: 'max-p95-ms in words', inputs: () => ({ 'max-p95-ms': 'fast' }), names: 'max-p95-ms', says: /not a whole number/, kind: 'input' },
  { name: 'probe-type with spaces', inputs: () => ({ 'probe-type': 'a probe' }), names: 'probe-type', says: /not a CloudEvent type/, kind: 'input' },
  { name: 'report-path is a folder', inputs: () => ({ 'report-path': 'test' }), names: 'report-path', says: /is a folder/, kind: 'input' },
  { name: 'report-path under a file', inputs: () => ({ 'report-path': 'package.json/report.json' }), names: 'report-path', says: /is a file, not a folder/, kind: 'input' },
  { name: 'report-path under /proc', inputs: () => ({ 'report-path': '/proc/verify-events/report.json' }), names: 'report-path', says: /outside the workspace/, kind: 'input' },
  { name: 'report-path under /proc, outside allowed', inputs: () => ({ 'report-path': '/proc/verify-events/report.json', 'allow-outside-workspace': 'true' }), names: 'report-path', says: /cannot be written \(E[A-Z]+/, kind: 'input' },
  { name: 'allow-outside-workspace not a boolean', inputs: () => ({ 'allow-outside-workspace': 'yes' }), names: 'allow-outside-workspace', says: /not a boolean/, kind: 'input' },
  { name: 'brokers empty', inputs: () => ({ brokers: '' }), names: 'brokers', kind: 'input' },
  { name: 'brokers as a URL', inputs: () => ({ brokers: 'kafka://127.0.0.1:9092' }), names: 'brokers', says: /URL scheme/, kind: 'input' },
  { name: 'sasl-mechanism unknown', inputs: () => ({ 'sasl-mechanism': 'md5' }), names: 'sasl-mechanism', kind: 'input' },
  { name: 'tls not a boolean', inputs: () => ({ tls: 'maybe' }), names: 'tls', says: /not a boolean/, kind: 'input' },
  { name: 'connect-timeout without a unit', inputs: () => ({ 'connect-timeout': '10' }), names: 'connect-timeout', says: /not a duration/, kind: 'input' },
  { name: 'reply-topic that does not exist', inputs: (t) => ({ 'reply-topic': `${t.reply}-missing` }), names: 'reply-topic', says: /topic "[^"]+-replies-missing" does not exist/, kind: 'fault' },
  { name: 'probe-topic that does not exist', inputs: (t) => ({ 'probe-topic': `${t.probe}-missing` }), names: 'probe-topic', says: /topic "[^"]+-probes-missing" does not exist/, kind: 'fault' },
  { name: 'dead-letter-topic that does not exist', inputs: (t) => ({ 'dead-letter-topic': `${t.deadLetter}-missing` }), names: 'dead-letter-topic', says: /topic "[^"]+-dlq-missing" does not exist/, kind: 'fault' },
  { name: 'wrong password', inputs: () => ({ password: 'not-the-password-ve' }), names: 'password', says: /connecting to Kafka .*refused the username or password/, kind: 'fault' },
];
