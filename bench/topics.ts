/**
 * topics: redpanda-topics at scale, against the stack's Kafka on its SCRAM listener, driving the built
 * bundle as a runner does (process start and all), compared with the floor: Kafka's own Java AdminClient.
 *   apply_s         1,000 declared topics, none existing: the action's whole run, from process start to its
 *                   exit (read the file, connect, read the cluster, plan, policy, broker validation, create,
 *                   the wait until every partition of every new topic has a leader, outputs and summary)
 *   noop_plan_s     the same file again, nothing to do
 *   floor_s         bench/floor/TopicsFloor.java: Admin.create, one createTopics call with the same 1,000
 *                   topics (same partitions, replication factor and configs, other names), then describeTopics
 *                   until every partition has a leader; timed inside the JVM (JVM start not counted). Run
 *                   once before and once after the action's apply (fresh names each time); the mean is used.
 *                   Each run starts once the broker has set up the partitions of the run before it (settle())
 *   ratio_vs_floor  apply_s / floor_s
 *   floor_create_to_leaders_s  the floor's createTopics call and leader wait alone (its client already
 *                   connected and warm): what the broker itself takes, for reading the figures above
 *   apply_steps_s   the action's own step timings from its job summary (0.1 s resolution)
 * Topics have 1 partition and a retention.ms override; each run uses fresh name prefixes (the file's managed
 * scope) and deletes its topics at the end.
 * Goals: ratio_vs_floor <= 1.3, noop_plan_s < 1.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stateDir } from '../stack/src/config.js';
import { runActionBundle, type ActionRun } from '../test/support/action-harness.js';
import { stack } from '../test/support/stack.js';
import { deleteTopics } from '../test/integration/redpanda-topics/helpers.js';
import { compileFloor, runFloor, type FloorOptions, type FloorRun } from './floor/floor.js';
import type { BenchOutcome } from './run.js';

const N = 1000;
const PARTITIONS = 1;
const RETENTION = '604800000';
const TIMEOUT_S = 120;
const GOALS = { ratio_vs_floor: 1.3, noop_plan_s: 1 };

function topicsFile(dir: string, name: string, prefix: string, n: number): string {
  const lines = ['apiVersion: redpanda-topics/v1', 'defaults:', `  partitions: ${PARTITIONS}`, '  configs:', `    retention.ms: ${RETENTION}`, 'policy:', `  managedPrefixes: [${prefix}]`, 'topics:'];
  for (let i = 0; i < n; i++) lines.push(`  - name: ${prefix}${String(i).padStart(4, '0')}`);
  writeFileSync(join(dir, name), `${lines.join('\n')}\n`);
  return name;
}

/**
 * A broker lists a new topic's leader as soon as it has the controller's records, then sets up each partition's
 * log (seconds for 1,000), and serves the next CreateTopics' topics only after that: a run right after another
 * would wait for the earlier run's logs. So after each run, wait until the stack's broker has a log directory for
 * every partition it created (the stack's broker is on this machine: its log.dirs is in its server.properties).
 */
