import { AuthenticationError, MultipleErrors, NetworkError, ProtocolError, ResponseError, TimeoutError, UserError } from '@platformatic/kafka';
import { Inputs, objectInputs } from '../../../src/core/inputs.js';
import { OperationError } from '../../../src/core/errors.js';
import { Secrets } from '../../../src/core/secrets.js';
import { parseKafkaConnection } from '../../../src/kafka/connection-inputs.js';
import { classifyKafkaError, isRetryableConnectError, kafkaOperationError, LOST_MID_RUN_HINT } from '../../../src/kafka/errors.js';

const conn = parseKafkaConnection(new Inputs(objectInputs({ brokers: 'seed:9092', username: 'svc', password: 'pw-123456', timeout: '5s' })), new Secrets());
const nodeError = (code: string, message: string): Error => Object.assign(new Error(message), { code });
/** The shape @platformatic/kafka gives a failed bootstrap connection: MultipleErrors > NetworkError > cause. */
const connectFailure = (cause: Error): Error => new MultipleErrors('Cannot connect to any broker.', [new NetworkError('Connection to seed:9092 failed.', { cause })]);
const saslFailure = (id: string, message: string): Error => connectFailure(new AuthenticationError(message, { cause: new ResponseError(36, 2, { '/': [id === 'SASL_AUTHENTICATION_FAILED' ? 58 : id === 'UNSUPPORTED_SASL_MECHANISM' ? 33 : 34, null] }, {}) }));

describe('Kafka error classification: plain words and what to check', () => {
  it.each([
    ['a wrong password', saslFailure('SASL_AUTHENTICATION_FAILED', 'SASL authentication failed.'), 'authentication', /refused the username or password \(SASL SCRAM-SHA-256 authentication failed for user "svc"\)/, /check the username and password/],
    ['an unsupported mechanism', saslFailure('UNSUPPORTED_SASL_MECHANISM', 'Cannot find a suitable SASL mechanism.'), 'authentication', /do not offer the SASL mechanism SCRAM-SHA-256/, /set sasl-mechanism/],
    ['SASL against a plaintext listener', saslFailure('ILLEGAL_SASL_STATE', 'Cannot find a suitable SASL mechanism.'), 'authentication', /does not accept SASL/, /sasl-mechanism: none/],
    ['a refused connection', connectFailure(nodeError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9092')), 'unreachable', /cannot reach the brokers seed:9092: connection refused \(ECONNREFUSED\)/, /check the brokers input/],
    ['an unknown host', connectFailure(nodeError('ENOTFOUND', 'getaddrinfo ENOTFOUND seed')), 'unreachable', /host name not found/, /brokers input/],
    ['an untrusted certificate', connectFailure(nodeError('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate')), 'tls', /TLS certificate is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\)/, /tls-ca/],
    ['a certificate for another host', connectFailure(nodeError('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames")), 'tls', /does not name the host/, /host name the certificate/],
    ['TLS against a plaintext port', connectFailure(new UserError('TLS handshake failed. Please verify the broker supports TLS.', { cause: nodeError('ECONNRESET', 'socket disconnected') })), 'tls', /do not seem to speak TLS/, /tls: false/],
    ['a timeout', connectFailure(new TimeoutError('Connection to seed:9092 timed out.')), 'timeout', /did not answer within 5 s/, /raise the timeout/],
    ['a closed connection', new NetworkError('Connection closed'), 'closed', /closed the connection/, /expects SASL or TLS/],
    ['missing ACLs', new ResponseError(19, 7, { '/topics/0': [29, 'denied'] }, {}), 'authorization', /user "svc" is not allowed/, /ACLs/],
    ['anything else', new Error('boom'), 'other', /^boom$/, /brokers' logs/],
  ])('%s', (_, err, kind, what, hint) => {
    const f = classifyKafkaError(err, conn);
    expect(f.kind).toBe(kind);
    expect(f.what).toMatch(what);
    expect(f.hint).toMatch(hint);
  });

  it('only retries what may pass: unreachable, timeouts, closed connections', () => {
    expect(isRetryableConnectError(connectFailure(nodeError('ECONNREFUSED', 'x')), conn)).toBe(true);
    expect(isRetryableConnectError(saslFailure('SASL_AUTHENTICATION_FAILED', 'x'), conn)).toBe(false);
    expect(isRetryableConnectError(connectFailure(nodeError('SELF_SIGNED_CERT_IN_CHAIN', 'x')), conn)).toBe(false);
  });

  it('wraps into an OperationError with context and hint, and never names the password', () => {
    const err = kafkaOperationError('connecting to Kafka', saslFailure('SASL_AUTHENTICATION_FAILED', 'SASL authentication failed.'), conn);
    expect(err).toBeInstanceOf(OperationError);
    expect(err.message).toMatch(/^connecting to Kafka: the brokers refused/);
    expect(`${err.message} ${err.hint}`).not.toContain('pw-123456');
  });

  it('reads the protocol error id the library attaches', () => {
    expect(new ProtocolError('SASL_AUTHENTICATION_FAILED').apiId).toBe('SASL_AUTHENTICATION_FAILED');
  });
});

describe('a broker lost mid-run is not blamed on SASL or TLS (issue 22 item 8)', () => {
  const closed = new NetworkError('Connection closed');
  it.each([
    ['a closed connection', closed, /^the brokers closed the connection, after it had worked earlier in this run$/],
    ['a reset', connectFailure(nodeError('ECONNRESET', 'read ECONNRESET')), /after it had worked earlier in this run/],
    ['a timeout', connectFailure(new TimeoutError('Request timed out')), /did not answer within 5 s, after it had worked/],
  ])('%s after the connection had worked', (_, err, what) => {
    const f = classifyKafkaError(err, conn, { connectedBefore: true });
    expect(f.what).toMatch(what);
    expect(f.hint).toBe(LOST_MID_RUN_HINT);
    expect(f.hint).not.toMatch(/expects SASL or TLS/);
  });

  it('still names SASL or TLS on the first connection', () => {
    expect(classifyKafkaError(closed, conn).hint).toMatch(/expects SASL or TLS/);
  });

  it('a refused password stays a refused password, whenever it happens', () => {
    expect(classifyKafkaError(saslFailure('SASL_AUTHENTICATION_FAILED', 'x'), conn, { connectedBefore: true }).kind).toBe('authentication');
  });

  it('kafkaOperationError passes the option on', () => {
    expect(kafkaOperationError('waiting', closed, conn, { connectedBefore: true }).hint).toBe(LOST_MID_RUN_HINT);
  });

  it('a listener that takes the connection and drops it is named as such', () => {
    const f = classifyKafkaError(connectFailure(nodeError('ECONNRESET', 'read ECONNRESET')), conn);
    expect(f.what).toBe('the brokers seed:9092 accepted the connection and dropped it: connection reset (ECONNRESET)');
    expect(f.hint).toMatch(/tls and sasl-mechanism match that listener/);
  });
});
