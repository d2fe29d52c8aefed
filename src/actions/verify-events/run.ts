import type { ActionResult, StepContext } from '../../core/action.js';
import { OperationError } from '../../core/errors.js';
import type { Timings } from '../../core/groups.js';
import type { Logger } from '../../core/log.js';
import type { VerifyInputs } from './inputs.js';
import { prepareReport, reportOf, writeReport } from './report.js';
import type { VerifyDeps, VerifyResult } from './verify.js';

/**
 * verify-events' run: the report file made writable before the first probe, the round trips, then the report.
 * The verdict comes back as the result, a failed one too; the entry writes the outputs and the summary from it.
 */
export interface VerifyEventsDeps {
  log: Logger;
  timings: Timings;
  /** The round trips (verify.ts: loads the Kafka client). */
  verify: (inputs: VerifyInputs, deps: VerifyDeps) => Promise<VerifyResult>;
  /** The JSON report's file: made (empty) before the first probe, written at the end (report.ts). */
  report: { prepare(path: string): void; write(path: string, report: unknown): void };
}

export interface VerifyEventsResult extends ActionResult {
  probeTopic: string;
  replyTopic: string;
  consumerGroup: string;
  maxP95Ms?: number;
  verify: VerifyResult;
  /** Set once the report is written. */
  reportPath?: string;
}

export async function run(inputs: VerifyInputs, deps: VerifyEventsDeps): Promise<VerifyEventsResult> {
  const { log } = deps;
  for (const w of inputs.connection.warnings) log.warning(w);
  // Before the first probe: a report the runner cannot write fails now (a ConfigurationError), with nothing sent.
  deps.report.prepare(inputs.reportPath);
  const verify = await deps.verify(inputs, { log, timings: deps.timings });
  const result: VerifyEventsResult = { probeTopic: inputs.probeTopic, replyTopic: inputs.replyTopic, consumerGroup: inputs.consumerGroup, maxP95Ms: inputs.maxP95Ms, verify };
  let reportError: OperationError | undefined;
  try {
    deps.report.write(inputs.reportPath, reportOf(inputs, verify));
    result.reportPath = inputs.reportPath;
  } catch (err) {
    reportError = err instanceof OperationError ? err : new OperationError(`writing the report to ${inputs.reportPath} failed`, { cause: err });
  }
  if (!verify.ok) {
    // The verdict is what failed; the report's own failure is said in the log.
    if (reportError) log.error(`${reportError.message}. Next: ${reportError.hint}`);
    result.failure = verify.error ?? new OperationError(`verify-events: ${verify.verdict}`, { hint: verify.next });
  } else if (reportError) {
    result.failure = reportError;
  } else {
    log.info(`verify-events: ${verify.verdict}`);
  }
  return result;
}

/** The real dependencies: the Kafka client loads with verify.ts, once the inputs are valid. */
export function deps(step: StepContext): VerifyEventsDeps {
  return {
    log: step.log,
    timings: step.timings,
    verify: async (inputs, d) => (await import('./verify.js')).verifyEvents(inputs, d),
    report: { prepare: prepareReport, write: writeReport },
  };
}
