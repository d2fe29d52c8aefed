import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ConfigurationError, ProblemList } from '../core/errors.js';
import { checkPath, clip, type Inputs, type PathPolicy } from '../core/inputs.js';
import type { Secrets } from '../core/secrets.js';

/**
 * How to reach a Kafka/Redpanda cluster, parsed from action inputs. Shared by every action that talks
 * to Kafka (redpanda-topics, verify-events), so each names its inputs and reports mistakes the same
 * way. Light on purpose: no Kafka client is imported here, so a bad input fails in milliseconds.
 */
export const SASL_MECHANISMS = ['scram-sha-256', 'scram-sha-512', 'plain', 'none'] as const;
export type SaslMechanismInput = (typeof SASL_MECHANISMS)[number];

export interface KafkaSasl {
  mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512' | 'PLAIN';
  username: string;
  password: string;
}

export interface KafkaConnection {
  /** host:port of each bootstrap broker. */
  brokers: string[];
  sasl: KafkaSasl | undefined;
  /** TLS is on unless the user opted out; `ca` is a PEM bundle to trust instead of the system CAs. */
  tls: { enabled: true; ca: string | undefined } | { enabled: false };
  clientId: string;
  /** Limit for connecting and for each request; the whole connect phase also ends by then. */
  timeoutMs: number;
  /** Things worth telling the user that are not errors (e.g. PLAIN without TLS). */
  warnings: string[];
}

/** The input names, overridable so an action can prefix them; the defaults are what action.yml uses. */
export interface ConnectionInputNames {
  brokers: string;
  mechanism: string;
  username: string;
  password: string;
  tls: string;
  ca: string;
  clientId: string;
  timeout: string;
}

export const DEFAULT_CONNECTION_INPUTS: ConnectionInputNames = {
  brokers: 'brokers',
  mechanism: 'sasl-mechanism',
  username: 'username',
  password: 'password',
  tls: 'tls',
  ca: 'tls-ca',
  clientId: 'client-id',
  timeout: 'timeout',
};

const MECHANISM: Record<Exclude<SaslMechanismInput, 'none'>, KafkaSasl['mechanism']> = { 'scram-sha-256': 'SCRAM-SHA-256', 'scram-sha-512': 'SCRAM-SHA-512', plain: 'PLAIN' };

/**
 * Bootstrap servers are a handful of seeds: the client learns every other broker from them. A list past this is a
 * mistake (a pasted file, a generated list), and @platformatic/kafka tries the seeds one inside the other's
 * callback, so 2,000 of them overflow its stack (RangeError) before any message says what is wrong.
 */
export const MAX_BROKERS = 100;
/** How many bad brokers are named one by one; the rest are counted. */
const MAX_BROKER_PROBLEMS = 10;
/** A CA bundle is a few kB; the system bundle is about 200 kB. */
const MAX_CA_BYTES = 1024 * 1024;

/** `host:port`, `[::1]:9092`; no scheme, a port in range. Returns the problem, or undefined when fine. */
export function brokerProblem(broker: string): string | undefined {
  const shown = clip(broker, 80);
  if (/^[a-z][a-z0-9+._-]*:\/\//i.test(broker)) return `"${shown}" has a URL scheme; brokers are host:port`;
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d+)$/.exec(broker);
  if (!m) return /:\d+$/.test(broker) ? `"${shown}" is not a valid host:port` : `"${shown}" has no port`;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return `"${shown}" has port ${port}, outside 1-65535`;
  if (m[1]!.length > 253) return `"${shown}" has a host name of ${m[1]!.length} characters; at most 253`;
  return undefined;
}