async function settle(prefix: string, partitions: number): Promise<number> {
  const props = readFileSync(join(stateDir(), 'kafka', 'server.properties'), 'utf8');
  const logDir = /^log\.dirs=(.+)$/m.exec(props)?.[1]?.split(',')[0];
  if (!logDir) throw new Error('the stack\'s kafka server.properties names no log.dirs');
  const own = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\d+-\\d+$`);
  const t0 = performance.now();
  while (readdirSync(logDir).filter((d) => own.test(d)).length < partitions) {
    if (performance.now() - t0 > 120_000) throw new Error(`the broker has not set up the ${partitions} partition(s) of ${prefix}* after 120 s`);
    await sleep(100);
  }
  await sleep(500);
  return (performance.now() - t0) / 1000;
}

async function timed(label: string, fn: () => Promise<ActionRun>, check: (r: ActionRun) => boolean): Promise<{ s: number; run: ActionRun }> {
  const t0 = performance.now();
  const run = await fn();
  const s = (performance.now() - t0) / 1000;
  if (run.code !== 0 || !check(run)) throw new Error(`${label}: unexpected result (exit ${run.code}, outputs ${JSON.stringify({ ...run.outputs, plan: undefined })}):\n${run.stdout.slice(-2000)}`);
  console.error(`${label}: ${s.toFixed(2)} s`);
  return { s, run };
}

/** The step table of the action's job summary (`| step | ok | 1.2 s |`), in seconds. */
function stepsOf(summary: string): Record<string, number> {
  const steps: Record<string, number> = {};
  for (const m of summary.matchAll(/^\| (.+?) \| (?:ok|failed) \| ([\d.]+) s \|$/gm)) steps[m[1]!] = Number(m[2]);
  return steps;
}

export async function run(): Promise<BenchOutcome> {
  const k = stack.kafka();
  const id = randomUUID().slice(0, 6);
  const [big, floorBefore, floorAfter] = [`bench-${id}-n-`, `bench-${id}-f-`, `bench-${id}-g-`];
  const dir = mkdtempSync(join(tmpdir(), 'bench-topics-'));
  const inputs = { brokers: k.sasl, 'sasl-mechanism': 'scram-sha-256', username: k.username, password: k.password, tls: 'false', timeout: `${TIMEOUT_S}s` };
  const action = (file: string, mode: 'plan' | 'apply') => runActionBundle('redpanda-topics', 'main', { ...inputs, file, mode }, { env: { GITHUB_WORKSPACE: dir } });
  const bigFile = topicsFile(dir, 'big.yaml', big, N);
  // The action sends replicationFactor -1 (the broker's default) when the file sets none: so does the floor.
  const floorOf = (prefix: string): FloorOptions => ({ prefix, count: N, partitions: PARTITIONS, replicationFactor: -1, configs: { 'retention.ms': RETENTION }, timeoutMs: TIMEOUT_S * 1000 });
  const classes = await compileFloor();

  try {
    const floor = async (prefix: string): Promise<FloorRun> => {
      const f = await runFloor(classes, floorOf(prefix));
      console.error(`floor (Java AdminClient, one createTopics of ${N}, until every leader): ${(f.elapsed_ms / 1000).toFixed(2)} s (connect ${f.connect_ms} ms, create ${f.create_ms} ms, leaders ${f.leaders_ms} ms; JVM ${f.process_ms} ms)`);
      return f;
    };
    const settled = async (prefix: string): Promise<void> => console.error(`the broker set up ${prefix}* ${(await settle(prefix, N * PARTITIONS)).toFixed(1)} s after`);
    const before = await floor(floorBefore);
    await settled(floorBefore);
    const apply = await timed(`apply ${N} topics`, () => action(bigFile, 'apply'), (r) => r.outputs.creates === String(N) && r.outputs.changed === 'true');
    await settled(big);
    const noop = await timed(`no-op plan of ${N} topics`, () => action(bigFile, 'plan'), (r) => r.outputs['has-changes'] === 'false');
    const after = await floor(floorAfter);

    const r2 = (x: number): number => Math.round(x * 100) / 100;
    const floor_s = (before.elapsed_ms + after.elapsed_ms) / 2 / 1000;
    const ratio_vs_floor = apply.s / floor_s;
    const result = {
      n: N,
      apply_s: r2(apply.s),
      noop_plan_s: r2(noop.s),
      floor_s: r2(floor_s),
      ratio_vs_floor: r2(ratio_vs_floor),
      floor_create_to_leaders_s: r2((before.create_ms + before.leaders_ms + after.create_ms + after.leaders_ms) / 2 / 1000),
      goals: { ratio_vs_floor: `<= ${GOALS.ratio_vs_floor}`, noop_plan_s: `< ${GOALS.noop_plan_s}` },
      floor_runs: [before, after],
      apply_steps_s: stepsOf(apply.run.summary),
      noop_plan_steps_s: stepsOf(noop.run.summary),
    };
    const ok = ratio_vs_floor <= GOALS.ratio_vs_floor && noop.s < GOALS.noop_plan_s;
    return {
      result,
      summary: `apply ${N} topics ${result.apply_s} s vs the floor (Java AdminClient, one createTopics, until every leader) ${result.floor_s} s: ratio ${result.ratio_vs_floor} (goal <= ${GOALS.ratio_vs_floor}); no-op plan ${result.noop_plan_s} s (goal < ${GOALS.noop_plan_s})`,
      ok,
    };
  } finally {
    for (const prefix of [big, floorBefore, floorAfter]) await deleteTopics(prefix).catch((err: Error) => console.error(`clean-up of ${prefix}*: ${err.message}`));
  }
}
