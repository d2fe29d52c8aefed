/**
 * What a workflow job passes to helm-deploy, read from the workflow file itself (and from the composite
 * actions of this repository it uses), with `${{ }}` expressions evaluated against test values: the values
 * files and the --set lines, exactly as the job would give them. An expression the test values do not cover
 * is an error naming it, never an empty string.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';

interface Step {
  id?: string;
  uses?: string;
  with?: Record<string, unknown>;
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
}

function lookup(path: string, ctx: ExpressionContext): string | undefined {
  const parts = path.split('.');
  const [head, ...rest] = parts;
  if (head === 'steps') {
    const [id, kind, name] = rest;
    if (kind !== 'outputs' || !id || !name) throw new Error(`unsupported expression steps.${rest.join('.')}`);
    return ctx.steps?.[id]?.[name];
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

/** The helm-deploy call of `job` in `workflowFile`: directly in the job, or inside a local composite action it uses. */
export function helmDeployCall(root: string, workflowFile: string, job: string, ctx: ExpressionContext): HelmDeployCall {
  const wf = load(readFileSync(workflowFile, 'utf8')) as { jobs: Record<string, { steps: Step[] }> };
  const steps = wf.jobs[job]?.steps;
  if (!steps) throw new Error(`${workflowFile} has no job ${job}`);
  const direct = steps.find((s) => s.uses === './actions/helm-deploy');
  if (direct) return { valuesFiles: lines(evaluate(direct.with?.['values-files'], ctx)), sets: lines(evaluate(direct.with?.set, ctx)) };
  for (const step of steps) {
    if (!step.uses?.startsWith('./.github/actions/')) continue;
    const action = load(readFileSync(join(root, step.uses, 'action.yml'), 'utf8')) as Action;
    const inner = action.runs.steps?.find((s) => s.uses === './actions/helm-deploy');
    if (!inner) continue;
    // The composite's inputs: what the job passes (evaluated in the job's context), else the action's default.
    // Only the inputs the helm-deploy step reads are evaluated (as the runner does, lazily enough for this).
    const inputs: Record<string, string> = {};
    const read = new Set([...JSON.stringify(inner.with ?? {}).matchAll(/inputs\.([\w-]+)/g)].map((m) => m[1] as string));
    for (const name of read) {
      const spec = action.inputs?.[name];
      if (!spec) throw new Error(`${step.uses}: helm-deploy reads inputs.${name}, which the action does not declare`);
      inputs[name] = step.with && name in step.with ? evaluate(step.with[name], ctx) : String(spec.default ?? '');
    }
    const innerCtx: ExpressionContext = { ...ctx, inputs, steps: ctx.compositeSteps ?? {} };
    return { valuesFiles: lines(evaluate(inner.with?.['values-files'], innerCtx)), sets: lines(evaluate(inner.with?.set, innerCtx)) };
  }
  throw new Error(`job ${job} of ${workflowFile} never runs ./actions/helm-deploy`);
}
