/** dapr-install: installs or upgrades the Dapr control plane and applies Dapr resources. The layout is in README.md, Architecture. */
import { defineAction, runAction } from '../../core/action.js';
import { parseDaprInstallInputs } from './inputs.js';
import { outputsOf, renderSummary } from './summary.js';

await runAction(
  'dapr-install',
  defineAction({
    parse: (env) => parseDaprInstallInputs(env.inputs, env.env),
    load: () => import('./run.js'),
    outputs: outputsOf,
    summary: renderSummary,
  }),
);
