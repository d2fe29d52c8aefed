/** helm-deploy: an atomic helm upgrade --install with diagnostics and rollback. The layout is in README.md, Architecture. */
import { defineAction, runAction } from '../../core/action.js';
import { parseHelmDeployInputs } from './inputs.js';
import { outputsOf, renderSummary } from './summary.js';

await runAction(
  'helm-deploy',
  defineAction({
    parse: (env) => parseHelmDeployInputs(env.inputs, env.secrets, env.env),
    load: () => import('./run.js'),
    outputs: outputsOf,
    summary: renderSummary,
  }),
);
