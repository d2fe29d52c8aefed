/** oke-login (post): removes the kubeconfig, the credential helper's key and its token cache. */
import { runAction, StateKey, type ActionEnv } from '../../core/action.js';
import { removeAll } from '../../core/tempfiles.js';

export async function run(env: ActionEnv): Promise<void> {
  const raw = env.getState(StateKey.CleanupPaths);
  const paths = raw ? (JSON.parse(raw) as string[]) : [];
  const removed = removeAll(paths);
  env.log.info(removed.length ? `removed ${removed.join(', ')} (kubeconfig, key material, token cache)` : 'nothing to remove');
}

await runAction('oke-login post', run);
