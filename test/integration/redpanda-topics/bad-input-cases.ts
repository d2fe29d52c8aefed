import { header } from './helpers.js';

/**
 * The bad-input table of issue 22 (redpanda-topics): each case is one bad input set, and what the step must
 * say about it. bad-inputs.test.ts runs every case through the built bundle against the stack's Kafka; the
 * same table classified the old code's behaviour (see the report of issue 22).
 */
export interface BadInputContext {
  /** Topic-name prefix of this run: the files declare topics under it, and the broker check looks at it. */
  prefix: string;
  /** The SASL listener, its user and password (the secret that must appear nowhere). */
  brokers: string;
  username: string;
  password: string;
  /** The plaintext listener (no SASL). */
  plaintext: string;
  /** A server that accepts a connection, reads the first request and resets it (issue 22 item 1). */
  resetter: string;
}

export interface BadInputCase {
  name: string;
  /** Files written into the workspace before the run, by name. */
  files?: Record<string, string | Buffer>;
  /** Inputs over the defaults (the SASL listener, file: good.yaml, mode: apply). */
  inputs: Record<string, string>;
  /** Each must match one ::error:: line: it names the input, and file:line:column for YAML. */
  errors: RegExp[];
  /** The run talks to a broker (the rest fail before connecting, from the inputs alone). */
  broker?: boolean;
  /** The problem is in the inputs or the file, so the errors output counts it (else it is 0: an operational failure). */
  counted?: boolean;
}

const lines = (...l: string[]): string => `${l.join('\n')}\n`;

