import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { BatchError, type ItemResult, type TopicAdmin } from '../../kafka/topic-admin.js';
import { alterationsOf, newTopicOf } from './broker-check.js';
import type { Change, ChangeOutcome } from './model.js';

/**
 * Applies a validated plan in four batched steps: create topics, add partitions, alter configs
 * (incrementally), delete topics. Each step is one request per batch, whatever the number of topics.
 * A failure stops the apply before its next step; every change ends applied, failed, unknown (its
 * request got no answer) or not attempted, so the report says exactly what happened.
 */
interface Step {
  name: string;
  changes: Change[];
  send: (admin: TopicAdmin) => Promise<ItemResult[]>;
}

function stepsOf(changes: readonly Change[]): Step[] {
  const of = <K extends Change['kind']>(...kinds: K[]): Array<Extract<Change, { kind: K }>> => changes.filter((c): c is Extract<Change, { kind: K }> => (kinds as string[]).includes(c.kind));
  const creates = of('create');
  const partitions = of('add-partitions');
  const configs = of('set-config', 'remove-config');
  const deletes = of('delete');
  const steps: Step[] = [
    { name: 'create topics', changes: creates, send: (a) => a.createTopics(creates.map(newTopicOf), false) },
    { name: 'add partitions', changes: partitions, send: (a) => a.createPartitions(partitions.map((c) => ({ name: c.topic, count: c.to })), false) },
    { name: 'alter configs', changes: configs, send: (a) => a.alterConfigs(alterationsOf(configs), false) },
    { name: 'delete topics', changes: deletes, send: (a) => a.deleteTopics(deletes.map((c) => c.topic)) },
  ];
  return steps.filter((s) => s.changes.length > 0);
}

/** Maps per-topic results onto the step's changes (all of a topic's changes in a step share its result). */
export function outcomesOf(changes: readonly Change[], results: readonly ItemResult[], inFlight: readonly string[] = [], failure?: string): ChangeOutcome[] {
  const byTopic = new Map(results.map((r) => [r.name, r]));
  const unknown = new Set(inFlight);
  return changes.map((change) => {
    const r = byTopic.get(change.topic);
    if (r) return r.error ? { change, status: 'failed', error: r.error } : { change, status: 'applied' };
    if (unknown.has(change.topic)) return { change, status: 'unknown', error: failure ?? 'no answer from the broker' };
    return { change, status: failure ? 'not-attempted' : 'unknown', ...(failure ? {} : { error: 'the broker did not report on this topic' }) };
  });
}

export async function applyPlan(admin: TopicAdmin, changes: readonly Change[], log: Logger): Promise<ChangeOutcome[]> {
  const outcomes: ChangeOutcome[] = [];
  let stopped = false;
  for (const step of stepsOf(changes)) {
    if (stopped) {
      outcomes.push(...step.changes.map((change): ChangeOutcome => ({ change, status: 'not-attempted' })));
      continue;
    }
    const t0 = performance.now();
    let stepOutcomes: ChangeOutcome[];
    try {
      stepOutcomes = outcomesOf(step.changes, await step.send(admin));
    } catch (err) {
      const done = err instanceof BatchError ? err.done : [];
      const inFlight = err instanceof BatchError ? err.inFlight : step.changes.map((c) => c.topic);
      stepOutcomes = outcomesOf(step.changes, done, inFlight, errorMessage(err instanceof BatchError ? err.cause : err));
    }
    outcomes.push(...stepOutcomes);
    const failed = stepOutcomes.filter((o) => o.status !== 'applied');
    log.info(`${step.name}: ${stepOutcomes.length - failed.length} of ${stepOutcomes.length} change(s) applied in ${Math.round(performance.now() - t0)} ms`);
    for (const f of failed) log.error(`${f.change.topic}: ${step.name} ${f.status}${f.error ? `: ${f.error}` : ''}`);
    if (failed.length) stopped = true;
  }
  // Back into plan order for the report.
  const byChange = new Map(outcomes.map((o) => [o.change, o]));
  return changes.map((change) => byChange.get(change) ?? { change, status: 'not-attempted' });
}
