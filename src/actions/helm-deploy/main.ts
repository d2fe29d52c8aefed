import { runAction } from '../../core/action.js';
import { helmDeploy } from './run.js';

await runAction('helm-deploy', helmDeploy);
