import { formatLocation } from '../../core/errors.js';
import { SummaryBuilder, type Cell } from '../../core/summary.js';
import { countByKind, type Change, type ChangeOutcome, type Drift, type Plan, type PlanError } from './model.js';

/**
 * How a plan and its outcome are shown: log lines, the job summary (plan table, problems, drift,
 * timings), the JSON of the `plan` output and file, and the typed outputs. Pure functions.
 */
export interface TopicsReport {
  mode: 'plan' | 'apply';
  file: string;
  brokers: string;
  declared: number;
  plan: Plan;
  /** Apply mode, once apply ran: one per plan change, in plan order. */
  outcomes?: ChangeOutcome[];
  /** Set when drift made the step fail (fail-on-drift). */
  driftFailure?: boolean;
  planFile?: string;
  /** Created or grown topics the brokers did not serve in time. */
  notReady?: string[];
}

const SYMBOL: Record<Change['kind'], string> = { create: '+', 'add-partitions': '~', 'set-config': '~', 'remove-config': '-', delete: '!' };
const LABEL: Record<Change['kind'], string> = { create: 'create', 'add-partitions': 'add partitions', 'set-config': 'set config', 'remove-config': 'remove config', delete: 'delete' };
const MAX_ROWS = 300;

const shown = (v: string | null | undefined): string => (v === null || v === undefined ? '(unset)' : v);

export function detailOf(c: Change): string {
  switch (c.kind) {
    case 'create': {
      const parts = [c.partitions === undefined ? 'default partitions' : `${c.partitions} partition${c.partitions === 1 ? '' : 's'}`, `replication factor ${c.replicationFactor ?? 'default'}`, ...Object.entries(c.configs).map(([k, v]) => `${k}=${v}`)];
      return parts.join(', ');
    }
    case 'add-partitions':
      return `${c.from} -> ${c.to}`;
    case 'set-config':
      return `${c.key}: ${shown(c.from)} -> ${c.to}`;
    case 'remove-config':
      return `${c.key} (was ${shown(c.from)}; the broker default applies)`;
    case 'delete':
      return `${c.partitions} partition${c.partitions === 1 ? '' : 's'}; its data is lost`;
  }
}

export function changeLine(c: Change): string {
  return `${SYMBOL[c.kind]} ${LABEL[c.kind]} ${c.topic}: ${detailOf(c)}`;
}

export function errorLine(e: PlanError, file: string): string {
  const where = e.at ? `${formatLocation({ file, ...e.at })}: ` : '';
  return `${where}${e.topic}: ${e.problem}. Fix: ${e.fix}`;
}

export function driftLine(d: Drift): string {
  return d.kind === 'undeclared-topic' ? `topic ${d.topic} exists but is not declared` : `topic ${d.topic} has an undeclared override ${d.key}=${shown(d.value)}`;
}

/** The plan as log lines, terraform style: `+ create`, `~ set config`, `- remove config`, `! delete`. */
export function planLines(plan: Plan): string[] {
  if (!plan.changes.length) return ['No changes: the cluster matches the file.'];
  return plan.changes.map(changeLine);
}

export function headline(r: TopicsReport): string {
  const n = r.plan.changes.length;
  const s = n === 1 ? '' : 's';
  if (r.plan.errors.length) return `${r.plan.errors.length} problem${r.plan.errors.length === 1 ? '' : 's'} in the plan; nothing was changed`;
  if (r.driftFailure) return `drift found (fail-on-drift); nothing was changed`;
  if (!n) return 'no changes';
  if (r.mode === 'plan' || !r.outcomes) return `plan: ${n} change${s}`;
  const applied = r.outcomes.filter((o) => o.status === 'applied').length;
  if (applied !== n) return `applied ${applied} of ${n} changes; the rest failed or were not attempted`;
  return r.notReady?.length ? `applied ${n} change${s}, but ${r.notReady.length} topic(s) are not served yet` : `applied ${n} change${s}`;
}

