/**
 * Apache Kafka (stands in for Redpanda: same wire protocol), one node in KRaft combined mode
 * (broker + controller in one JVM) on 127.0.0.1, with two client listeners:
 *
 *   PLAINTEXT       127.0.0.1:<ports.kafkaPlaintext>  no authentication
 *   SASL_PLAINTEXT  127.0.0.1:<ports.kafkaSasl>       SCRAM-SHA-256 and SCRAM-SHA-512, user `stack-user`
 *   CONTROLLER      127.0.0.1:<ports.kafkaController> KRaft quorum only (not for clients)
 *   NODE            127.0.0.1:<ports.kafkaNode>       SASL_PLAINTEXT as above, for pods on the real node: it
 *                   advertises <nodeNetwork.hostIp>:<ports.kafkaNode>, where the node component's forwarder
 *                   listens (the node's namespace reaches nothing else of this machine), so metadata sends
 *                   the pods' clients to an address they can route to. Bound on loopback, so Kafka starts
 *                   whether the node (and its veth) exists or not.
 *
 * Authorization: the KRaft StandardAuthorizer with allow.everyone.if.no.acl.found=true; super users are
 * User:ANONYMOUS (every PLAINTEXT listener: inter-broker, controller, local clients) and `stack-user`. Another
 * SASL user may do anything on a resource without ACLs and only what the ACLs allow on one that has any
 * (test/integration/stack-kafka.test.ts proves it; redpanda-topics declares ACLs and SCRAM users).
 *
 * Source: Maven Central (the only JVM source the machines reach). stack/kafka/pom.xml pulls
 * org.apache.kafka:kafka_2.13 + kafka-tools + the SLF4J->log4j2 binding; `mvn dependency:copy-dependencies`
 * drops the 93 jars (54 MB) into <cacheDir>/kafka-<version>/libs. Kafka 4.x is KRaft-only and needs Java 17.
 *
 * State: <stateDir>/kafka/{server.properties, log4j2.xml, client-sasl.properties, credentials.json (0600),
 * data/ (log.dirs + KRaft metadata), logs/server.log}. The process's stdout/stderr (WARN and above)
 * go to the ProcessManager's log (<stateDir>/logs/kafka.log).
 *
 * Measured here (2 cores): jars from a cold ~/.m2 10.4 s, from a warm one (offline) 5-6.5 s. On a quiet
 * machine format takes 0.7 s and the broker answers about 2 s after spawn; with other builds running
 * beside it (load 5-8) format takes about 2.5 s, a cold start (format + start) 8-11 s, a warm start 4-13 s.
 * Stop (SIGTERM, clean shutdown) 1.7-2.6 s. RSS about 300 MB right after start and after 3 idle minutes
 * (-Xmx512m, serial GC, 93 threads).
 *
 * Kafka's own CLI, from the same jars, as an independent cross-check (status().details gives
 * `classpath` and `clientConfig`, a ready SASL client properties file):
 *
 *   J="java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp <cacheDir>/kafka-4.1.2/libs/*"
 *   (quote the classpath so the shell does not expand the `*`; java expands it)
 *   $J org.apache.kafka.tools.TopicCommand  --bootstrap-server 127.0.0.1:19093 --command-config <clientConfig> --create --topic t --partitions 3 --replication-factor 1 --config retention.ms=60000
 *   $J org.apache.kafka.tools.TopicCommand  --bootstrap-server 127.0.0.1:19093 --command-config <clientConfig> --describe --topic t
 *   $J org.apache.kafka.tools.TopicCommand  --bootstrap-server 127.0.0.1:19092 --list
 *   $J kafka.admin.ConfigCommand --bootstrap-server 127.0.0.1:19093 --command-config <clientConfig> --entity-type topics --entity-name t --describe
 *   $J kafka.admin.ConfigCommand --bootstrap-server 127.0.0.1:19093 --command-config <clientConfig> --entity-type topics --entity-name t --alter --add-config retention.ms=120000,cleanup.policy=compact
 *   $J kafka.admin.ConfigCommand --bootstrap-server 127.0.0.1:19092 --entity-type users --describe
 *   $J kafka.admin.ConfigCommand --bootstrap-server 127.0.0.1:19092 --alter --entity-type users --entity-name u2 --add-config 'SCRAM-SHA-256=[iterations=4096,password=pw2]'
 *      (one mechanism per request: adding SCRAM-SHA-256 and -512 in one call fails with DuplicateResourceException)
 *   $J org.apache.kafka.tools.ConsoleProducer --bootstrap-server 127.0.0.1:19093 --producer.config <clientConfig> --topic t --property parse.key=true --property key.separator=:
 *   $J org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server 127.0.0.1:19093 --consumer.config <clientConfig> --topic t --from-beginning --max-messages 1 --timeout-ms 15000 --property print.key=true
 *   $J org.apache.kafka.tools.GetOffsetShell --bootstrap-server 127.0.0.1:19093 --command-config <clientConfig> --topic t
 *   $J org.apache.kafka.tools.MetadataQuorumCommand --bootstrap-server 127.0.0.1:19092 describe --status
 * In Kafka 4.x TopicCommand lives in kafka-tools (org.apache.kafka.tools), not kafka.admin; ConfigCommand
 * and StorageTool are still Scala classes in kafka_2.13. The console producer/consumer take
 * --producer.config/--consumer.config, not --command-config. Add -Dlog4j2.configurationFile=<xml> to quiet
 * the tools' log4j2 "no configuration" notice.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Admin, type SASLOptions } from '@platformatic/kafka';
import { nodeNetwork } from '../config.js';
import type { Component, ComponentStatus, StackContext } from '../types.js';
import { errorFacts } from '../../../src/kafka/errors.js';
import type { ScramMechanismName } from '../../../src/kafka/acl.js';
import type { KafkaConnection } from '../../../src/kafka/connection-inputs.js';
import { TopicAdmin } from '../../../src/kafka/topic-admin.js';
import { silentLogger } from '../../../src/core/log.js';

const exec = promisify(execFile);

/** Must match a version Maven Central serves for org.apache.kafka:kafka_2.13 and kafka-tools. */
export const KAFKA_VERSION = '4.1.2';
export const KAFKA_USERNAME = 'stack-user';
export const KAFKA_SASL_MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const satisfies readonly ScramMechanismName[];
/** What the StorageTool's --add-scram uses when the entry names no iterations. */
const SCRAM_FORMAT_ITERATIONS = 4096;

