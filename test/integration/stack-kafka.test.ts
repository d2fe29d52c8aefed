import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { randomUUID } from 'node:crypto';
import { errorFacts } from '../../src/kafka/errors.js';
import { stack } from '../support/stack.js';

/** Proves the stack's Kafka broker: SCRAM-SHA-256 on the SASL listener, real produce and consume. */
describe('stack: Kafka (KRaft, SASL/SCRAM listener)', () => {
  const k = stack.kafka();
  const { sasl } = stack.kafkaClient();
  const topic = `stack-test-${randomUUID().slice(0, 8)}`;

  afterAll(async () => {
    const admin = new Admin({ clientId: 'stack-test-cleanup', bootstrapBrokers: [k.sasl], sasl });
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.close();
  });

  it('creates a topic, produces and consumes a message over SCRAM-SHA-256', async () => {
    const admin = new Admin({ clientId: 'stack-test-admin', bootstrapBrokers: [k.sasl], sasl });
    await admin.createTopics({ topics: [topic], partitions: 2, replicas: 1 });
    const meta = await admin.metadata({ topics: [topic] });
    expect(meta.topics.get(topic)?.partitionsCount).toBe(2);
    await admin.close();

    const producer = new Producer({ clientId: 'stack-test-producer', bootstrapBrokers: [k.sasl], sasl, serializers: stringSerializers });
    const value = `hello ${randomUUID()}`;
    await producer.send({ messages: [{ topic, key: 'k1', value, headers: { probe: 'yes' } }] });
    await producer.close();

    const consumer = new Consumer({ clientId: 'stack-test-consumer', groupId: `g-${topic}`, bootstrapBrokers: [k.sasl], sasl, deserializers: stringDeserializers });
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: true });
    try {
      const received = await new Promise<{ key: string; value: string }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no message within 20 s')), 20_000);
        stream.on('data', (m) => {
          clearTimeout(timer);
          resolve({ key: m.key as string, value: m.value as string });
        });
        stream.on('error', reject);
      });
      expect(received).toEqual({ key: 'k1', value });
    } finally {
      await stream.close();
      await consumer.close(true);
    }
  });

  it('refuses a wrong password with an authentication error', async () => {
    const admin = new Admin({ clientId: 'stack-test-badauth', bootstrapBrokers: [k.sasl], sasl: { ...sasl, password: 'wrong-password' }, retries: 0 });
    try {
      const err = await admin.listTopics().then(() => undefined, (e: unknown) => e as Error);
      expect(err).toBeDefined();
      // The client nests the broker's answer several errors deep (MULTIPLE > NETWORK > AUTHENTICATION).
      expect([...errorFacts(err).codes]).toContain('PLT_KFK_AUTHENTICATION');
    } finally {
      await admin.close();
    }
  });
});
