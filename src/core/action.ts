import * as core from '@actions/core';
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
  } catch (err) {
    const message = failureMessage(err, env.secrets);
    const kind = err instanceof ConfigurationError ? 'Invalid input' : 'Failed';
    env.writeSummary(new SummaryBuilder().heading(`${title}: ${kind.toLowerCase()}`).code(message).timings(env.timings.steps));
    if (!(err instanceof ConfigurationError) && err instanceof Error && err.stack) env.log.debug(env.secrets.redact(err.stack));
    env.setFailed(message);
  }
}