const PROCESS = 'kafka';
const START_DEADLINE_MS = 90_000;
const JVM_ARGS = [
  '-Xmx512m',
  '-Xms256m',
  // Serial GC: smallest footprint and fastest start for a single-node test broker on 2 cores.
  '-XX:+UseSerialGC',
  '-XX:+ExitOnOutOfMemoryError',
  '-Djava.awt.headless=true',
];

interface Credentials {
  username: string;
  password: string;
}

interface Paths {
  versionDir: string;
  libs: string;
  marker: string;
  dir: string;
  data: string;
  logs: string;
  serverProperties: string;
  log4j: string;
  clientConfig: string;
  credentials: string;
}

function paths(ctx: StackContext): Paths {
  const versionDir = join(ctx.cacheDir, `kafka-${KAFKA_VERSION}`);
  const dir = join(ctx.stateDir, 'kafka');
  return {
    versionDir,
    libs: join(versionDir, 'libs'),
    marker: join(versionDir, 'installed.json'),
    dir,
    data: join(dir, 'data'),
    logs: join(dir, 'logs'),
    serverProperties: join(dir, 'server.properties'),
    log4j: join(dir, 'log4j2.xml'),
    clientConfig: join(dir, 'client-sasl.properties'),
    credentials: join(dir, 'credentials.json'),
  };
}

function javaBin(): string {
  const home = process.env.JAVA_HOME;
  return home ? join(home, 'bin', 'java') : 'java';
}

function classpath(p: Paths): string {
  return `${join(p.libs, '*')}`;
}

function isInstalled(p: Paths): boolean {
  return existsSync(p.marker) && existsSync(join(p.libs, `kafka_2.13-${KAFKA_VERSION}.jar`));
}

