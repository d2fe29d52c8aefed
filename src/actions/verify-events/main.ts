import { runAction } from '../../core/action.js';
import { verify } from './run.js';

await runAction('verify-events', verify);
