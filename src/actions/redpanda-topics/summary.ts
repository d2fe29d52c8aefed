import { formatLocation, type ConfigurationProblem } from '../../core/errors.js';
import { clip } from '../../core/inputs.js';
import type { TimingStep } from '../../core/action.js';
import { SummaryBuilder, type Cell } from '../../core/summary.js';
import type { TopicsResult } from './run.js';
import { accessChanged, accessHeadline, accessJson, renderAccess } from './access-render.js';
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
  /** Problems in the inputs or the topics file: nothing was planned, nothing changed. */
  problems?: ConfigurationProblem[];
  /** What stopped the run when something failed (connecting, reading the cluster, applying, waiting), and what to look at next. */
  failure?: { message: string; hint?: string };
  /** Why the wait for created topics did not run or did not finish (the changes themselves were applied). */
  readiness?: string;
}

/** A plan with nothing in it: the report of a run that stopped before planning. */
export const emptyPlan = (): Plan => ({ changes: [], errors: [], drift: [], inSync: [] });

/** The report of a run that stopped on its inputs or its file: every output still has a value. */
export function problemsReport(mode: 'plan' | 'apply', file: string, problems: ConfigurationProblem[]): TopicsReport {
  return { mode, file, brokers: '(not connected)', declared: 0, plan: emptyPlan(), problems };
}

const SYMBOL: Record<Change['kind'], string> = { create: '+', 'add-partitions': '~', 'set-config': '~', 'remove-config': '-', delete: '!' };
const LABEL: Record<Change['kind'], string> = { create: 'create', 'add-partitions': 'add partitions', 'set-config': 'set config', 'remove-config': 'remove config', delete: 'delete' };
const MAX_ROWS = 300;
/** Problems listed one by one in the summary; the rest are counted (all of them are in the log and the plan output). */
const MAX_PROBLEM_ROWS = 100;
/** One cell or line of the summary: a broker message or a config value cannot make it grow without bound. */
const MAX_CELL = 300;
const MAX_LINE = 1000;

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
  return clip(`${where}${e.topic}: ${e.problem}. Fix: ${e.fix}`, MAX_LINE);
}

/** A problem of the inputs or the file as one line, as ConfigurationError writes it: `file:line:col: input: problem. Fix: fix`. */
export function problemLine(p: ConfigurationProblem): string {
  const where = p.location ? `${formatLocation(p.location)}: ` : '';
  return clip(`${where}${p.input}: ${p.problem}. Fix: ${p.fix}`, MAX_LINE);
}

/** The plan's errors as problems (input `topic <name>`, at file:line), so that they are reported like the file's own. */
export function planProblems(r: Pick<TopicsReport, 'plan' | 'file'>): ConfigurationProblem[] {
  return r.plan.errors.map((e) => ({ input: e.subject ?? `topic ${e.topic}`, problem: e.problem, fix: e.fix, ...(e.at ? { location: { file: r.file, ...e.at } } : {}) }));
}

export function driftLine(d: Drift): string {
  return d.kind === 'undeclared-topic' ? `topic ${d.topic} exists but is not declared` : `topic ${d.topic} has an undeclared override ${d.key}=${shown(d.value)}`;
}

/** The plan as log lines, terraform style: `+ create`, `~ set config`, `- remove config`, `! delete`. */
export function planLines(plan: Plan): string[] {
  if (plan.errors.length) {
    const n = plan.errors.length;
    const head = `The plan has ${n} problem${n === 1 ? '' : 's'} (listed below); nothing will be changed until ${n === 1 ? 'it is' : 'they are'} fixed.`;
    return plan.changes.length ? [head, 'Changes it would make once fixed:', ...plan.changes.map(changeLine)] : [head];
  }
  if (!plan.changes.length) return ['No changes: the cluster matches the file.'];
  return plan.changes.map(changeLine);
}

/** The topics' headline, and the access part when the file declares users or ACLs and the run got to them. */
export function headline(r: TopicsReport): string {
  const topics = topicsHeadline(r);
  const stopped = r.problems?.length || r.plan.errors.length || r.driftFailure || (r.failure && !r.outcomes);
  const access = stopped ? '' : accessHeadline(r.plan.access);
  if (!access) return topics;
  return r.plan.changes.length ? `${topics}; ${access}` : access;
}

function topicsHeadline(r: TopicsReport): string {
  const n = r.plan.changes.length;
  const s = n === 1 ? '' : 's';
  if (r.problems?.length) return `invalid input: ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'} in the inputs or the topics file; nothing was changed`;
  if (r.failure && !r.outcomes) return `failed before any change; nothing was changed`;
  if (r.plan.errors.length) return `${r.plan.errors.length} problem${r.plan.errors.length === 1 ? '' : 's'} in the plan; nothing was changed`;
  if (r.driftFailure) return `drift found (fail-on-drift); nothing was changed`;
  if (!n) return 'no changes';
  if (r.mode === 'plan' || !r.outcomes) return `plan: ${n} change${s}`;
  const applied = r.outcomes.filter((o) => o.status === 'applied').length;
  if (applied !== n) {
    const count = (st: string): number => r.outcomes!.filter((o) => o.status === st).length;
    return `applied ${applied} of ${n} changes (${count('failed')} failed, ${count('unknown')} unknown, ${count('not-attempted')} not attempted)`;
  }
  return r.notReady?.length ? `applied ${n} change${s}, but ${r.notReady.length} topic(s) are not served yet` : `applied ${n} change${s}`;
}