function outputOf(err: unknown): string {
  const e = err as { stdout?: string; stderr?: string; message?: string };
  return [e.message, e.stdout, e.stderr].filter(Boolean).join('\n').trim();
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** What a failed start needs quoting: the ERROR/FATAL lines (each with the exception line after it) logged
 *  since `from` (a byte offset), then the last lines of the file. */
function excerpt(file: string, from: number, lastLines: number, withErrors: boolean): string {
  if (!existsSync(file)) return `(${file} does not exist)`;
  const lines = readFileSync(file).subarray(from).toString('utf8').split('\n');
  const errors: string[] = [];
  lines.forEach((line, i) => {
    if (!/^\[[^\]]+\] (ERROR|FATAL) /.test(line)) return;
    errors.push(line);
    const next = lines[i + 1];
    if (next !== undefined && next !== '' && !next.startsWith('[') && !next.startsWith('\tat ')) errors.push(`  ${next}`);
  });
  const parts = [`--- ${file} ---`];
  if (withErrors && errors.length > 0) parts.push('errors:', ...errors.slice(0, 24), 'last lines:');
  parts.push(...lines.filter((l) => l !== '').slice(-lastLines));
  return parts.join('\n');
}

/** Kafka UUIDs are 16 random bytes in URL-safe base64 without padding; Kafka never starts one with '-'. */
function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function loadOrCreateCredentials(p: Paths): { creds: Credentials; created: boolean } {
  if (existsSync(p.credentials)) {
    const parsed = JSON.parse(readFileSync(p.credentials, 'utf8')) as Partial<Credentials>;
    if (typeof parsed.username === 'string' && typeof parsed.password === 'string') {
      return { creds: { username: parsed.username, password: parsed.password }, created: false };
    }
  }
  // Hex only: the StorageTool's `--add-scram 'SCRAM-SHA-256=[name=..,password=..]'` syntax has no escaping.
  const creds = { username: KAFKA_USERNAME, password: randomBytes(18).toString('hex') };
  writeFileSync(p.credentials, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
  chmodSync(p.credentials, 0o600);
  return { creds, created: true };
}

function readCredentials(p: Paths): Credentials | undefined {
  try {
    const parsed = JSON.parse(readFileSync(p.credentials, 'utf8')) as Partial<Credentials>;
    if (typeof parsed.username === 'string' && typeof parsed.password === 'string') {
      return { username: parsed.username, password: parsed.password };
    }
  } catch {
    // missing or unreadable: not started yet
  }
  return undefined;
}

function serverProperties(ctx: StackContext, p: Paths, adminUser: string): string {
  const { kafkaPlaintext, kafkaSasl, kafkaController, kafkaNode } = ctx.ports;
  const jaas = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
  return [
    '# Written by stack/src/components/kafka.ts on every start; edits are overwritten.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${kafkaController}`,
    'controller.listener.names=CONTROLLER',
    `listeners=PLAINTEXT://127.0.0.1:${kafkaPlaintext},SASL_PLAINTEXT://127.0.0.1:${kafkaSasl},CONTROLLER://127.0.0.1:${kafkaController},NODE://127.0.0.1:${kafkaNode}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${kafkaPlaintext},SASL_PLAINTEXT://127.0.0.1:${kafkaSasl},NODE://${nodeNetwork.hostIp}:${kafkaNode}`,
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT,NODE:SASL_PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    // ACLs are enforced (redpanda-topics manages them; tests prove them). The PLAINTEXT listeners (inter-broker,
    // controller, local clients) authenticate as User:ANONYMOUS and the SASL admin user is the stack's: both are
    // super users. Any other SASL user is allowed what no ACL names, and only what the ACLs say on a resource
    // that has some: what worked before the authorizer still works, what a file declares is enforced.
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    `super.users=User:ANONYMOUS;User:${adminUser}`,
    'allow.everyone.if.no.acl.found=true',
    `sasl.enabled.mechanisms=${KAFKA_SASL_MECHANISMS.join(',')}`,
    `listener.name.sasl_plaintext.sasl.enabled.mechanisms=${KAFKA_SASL_MECHANISMS.join(',')}`,
    `listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=${jaas}`,
    `listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=${jaas}`,
    `listener.name.node.sasl.enabled.mechanisms=${KAFKA_SASL_MECHANISMS.join(',')}`,
    `listener.name.node.scram-sha-256.sasl.jaas.config=${jaas}`,
    `listener.name.node.scram-sha-512.sasl.jaas.config=${jaas}`,
    `log.dirs=${p.data}`,
    // Single node: every internal topic has one replica.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=10',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'num.partitions=1',
    'group.initial.rebalance.delay.ms=0',
    // Redpanda Cloud has auto topic creation off: so does the stand-in.
    'auto.create.topics.enable=false',
    'delete.topic.enable=true',
    // Small footprint on a shared 2-core machine. Topic-level defaults (segment.bytes, retention.ms, ...)
    // stay Kafka's own, so describeConfigs reports no broker-level overrides a drift check could trip on.
    'num.network.threads=2',
    'num.io.threads=4',
    'num.recovery.threads.per.data.dir=1',
    'log.cleaner.threads=1',
    'log.cleaner.dedupe.buffer.size=33554432',
    'log.retention.check.interval.ms=60000',
    // A metadata snapshot every 5 minutes (Kafka's default: hourly or 20 MB of records): a restart then replays
    // from a snapshot, which keeps Kafka's SCRAM replay bug (restoreScramCredentials) from recurring.
    'metadata.log.max.snapshot.interval.ms=300000',
    '',
  ].join('\n');
}

function log4jConfig(): string {
  // ${sys:kafka.logs.dir} is set with -Dkafka.logs.dir; stdout (the ProcessManager's log) gets WARN+.
  return `<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="WARN">
  <Appenders>
    <Console name="stdout" target="SYSTEM_OUT">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
      <ThresholdFilter level="WARN" onMatch="ACCEPT" onMismatch="DENY"/>
    </Console>
    <RollingFile name="server" fileName="\${sys:kafka.logs.dir}/server.log" filePattern="\${sys:kafka.logs.dir}/server.log.%i">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
      <SizeBasedTriggeringPolicy size="10 MB"/>
      <DefaultRolloverStrategy max="3"/>
    </RollingFile>
  </Appenders>
  <Loggers>
    <Root level="INFO">
      <AppenderRef ref="stdout"/>
      <AppenderRef ref="server"/>
    </Root>
    <Logger name="kafka.request.logger" level="WARN"/>
    <Logger name="state.change.logger" level="WARN"/>
    <Logger name="org.apache.kafka.clients.NetworkClient" level="WARN"/>
  </Loggers>
</Configuration>
`;
}

function clientProperties(creds: Credentials): string {
  return [
    '# SASL client config for Kafka CLI tools (--command-config / --producer.config / --consumer.config).',
    'security.protocol=SASL_PLAINTEXT',
    'sasl.mechanism=SCRAM-SHA-256',
    `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${creds.username}" password="${creds.password}";`,
    '',
  ].join('\n');
}

/** One Kafka request (Metadata via listTopics) on one listener; throws on failure. */
async function ping(address: string, sasl?: SASLOptions, timeoutMs = 3_000): Promise<void> {
  const admin = new Admin({
    clientId: 'oke-stack-health',
    bootstrapBrokers: [address],
    connectTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    timeout: timeoutMs,
    retries: 0,
    ...(sasl ? { sasl } : {}),
  });
  try {
    await admin.listTopics();
  } finally {
    await admin.close().catch(() => undefined);
  }
}

function describe(err: unknown): string {
  // @platformatic/kafka nests the real reason deep (MultipleErrors.errors and .cause chains).
  const codes = [...errorFacts(err).codes];
  const msg = err instanceof Error ? err.message : String(err);
  return codes.length > 0 ? `${msg} [${[...new Set(codes)].join(' > ')}]` : msg;
}

interface ProbeResult {
  /** What failed, listener by listener; undefined when both answered. */
  problem: string | undefined;
  /** PLAINTEXT answered and the SASL listener refused the stack user's password. */
  saslRefused: boolean;
}

async function probeListeners(ctx: StackContext, creds: Credentials | undefined, timeoutMs?: number): Promise<ProbeResult> {
  const problems: string[] = [];
  let plaintextOk = true;
  let refused = false;
  try {
    await ping(`127.0.0.1:${ctx.ports.kafkaPlaintext}`, undefined, timeoutMs);
  } catch (err) {
    plaintextOk = false;
    problems.push(`PLAINTEXT 127.0.0.1:${ctx.ports.kafkaPlaintext}: ${describe(err)}`);
  }
  if (!creds) {
    problems.push(`no credentials in ${paths(ctx).credentials}`);
  } else {
    try {
      await ping(`127.0.0.1:${ctx.ports.kafkaSasl}`, { mechanism: 'SCRAM-SHA-256', username: creds.username, password: creds.password }, timeoutMs);
    } catch (err) {
      refused = errorFacts(err).codes.has('PLT_KFK_AUTHENTICATION');
      problems.push(`SASL_PLAINTEXT 127.0.0.1:${ctx.ports.kafkaSasl} (SCRAM-SHA-256 as ${creds.username}): ${describe(err)}`);
    }
  }
  return { problem: problems.length > 0 ? problems.join('; ') : undefined, saslRefused: plaintextOk && refused };
}

async function probe(ctx: StackContext, creds: Credentials | undefined, timeoutMs?: number): Promise<string | undefined> {
  return (await probeListeners(ctx, creds, timeoutMs)).problem;
}

/**
 * Gives the stack user back SCRAM credentials the broker lost, over the PLAINTEXT listener (User:ANONYMOUS is a
 * super user); returns the mechanisms it set again, [] when none was missing.
 *
 * Why a broker loses them: Apache Kafka 4.1.2 (the same code is in 4.2.2 and 4.3.1) rebuilds its SCRAM image at
 * start-up by replaying the metadata log, and without a metadata snapshot one delta can hold both the stack user's
 * credential (from format) and another user's removed one (redpanda-topics and its tests add and remove users).
 * ScramDelta.apply then drops a mechanism's whole user map as soon as the removed user empties it, and puts the
 * users that come after it in HashMap order into the dropped map. The controller still has them, DescribeUser-
 * ScramCredentials on the broker does not, and every SCRAM login of that user fails with "invalid credentials"
 * (a CI run: SCRAM-SHA-256 gone, SCRAM-SHA-512 kept, on every restart of that data). Setting them again writes a
 * new record the running broker applies at once; the metadata snapshot that follows (serverProperties) holds the
 * repaired state, so later restarts start from it.
 */
async function restoreScramCredentials(ctx: StackContext, creds: Credentials): Promise<ScramMechanismName[]> {
  const conn: KafkaConnection = {
    brokers: [`127.0.0.1:${ctx.ports.kafkaPlaintext}`],
    sasl: undefined,
    tls: { enabled: false },
    clientId: 'oke-stack-scram-repair',
    timeoutMs: 5_000,
    warnings: [],
  };
  const admin = await TopicAdmin.connect(conn, silentLogger);
  try {
    const access = admin.access();
    const have = (await access.describeScramUsers([creds.username])).get(creds.username) ?? [];
    const missing = KAFKA_SASL_MECHANISMS.filter((m) => !have.includes(m));
    if (missing.length === 0) return [];
    const results = await access.upsertScram(
      missing.map((mechanism) => ({ name: creds.username, mechanism, password: () => creds.password })),
      SCRAM_FORMAT_ITERATIONS,
    );
    const failed = results.filter((r) => r.error);
    if (failed.length > 0) throw new Error(`kafka: setting ${creds.username}'s SCRAM credentials again failed: ${failed.map((r) => r.error).join('; ')}`);
    return missing;
  } finally {
    await admin.close();
  }
}

async function install(ctx: StackContext): Promise<void> {
  const p = paths(ctx);
  if (isInstalled(p)) return;
  const pom = join(ctx.root, 'stack', 'kafka', 'pom.xml');
  rmSync(p.versionDir, { recursive: true, force: true });
  mkdirSync(p.libs, { recursive: true });
  const args = [
    '-q',
    '-B',
    '-f',
    pom,
    'dependency:copy-dependencies',
    `-DoutputDirectory=${p.libs}`,
    '-DincludeScope=runtime',
    `-Dkafka.version=${KAFKA_VERSION}`,
  ];
  const started = Date.now();
  ctx.log.info(`kafka: fetching Apache Kafka ${KAFKA_VERSION} jars with Maven into ${p.libs}`);
  try {
    // Offline first: with a warm ~/.m2 this needs no network at all.
    await exec('mvn', ['-o', ...args], { cwd: p.versionDir, maxBuffer: 16 * 1024 * 1024 });
  } catch {
    try {
      await exec('mvn', args, { cwd: p.versionDir, maxBuffer: 16 * 1024 * 1024 });
    } catch (err) {
      throw new Error(`kafka: mvn could not fetch the Kafka ${KAFKA_VERSION} jars (is Maven installed? ${pom}):\n${outputOf(err)}`, {
        cause: err,
      });
    }
  }
  const jars = readdirSync(p.libs).filter((f) => f.endsWith('.jar'));
  if (!jars.includes(`kafka_2.13-${KAFKA_VERSION}.jar`)) {
    throw new Error(`kafka: mvn finished but kafka_2.13-${KAFKA_VERSION}.jar is not in ${p.libs}`);
  }
  // The marker goes last: a half-finished copy has none and is redone.
  writeFileSync(p.marker, `${JSON.stringify({ version: KAFKA_VERSION, jars: jars.length, at: new Date().toISOString() }, null, 2)}\n`);
  ctx.log.info(`kafka: ${jars.length} jars in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function format(ctx: StackContext, p: Paths, creds: Credentials): Promise<void> {
  rmSync(p.data, { recursive: true, force: true });
  const args = [
    '-Xmx256m',
    '-XX:+UseSerialGC',
    `-Dlog4j2.configurationFile=${p.log4j}`,
    `-Dkafka.logs.dir=${p.logs}`,
    '-cp',
    classpath(p),
    'kafka.tools.StorageTool',
    'format',
    '-t',
    randomClusterId(),
    '-c',
    p.serverProperties,
  ];
  for (const mechanism of KAFKA_SASL_MECHANISMS) {
    args.push('--add-scram', `${mechanism}=[name=${creds.username},password=${creds.password}]`);
  }
  try {
    await exec(javaBin(), args, { cwd: p.dir, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    rmSync(p.data, { recursive: true, force: true });
    throw new Error(`kafka: formatting the KRaft storage failed:\n${outputOf(err)}`, { cause: err });
  }
  ctx.log.info(`kafka: formatted ${p.data} with SCRAM user ${creds.username}`);
}

interface LogMarks {
  server: number;
  process: number;
}

function failure(ctx: StackContext, p: Paths, marks: LogMarks, headline: string): Error {
  return new Error(
    // server.log has everything at INFO+; the process log adds what the JVM itself printed (no main class, OOM).
    `${headline}\n${excerpt(join(p.logs, 'server.log'), marks.server, 8, true)}\n` +
      `${excerpt(ctx.procs.logFile(PROCESS), marks.process, 12, false)}`,
  );
}

async function waitHealthy(ctx: StackContext, p: Paths, creds: Credentials, marks: LogMarks): Promise<void> {
  const deadline = Date.now() + START_DEADLINE_MS;
  let problem: string | undefined = 'not probed';
  let credentialsChecked = false;
  while (Date.now() < deadline) {
    const r = await probeListeners(ctx, creds, 2_000);
    problem = r.problem;
    if (problem === undefined) return;
    if (!ctx.procs.isRunning(PROCESS)) {
      throw failure(ctx, p, marks, `kafka: the broker exited during start-up (${problem})`);
    }
    if (r.saslRefused && !credentialsChecked) {
      credentialsChecked = true;
      const restored = await restoreScramCredentials(ctx, creds);
      if (restored.length > 0) {
        ctx.log.warn(
          `kafka: the broker came back without ${creds.username}'s ${restored.join(' and ')} credential ` +
            `(Apache Kafka's SCRAM replay bug after another user's credential was removed); set it again from ${p.credentials}`,
        );
        continue;
      }
      problem += ` (the broker has ${creds.username}'s SCRAM credentials but refuses the password in ${p.credentials}: ` +
        `if that file was replaced, run npm run stack -- down kafka and remove ${p.data} to format afresh)`;
    }
    await sleep(250);
  }
  throw failure(ctx, p, marks, `kafka: not healthy after ${START_DEADLINE_MS / 1000} s: ${problem}`);
}