export function renderSummary(r: TopicsReport, timings: Array<{ name: string; ms: number; ok: boolean }>): SummaryBuilder {
  const counts = countByKind(r.plan.changes);
  const b = new SummaryBuilder().heading(`Kafka topics: ${headline(r)}`);
  b.paragraph(
    `\`${r.file}\` on ${r.brokers} (${r.mode} mode): ${r.declared} declared topic(s), ${r.plan.inSync.length} in sync; ` +
      `${counts.create} to create, ${counts['add-partitions']} to grow, ${counts['set-config']} config(s) to set, ${counts['remove-config']} to remove, ${counts.delete} to delete; ${r.plan.drift.length} drift item(s).`,
  );
  if (r.plan.changes.length) {
    const status = (i: number): Cell => r.outcomes?.[i]?.status ?? (r.plan.errors.length || r.driftFailure ? 'not applied' : r.mode === 'plan' ? 'planned' : 'not applied');
    const withErrors = (r.outcomes ?? []).some((o) => o.error);
    const rows: Cell[][] = r.plan.changes.slice(0, MAX_ROWS).map((c, i) => [c.topic, LABEL[c.kind], detailOf(c), status(i), ...(withErrors ? [r.outcomes?.[i]?.error] : [])]);
    b.table(['Topic', 'Change', 'Details', 'Status', ...(withErrors ? ['Error'] : [])], rows);
    if (r.plan.changes.length > MAX_ROWS) b.paragraph(`... and ${r.plan.changes.length - MAX_ROWS} more: see the \`plan\` output${r.planFile ? ' or the plan file' : ''}.`);
  }
  if (r.plan.errors.length) {
    b.heading('Problems (fix these; nothing was changed)', 3).list(r.plan.errors.slice(0, MAX_ROWS).map((e) => errorLine(e, r.file)));
    if (r.plan.errors.length > MAX_ROWS) b.paragraph(`... and ${r.plan.errors.length - MAX_ROWS} more: see the \`plan\` output.`);
  }
  if (r.plan.drift.length) {
    b.heading('Drift (reported, never touched)', 3);
    b.table(['Topic', 'Drift', 'Details'], r.plan.drift.slice(0, MAX_ROWS).map((d) => [d.topic, d.kind === 'undeclared-topic' ? 'undeclared topic' : 'undeclared override', d.key ? `${d.key}=${shown(d.value)}` : '']));
  }
  return b.timings(timings);
}

/** The `plan` output and plan file: everything a later step or a reviewer needs, as data. */
export function planJson(r: TopicsReport): Record<string, unknown> {
  return {
    apiVersion: 'redpanda-topics/v1',
    mode: r.mode,
    file: r.file,
    changed: changedOf(r),
    counts: countByKind(r.plan.changes),
    changes: r.plan.changes.map((c, i) => ({ ...c, status: r.outcomes?.[i]?.status ?? 'planned', ...(r.outcomes?.[i]?.error ? { error: r.outcomes[i]!.error } : {}) })),
    errors: r.plan.errors.map((e) => ({ ...e, ...(e.at ? { at: { file: r.file, ...e.at } } : {}) })),
    drift: r.plan.drift,
    inSync: r.plan.inSync.length,
  };
}

export function changedOf(r: TopicsReport): boolean {
  return (r.outcomes ?? []).some((o) => o.status === 'applied' || o.status === 'unknown');
}

export interface TopicsOutputs {
  changed: boolean;
  'has-changes': boolean;
  creates: number;
  'partition-increases': number;
  'config-updates': number;
  'config-removals': number;
  deletes: number;
  drift: number;
  errors: number;
  plan: Record<string, unknown>;
  'plan-file': string | undefined;
}

/** GitHub caps one output at 1 MB: a larger plan is given as its counts, and in full in the plan file. */
const MAX_PLAN_OUTPUT = 900_000;

export function planOutput(r: TopicsReport): Record<string, unknown> {
  const full = planJson(r);
  if (JSON.stringify(full).length <= MAX_PLAN_OUTPUT) return full;
  return { apiVersion: full.apiVersion, mode: full.mode, file: full.file, changed: full.changed, counts: full.counts, inSync: full.inSync, truncated: `the plan is too large for an output; it is in full in ${r.planFile ?? 'the plan file'}` };
}

export function outputsOf(r: TopicsReport): TopicsOutputs {
  const c = countByKind(r.plan.changes);
  return {
    changed: changedOf(r),
    'has-changes': r.plan.changes.length > 0,
    creates: c.create,
    'partition-increases': c['add-partitions'],
    'config-updates': c['set-config'],
    'config-removals': c['remove-config'],
    deletes: c.delete,
    drift: r.plan.drift.length,
    errors: r.plan.errors.length,
    plan: planOutput(r),
    'plan-file': r.planFile,
  };
}