export function reportSummary(r: TopicsReport, timings: readonly TimingStep[]): SummaryBuilder {
  const counts = countByKind(r.plan.changes);
  const b = new SummaryBuilder().heading(`Kafka topics: ${headline(r)}`);
  if (r.problems?.length) {
    b.paragraph(`\`${clip(r.file)}\` (${r.mode} mode): the inputs or the file have ${r.problems.length} problem(s); nothing was read from or changed on the brokers.`);
    b.heading('Problems (fix these; nothing was changed)', 3).list(r.problems.slice(0, MAX_PROBLEM_ROWS).map(problemLine));
    if (r.problems.length > MAX_PROBLEM_ROWS) b.paragraph(`... and ${r.problems.length - MAX_PROBLEM_ROWS} more, left out here: the step's log lists every one, and so does the \`plan\` output.`);
    return b.timings(timings);
  }
  b.paragraph(
    `\`${clip(r.file)}\` on ${clip(r.brokers, 300)} (${r.mode} mode): ${r.declared} declared topic(s), ${r.plan.inSync.length} in sync; ` +
      `${counts.create} to create, ${counts['add-partitions']} to grow, ${counts['set-config']} config(s) to set, ${counts['remove-config']} to remove, ${counts.delete} to delete; ${r.plan.drift.length} drift item(s).`,
  );
  if (r.failure) {
    b.heading('What failed', 3).paragraph(clip(r.failure.message, 2000));
    if (r.failure.hint) b.paragraph(`Next: ${clip(r.failure.hint, 1000)}`);
  }
  if (r.readiness) b.paragraph(`Readiness: ${clip(r.readiness, 1000)}`);
  if (r.plan.changes.length) {
    const status = (i: number): Cell => r.outcomes?.[i]?.status ?? (r.plan.errors.length || r.driftFailure || r.failure ? 'not applied' : r.mode === 'plan' ? 'planned' : 'not applied');
    const withErrors = (r.outcomes ?? []).some((o) => o.error);
    const rows: Cell[][] = r.plan.changes
      .slice(0, MAX_ROWS)
      .map((c, i) => [clip(c.topic, 100), LABEL[c.kind], clip(detailOf(c), MAX_CELL), status(i), ...(withErrors ? [r.outcomes?.[i]?.error === undefined ? undefined : clip(r.outcomes[i]!.error!, MAX_CELL)] : [])]);
    b.table(['Topic', 'Change', 'Details', 'Status', ...(withErrors ? ['Error'] : [])], rows);
    if (r.plan.changes.length > MAX_ROWS) b.paragraph(`... and ${r.plan.changes.length - MAX_ROWS} more, left out here: see the \`plan\` output${r.planFile ? ' or the plan file' : ''}.`);
    if (r.outcomes) {
      const count = (st: string): number => r.outcomes!.filter((o) => o.status === st).length;
      b.paragraph(`Outcome: ${count('applied')} applied, ${count('failed')} failed, ${count('unknown')} unknown (sent, no answer: re-run to see what they did), ${count('not-attempted')} not attempted.`);
    }
  }
  if (r.plan.errors.length) {
    b.heading('Problems (fix these; nothing was changed)', 3).list(r.plan.errors.slice(0, MAX_PROBLEM_ROWS).map((e) => errorLine(e, r.file)));
    if (r.plan.errors.length > MAX_PROBLEM_ROWS) b.paragraph(`... and ${r.plan.errors.length - MAX_PROBLEM_ROWS} more, left out here: the step's log lists every one, and so does the \`plan\` output.`);
  }
  if (r.plan.drift.length) {
    b.heading('Drift (reported, never touched)', 3);
    b.table(['Topic', 'Drift', 'Details'], r.plan.drift.slice(0, MAX_ROWS).map((d) => [clip(d.topic, 100), d.kind === 'undeclared-topic' ? 'undeclared topic' : 'undeclared override', d.key ? clip(`${d.key}=${shown(d.value)}`, MAX_CELL) : '']));
    if (r.plan.drift.length > MAX_ROWS) b.paragraph(`... and ${r.plan.drift.length - MAX_ROWS} more drift items, left out here: see the \`plan\` output.`);
  }
  renderAccess(b, r.plan.access, r.mode, Boolean(r.plan.errors.length || r.driftFailure || r.failure));
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
    ...(r.problems?.length ? { problems: r.problems } : {}),
    ...(r.failure ? { failure: r.failure } : {}),
    ...(r.readiness ? { readiness: r.readiness } : {}),
    ...(r.notReady?.length ? { notReady: r.notReady } : {}),
    ...accessJson(r.plan.access),
  };
}

export function changedOf(r: TopicsReport): boolean {
  return (r.outcomes ?? []).some((o) => o.status === 'applied' || o.status === 'unknown') || accessChanged(r.plan.access);
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
  return { apiVersion: full.apiVersion, mode: full.mode, file: full.file, changed: full.changed, counts: full.counts, inSync: full.inSync, errors: (r.problems?.length ?? 0) + r.plan.errors.length, ...(r.failure ? { failure: r.failure } : {}), truncated: `the plan is too large for an output; it is in full in ${r.planFile ?? 'the plan file'}` };
}

export function reportOutputs(r: TopicsReport): TopicsOutputs {
  const c = countByKind(r.plan.changes);
  return {
    changed: changedOf(r),
    'has-changes': r.plan.changes.length > 0 || Boolean(r.plan.access?.changes.length),
    creates: c.create,
    'partition-increases': c['add-partitions'],
    'config-updates': c['set-config'],
    'config-removals': c['remove-config'],
    deletes: c.delete,
    drift: r.plan.drift.length,
    errors: (r.problems?.length ?? 0) + r.plan.errors.length,
    plan: planOutput(r),
    'plan-file': r.planFile,
  };
}

export const outputsOf = (r: TopicsResult): TopicsOutputs => reportOutputs(r.report);

export const renderSummary = (r: TopicsResult, steps: readonly TimingStep[]): SummaryBuilder => reportSummary(r.report, steps);
