import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError, type ConfigurationProblem } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { MODES } from './inputs.js';
import type { TopicsResult } from './run.js';
import { planJson, problemLine, problemsReport, type TopicsReport } from './summary.js';

/**
 * How a run's problems and report leave the step, light enough for the entry to use before the Kafka client is
 * loaded: each problem once, and the plan file (also for a run that stopped on its inputs).
 */
/** The plan file: the whole plan as JSON, also when the run failed. */
export function writePlanFile(report: TopicsReport, dir: string | undefined): string {
  const path = join(mkdtempSync(join(dir || tmpdir(), 'redpanda-topics-')), 'plan.json');
  writeFileSync(path, `${JSON.stringify(planJson(report), null, 2)}\n`);
  return path;
}

/**
 * Problems reported once each: with several, every one is its own ::error:: line (with file:line) and the step
 * fails with a one-line count, not with all of them again in one line (1,000 problems made a 252 kB line).
 */
export class ReportedProblems extends ConfigurationError {
  constructor(problems: ConfigurationProblem[], what: string) {
    super(problems);
    this.name = 'ConfigurationError';
    if (problems.length > 1) this.message = `${problems.length} problems in ${what} (each is listed above with its fix, and in the job summary); nothing was changed`;
    else this.message = problemLine(problems[0]!);
  }
}

/** Logs each problem on its own line (when there are several) and returns the error that fails the step. */
export function reportProblems(problems: ConfigurationProblem[], what: string, log: Logger): ReportedProblems {
  if (problems.length > 1) problems.forEach((p) => log.error(problemLine(p)));
  return new ReportedProblems(problems, what);
}


/**
 * The result of a step whose inputs or topics file were refused (before anything heavy loaded): each problem
 * logged once, the plan file written, every output given a value from the report; the step fails with the count.
 */
export function refusedResult(err: ConfigurationError, raw: { mode?: string; file?: string }, log: Logger, tempDir: string | undefined): TopicsResult {
  const mode = MODES.find((m) => m === raw.mode?.toLowerCase()) ?? 'plan';
  const report = problemsReport(mode, raw.file || '(no file)', err.problems);
  const failure = reportProblems(err.problems, 'the inputs', log);
  report.planFile = writePlanFile(report, tempDir);
  return { report, failure };
}
