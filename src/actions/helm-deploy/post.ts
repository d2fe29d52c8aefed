/** helm-deploy (post): removes the private directory of the secret values. */
import { cleanupEntry, runAction } from '../../core/action.js';

await runAction('helm-deploy (cleanup)', cleanupEntry('secret values'));
