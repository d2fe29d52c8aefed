import { NetworkError } from '@platformatic/kafka';
import { parseTopicsFile } from '../../../src/actions/redpanda-topics/file.js';
import type { TopicsInputs } from '../../../src/actions/redpanda-topics/inputs.js';
import { outputsOf, renderSummary } from '../../../src/actions/redpanda-topics/render.js';
import { runTopics } from '../../../src/actions/redpanda-topics/run.js';
import { ConfigurationError, OperationError } from '../../../src/core/errors.js';
import { Timings } from '../../../src/core/groups.js';
import { Inputs, objectInputs } from '../../../src/core/inputs.js';
import { Secrets } from '../../../src/core/secrets.js';
import { parseKafkaConnection } from '../../../src/kafka/connection-inputs.js';
import { LOST_MID_RUN_HINT } from '../../../src/kafka/errors.js';
import { BatchError, type ClusterMetadata, type ItemResult, type NewTopic, type TopicAdmin } from '../../../src/kafka/topic-admin.js';
import { RecordingLogger } from '../../support/recording-logger.js';
import { yaml } from './helpers.js';

/**
 * Issue 22 item 8: the broker is lost in the middle of a 1,000-topic apply. The step's own report (applied /
 * unknown / not attempted) must survive whatever the wait after it does, every output must be set, and the hint
 * must fit a broker lost mid-run, not blame SASL or TLS settings that had just worked.
 */
const N = 1000;
const names = Array.from({ length: N }, (_, i) => `t-${String(i).padStart(4, '0')}`);
const closed = (): Error => new NetworkError('Connection closed');

/** A TopicAdmin whose real CreateTopics answers `appliedBefore` topics and then loses the connection (a BatchError, as TopicAdmin throws). */
class FailingAdmin {
  readonly calls: string[] = [];
  closedCalls = 0;
  constructor(private readonly opts: { appliedBefore?: number; metadataFailsAfterApply?: boolean }) {}
  private applied = false;
  metadata = async (only?: readonly string[]): Promise<ClusterMetadata> => {
    this.calls.push(`metadata ${only ? only.length : 'all'}`);
    if (this.applied && this.opts.metadataFailsAfterApply) throw closed();
    return { clusterId: 'c1', brokers: 1, topics: this.applied ? names.map((name) => ({ name, internal: false, partitions: 1, replicationFactor: 1, ready: true })) : [] };
  };
  describeConfigs = async () => new Map();
  createTopics = async (topics: NewTopic[], validateOnly: boolean): Promise<ItemResult[]> => {
    this.calls.push(`create ${topics.length}${validateOnly ? ' (validate)' : ''}`);
    if (validateOnly) return topics.map((t) => ({ name: t.name }));
    this.applied = true;
    const before = this.opts.appliedBefore;
    if (before === undefined) return topics.map((t) => ({ name: t.name }));
    throw new BatchError(topics.slice(0, before).map((t) => ({ name: t.name })), topics.slice(before, before + 100).map((t) => t.name), closed());
  };
  close = async (): Promise<void> => void this.closedCalls++;
}

function inputs(): TopicsInputs {
  const connection = parseKafkaConnection(new Inputs(objectInputs({ brokers: 'seed:9092', username: 'svc', password: 'pw-run-1', timeout: '5s' })), new Secrets());
  const topics = parseTopicsFile(yaml('apiVersion: redpanda-topics/v1', 'topics:', ...names.map((n) => `  - name: ${n}`)), 'topics.yaml');
  return { file: '/ws/topics.yaml', fileShown: 'topics.yaml', topics, mode: 'apply', allowDelete: false, failOnDrift: false, connection };
}

async function run(admin: FailingAdmin) {
  const log = new RecordingLogger();
  const timings = new Timings();
  const result = await runTopics(inputs(), { log, timings, tempDir: undefined, connect: async () => admin as unknown as TopicAdmin });
  return { ...result, log, timings };
}

