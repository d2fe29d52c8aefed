/** oke-login: OCI auth and a kubeconfig for an OKE cluster, without the OCI CLI. The layout is in README.md, Architecture. */
import { defineAction, runAction } from '../../core/action.js';
import { parseOkeLoginInputs } from './inputs.js';
import { outputsOf, renderSummary } from './summary.js';

await runAction(
  'oke-login',
  defineAction({
    parse: (env) => parseOkeLoginInputs(env.inputs, env.env, env.secrets),
    load: () => import('./run.js'),
    outputs: outputsOf,
    summary: renderSummary,
  }),
);
