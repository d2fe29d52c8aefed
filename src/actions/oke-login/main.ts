/** oke-login (main): the step's entry; run.ts does the work. */
import { runAction } from '../../core/action.js';
import { run } from './run.js';

await runAction('oke-login', (env) => run(env));
