import type { KubeConfig } from '@kubernetes/client-node';
import { revisionsFromStorage } from '../../../src/helm/storage.js';

describe('revisionsFromStorage', () => {
  it('leaves other storage drivers to helm', async () => {
    const kc = {} as KubeConfig; // never used: the driver check comes first
    await expect(revisionsFromStorage(kc, 'todo', 'apps', { HELM_DRIVER: 'configmap' })).resolves.toBeUndefined();
  });
});
