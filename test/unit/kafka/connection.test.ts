import { AuthenticationError, MultipleErrors, NetworkError } from '@platformatic/kafka';
import { OperationError } from '../../../src/core/errors.js';
import { Inputs, objectInputs } from '../../../src/core/inputs.js';
import { Secrets } from '../../../src/core/secrets.js';
import { parseKafkaConnection } from '../../../src/kafka/connection-inputs.js';
import { clientOptions, connectWithRetry, withDeadline, type Timer } from '../../../src/kafka/connection.js';
import { RecordingLogger } from '../../support/recording-logger.js';

const conn = (values: Record<string, string> = {}) => parseKafkaConnection(new Inputs(objectInputs({ brokers: 'seed-1.example.com:9092', username: 'svc', password: 'pw-123456', ...values })), new Secrets());
const refused = (): Error => new MultipleErrors('Cannot connect to any broker.', [new NetworkError('Connection to seed failed.', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) })]);

describe('Kafka client options', () => {
  it.each([
    [{}, { sasl: { mechanism: 'SCRAM-SHA-256', username: 'svc', password: 'pw-123456' }, tls: {}, tlsServerName: true, retries: 0, connectTimeout: 10_000, requestTimeout: 60_000 }],
    [{ 'sasl-mechanism': 'scram-sha-512', timeout: '5s' }, { sasl: expect.objectContaining({ mechanism: 'SCRAM-SHA-512' }), connectTimeout: 5000, requestTimeout: 5000 }],
    [{ 'tls-ca': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----' }, { tls: { ca: expect.stringContaining('MIIB') } }],
  ])('%j', (values, expected) => expect(clientOptions(conn(values))).toMatchObject(expected));

  it('plaintext without SASL sets neither; an IP literal gets no SNI', () => {
    const o = clientOptions(conn({ 'sasl-mechanism': 'none', username: '', password: '', tls: 'false' }));
    expect(o.sasl).toBeUndefined();
    expect(o.tls).toBeUndefined();
    expect(clientOptions(conn({ brokers: '10.0.0.5:9092' })).tlsServerName).toBeUndefined();
  });
});

describe('connecting with retries and a deadline', () => {
  const noSleep = async (): Promise<void> => undefined;

  it('retries while the brokers are unreachable, logging each attempt in plain words', async () => {
    let calls = 0;
    const log = new RecordingLogger();
    const got = await connectWithRetry(conn(), async () => (++calls < 3 ? Promise.reject(refused()) : 'connected'), { log, sleep: noSleep });
    expect(got).toBe('connected');
    expect(calls).toBe(3);
    expect(log.lines.filter((l) => l.includes('attempt'))).toEqual([
      expect.stringMatching(/^connecting to the brokers: attempt 1 of 20 failed \(cannot reach the brokers seed-1\.example\.com:9092: connection refused \(ECONNREFUSED\)\); retrying in \d+ ms$/),
      expect.stringMatching(/attempt 2 of 20 failed/),
    ]);
  });

  it('does not retry a refused password, and says so plainly', async () => {
    let calls = 0;
    const auth = new MultipleErrors('Cannot connect to any broker.', [new NetworkError('x', { cause: new AuthenticationError('SASL authentication failed.') })]);
    const err = await connectWithRetry(conn(), async () => (calls++, Promise.reject(auth)), { log: new RecordingLogger(), sleep: noSleep }).catch((e: unknown) => e as OperationError);
    expect(calls).toBe(1);
    expect(err).toBeInstanceOf(OperationError);
    expect(err.message).toMatch(/^connecting to Kafka \(\d+\.\d s\): SASL SCRAM-SHA-256 authentication failed$/);
    expect(err.hint).toMatch(/username, password and sasl-mechanism/);
  });

  it('gives up when attempts run out, with the last reason', async () => {
    const err = await connectWithRetry(conn(), async () => Promise.reject(refused()), { log: new RecordingLogger(), sleep: noSleep }).catch((e: unknown) => e as OperationError);
    expect(err.message).toMatch(/^connecting to Kafka \(\d+\.\d s\): cannot reach the brokers seed-1\.example\.com:9092: connection refused \(ECONNREFUSED\)$/);
    expect(err.hint).toMatch(/check the brokers input/);
  });

  /** A timer the test fires itself: no real clock, and it says which deadlines were armed and cancelled. */
  function manualTimer() {
    const armed: Array<{ ms: number; fire: () => void; cancelled: boolean }> = [];
    const timer: Timer = (ms, fire) => {
      const t = { ms, fire, cancelled: false };
      armed.push(t);
      return () => void (t.cancelled = true);
    };
    return { armed, timer };
  }

  it('ends at the deadline even when an attempt hangs', async () => {
    const { armed, timer } = manualTimer();
    const pending = connectWithRetry(conn({ timeout: '1s' }), () => new Promise<never>(() => undefined), { log: new RecordingLogger(), timer }).catch((e: unknown) => e as OperationError);
    expect(armed.map((t) => t.ms)).toEqual([1000]);
    armed[0]!.fire();
    const err = await pending;
    expect(err).toBeInstanceOf(OperationError);
    expect(err.message).toMatch(/^connecting to Kafka \(\d+\.\d s\): .*did not answer within 1 s/);
  });

  it.each([
    ['in time: the value, the deadline cancelled', async () => 42, false, { value: 42 }],
    ['late: a DeadlineError naming the label and the limit', () => new Promise<never>(() => undefined), true, { error: 'x did not finish within 1 s (timed out)' }],
    ['a failure before the deadline: that failure, the deadline cancelled', async () => Promise.reject(new Error('refused')), false, { error: 'refused' }],
  ])('withDeadline: %s', async (_, fn, fire, expected) => {
    const { armed, timer } = manualTimer();
    const result = withDeadline<unknown>('x', 1000, fn, timer).then(
      (value) => ({ value }),
      (err: Error) => ({ error: err.message }),
    );
    if (fire) armed[0]!.fire();
    await expect(result).resolves.toEqual(expected);
    expect(armed).toHaveLength(1);
    expect(armed[0]!.ms).toBe(1000);
    expect(armed[0]!.cancelled).toBe(true);
  });
});
