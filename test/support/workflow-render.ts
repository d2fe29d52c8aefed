/**
 * What a workflow job passes to helm-deploy, read from the workflow file itself (and from the composite
 * actions of this repository it uses), with `${{ }}` expressions evaluated against test values: the values
 * files and the --set lines, exactly as the job would give them. An expression the test values do not cover
 * is an error naming it, never an empty string. The outputs of the jobs it needs come from their `outputs:`
 * evaluated against test values of their steps; composite steps named in `runCompositeSteps` really run
 * (bash, with their env evaluated), so their outputs are what their scripts write.
 */
import { parseFileCommands } from './action-harness.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';

interface Step {
  id?: string;
  uses?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  run?: string;
  shell?: string;
}
interface Job {
  needs?: string | string[];
  outputs?: Record<string, unknown>;
  steps: Step[];
}
interface Action {
  inputs?: Record<string, { default?: unknown }>;
  runs: { using: string; steps?: Step[] };
}

/** Test values for the contexts an expression reads: vars, secrets, github, steps (id -> outputs), inputs. */
export interface ExpressionContext {
  vars?: Record<string, string>;
  secrets?: Record<string, string>;
  github?: Record<string, string>;
  env?: Record<string, string>;
  steps?: Record<string, Record<string, string>>;
  inputs?: Record<string, string>;
  /** Outputs of the steps inside a composite action (its own `steps` context). */
  compositeSteps?: Record<string, Record<string, string>>;
  /** Test outputs of the steps of the jobs this job needs: job id -> step id -> outputs. */
  jobs?: Record<string, Record<string, Record<string, string>>>;
  /** Composite steps (by id, in their order) that run for real instead of taking outputs from compositeSteps. */
  runCompositeSteps?: string[];
  /** The needs context (filled in by helmDeployCall from the needed jobs' `outputs:`). */
  needs?: Record<string, { result: string; outputs: Record<string, string> }>;
}

function lookup(path: string, ctx: ExpressionContext): string | undefined {
  const parts = path.split('.');
  const [head, ...rest] = parts;
  if (head === 'steps') {
    const [id, kind, name] = rest;
    if (kind !== 'outputs' || !id || !name) throw new Error(`unsupported expression steps.${rest.join('.')}`);
    return ctx.steps?.[id]?.[name];
  }
  if (head === 'needs') {
    const [job, kind, name] = rest;
    const need = job ? ctx.needs?.[job] : undefined;
    if (!need) throw new Error(`the job reads ${path}, but ${job} is not among its needs`);
    if (kind === 'result' && !name) return need.result;
    if (kind !== 'outputs' || !name) throw new Error(`unsupported expression ${path}`);
    if (!(name in need.outputs)) throw new Error(`the job reads ${path}, but job ${job} declares no output ${name}`);
    return need.outputs[name];
  }
  const table = (ctx as Record<string, Record<string, string> | undefined>)[head ?? ''];
  if (!table) throw new Error(`no test values for the context "${head}" (expression ${path})`);
  return table[rest.join('.')];
}

/** Evaluates `a || b || 'literal'` operands; every operand must be known (a missing test value throws). */
export function evaluateExpression(expr: string, ctx: ExpressionContext): string {
  for (const operand of expr.split('||').map((o) => o.trim())) {
    let value: string | undefined;
    const literal = /^'(.*)'$/.exec(operand);
    if (literal) value = literal[1] ?? '';
    else if (operand === 'true' || operand === 'false') value = operand;
    else if (/^[A-Za-z_][\w.-]*$/.test(operand)) {
      value = lookup(operand, ctx);
      if (value === undefined) throw new Error(`the workflow reads \${{ ${operand} }}, which the test gives no value`);
    } else throw new Error(`unsupported expression: ${expr}`);
    if (value !== '') return value;
  }
  return '';
}

export function evaluate(template: unknown, ctx: ExpressionContext): string {
  return String(template ?? '').replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, e: string) => evaluateExpression(e, ctx));
}

export interface HelmDeployCall {
  valuesFiles: string[];
  sets: string[];
}

function lines(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter(Boolean);
}