function readCa(value: string, names: ConnectionInputNames, workspace: string, paths: PathPolicy | undefined): string {
  let pem = value;
  if (!value.includes('-----BEGIN')) {
    const notFound = (file: string): ConfigurationError =>
      new ConfigurationError({ input: names.ca, problem: `is neither a PEM certificate nor an existing file (${clip(file)})`, fix: 'paste the CA certificate (-----BEGIN CERTIFICATE-----...) or give the path of a PEM file' });
    let file: string;
    if (paths) {
      // The shared rules: relative to the workspace, a regular file, inside the workspace or RUNNER_TEMP unless allowed.
      file = resolve(paths.workspace, value);
      if (!existsSync(file)) throw notFound(file);
      file = checkPath(names.ca, value, paths, 'file');
    } else {
      file = isAbsolute(value) ? value : resolve(workspace, value);
      if (!existsSync(file)) throw notFound(file);
    }
    if (statSync(file).size > MAX_CA_BYTES) throw new ConfigurationError({ input: names.ca, problem: `${clip(value)} is ${statSync(file).size} bytes, not a CA certificate (at most ${MAX_CA_BYTES} bytes)`, fix: 'point it at the PEM file of the CA that signed the brokers\' certificate' });
    pem = readFileSync(file, 'utf8');
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigurationError({ input: names.ca, problem: 'holds no PEM certificate (no -----BEGIN CERTIFICATE----- line)', fix: 'give the CA certificate in PEM format' });
  return pem;
}

export interface ConnectionParseOptions {
  names?: Partial<ConnectionInputNames>;
  /** Relative CA file paths are resolved here (GITHUB_WORKSPACE on a runner). */
  workspace?: string;
  /**
   * Where a tls-ca file may be (src/core/inputs.ts pathPolicy: the workspace or RUNNER_TEMP unless the action's
   * allow-outside-workspace is true). Without it, any existing file is read (the old behaviour).
   */
  paths?: PathPolicy;
  defaultClientId?: string;
  defaultTimeout?: string;
}

/**
 * Parses and validates every connection input, collecting all mistakes into one ConfigurationError.
 * The password is registered as a secret the moment it is read.
 */
export function parseKafkaConnection(inputs: Inputs, secrets: Secrets, options: ConnectionParseOptions = {}): KafkaConnection {
  const names = { ...DEFAULT_CONNECTION_INPUTS, ...options.names };
  const problems = new ProblemList();
  const password = secrets.add(inputs.raw(names.password));
  const username = inputs.raw(names.username);

  const brokers = inputs.list(names.brokers, { commas: true });
  if (brokers.length === 0) problems.add({ input: names.brokers, problem: 'is required but was empty or not set', fix: `set \`${names.brokers}\` to the bootstrap servers, e.g. seed-abc.redpanda.com:9092 (several: comma- or newline-separated)` });
  if (brokers.length > MAX_BROKERS) {
    problems.add({ input: names.brokers, problem: `lists ${brokers.length} brokers; at most ${MAX_BROKERS} are accepted`, fix: 'list a few bootstrap servers (the client learns every other broker from them), e.g. the three seeds of the cluster' });
  }
  const bad = brokers.map((b) => brokerProblem(b)).filter((p): p is string => p !== undefined);
  for (const p of bad.slice(0, MAX_BROKER_PROBLEMS)) problems.add({ input: names.brokers, problem: p, fix: 'write each broker as host:port, e.g. seed-abc.redpanda.com:9092' });
  if (bad.length > MAX_BROKER_PROBLEMS) problems.add({ input: names.brokers, problem: `${bad.length - MAX_BROKER_PROBLEMS} more entries are not host:port`, fix: 'write each broker as host:port, e.g. seed-abc.redpanda.com:9092' });

  const mechanism = problems.collect(() => inputs.oneOf(names.mechanism, SASL_MECHANISMS, 'scram-sha-256'));
  let sasl: KafkaSasl | undefined;
  if (mechanism === 'none') {
    if (username || password) problems.add({ input: names.mechanism, problem: `is none, but ${username ? names.username : names.password} is set`, fix: `choose the mechanism the listener uses (scram-sha-256, scram-sha-512, plain), or remove ${names.username} and ${names.password}` });
  } else if (mechanism) {
    if (!username) problems.add({ input: names.username, problem: `is required with ${names.mechanism} ${mechanism}`, fix: `set \`${names.username}\` (e.g. from a secret), or set ${names.mechanism}: none for a listener without authentication` });
    if (!password) problems.add({ input: names.password, problem: `is required with ${names.mechanism} ${mechanism}`, fix: `set \`${names.password}: \${{ secrets.<NAME> }}\`, or set ${names.mechanism}: none for a listener without authentication` });
    if (username && password) sasl = { mechanism: MECHANISM[mechanism], username, password };
  }

  const tlsOn = problems.collect(() => inputs.boolean(names.tls, true));
  const caInput = inputs.raw(names.ca);
  let ca: string | undefined;
  if (tlsOn === false && caInput) problems.add({ input: names.ca, problem: `is set but ${names.tls} is false`, fix: `remove ${names.ca}, or set ${names.tls}: true` });
  else if (caInput) ca = problems.collect(() => readCa(caInput, names, options.workspace ?? process.cwd(), options.paths));

  const timeoutMs = problems.collect(() => inputs.duration(names.timeout, options.defaultTimeout ?? '60s', { minMs: 1000, maxMs: 3_600_000 }));
  const clientId = inputs.string(names.clientId, options.defaultClientId ?? 'oke-dapr-actions') ?? 'oke-dapr-actions';
  if (!/^[A-Za-z0-9._-]{1,255}$/.test(clientId)) problems.add({ input: names.clientId, problem: `"${clip(clientId)}" has characters other than letters, digits, ".", "_" and "-"`, fix: 'use a short name such as github-actions' });

  problems.throwIfAny();
  const warnings: string[] = [];
  if (sasl?.mechanism === 'PLAIN' && tlsOn === false) warnings.push(`${names.mechanism} plain with ${names.tls}: false sends the password in clear text; use it only on a local network`);
  return {
    brokers,
    sasl,
    tls: tlsOn === false ? { enabled: false } : { enabled: true, ca },
    clientId,
    timeoutMs: timeoutMs!,
    warnings,
  };
}

/** How the connection is described in logs and errors (never the password). */
export function describeConnection(c: KafkaConnection): string {
  const auth = c.sasl ? `SASL ${c.sasl.mechanism} as ${c.sasl.username}` : 'no SASL';
  const tls = c.tls.enabled ? `TLS${c.tls.ca ? ' (custom CA)' : ''}` : 'no TLS';
  return `${c.brokers.join(', ')} (${auth}, ${tls})`;
}
