import { kubectlForCluster, kubectlRelease } from '../../../src/kube/kubectl-tool.js';
import { KUBECTL_RELEASES } from '../../../src/versions.js';

const cluster = { version: 'cluster' as const, baseUrl: 'https://dl.k8s.io/release', allowInsecure: false };
const pin = (version: string, platform: string): string => KUBECTL_RELEASES.find((r) => r.version === version)!.sha256[platform as 'linux-amd64']!;

describe('kubectl-version: cluster picks a pinned kubectl', () => {
  it.each<[string, string, string, boolean]>([
    ['v1.34.2', 'linux-amd64', '1.34.5', false],
    ['v1.37.0', 'darwin-arm64', '1.37.1', false],
    ['v1.33.1', 'linux-arm64', '1.33.9', false],
    ['v1.38.0', 'linux-amd64', '1.37.1', true],
    ['v1.32.9', 'linux-amd64', '1.33.9', true],
    // No windows pin for 1.35: the newer of the two within the skew.
    ['v1.35.4', 'windows-amd64', '1.36.3', true],
  ])('cluster %s on %s -> kubectl %s', (clusterVersion, platform, version, skewed) => {
    const choice = kubectlForCluster(clusterVersion, cluster, platform);
    expect(choice).toMatchObject({ version, baseUrl: cluster.baseUrl, allowInsecure: false, expected: { pinned: pin(version, platform) } });
    expect(choice.note !== undefined).toBe(skewed);
  });

  it.each<[string, string, RegExp]>([
    ['v1.30.4', 'linux-amd64', /kubectl-version: is cluster, and the cluster runs Kubernetes v1.30.4, but no kubectl within one minor of it is pinned in this action for linux-amd64 \(pinned here: 1.37.1, 1.36.3, 1.35.2, 1.34.5, 1.33.9\). Fix: set kubectl-version: 1.30.4 with kubectl-sha256 \(the hash in https:\/\/dl.k8s.io\/release\/v1.30.4\/bin\/linux\/amd64\/kubectl.sha256\)/],
    ['v1.34.1', 'windows-amd64', /no kubectl within one minor of it is pinned in this action for windows-amd64 \(pinned here: 1.37.1, 1.36.3\)/],
    ['v1.34.1', 'linux-s390x', /pinned here: none/],
  ])('refuses cluster %s on %s, with the fix', (clusterVersion, platform, message) => expect(() => kubectlForCluster(clusterVersion, cluster, platform)).toThrow(message));
});

describe('kubectlRelease', () => {
  it.each([
    [{ os: 'linux', arch: 'arm64' }, 'https://dl.k8s.io/release/v1.37.1/bin/linux/arm64/kubectl', 'kubectl'],
    [{ os: 'windows', arch: 'amd64' }, 'https://dl.k8s.io/release/v1.37.1/bin/windows/amd64/kubectl.exe', 'kubectl.exe'],
  ])('%j', (platform, url, file) => expect(kubectlRelease('1.37.1', 'https://dl.k8s.io/release/', platform)).toEqual({ tool: 'kubectl', version: '1.37.1', url, fileName: file, archive: 'binary', binaryPath: file }));
});
