import { OperationError } from '../core/errors.js';
import { describeConnection, type KafkaConnection } from './connection-inputs.js';

/**
 * Turns @platformatic/kafka's nested errors (MultipleErrors > NetworkError > AuthenticationError >
 * ResponseError > ProtocolError, or a Node socket/TLS error at the bottom) into one plain sentence
 * and a hint of what to check. No Kafka client import: it reads codes and messages only.
 */
export type KafkaFailureKind = 'authentication' | 'authorization' | 'tls' | 'unreachable' | 'timeout' | 'closed' | 'other';

export interface KafkaFailure {
  kind: KafkaFailureKind;
  /** What happened, in plain words. */
  what: string;
  hint: string;
}

interface Facts {
  codes: Set<string>;
  apiIds: Set<string>;
  messages: string[];
}

/** Walks .errors and .cause chains and collects every code, Kafka error id and message. */
export function errorFacts(err: unknown): Facts {
  const facts: Facts = { codes: new Set(), apiIds: new Set(), messages: [] };
  const seen = new Set<unknown>();
  const walk = (e: unknown): void => {
    if (!e || typeof e !== 'object' || seen.has(e)) return;
    seen.add(e);
    const x = e as { code?: unknown; apiId?: unknown; message?: unknown; serverErrorMessage?: unknown; errors?: unknown; cause?: unknown };
    if (typeof x.code === 'string') facts.codes.add(x.code);
    if (typeof x.apiId === 'string') facts.apiIds.add(x.apiId);
    if (typeof x.message === 'string' && x.message) facts.messages.push(x.message);
    if (typeof x.serverErrorMessage === 'string' && x.serverErrorMessage) facts.messages.push(x.serverErrorMessage);
    if (Array.isArray(x.errors)) x.errors.forEach(walk);
    walk(x.cause);
  };
  walk(err);
  return facts;
}

