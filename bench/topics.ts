/**
 * topics: redpanda-topics at scale, against the stack's Kafka on its SCRAM listener, driving the built
 * bundle as a runner does (process start and all).
 *   apply_s        1,000 declared topics, none existing: read, plan, broker validation, create, and the
 *                  wait until the brokers serve every new topic (what a deploy pipeline waits for)
 *   noop_plan_s    the same file again, nothing to do
 *   baseline_s     Kafka's own CLI (kafka-topics --create --if-not-exists, from the broker's jars), one
 *                  JVM per topic, one after the other, on 100 topics
 *   ours_same_n_s  our apply of 100 other, identical topics
 *   ratio          baseline_s / ours_same_n_s
 * Topics have 1 partition and a retention.ms override, for us and the baseline alike; each run uses
 * fresh name prefixes (the file's managed scope) and deletes its topics at the end.
 * Goals: apply_s < 10, noop_plan_s < 2, ratio >= 20.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runActionBundle, type ActionRun } from '../test/support/action-harness.js';
import { createTopicWithCli, listTopics } from '../test/support/kafka-cli.js';
import { stack } from '../test/support/stack.js';
import { deleteTopics } from '../test/integration/redpanda-topics/helpers.js';
import type { BenchOutcome } from './run.js';

const N = 1000;
const BASELINE_N = 100;
const RETENTION = '604800000';
const GOALS = { apply_s: 10, noop_plan_s: 2, ratio: 20 };

function topicsFile(dir: string, name: string, prefix: string, n: number): string {
  const lines = ['apiVersion: redpanda-topics/v1', 'defaults:', '  partitions: 1', '  configs:', `    retention.ms: ${RETENTION}`, 'policy:', `  managedPrefixes: [${prefix}]`, 'topics:'];
  for (let i = 0; i < n; i++) lines.push(`  - name: ${prefix}${String(i).padStart(4, '0')}`);
  writeFileSync(join(dir, name), `${lines.join('\n')}\n`);
  return name;
}

async function timed(label: string, fn: () => Promise<ActionRun>, check: (r: ActionRun) => boolean): Promise<number> {
  const t0 = performance.now();
  const r = await fn();
  const s = (performance.now() - t0) / 1000;
  if (r.code !== 0 || !check(r)) throw new Error(`${label}: unexpected result (exit ${r.code}, outputs ${JSON.stringify({ ...r.outputs, plan: undefined })}):\n${r.stdout.slice(-2000)}`);
  console.error(`${label}: ${s.toFixed(2)} s`);
  return s;
}

export async function run(): Promise<BenchOutcome> {
  const k = stack.kafka();
  const id = randomUUID().slice(0, 6);
  const [big, ours, cli] = [`bench-${id}-n-`, `bench-${id}-o-`, `bench-${id}-c-`];
  const dir = mkdtempSync(join(tmpdir(), 'bench-topics-'));
  const inputs = { brokers: k.sasl, 'sasl-mechanism': 'scram-sha-256', username: k.username, password: k.password, tls: 'false', timeout: '120s' };
  const action = (file: string, mode: 'plan' | 'apply') => runActionBundle('redpanda-topics', 'main', { ...inputs, file, mode }, { env: { GITHUB_WORKSPACE: dir } });
  const bigFile = topicsFile(dir, 'big.yaml', big, N);
  const oursFile = topicsFile(dir, 'ours.yaml', ours, BASELINE_N);

  try {
    const apply_s = await timed(`apply ${N} topics`, () => action(bigFile, 'apply'), (r) => r.outputs.creates === String(N) && r.outputs.changed === 'true');
    const noop_plan_s = await timed(`no-op plan of ${N} topics`, () => action(bigFile, 'plan'), (r) => r.outputs['has-changes'] === 'false');
    const ours_same_n_s = await timed(`apply ${BASELINE_N} topics`, () => action(oursFile, 'apply'), (r) => r.outputs.creates === String(BASELINE_N));

    const t0 = performance.now();
    for (let i = 0; i < BASELINE_N; i++) await createTopicWithCli(`${cli}${String(i).padStart(4, '0')}`, 1, { 'retention.ms': RETENTION });
    const baseline_s = (performance.now() - t0) / 1000;
    console.error(`kafka-topics --create, ${BASELINE_N} JVMs one after the other: ${baseline_s.toFixed(2)} s`);
    const made = (await listTopics()).filter((t) => t.startsWith(cli)).length;
    if (made !== BASELINE_N) throw new Error(`the baseline created ${made} of ${BASELINE_N} topics`);

    const ratio = baseline_s / ours_same_n_s;
    const r2 = (x: number): number => Math.round(x * 100) / 100;
    const result = { n: N, apply_s: r2(apply_s), noop_plan_s: r2(noop_plan_s), baseline_n: BASELINE_N, baseline_s: r2(baseline_s), ours_same_n_s: r2(ours_same_n_s), ratio: Math.round(ratio * 10) / 10 };
    const ok = apply_s < GOALS.apply_s && noop_plan_s < GOALS.noop_plan_s && ratio >= GOALS.ratio;
    return {
      result,
      summary: `apply ${N} topics ${result.apply_s} s (goal < ${GOALS.apply_s}), no-op plan ${result.noop_plan_s} s (goal < ${GOALS.noop_plan_s}), ${BASELINE_N} topics: kafka-topics one by one ${result.baseline_s} s vs ours ${result.ours_same_n_s} s, ratio ${result.ratio} (goal >= ${GOALS.ratio})`,
      ok,
    };
  } finally {
    for (const prefix of [big, ours, cli]) await deleteTopics(prefix).catch((err: Error) => console.error(`clean-up of ${prefix}*: ${err.message}`));
  }
}
