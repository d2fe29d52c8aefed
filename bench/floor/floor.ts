/**
 * The `topics` benchmark's floor: Kafka's own Java AdminClient (TopicsFloor.java beside this file) creating
 * N topics in one createTopics call and waiting until every partition has a leader. Compiled with the
 * machine's javac against the stack's Kafka jars (the kafka component's `classpath`), into
 * <stack cache>/bench-floor/<digest of the source and the classpath>, once; run with the stack's SASL client
 * config file (only its path is passed: the password never appears on a command line).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheDir } from '../../stack/src/config.js';
import { component, stack } from '../../test/support/stack.js';

const exec = promisify(execFile);
const SOURCE = join(import.meta.dirname, 'TopicsFloor.java');
const MAIN_CLASS = 'TopicsFloor';

/** What TopicsFloor prints (milliseconds), plus the JVM's whole run as seen from here. */
export interface FloorRun {
  n: number;
  connect_ms: number;
  create_ms: number;
  leaders_ms: number;
  elapsed_ms: number;
  polls: number;
  process_ms: number;
}

export interface FloorOptions {
  prefix: string;
  count: number;
  /** -1: the broker's default, as the action sends when the file sets none. */
  partitions: number;
  replicationFactor: number;
  configs: Record<string, string>;
  timeoutMs: number;
}

const jdkTool = (name: 'java' | 'javac'): string => (process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', name) : name);

function kafkaClasspath(): string {
  const classpath = String(component('kafka').details?.classpath ?? '');
  if (!classpath) throw new Error('stack status has no kafka classpath: run npm run stack -- up kafka');
  return classpath;
}

/** Compiles TopicsFloor.java unless this source was compiled against this classpath before; returns the classes folder. */
export async function compileFloor(): Promise<string> {
  const classpath = kafkaClasspath();
  const digest = createHash('sha256').update(readFileSync(SOURCE)).update('\0').update(classpath).digest('hex').slice(0, 16);
  const dir = join(cacheDir(), 'bench-floor', digest);
  if (existsSync(join(dir, `${MAIN_CLASS}.class`))) return dir;
  const staging = `${dir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    await exec(jdkTool('javac'), ['--release', '17', '-nowarn', '-cp', classpath, '-d', staging, SOURCE], { maxBuffer: 8 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`compiling ${SOURCE} with ${jdkTool('javac')} (Java 17 or later, set JAVA_HOME to choose one) failed: ${e.stderr || e.message}`, { cause: err });
  }
  // Client logs at ERROR only, to stderr: stdout is the one JSON line.
  writeFileSync(
    join(staging, 'log4j2.xml'),
    '<?xml version="1.0" encoding="UTF-8"?>\n<Configuration status="OFF"><Appenders><Console name="err" target="SYSTEM_ERR"><PatternLayout pattern="%p %m%n"/></Console></Appenders>' +
      '<Loggers><Root level="ERROR"><AppenderRef ref="err"/></Root></Loggers></Configuration>\n',
  );
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  return dir;
}

/** Runs the floor once against the stack's SCRAM listener; throws unless every topic got its leaders. */
export async function runFloor(classes: string, o: FloorOptions): Promise<FloorRun> {
  const clientConfig = String(component('kafka').details?.clientConfig ?? '');
  if (!clientConfig) throw new Error('stack status has no kafka clientConfig: run npm run stack -- up kafka');
  const args = [
    '-Xmx256m',
    '-XX:+UseSerialGC',
    `-Dlog4j2.configurationFile=${join(classes, 'log4j2.xml')}`,
    '-cp',
    `${classes}:${kafkaClasspath()}`,
    MAIN_CLASS,
    '--bootstrap', stack.kafka().sasl,
    '--client-config', clientConfig,
    '--prefix', o.prefix,
    '--count', String(o.count),
    '--partitions', String(o.partitions),
    '--replication-factor', String(o.replicationFactor),
    '--timeout-ms', String(o.timeoutMs),
    ...Object.entries(o.configs).flatMap(([k, v]) => ['--config', `${k}=${v}`]),
  ];
  const t0 = performance.now();
  let stdout: string;
  try {
    ({ stdout } = await exec(jdkTool('java'), args, { timeout: o.timeoutMs + 60_000, maxBuffer: 8 * 1024 * 1024 }));
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`the floor (${MAIN_CLASS}, ${o.count} topics ${o.prefix}*) failed: ${(e.stderr || e.message).slice(-2000)}`, { cause: err });
  }
  const process_ms = performance.now() - t0;
  const line = stdout.trim().split('\n').pop() ?? '';
  let parsed: Omit<FloorRun, 'process_ms'>;
  try {
    parsed = JSON.parse(line) as Omit<FloorRun, 'process_ms'>;
  } catch (err) {
    throw new Error(`the floor printed no JSON line: ${stdout.slice(-500)}`, { cause: err });
  }
  if (parsed.n !== o.count || !(parsed.elapsed_ms > 0)) throw new Error(`the floor reports ${line}, expected ${o.count} topics`);
  return { ...parsed, process_ms: Math.round(process_ms) };
}
