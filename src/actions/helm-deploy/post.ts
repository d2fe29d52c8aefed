import { runAction, StateKey } from '../../core/action.js';
import { removeAll } from '../../core/tempfiles.js';

await runAction('helm-deploy (cleanup)', async (env) => {
  const paths = JSON.parse(env.getState(StateKey.CleanupPaths) || '[]') as string[];
  const removed = removeAll(paths);
  env.log.info(removed.length ? `removed ${removed.join(', ')}` : 'nothing to clean up');
});