/** Resolves when nothing listens on 127.0.0.1:port. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

async function start(ctx: StackContext): Promise<void> {
  const p = paths(ctx);
  await install(ctx);
  mkdirSync(p.logs, { recursive: true });

  if (ctx.procs.isRunning(PROCESS)) {
    const creds = readCredentials(p);
    if (creds) {
      if ((await probe(ctx, creds)) === undefined) return;
      ctx.log.info('kafka: broker process is running but not answering yet; waiting');
      try {
        await waitHealthy(ctx, p, creds, { server: fileSize(join(p.logs, 'server.log')), process: fileSize(ctx.procs.logFile(PROCESS)) });
      } catch (err) {
        throw new Error(`${(err as Error).message}\nA broker this command did not start is running but unhealthy: stop it with npm run stack -- down kafka, then start it again.`, { cause: err });
      }
      return;
    }
    throw new Error(`kafka: a broker process is running but ${p.credentials} is missing; stop it first`);
  }

  const { creds, created } = loadOrCreateCredentials(p);
  writeFileSync(p.serverProperties, serverProperties(ctx, p, creds.username));
  writeFileSync(p.log4j, log4jConfig());
  writeFileSync(p.clientConfig, clientProperties(creds), { mode: 0o600 });
  chmodSync(p.clientConfig, 0o600);

  const formatted = existsSync(join(p.data, 'meta.properties'));
  if (!formatted || created) {
    // New credentials cannot match SCRAM users stored in old data: format afresh.
    if (formatted) ctx.log.warn(`kafka: ${p.credentials} was missing; wiping ${p.data} and formatting again`);
    await format(ctx, p, creds);
  }

  const { kafkaPlaintext, kafkaSasl, kafkaController, kafkaNode } = ctx.ports;
  for (const port of [kafkaPlaintext, kafkaSasl, kafkaController, kafkaNode]) {
    if (!(await portFree(port))) {
      throw new Error(`kafka: 127.0.0.1:${port} is already in use by another process (ports: ${kafkaPlaintext}, ${kafkaSasl}, ${kafkaController}, ${kafkaNode})`);
    }
  }

  const marks: LogMarks = { server: fileSize(join(p.logs, 'server.log')), process: fileSize(ctx.procs.logFile(PROCESS)) };
  const started = Date.now();
  await ctx.procs.spawn(
    PROCESS,
    javaBin(),
    [
      ...JVM_ARGS,
      `-Dkafka.logs.dir=${p.logs}`,
      `-Dlog4j2.configurationFile=${p.log4j}`,
      '-cp',
      classpath(p),
      'kafka.Kafka',
      p.serverProperties,
    ],
    { cwd: p.dir },
  );
  try {
    await waitHealthy(ctx, p, creds, marks);
  } catch (err) {
    // A failed start leaves nothing half-up: the next `up` starts afresh instead of waiting on this broker.
    await ctx.procs.stop(PROCESS, 30_000);
    throw err;
  }
  ctx.log.info(
    `kafka: ${KAFKA_VERSION} healthy in ${((Date.now() - started) / 1000).toFixed(1)} s on ` +
      `127.0.0.1:${ctx.ports.kafkaPlaintext} (PLAINTEXT) and 127.0.0.1:${ctx.ports.kafkaSasl} (SASL SCRAM)`,
  );
}

async function status(ctx: StackContext): Promise<ComponentStatus> {
  const p = paths(ctx);
  const creds = readCredentials(p);
  const endpoints = {
    plaintext: `127.0.0.1:${ctx.ports.kafkaPlaintext}`,
    sasl: `127.0.0.1:${ctx.ports.kafkaSasl}`,
    /** The same SASL user, for pods on the real node (through the node's forwarder). */
    saslFromPods: `${nodeNetwork.hostIp}:${ctx.ports.kafkaNode}`,
  };
  const details: Record<string, unknown> = {
    version: KAFKA_VERSION,
    saslMechanism: 'SCRAM-SHA-256',
    saslMechanisms: [...KAFKA_SASL_MECHANISMS],
    authorizer: 'StandardAuthorizer (allow.everyone.if.no.acl.found=true)',
    superUsers: ['User:ANONYMOUS', `User:${creds?.username ?? KAFKA_USERNAME}`],
    username: creds?.username ?? KAFKA_USERNAME,
    password: creds?.password,
    classpath: classpath(p),
    clientConfig: p.clientConfig,
    serverLog: join(p.logs, 'server.log'),
  };
  let problem: string | undefined;
  if (!isInstalled(p)) problem = `not installed (${p.marker} missing)`;
  else if (!ctx.procs.isRunning(PROCESS)) problem = 'not running';
  else problem = await probe(ctx, creds);
  return problem === undefined ? { healthy: true, endpoints, details } : { healthy: false, endpoints, details, problem };
}

export const kafka: Component = {
  name: 'kafka',
  install,
  start,
  status,
  processes: () => [PROCESS],
};
