import { helmFailure } from '../../../src/actions/dapr-install/install.js';

describe('dapr-install: what a failed Helm run means', () => {
  it('names another Dapr installation in the cluster and the two ways out', () => {
    const stderr = 'Error: unable to continue with install: ClusterRole "dapr-injector" in namespace "" exists and cannot be imported into the current release: invalid ownership metadata; annotation validation error: key "meta.helm.sh/release-namespace" must equal "dapr-system": current value is "dapr-real"';
    const err = helmFailure(stderr, 'dapr-system');
    expect(err.message).toContain('Dapr is already installed in namespace dapr-real, and a cluster holds one Dapr');
    expect(err.hint).toBe('set namespace: dapr-real to manage that installation, or uninstall it first (helm uninstall dapr -n dapr-real)');
  });

  it('falls back to the chart and permissions for anything else', () => {
    const err = helmFailure('Error: chart "dapr" version "9.9.9" not found', 'dapr-system');
    expect(err.message).toContain('chart "dapr" version "9.9.9" not found');
    expect(err.hint).toMatch(/check chart-repo \/ chart and dapr-version/);
  });
});