export function badInputCases(ctx: BadInputContext): BadInputCase[] {
  const p = ctx.prefix;
  const h = header(p);
  const good = lines(...h, `  - name: ${p}existing`, '    partitions: 4', '    configs: {retention.ms: 7200000}', `  - name: ${p}new`, '    partitions: 1');
  const file = (name: string, text: string | Buffer): Pick<BadInputCase, 'files'> & { inputs: Record<string, string> } => ({ files: { [name]: text }, inputs: { file: name } });
  const cases: BadInputCase[] = [
    // The topics file.
    { name: 'YAML syntax error', ...file('syntax.yaml', lines(...h, `  - name: ${p}new`, '    partitions: [1,', '  - name: b')), errors: [/^::error::syntax\.yaml:\d+:\d+: file: is not valid YAML: /m] },
    { name: 'empty file', ...file('empty.yaml', '\n'), errors: [/^::error::empty\.yaml: file: empty\.yaml is empty/m] },
    { name: 'topics: [] (item 3)', ...file('none.yaml', lines('apiVersion: redpanda-topics/v1', 'topics: []')), errors: [/^::error::none\.yaml:2:9: topics: is an empty list\. Fix: /m] },
    {
      name: 'a schema error and a duplicate name, reported together (item 5)',
      ...file('dup.yaml', lines(...h, `  - name: ${p}new`, '    partitions: three', `  - name: ${p}existing`, `  - name: ${p}new`)),
      errors: [/^::error::dup\.yaml:6:17: topics\[0\]\.partitions: must be a whole number/m, /^::error::dup\.yaml:8:11: topics\[2\]\.name: topic ".*new" is declared twice/m],
    },
    { name: 'unknown top-level key', ...file('key.yaml', lines(...h, `  - name: ${p}new`, 'topic: x')), errors: [/^::error::key\.yaml:6:1: topic: unknown key "topic"/m] },
    { name: 'invalid topic name', ...file('name.yaml', lines(...h, '  - name: "bad name!"')), errors: [/^::error::name\.yaml:5:11: topics\[0\]\.name: the text "bad name!" does not match/m] },
    { name: 'internal topic', ...file('internal.yaml', lines('apiVersion: redpanda-topics/v1', 'topics:', '  - name: _schemas')), errors: [/^::error::internal\.yaml:3:11: topics\[0\]\.name: "_schemas" is an internal topic name/m] },
    { name: 'zero partitions', ...file('zero.yaml', lines(...h, `  - name: ${p}new`, '    partitions: 0')), errors: [/^::error::zero\.yaml:6:17: topics\[0\]\.partitions: 0 is less than the minimum 1/m] },
    { name: 'invalid policy.namePattern', ...file('pattern.yaml', lines(...header(p, ['namePattern: "("']), `  - name: ${p}new`)), errors: [/^::error::pattern\.yaml:4:16: policy\.namePattern: is not a valid regular expression/m] },
    { name: 'policy violation', ...file('policy.yaml', lines(...header(p, ['maxPartitions: 2']), `  - name: ${p}existing`, '    partitions: 4')), errors: [/^::error::policy\.yaml:7:17: topics\[0\]\.partitions: policy violation: 4 partitions is more than policy\.maxPartitions 2/m] },
    { name: 'file missing', inputs: { file: 'missing.yaml' }, errors: [/^::error::file: missing\.yaml does not exist/m] },
    { name: 'file is a directory', inputs: { file: '.' }, errors: [/^::error::file: \. is a directory/m] },
    { name: 'file outside the workspace (item 7)', inputs: { file: '/etc/passwd' }, errors: [/^::error::file: \/etc\/passwd is outside the workspace .*Fix: .*allow-outside-workspace: true/m] },
    { name: 'file ../ out of the workspace', inputs: { file: '../../../etc/passwd' }, errors: [/^::error::file: \.\.\/\.\.\/\.\.\/etc\/passwd is outside the workspace/m] },
    { name: '/etc/passwd allowed outside, shown as an excerpt only (item 7)', inputs: { file: '/etc/passwd', 'allow-outside-workspace': 'true' }, errors: [/^::error::\/etc\/passwd:1:1: \(top level\): must be a mapping, but is the text .*this is not a topics file/m] },
    { name: '1 MB of text (item 7)', ...file('big.txt', `${'lorem ipsum dolor sit amet '.repeat(40)}\n`.repeat(1000)), errors: [/^::error::big\.txt:1:1: \(top level\): must be a mapping, but is the text .*It starts with:/m] },
    { name: 'a binary file', ...file('blob.bin', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0])), errors: [/^::error::blob\.bin: file: blob\.bin is not a text file/m] },

    // Connection inputs.
    { name: 'brokers empty', inputs: { brokers: '' }, errors: [/^::error::brokers: is required but was empty or not set/m] },
    { name: 'brokers with a URL scheme', inputs: { brokers: `SASL_PLAINTEXT://${ctx.brokers}` }, errors: [/^::error::brokers: "SASL_PLAINTEXT:\/\/.*" has a URL scheme/m] },
    { name: 'a broker without a port', inputs: { brokers: 'localhost' }, errors: [/^::error::brokers: "localhost" has no port/m] },
    { name: '2,000 brokers (item 2)', inputs: { brokers: Array.from({ length: 2000 }, () => ctx.brokers).join(',') }, errors: [/^::error::brokers: lists 2000 brokers; at most 100 are accepted/m] },
    { name: 'a port out of range', inputs: { brokers: 'localhost:99999' }, errors: [/^::error::brokers: "localhost:99999" has port 99999, outside 1-65535/m] },
    { name: 'an unknown SASL mechanism', inputs: { 'sasl-mechanism': 'gssapi' }, errors: [/^::error::sasl-mechanism: "gssapi" is not one of the allowed values/m] },
    { name: 'username missing', inputs: { username: '' }, errors: [/^::error::username: is required with sasl-mechanism scram-sha-256/m] },
    { name: 'password missing', inputs: { password: '' }, errors: [/^::error::password: is required with sasl-mechanism scram-sha-256/m] },
    { name: 'mechanism none with a username', inputs: { 'sasl-mechanism': 'none' }, errors: [/^::error::sasl-mechanism: is none, but username is set/m] },
    { name: 'tls not a boolean', inputs: { tls: 'yes' }, errors: [/^::error::tls: "yes" is not a boolean/m] },
    { name: 'tls-ca not a certificate', ...file('ca.pem', 'hello\n'), inputs: { 'tls-ca': 'ca.pem', tls: 'true' }, errors: [/^::error::tls-ca: holds no PEM certificate/m] },
    { name: 'tls-ca outside the workspace', inputs: { 'tls-ca': '/etc/hostname', tls: 'true' }, errors: [/^::error::tls-ca: \/etc\/hostname is outside the workspace/m] },
    { name: 'tls-ca with tls false', inputs: { 'tls-ca': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----' }, errors: [/^::error::tls-ca: is set but tls is false/m] },
    { name: 'timeout without a unit', inputs: { timeout: '30' }, errors: [/^::error::timeout: "30" is not a duration/m] },
    { name: 'timeout below the minimum', inputs: { timeout: '500ms' }, errors: [/^::error::timeout: 500ms is shorter than the minimum 1s/m] },
    { name: 'client-id with a space', inputs: { 'client-id': 'has space' }, errors: [/^::error::client-id: "has space" has characters other than/m] },

    // The action's own inputs.
    { name: 'an unknown mode', inputs: { mode: 'destroy' }, errors: [/^::error::mode: "destroy" is not one of the allowed values/m] },
    { name: 'allow-delete not a boolean', inputs: { 'allow-delete': 'yes' }, errors: [/^::error::allow-delete: "yes" is not a boolean/m] },
    { name: 'fail-on-drift not a boolean', inputs: { 'fail-on-drift': '1' }, errors: [/^::error::fail-on-drift: "1" is not a boolean/m] },
    { name: 'allow-outside-workspace not a boolean', inputs: { 'allow-outside-workspace': 'maybe' }, errors: [/^::error::allow-outside-workspace: "maybe" is not a boolean/m] },
    {
      name: 'several inputs and the file wrong at once (item 9)',
      ...file('several.yaml', lines(...h, `  - name: ${p}new`, '    partitions: -1')),
      inputs: { file: 'several.yaml', brokers: 'nohost', mode: 'destroy', timeout: '1' },
      errors: [/^::error::brokers: "nohost" has no port/m, /^::error::mode: "destroy"/m, /^::error::timeout: "1" is not a duration/m, /^::error::several\.yaml:6:17: topics\[0\]\.partitions: -1 is less than the minimum 1/m, /^::error::4 problems in the inputs/m],
    },

    // Bad inputs only the broker can tell.
    { name: 'a partition decrease', ...file('decrease.yaml', lines(...h, `  - name: ${p}existing`, '    partitions: 1')), errors: [/^::error::decrease\.yaml:6:17: topic .*existing: declares 1 partitions but the topic has 2/m], broker: true },
    { name: 'a config the broker rejects', ...file('rejected.yaml', lines(...h, `  - name: ${p}new`, '    configs: {retention.ms: forever}')), errors: [/^::error::rejected\.yaml:6:15: topic .*new: the broker rejects creating the topic: INVALID_CONFIG/m], broker: true },
    { name: 'state: absent without allow-delete', ...file('absent.yaml', lines(...h, `  - name: ${p}existing`, '    state: absent')), errors: [/^::error::absent\.yaml:6:12: topic .*existing: is marked state: absent and exists, but allow-delete is false/m], broker: true },
    { name: 'fail-on-drift with an undeclared topic', inputs: { 'fail-on-drift': 'true' }, errors: [/^::error::\d+ drift item\(s\) and fail-on-drift is true; nothing was changed/m], broker: true, counted: false },
    { name: 'a wrong password', inputs: { password: 'not-the-password-22' }, errors: [/^::error::connecting to Kafka \(.*\): the brokers refused the username or password .*Next: check the username and password inputs/m], broker: true, counted: false },
    { name: 'SASL against the plaintext listener', inputs: { brokers: ctx.plaintext, timeout: '10s' }, errors: [/^::error::connecting to Kafka .*the listener does not accept SASL authentication.*sasl-mechanism: none/m], broker: true, counted: false },
    { name: 'SASL against a listener that accepts and resets (item 1)', inputs: { brokers: ctx.resetter, timeout: '3s' }, errors: [/^::error::connecting to Kafka \(.*\): the brokers .* accepted the connection and dropped it.*sasl-mechanism/m], broker: true, counted: false },
  ];
  return cases.map((c) => ({ counted: true, ...c, inputs: { file: 'good.yaml', ...c.inputs }, files: { 'good.yaml': good, ...c.files } }));
}
