import { runAction, type ActionEnv } from '../../core/action.js';
import { ConfigurationError } from '../../core/errors.js';
import { MODES, parseTopicsInputs, type TopicsInputs } from './inputs.js';
import { reportProblems, writePlanFile } from './problems.js';
import { outputsOf, problemsReport, renderSummary } from './render.js';

/**
 * redpanda-topics: Kafka/Redpanda topics as code. Inputs and the topics file are parsed (and the password masked)
 * before anything heavy is loaded, so a bad input fails in milliseconds; then plan (and apply). Every output and
 * the job summary are written whatever failed: inputs, file, connection, plan, apply.
 */
async function main(env: ActionEnv): Promise<void> {
  let inputs: TopicsInputs;
  try {
    inputs = parseTopicsInputs(env.inputs, env.secrets, env.env);
  } catch (err) {
    if (!(err instanceof ConfigurationError)) throw err;
    const mode = MODES.find((m) => m === env.inputs.raw('mode')?.toLowerCase()) ?? 'plan';
    const report = problemsReport(mode, env.inputs.raw('file') ?? '(no file)', err.problems);
    const failure = reportProblems(err.problems, 'the inputs', env.log);
    report.planFile = writePlanFile(report, env.env.RUNNER_TEMP);
    env.setOutputs(outputsOf(report));
    env.writeSummary(renderSummary(report, env.timings.steps));
    throw failure;
  }
  const { runTopics } = await import('./run.js');
  const { report, failure } = await runTopics(inputs, { log: env.log, timings: env.timings, tempDir: env.env.RUNNER_TEMP });
  env.setOutputs(outputsOf(report));
  env.writeSummary(renderSummary(report, env.timings.steps));
  if (failure) throw failure;
}

await runAction('Kafka topics', main);
