/** oke-login (post): removes the kubeconfig, the credential helper's key and its token cache. */
import { cleanupEntry, runAction } from '../../core/action.js';

await runAction('oke-login post', cleanupEntry('kubeconfig, key material, token cache'));
