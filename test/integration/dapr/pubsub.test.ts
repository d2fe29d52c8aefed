import { Admin, Producer, stringSerializers } from '@platformatic/kafka';
import type { DaprClient } from '@dapr/dapr';
import { randomUUID } from 'node:crypto';
import type { Sidecar } from '../../../stack/src/dapr-sidecar.js';
import { daprClient, kafkaPubsub, startTestApp, startTestSidecar, writeResources, type TestApp } from '../../support/dapr.js';
import { stack } from '../../support/stack.js';

/**
 * Kafka pub/sub through the real daprd: the component talks to the stack's broker on its SASL/SCRAM-SHA-256
 * listener; the subscriber is an app in this process that Dapr finds through GET /dapr/subscribe.
 */
describe('dapr: Kafka pub/sub (pubsub.kafka, SASL SCRAM-SHA-256)', () => {
  const k = stack.kafka();
  const { sasl } = stack.kafkaClient();
  const run = randomUUID().slice(0, 8);
  const topic = `dapr-it-${run}`;
  const appId = 'pubsub-it';
  const group = `dapr-it-${run}`;
  const resources = writeResources([kafkaPubsub('events', { consumerGroup: group, initialOffset: 'oldest' })]);
  let app: TestApp;
  let sidecar: Sidecar;
  let client: DaprClient;
  const before = { id: randomUUID(), note: 'produced straight to Kafka before the sidecar started' };

  beforeAll(async () => {
    // Dapr does not create topics, and a topic missing when the sidecar subscribes is never picked up.
    const admin = new Admin({ clientId: 'dapr-it-admin', bootstrapBrokers: [k.sasl], sasl });
    try {
      await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
    } finally {
      await admin.close();
    }
    const producer = new Producer({ clientId: 'dapr-it-producer', bootstrapBrokers: [k.sasl], sasl, serializers: stringSerializers });
    try {
      await producer.send({ messages: [{ topic, value: JSON.stringify(before) }] });
    } finally {
      await producer.close();
    }
    app = await startTestApp([{ pubsubname: 'events', topic, route: '/events' }]);
    sidecar = await startTestSidecar({ appId, appPort: app.port, resourcesPath: resources.dir });
    ({ client } = daprClient(sidecar));
  }, 90_000);

  afterAll(async () => {
    await client?.stop().catch(() => undefined);
    await sidecar?.stop();
    await app?.close();
    resources.remove();
    const admin = new Admin({ clientId: 'dapr-it-cleanup', bootstrapBrokers: [k.sasl], sasl });
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.deleteGroups({ groups: [group] }).catch(() => undefined); // empty once the sidecar has stopped
    await admin.close();
  });

  it('publishes with @dapr/dapr and delivers the CloudEvent to the subscriber route', async () => {
    const order = { orderId: randomUUID(), amount: 42 };
    const published = await client.pubsub.publish('events', topic, order);
    expect(published.error).toBeUndefined();

    const got = await app.waitFor('/events', (d) => (d.body as { data?: { orderId?: string } }).data?.orderId === order.orderId);
    const event = got.body as Record<string, unknown>;
    expect(event).toMatchObject({
      data: order,
      topic,
      pubsubname: 'events',
      source: appId,
      type: 'com.dapr.event.sent',
      specversion: '1.0',
      datacontenttype: 'application/json',
    });
    expect(String(got.headers['content-type'])).toMatch(/^application\/cloudevents\+json/);
    // Tracing is off without a Configuration, so the trace fields are present but empty.
    expect(event).toHaveProperty('traceparent');
  });

  it('with initialOffset oldest, a new consumer group also receives what was on the topic before it joined', async () => {
    const got = await app.waitFor('/events', (d) => (d.body as { id?: string }).id === before.id);
    // Dapr takes any JSON object on the topic for a CloudEvent: a non-Dapr producer's payload reaches the
    // app as it was written, not wrapped in `data`. Kafka's coordinates come as headers.
    expect(got.body).toEqual(before);
    expect(got.headers).toMatchObject({ __topic: topic, __partition: '0', __offset: '0', pubsubname: 'events' });
  });

  it('reports an unknown pub/sub component as an error instead of dropping the event', async () => {
    const published = await client.pubsub.publish('no-such-pubsub', topic, { x: 1 });
    expect(published.error).toBeDefined();
    expect(String(published.error?.message ?? published.error)).toMatch(/no-such-pubsub|not found|ERR_PUBSUB_NOT_FOUND/i);
  });
});