describe('a broker lost during a 1,000-topic apply', () => {
  it('reports applied, unknown and not attempted; does not wait on the lost connection; blames no settings', async () => {
    const admin = new FailingAdmin({ appliedBefore: 300 });
    const { report, failure, log, timings } = await run(admin);
    const count = (s: string): number => report.outcomes!.filter((o) => o.status === s).length;
    expect([count('applied'), count('unknown'), count('not-attempted'), count('failed')]).toEqual([300, 100, 600, 0]);
    expect(failure).toBeInstanceOf(OperationError);
    expect(failure!.message).toMatch(/^applying the plan: 300 of 1000 change\(s\) applied, 0 failed, 100 unknown, 600 not attempted:\nt-0300: Connection closed/);
    expect((failure as OperationError).hint).toContain(LOST_MID_RUN_HINT);
    expect((failure as OperationError).hint).not.toMatch(/expects SASL or TLS/);
    expect(admin.calls).toEqual(['metadata all', 'create 1000 (validate)', 'create 1000']); // no wait on the lost connection
    expect(report.readiness).toBe('not checked for the 300 created or grown topic(s): the connection was lost during the apply');
    expect(admin.closedCalls).toBe(1);
    expect(timings.steps.find((s) => s.name === 'Apply 1000 change(s)')?.ok).toBe(false);
    expect(log.text()).toContain('create topics: 300 of 1000 change(s) applied');

    const out = outputsOf(report);
    expect(Object.entries(out).filter(([, v]) => v === undefined)).toEqual([]);
    expect(out).toMatchObject({ changed: true, creates: 1000, errors: 0 });
    const md = renderSummary(report, timings.steps).toMarkdown();
    expect(md).toContain('## Kafka topics: applied 300 of 1000 changes (0 failed, 100 unknown, 600 not attempted)');
    expect(md).toContain('Outcome: 300 applied, 0 failed, 100 unknown');
    expect(md).toMatch(/\| Apply 1000 change\(s\) \| failed \|/);
    expect(md).toContain(`Next: ${LOST_MID_RUN_HINT}`);
    expect(md.length).toBeLessThan(200_000);
  });

  it('a wait that fails after a complete apply keeps the apply report and says the changes were applied', async () => {
    const admin = new FailingAdmin({ metadataFailsAfterApply: true });
    const { report, failure, log } = await run(admin);
    expect(report.outcomes!.every((o) => o.status === 'applied')).toBe(true);
    expect(failure!.message).toBe('the 1000 change(s) were applied, but waiting for the brokers to serve the created topics: the brokers closed the connection, after it had worked earlier in this run');
    expect((failure as OperationError).hint).toMatch(/^the connection had worked earlier in this run/);
    expect((failure as OperationError).hint).toContain('a re-run plans no changes and waits again');
    expect(report.readiness).toMatch(/^not confirmed: waiting for the brokers/);
    expect(log.text()).toMatch(/error: waiting for the brokers .* \(the 1000 applied change\(s\) stay applied\)/);
    expect(outputsOf(report)).toMatchObject({ changed: true, creates: 1000 });
    expect(renderSummary(report, []).toMarkdown()).toContain('## Kafka topics: applied 1000 changes');
  });

  it('a connection that fails sets every output and says what failed', async () => {
    const { report, failure } = await runTopics(inputs(), {
      log: new RecordingLogger(),
      connect: async () => {
        throw new OperationError('connecting to Kafka (1.0 s): the brokers closed the connection without answering', { hint: 'the listener probably expects SASL or TLS' });
      },
    });
    expect(failure!.message).toMatch(/^connecting to Kafka/);
    expect(report.failure).toEqual({ message: failure!.message, hint: 'the listener probably expects SASL or TLS' });
    const out = outputsOf(report);
    expect(Object.entries(out).filter(([, v]) => v === undefined)).toEqual([]);
    expect(out).toMatchObject({ changed: false, 'has-changes': false, errors: 0 });
    expect(renderSummary(report, []).toMarkdown()).toContain('## Kafka topics: failed before any change; nothing was changed');
  });

  it('plan errors fail with a count, after one line each', async () => {
    const admin = new FailingAdmin({});
    admin.createTopics = async (topics: NewTopic[]) => topics.map((t) => ({ name: t.name, errorId: 'POLICY_VIOLATION', error: 'POLICY_VIOLATION: no' }));
    const { failure, log, report } = await run(admin);
    expect(failure).toBeInstanceOf(ConfigurationError);
    expect(failure!.message).toBe('1000 problems in the plan of topics.yaml (each is listed above with its fix, and in the job summary); nothing was changed');
    expect(log.lines.filter((l) => l.startsWith('error: '))).toHaveLength(1000);
    expect(log.lines).not.toContain('No changes: the cluster matches the file.');
    expect(outputsOf(report).errors).toBe(1000);
  });
});
