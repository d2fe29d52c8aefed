import { Admin } from '@platformatic/kafka';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { endOffsets } from '../../../src/events/kafka-io.js';
import { runActionBundle } from '../../support/action-harness.js';
import { stack } from '../../support/stack.js';
import { BAD_INPUT_CASES, type Topics } from './bad-input-cases.js';

/**
 * Every bad input and early fault of verify-events, through the built bundle against the stack's Kafka: exit
 * code 1, an ::error:: line naming the input, no secret anywhere, and not one probe on the probe topic (its end
 * offsets before and after). The topics are this test's own, so nothing else writes to them.
 */
const kafka = stack.kafka();
const id = randomUUID().slice(0, 8);
const topics: Topics = { probe: `ve-bad-${id}-probes`, reply: `ve-bad-${id}-replies`, deadLetter: `ve-bad-${id}-dlq` };
const workspace = resolve(import.meta.dirname, '..', '..', '..');
let admin: Admin;

beforeAll(async () => {
  admin = new Admin({ clientId: 've-bad-inputs', ...stack.kafkaClient() });
  await admin.createTopics({ topics: [topics.probe, topics.reply, topics.deadLetter], partitions: 2, replicas: 1 });
});
afterAll(async () => {
  await admin.deleteTopics({ topics: [topics.probe, topics.reply, topics.deadLetter] }).catch(() => undefined);
  await admin.close();
});

const probeEnds = async (): Promise<string> => JSON.stringify([...(await endOffsets(admin, topics.probe)).entries()].map(([p, o]) => [p, String(o)]));

describe('verify-events refuses bad inputs and early faults before any probe', () => {
  it('has at least 25 cases, each naming a different problem', () => {
    expect(BAD_INPUT_CASES.length).toBeGreaterThanOrEqual(25);
    expect(new Set(BAD_INPUT_CASES.map((c) => c.name)).size).toBe(BAD_INPUT_CASES.length);
  });

  it.each(BAD_INPUT_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = await probeEnds();
    const t0 = Date.now();
    const run = await runActionBundle(
      'verify-events',
      'main',
      {
        brokers: kafka.sasl,
        username: kafka.username,
        password: kafka.password,
        tls: 'false',
        'app-id': `ve-bad-${id}-nobody`,
        'probe-topic': topics.probe,
        'reply-topic': topics.reply,
        'dead-letter-topic': topics.deadLetter,
        timeout: '20s',
        'connect-timeout': '10s',
        ...c.inputs(topics),
      },
      { env: { GITHUB_WORKSPACE: workspace }, timeoutMs: 60_000 },
    );
    const error = run.stdout.split('\n').find((l) => l.startsWith('::error::')) ?? '';
    expect({ code: run.code, error }).toMatchObject({ code: 1, error: expect.stringContaining(c.names) });
    if (c.says) expect(error).toMatch(c.says);
    // A report path under /proc once hung forever: every case ends well within its deadlines.
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(run.everything()).not.toContain(kafka.password);
    expect(run.everything()).not.toContain('not-the-password-ve');
    expect(await probeEnds()).toBe(before);
    if (c.kind === 'input') {
      // Refused with the inputs: nothing connected, no outputs (no verdict was reached).
      expect(run.stdout).not.toMatch(/Connecting to/);
      expect(run.outputs).toEqual({});
      expect(run.summary).toContain('verify-events: invalid input');
    } else {
      expect(run.stdout).toMatch(/Connecting to/);
      expect(run.outputs).toMatchObject({ sent: '0', acknowledged: '0', verdict: expect.stringMatching(c.says ?? /./) });
      expect(run.summary).toContain('## verify-events: FAILED');
    }
    if (c.names === 'reply-topic' && c.kind === 'fault') {
      // The missing reply topic is named as such, never as the probe topic.
      expect(error).not.toContain(`"${topics.probe}"`);
      expect(error).not.toMatch(/probe-topic/);
    }
  });
});
