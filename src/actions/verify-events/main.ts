/** verify-events: proves that an event makes the round trip through the app. The layout is in README.md, Architecture. */
import { defineAction, runAction } from '../../core/action.js';
import { parseVerifyInputs } from './inputs.js';
import { outputsOf, renderSummary } from './summary.js';

await runAction(
  'verify-events',
  defineAction({
    parse: (env) => parseVerifyInputs(env.inputs, env.secrets, env.env),
    load: () => import('./run.js'),
    outputs: outputsOf,
    summary: renderSummary,
  }),
);
