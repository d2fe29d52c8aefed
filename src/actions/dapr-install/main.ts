import { runAction } from '../../core/action.js';
import { daprInstall } from './run.js';

await runAction('dapr-install', daprInstall);
