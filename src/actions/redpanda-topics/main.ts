import { runAction, type ActionEnv } from '../../core/action.js';
import { parseTopicsInputs } from './inputs.js';

/**
 * redpanda-topics: Kafka/Redpanda topics as code. Inputs are parsed (and the password masked) before
 * anything heavy is loaded, so a bad input fails in milliseconds; then plan (and apply), outputs and
 * the job summary, written whether the plan passed or not.
 */
async function main(env: ActionEnv): Promise<void> {
  const inputs = parseTopicsInputs(env.inputs, env.secrets, env.env);
  const [{ runTopics }, { outputsOf, renderSummary }] = await Promise.all([import('./run.js'), import('./render.js')]);
  const { report, failure } = await runTopics(inputs, { log: env.log, timings: env.timings, tempDir: env.env.RUNNER_TEMP });
  env.setOutputs(outputsOf(report));
  env.writeSummary(renderSummary(report, env.timings.steps));
  if (failure) throw failure;
}

await runAction('Kafka topics', main);
