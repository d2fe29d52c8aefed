import { createServer, type Server } from 'node:net';
import { OperationError } from '../../../src/core/errors.js';
import { Inputs, objectInputs } from '../../../src/core/inputs.js';
import { Secrets } from '../../../src/core/secrets.js';
import { parseKafkaConnection } from '../../../src/kafka/connection-inputs.js';
import { TopicAdmin } from '../../../src/kafka/topic-admin.js';
import { RecordingLogger } from '../../support/recording-logger.js';

/**
 * Issue 22 item 1: with SASL on, a listener that accepts the connection and closes it at once made
 * @platformatic/kafka emit 'error' twice on its Connection; the second had no listener and killed the process
 * (no ::error::, no summary, no outputs). guardConnections gives every connection a listener: the failure now
 * reaches connectWithRetry and ends as an OperationError. A real client against a real (tiny) socket server.
 */
describe('a listener that accepts and hangs up, with SASL on', () => {
  let server: Server;
  let port: number;
  let accepted = 0;
  beforeAll(async () => {
    // It reads the client's first request, then resets the connection (RST): the socket's error and the failed
    // SASL handshake each made the library emit 'error', and the second one had no listener.
    server = createServer((socket) => {
      accepted++;
      socket.once('data', () => socket.resetAndDestroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('ends in an OperationError with a hint, not in an unhandled error event', async () => {
    const conn = parseKafkaConnection(new Inputs(objectInputs({ brokers: `127.0.0.1:${port}`, username: 'svc', password: 'pw-guard-1', tls: 'false', timeout: '3s' })), new Secrets());
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown): void => void uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const err = await TopicAdmin.connect(conn, new RecordingLogger()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(OperationError);
      expect((err as OperationError).message).toMatch(/^connecting to Kafka \(\d+\.\d s\): /);
      expect((err as OperationError).hint).toMatch(/tls and sasl-mechanism|sasl-mechanism/);
      expect(`${(err as Error).message} ${(err as OperationError).hint}`).not.toContain('pw-guard-1');
      expect(accepted).toBeGreaterThan(1); // retried: a broker restarting looks the same
    } finally {
      // Let any late event of the closed sockets fire before looking.
      await new Promise((r) => setTimeout(r, 200));
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught).toEqual([]);
  });
});
