import { appendFileSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError, errorMessage, OperationError } from './errors.js';
import { Timings } from './groups.js';
import { envInputs, Inputs } from './inputs.js';
import type { Logger } from './log.js';
import { setOutputs, type OutputValue } from './outputs.js';
import { Secrets } from './secrets.js';
import { SummaryBuilder } from './summary.js';
import { RunnerCommands, useStdoutStream } from './runner.js';
import { PrivateDir, removeAll } from './tempfiles.js';

/** Cross-step state keys (main -> post), named once. */
export enum StateKey {
  /** JSON array of paths the post step removes. */
  CleanupPaths = 'cleanup-paths',
}

/** Everything an action entry needs from the runner, built once and passed down. */
export interface ActionEnv {
  inputs: Inputs;
  log: Logger;
  secrets: Secrets;
  timings: Timings;
  env: NodeJS.ProcessEnv;
  setOutputs<T extends { [K in keyof T]: OutputValue }>(values: T): void;
  /** Appends Markdown to the job summary (redacted). */
  writeSummary(summary: SummaryBuilder): void;
  saveState(key: StateKey, value: string): void;
  getState(key: StateKey): string;
  exportVariable(name: string, value: string): void;
  /** Prepends a directory to PATH for this and later steps. */
  addPath(dir: string): void;
  /** Marks the step failed with this (already redacted) message: an ::error:: line and exit code 1. */
  setFailed(message: string): void;
}

export function actionsEnv(env: NodeJS.ProcessEnv = process.env): ActionEnv {
  // The runner's command protocol without @actions/core, whose import alone costs more than Node's start (runner.ts).
  const core = new RunnerCommands(env);
  const secrets = new Secrets((v) => core.setSecret(v));
  const log: Logger = {
    debug: (m) => core.debug(secrets.redact(m)),
    info: (m) => core.info(secrets.redact(m)),
    warning: (m) => core.warning(secrets.redact(m)),
    error: (m) => core.error(secrets.redact(m)),
    startGroup: (n) => core.startGroup(secrets.redact(n)),
    endGroup: () => core.endGroup(),
  };
  return {
    inputs: new Inputs(envInputs(env)),
    log,
    secrets,
    timings: new Timings(),
    env,
    setOutputs: (values) => setOutputs((n, v) => core.setOutput(n, v), values, secrets.list()),
    writeSummary: (summary) => {
      const file = env.GITHUB_STEP_SUMMARY;
      const text = secrets.redact(summary.toMarkdown());
      if (file) appendFileSync(file, `${text}\n`);
      else log.info(text);
    },
    saveState: (key, value) => core.saveState(key, value),
    getState: (key) => core.getState(key),
    exportVariable: (name, value) => core.exportVariable(name, value),
    addPath: (dir) => core.addPath(dir),
    setFailed: (message) => core.setFailed(message),
  };
}

/** The failure message users see: what is wrong, then what to look at next. Redacted. */
export function failureMessage(err: unknown, secrets: Secrets): string {
  if (err instanceof ConfigurationError) return secrets.redact(err.message);
  const hint = err instanceof OperationError && err.hint ? `\nNext: ${err.hint}` : '';
  return secrets.redact(`${errorMessage(err)}${hint}`);
}

/**
 * Raised by an entry whose own summary already says what failed (defineAction: the result carried the failure):
 * runAction fails the step with the failure's message and writes no second, generic summary.
 */
export class ReportedFailure extends Error {
  constructor(readonly failure: unknown) {
    super(errorMessage(failure));
    this.name = 'ReportedFailure';
  }
}

/**
 * Runs an action entry: maps a ConfigurationError ("fix your input") and any other error ("this
 * failed; look here next") to a failed step with a job summary, never leaking a registered secret.
 */
export async function runAction(title: string, main: (env: ActionEnv) => Promise<void>, env: ActionEnv = actionsEnv()): Promise<void> {
  // V8 keeps compiled code of the lazily loaded chunks (the Kubernetes client is 19 MB) for later steps of the job.
  try {
    enableCompileCache(join(env.env.RUNNER_TEMP || tmpdir(), 'oke-dapr-actions-compile-cache'));
  } catch {
    // an older Node or a read-only temp: start-up is just slower
  }
  try {
    await main(env);
  } catch (thrown) {
    const reported = thrown instanceof ReportedFailure;
    const err = reported ? thrown.failure : thrown;
    const message = failureMessage(err, env.secrets);
    if (!reported) {
      const kind = err instanceof ConfigurationError ? 'Invalid input' : 'Failed';
      env.writeSummary(new SummaryBuilder().heading(`${title}: ${kind.toLowerCase()}`).code(message).timings(env.timings.steps));
    }
    if (!(err instanceof ConfigurationError) && err instanceof Error && err.stack) env.log.debug(env.secrets.redact(err.stack));
    env.setFailed(message);
  }
}