/** Runs a composite `run:` step with bash as the runner does (env and the script's expressions evaluated); returns its outputs. */
function runStep(step: Step, ctx: ExpressionContext, where: string): Record<string, string> {
  if (!step.run || (step.shell ?? 'bash') !== 'bash') throw new Error(`${where}: step ${step.id} is not a bash run: step`);
  const dir = mkdtempSync(join(tmpdir(), 'workflow-step-'));
  try {
    const output = join(dir, 'output');
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, GITHUB_OUTPUT: output };
    for (const [k, v] of Object.entries(step.env ?? {})) env[k] = evaluate(v, ctx);
    const r = spawnSync('bash', ['--noprofile', '--norc', '-e', '-o', 'pipefail', '-c', evaluate(step.run, ctx)], { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${where}: step ${step.id} failed (exit ${r.status}): ${`${r.stdout}${r.stderr}`.trim()}`);
    let text = '';
    try {
      text = readFileSync(output, 'utf8');
    } catch {
      // no outputs
    }
    return parseFileCommands(text);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The needs context of a job: each needed job's `outputs:` evaluated against its steps' test outputs (ctx.jobs). */
function needsOf(wf: { jobs: Record<string, Job> }, job: Job, ctx: ExpressionContext): ExpressionContext['needs'] {
  const needs: NonNullable<ExpressionContext['needs']> = {};
  for (const id of job.needs === undefined ? [] : typeof job.needs === 'string' ? [job.needs] : job.needs) {
    const needed = wf.jobs[id];
    if (!needed) throw new Error(`the job needs ${id}, which the workflow does not define`);
    const steps = ctx.jobs?.[id];
    if (!steps) throw new Error(`the job needs ${id}: give the outputs of its steps as jobs["${id}"]`);
    const outputs: Record<string, string> = {};
    for (const [name, value] of Object.entries(needed.outputs ?? {})) outputs[name] = evaluate(value, { ...ctx, steps });
    needs[id] = { result: 'success', outputs };
  }
  return needs;
}

/** The helm-deploy call of `job` in `workflowFile`: directly in the job, or inside a local composite action it uses. */
export function helmDeployCall(root: string, workflowFile: string, job: string, testCtx: ExpressionContext): HelmDeployCall {
  const wf = load(readFileSync(workflowFile, 'utf8')) as { jobs: Record<string, Job> };
  const steps = wf.jobs[job]?.steps;
  if (!steps) throw new Error(`${workflowFile} has no job ${job}`);
  const ctx: ExpressionContext = { ...testCtx, needs: needsOf(wf, wf.jobs[job]!, testCtx) };
  const direct = steps.find((s) => s.uses === './actions/helm-deploy');
  if (direct) return { valuesFiles: lines(evaluate(direct.with?.['values-files'], ctx)), sets: lines(evaluate(direct.with?.set, ctx)) };
  for (const step of steps) {
    if (!step.uses?.startsWith('./.github/actions/')) continue;
    const action = load(readFileSync(join(root, step.uses, 'action.yml'), 'utf8')) as Action;
    const innerSteps = action.runs.steps ?? [];
    const inner = innerSteps.find((s) => s.uses === './actions/helm-deploy');
    if (!inner) continue;
    const toRun = (ctx.runCompositeSteps ?? []).map((id) => {
      const found = innerSteps.slice(0, innerSteps.indexOf(inner)).find((s) => s.id === id);
      if (!found) throw new Error(`${step.uses} has no step ${id} before helm-deploy`);
      return found;
    });
    // The composite's inputs: what the job passes (evaluated in the job's context), else the action's default.
    // Only the inputs the helm-deploy step and the steps that run read are evaluated (as the runner does, lazily enough for this).
    const inputs: Record<string, string> = {};
    const read = new Set([...JSON.stringify([inner.with ?? {}, ...toRun]).matchAll(/inputs\.([\w-]+)/g)].map((m) => m[1] as string));
    for (const name of read) {
      const spec = action.inputs?.[name];
      if (!spec) throw new Error(`${step.uses}: a step reads inputs.${name}, which the action does not declare`);
      inputs[name] = step.with && name in step.with ? evaluate(step.with[name], ctx) : String(spec.default ?? '');
    }
    const innerCtx: ExpressionContext = { ...ctx, inputs, steps: { ...(ctx.compositeSteps ?? {}) } };
    for (const s of innerSteps.filter((x) => toRun.includes(x))) innerCtx.steps![s.id!] = runStep(s, innerCtx, step.uses);
    return { valuesFiles: lines(evaluate(inner.with?.['values-files'], innerCtx)), sets: lines(evaluate(inner.with?.set, innerCtx)) };
  }
  throw new Error(`job ${job} of ${workflowFile} never runs ./actions/helm-deploy`);
}