const TLS_TRUST = ['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED'];
const TLS_OTHER = ['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'EPROTO', 'ERR_SSL_WRONG_VERSION_NUMBER'];
const UNREACHABLE = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE'];

export interface ClassifyOptions {
  /**
   * True once a connection of this run has worked (authenticated, answered a request). A connection that is then
   * closed, reset or silent is a broker lost mid-run (restart, failover, network), not wrong SASL or TLS settings,
   * which had just worked: the hint says so instead of blaming them.
   */
  connectedBefore?: boolean;
}

/** The hint for a broker lost after the connection had worked. */
export const LOST_MID_RUN_HINT =
  'the connection had worked earlier in this run, so the brokers, credentials and TLS settings are right: a broker went away mid-run (restart, failover, network). Check the brokers\' health and logs, then re-run';

export function classifyKafkaError(err: unknown, conn: KafkaConnection, options: ClassifyOptions = {}): KafkaFailure {
  const f = classifyOnce(err, conn);
  if (options.connectedBefore && (f.kind === 'closed' || f.kind === 'unreachable' || f.kind === 'timeout')) {
    const what = f.kind === 'closed' ? 'the brokers closed the connection' : f.what;
    return { kind: f.kind, what: `${what}, after it had worked earlier in this run`, hint: LOST_MID_RUN_HINT };
  }
  return f;
}

function classifyOnce(err: unknown, conn: KafkaConnection): KafkaFailure {
  const f = errorFacts(err);
  const has = (...codes: string[]): string | undefined => codes.find((c) => f.codes.has(c) || f.apiIds.has(c));
  const msg = (re: RegExp): boolean => f.messages.some((m) => re.test(m));
  const brokers = conn.brokers.join(', ');
  const mech = conn.sasl?.mechanism ?? 'none';

  if (has('SASL_AUTHENTICATION_FAILED')) {
    return { kind: 'authentication', what: `the brokers refused the username or password (SASL ${mech} authentication failed for user "${conn.sasl?.username ?? ''}")`, hint: 'check the username and password inputs (the secrets they come from) and that sasl-mechanism matches the one the user was created with (scram-sha-256 or scram-sha-512)' };
  }
  if (has('UNSUPPORTED_SASL_MECHANISM')) {
    return { kind: 'authentication', what: `the brokers do not offer the SASL mechanism ${mech} on this listener`, hint: 'set sasl-mechanism to one the listener enables (Redpanda Cloud: scram-sha-256 or scram-sha-512)' };
  }
  if (has('ILLEGAL_SASL_STATE') || (has('PLT_KFK_AUTHENTICATION') && msg(/suitable SASL mechanism/i))) {
    return { kind: 'authentication', what: 'the listener does not accept SASL authentication', hint: 'use the SASL port of the brokers, or set sasl-mechanism: none if this listener needs no authentication' };
  }
  if (has('PLT_KFK_AUTHENTICATION')) {
    return { kind: 'authentication', what: `SASL ${mech} authentication failed`, hint: 'check username, password and sasl-mechanism' };
  }
  if (has('CLUSTER_AUTHORIZATION_FAILED', 'TOPIC_AUTHORIZATION_FAILED')) {
    return { kind: 'authorization', what: `user "${conn.sasl?.username ?? ''}" is not allowed to do this (${[...f.apiIds].join(', ')})`, hint: 'grant the user the ACLs it needs (topics: describe, create, alter, alter_configs, describe_configs, delete)' };
  }
  const trust = has(...TLS_TRUST);
  if (trust) {
    return { kind: 'tls', what: `the brokers' TLS certificate is not trusted (${trust})`, hint: conn.tls.enabled && conn.tls.ca ? 'the tls-ca input does not hold the CA that signed the brokers\' certificate' : 'pass the CA certificate that signed the brokers\' certificate in the tls-ca input' };
  }
  const tlsOther = has(...TLS_OTHER);
  if (tlsOther) {
    const what = tlsOther === 'ERR_TLS_CERT_ALTNAME_INVALID' ? 'the brokers\' TLS certificate does not name the host connected to' : `TLS failed (${tlsOther})`;
    return { kind: 'tls', what, hint: tlsOther === 'ERR_TLS_CERT_ALTNAME_INVALID' ? 'connect with the host name the certificate was issued for' : 'check the brokers\' certificate and the tls-ca input' };
  }
  if (msg(/TLS handshake failed/i)) {
    return { kind: 'tls', what: 'the TLS handshake failed: the brokers do not seem to speak TLS on this port', hint: 'for a local plaintext listener set tls: false; otherwise check that the port is the TLS listener' };
  }
  const down = has(...UNREACHABLE);
  if (down) {
    const plain: Record<string, string> = { ECONNREFUSED: 'connection refused', ENOTFOUND: 'host name not found', EAI_AGAIN: 'host name lookup failed', EHOSTUNREACH: 'host unreachable', ENETUNREACH: 'network unreachable', ECONNRESET: 'connection reset', EPIPE: 'connection broken' };
    if (down === 'ECONNRESET' || down === 'EPIPE') {
      // Something listens there, took the connection and dropped it: not a Kafka listener with these settings.
      return { kind: 'unreachable', what: `the brokers ${brokers} accepted the connection and dropped it: ${plain[down]} (${down})`, hint: 'check that the brokers input names the Kafka listener (host:port), and that tls and sasl-mechanism match that listener; a broker that is restarting does this too' };
    }
    return { kind: 'unreachable', what: `cannot reach the brokers ${brokers}: ${plain[down] ?? down} (${down})`, hint: 'check the brokers input (host:port of the bootstrap servers), that the cluster is running, and that this runner can reach it (firewall, private network)' };
  }
  if (has('PLT_KFK_TIMEOUT', 'ETIMEDOUT', 'REQUEST_TIMED_OUT') || msg(/timed out/i)) {
    return { kind: 'timeout', what: `the brokers ${brokers} did not answer within ${conn.timeoutMs / 1000} s`, hint: 'check that the runner can reach the brokers (a firewall that drops packets looks like this), or raise the timeout input' };
  }
  if (msg(/^Connection closed/i)) {
    return { kind: 'closed', what: 'the brokers closed the connection without answering', hint: 'the listener probably expects SASL or TLS: check sasl-mechanism and tls against the listener' };
  }
  const detail = [...new Set(f.messages)].slice(-2).join(': ');
  return { kind: 'other', what: detail || String(err), hint: `check the brokers' logs; connection: ${describeConnection(conn)}` };
}

/** An OperationError saying what failed, in plain words, with what to look at next. */
export function kafkaOperationError(context: string, err: unknown, conn: KafkaConnection, options: ClassifyOptions = {}): OperationError {
  if (err instanceof OperationError) return err;
  const f = classifyKafkaError(err, conn, options);
  return new OperationError(`${context}: ${f.what}`, { cause: err, hint: f.hint });
}

/** True for failures worth another connection attempt (not a refused password or an untrusted certificate). */
export function isRetryableConnectError(err: unknown, conn: KafkaConnection): boolean {
  const kind = classifyKafkaError(err, conn).kind;
  return kind === 'unreachable' || kind === 'timeout' || kind === 'closed';
}