/** One step's timing, as the job summary lists it. */
export type TimingStep = Timings['steps'][number];

/**
 * What a `run` may ask of the runner, through its deps: logging, masking, timings, the process environment and
 * private files the post step removes. Outputs, the summary, exports and failing the step stay with the entry.
 */
export interface StepContext {
  log: Logger;
  secrets: Secrets;
  timings: Timings;
  /** The process environment (GITHUB_WORKSPACE, RUNNER_TEMP, KUBECONFIG, HELM_DRIVER ...). */
  env: NodeJS.ProcessEnv;
  /** A new 0700 directory under RUNNER_TEMP, recorded for the post step at once (a crash later still cleans it up). */
  privateDir(prefix: string): PrivateDir;
}

export function stepContext(env: ActionEnv): StepContext {
  const cleanup: string[] = [];
  return {
    log: env.log,
    secrets: env.secrets,
    timings: env.timings,
    env: env.env,
    privateDir: (prefix) => {
      const dir = new PrivateDir(prefix, env.env.RUNNER_TEMP || tmpdir());
      cleanup.push(dir.path);
      env.saveState(StateKey.CleanupPaths, JSON.stringify(cleanup));
      return dir;
    },
  };
}

/** What every action's `run` returns besides its own facts. */
export interface ActionResult {
  /** Set when the step must fail: the entry still writes every output and the summary, then fails with it. */
  failure?: unknown;
  /** Variables exported to later steps of the job (KUBECONFIG). */
  exportVariables?: Record<string, string>;
  /** Directories put on PATH for later steps (installed tools). */
  addPaths?: string[];
}

/** An action's work, loaded only once its inputs are valid: `run` and the real dependencies it is given. */
export interface ActionModule<I, D, R extends ActionResult> {
  run(inputs: I, deps: D): Promise<R>;
  deps(step: StepContext): D;
}

type OutputValues<O> = { [K in keyof O]: OutputValue };

/**
 * One action, wired the same way as every other (src/actions/<name>/main.ts is only this):
 * - parse: raw inputs -> typed inputs (inputs.ts), secrets masked first; throws a ConfigurationError. Only light
 *   modules are loaded by then, so a bad input fails in milliseconds.
 * - load: the work (run.ts, with the heavy clients it pulls in) behind a dynamic import, once the inputs are good.
 * - outputs / summary: from the result (summary.ts), written whatever the result says, before the step fails.
 * - refused (optional): a result for inputs that were refused, when the action reports those in its outputs and
 *   summary as well (redpanda-topics: every output has a value whatever failed).
 * A `run` that throws fails the step with runAction's generic summary: for failures with nothing else to report.
 */
export interface ActionDefinition<I, D, R extends ActionResult, O extends OutputValues<O>> {
  parse(env: ActionEnv): I | Promise<I>;
  load(): Promise<ActionModule<I, D, R>>;
  outputs(result: R): O;
  summary(result: R, steps: readonly TimingStep[]): SummaryBuilder;
  refused?(err: ConfigurationError, env: ActionEnv): R;
}

/** The entry runAction runs for an action definition: parse, load, run, then exports, outputs, summary, failure. */
export function defineAction<I, D, R extends ActionResult, O extends OutputValues<O>>(def: ActionDefinition<I, D, R, O>): (env: ActionEnv) => Promise<void> {
  const finish = (env: ActionEnv, result: R): void => {
    for (const [name, value] of Object.entries(result.exportVariables ?? {})) env.exportVariable(name, value);
    for (const dir of result.addPaths ?? []) env.addPath(dir);
    env.setOutputs(def.outputs(result));
    env.writeSummary(def.summary(result, env.timings.steps));
    if (result.failure !== undefined) throw new ReportedFailure(result.failure);
  };
  return async (env) => {
    const step = stepContext(env);
    let inputs: I;
    try {
      inputs = await def.parse(env);
    } catch (err) {
      if (!(err instanceof ConfigurationError) || !def.refused) throw err;
      return finish(env, def.refused(err, env));
    }
    // The work's modules (and the tools they run) may write to stdout too: from here on, one writer (runner.ts).
    useStdoutStream();
    const module = await def.load();
    finish(env, await module.run(inputs, module.deps(step)));
  };
}

/** A post step: removes the private directories and files its main step recorded (StateKey.CleanupPaths). */
export function cleanupEntry(what: string): (env: ActionEnv) => Promise<void> {
  return async (env) => {
    const raw = env.getState(StateKey.CleanupPaths);
    const removed = removeAll(raw ? (JSON.parse(raw) as string[]) : []);
    env.log.info(removed.length ? `removed ${removed.join(', ')} (${what})` : 'nothing to clean up');
  };
}
