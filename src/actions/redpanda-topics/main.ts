/** redpanda-topics: Kafka/Redpanda topics as code (plan, validate, apply). The layout is in README.md, Architecture. */
import { defineAction, runAction } from '../../core/action.js';
import { parseTopicsInputs } from './inputs.js';
import { refusedResult } from './problems.js';
import { outputsOf, renderSummary } from './summary.js';

await runAction(
  'Kafka topics',
  defineAction({
    parse: (env) => parseTopicsInputs(env.inputs, env.secrets, env.env),
    load: () => import('./run.js'),
    outputs: outputsOf,
    summary: renderSummary,
    // Refused inputs or file: every output still has a value and the summary lists each problem.
    refused: (err, env) => refusedResult(err, { mode: env.inputs.raw('mode'), file: env.inputs.raw('file') }, env.log, env.env.RUNNER_TEMP),
  }),
);
