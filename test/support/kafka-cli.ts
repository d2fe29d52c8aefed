import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { component, stack } from './stack.js';

/**
 * Kafka's own command-line tools (TopicCommand = kafka-topics, ConfigCommand = kafka-configs), run from
 * the stack's broker jars with the stack's SASL client config: an independent check of what our code
 * did, and the baseline the `topics` benchmark compares against. Endpoints, classpath and client
 * config come from the stack status (test/support/stack.ts), never hard-coded.
 */
export const TOPIC_COMMAND = 'org.apache.kafka.tools.TopicCommand';
export const CONFIG_COMMAND = 'kafka.admin.ConfigCommand';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

let quietLog4j: string | undefined;

/** A log4j2 config that keeps the tools' stdout to their answer (errors go to stderr). */
function log4jConfig(): string {
  if (!quietLog4j) {
    quietLog4j = join(mkdtempSync(join(tmpdir(), 'kafka-cli-')), 'log4j2.xml');
    writeFileSync(
      quietLog4j,
      '<?xml version="1.0" encoding="UTF-8"?>\n<Configuration status="OFF"><Appenders><Console name="err" target="SYSTEM_ERR"><PatternLayout pattern="%p %m%n"/></Console></Appenders>' +
        '<Loggers><Root level="ERROR"><AppenderRef ref="err"/></Root></Loggers></Configuration>\n',
    );
  }
  return quietLog4j;
}

function java(): string {
  return process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

/** Runs one Kafka tool main class with the broker's classpath (a small, fast-starting JVM). */
export function kafkaCli(mainClass: string, args: readonly string[], timeoutMs = 120_000): Promise<CliResult> {
  const details = component('kafka').details ?? {};
  const classpath = String(details.classpath ?? '');
  if (!classpath) throw new Error('stack status has no kafka classpath: run npm run stack -- up kafka');
  const jvm = ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Xshare:auto', `-Dlog4j2.configurationFile=${log4jConfig()}`, '-cp', classpath, mainClass];
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    execFile(java(), [...jvm, ...args], { timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      if (err && code === -1) reject(err);
      else resolve({ code, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

/** The SASL listener and its ready-made client config, for --bootstrap-server/--command-config. */
export function saslArgs(): string[] {
  const clientConfig = String(component('kafka').details?.clientConfig ?? '');
  if (!clientConfig) throw new Error('stack status has no kafka clientConfig: run npm run stack -- up kafka');
  return ['--bootstrap-server', stack.kafka().sasl, '--command-config', clientConfig];
}

async function ok(mainClass: string, args: string[]): Promise<string> {
  const r = await kafkaCli(mainClass, [...saslArgs(), ...args]);
  if (r.code !== 0) throw new Error(`${mainClass} ${args.join(' ')} exited ${r.code}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

export interface CliTopic {
  partitions: number;
  replicationFactor: number;
}

/** kafka-topics --describe, parsed: undefined when the topic does not exist. */
export async function describeTopic(name: string): Promise<CliTopic | undefined> {
  const r = await kafkaCli(TOPIC_COMMAND, [...saslArgs(), '--describe', '--topic', name]);
  if (r.code !== 0) {
    if (/does not exist|UnknownTopicOrPartition/i.test(r.stderr + r.stdout)) return undefined;
    throw new Error(`kafka-topics --describe ${name} exited ${r.code}: ${r.stderr}`);
  }
  const m = /PartitionCount:\s*(\d+)\s+ReplicationFactor:\s*(\d+)/.exec(r.stdout);
  if (!m) throw new Error(`cannot parse kafka-topics --describe output: ${r.stdout}`);
  return { partitions: Number(m[1]), replicationFactor: Number(m[2]) };
}

/** kafka-topics --list. */
export async function listTopics(): Promise<string[]> {
  return (await ok(TOPIC_COMMAND, ['--list'])).split('\n').map((l) => l.trim()).filter(Boolean);
}

/** kafka-configs --describe: the topic's dynamic (topic-level) configs, exactly what is overridden. */
export async function topicOverrides(name: string): Promise<Record<string, string>> {
  const out = await ok(CONFIG_COMMAND, ['--entity-type', 'topics', '--entity-name', name, '--describe']);
  const configs: Record<string, string> = {};
  for (const m of out.matchAll(/^\s+([a-z0-9._-]+)=(.*?) sensitive=/gm)) configs[m[1]!] = m[2]!;
  return configs;
}

/** kafka-configs --alter --add-config: an out-of-band change, as an operator would make it. */
export async function addTopicConfig(name: string, config: Record<string, string>): Promise<void> {
  await ok(CONFIG_COMMAND, ['--entity-type', 'topics', '--entity-name', name, '--alter', '--add-config', Object.entries(config).map(([k, v]) => `${k}=${v}`).join(',')]);
}

/** kafka-topics --create --if-not-exists, one topic per JVM (the benchmark's baseline). */
export async function createTopicWithCli(name: string, partitions: number, config: Record<string, string> = {}): Promise<CliResult> {
  const args = [...saslArgs(), '--create', '--if-not-exists', '--topic', name, '--partitions', String(partitions), ...Object.entries(config).flatMap(([k, v]) => ['--config', `${k}=${v}`])];
  const r = await kafkaCli(TOPIC_COMMAND, args);
  if (r.code !== 0) throw new Error(`kafka-topics --create ${name} exited ${r.code}: ${r.stderr}`);
  return r;
}
