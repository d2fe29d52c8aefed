import { nodeNetwork } from '../../../stack/src/config.js';
import { apiServerEndpoints, containerdConfig, corednsManifests, cniConflist, kubeletConfig, kubeProxyConfig, registryHostsToml, type NodePaths } from '../../../stack/src/node/configs.js';
import { objectPath } from '../../../stack/src/components/node.js';
import { withDependents } from '../../../stack/src/stack.js';

const paths: NodePaths = {
  containerdRoot: '/s/node/containerd', containerdConfig: '/s/node/containerd.toml', registryHosts: '/s/node/registry-hosts',
  cniConfDir: '/s/node/cni', cniBinDir: '/usr/lib/cni', runc: '/usr/sbin/runc', kubeletConfig: '/s/node/kubelet.json',
  kubeletKubeconfig: '/s/node/kubelet.kubeconfig', kubeProxyConfig: '/s/node/kube-proxy.json', kubeProxyKubeconfig: '/s/node/kube-proxy.kubeconfig',
  resolvConf: '/s/node/resolv.conf', caCert: '/s/kube/pki/ca.crt', socket: '/run/oke-stack/containerd.sock',
};

describe('node configuration', () => {
  it('containerd: its own root and socket, no opt plugin, oom_score_adj restricted, cgroupfs, the local pause image', () => {
    const toml = containerdConfig(paths, 'localhost:16460/oke-stack/pause:3.10-abc');
    expect(toml).toContain('root = "/s/node/containerd"');
    expect(toml).toContain('address = "/run/oke-stack/containerd.sock"');
    expect(toml).toMatch(/disabled_plugins = \[[^\]]*"io\.containerd\.internal\.v1\.opt"/);
    expect(toml).toContain('restrict_oom_score_adj = true');
    expect(toml).toContain('SystemdCgroup = false');
    expect(toml).toContain('sandbox_image = "localhost:16460/oke-stack/pause:3.10-abc"');
    expect(toml).toContain('config_path = "/s/node/registry-hosts"');
  });

  it('registry: pods name localhost:<port>, the node pulls from the stack\'s veth address over HTTP', () => {
    expect(registryHostsToml(16460)).toContain(`server = "http://${nodeNetwork.hostIp}:16460"`);
  });

  it('CNI: one bridge with masquerade, addresses from the pod range only', () => {
    const bridge = (cniConflist() as { plugins: Array<Record<string, unknown>> }).plugins[0];
    expect(bridge).toMatchObject({ type: 'bridge', isGateway: true, ipMasq: true, ipam: { type: 'host-local', ranges: [[{ subnet: nodeNetwork.podCidr }]] } });
  });

  it('kubelet: cgroup v1 allowed, cgroupfs under its own root, webhook auth, cluster DNS, no read-only port', () => {
    expect(kubeletConfig(paths)).toMatchObject({
      failCgroupV1: false, cgroupDriver: 'cgroupfs', cgroupRoot: '/oke-stack', readOnlyPort: 0,
      authentication: { anonymous: { enabled: false }, x509: { clientCAFile: '/s/kube/pki/ca.crt' } }, authorization: { mode: 'Webhook' },
      clusterDNS: [nodeNetwork.clusterDnsIp], address: nodeNetwork.nodeIp, containerRuntimeEndpoint: 'unix:///run/oke-stack/containerd.sock',
    });
  });

  it('kube-proxy: leaves the global conntrack table size alone', () => {
    expect(kubeProxyConfig(paths)).toMatchObject({ mode: 'iptables', conntrack: { maxPerCore: 0, min: 0 }, clusterCIDR: nodeNetwork.podCidr });
  });

  it('CoreDNS: answers the cluster zone only (no forward plugin), on the kube-dns Service address', () => {
    const objs = corednsManifests('localhost:16460/oke-stack/coredns:v1.15.0-x@sha256:1');
    const corefile = String((objs.find((o) => o.kind === 'ConfigMap') as { data: { Corefile: string } }).data.Corefile);
    expect(corefile).toContain('kubernetes cluster.local in-addr.arpa ip6.arpa');
    expect(corefile).not.toMatch(/\bforward\b/);
    expect(objs.find((o) => o.kind === 'Service')).toMatchObject({ metadata: { name: 'kube-dns', namespace: 'kube-system' }, spec: { clusterIP: nodeNetwork.clusterDnsIp } });
    expect(objs.map(objectPath)).toEqual([
      '/api/v1/namespaces/kube-system/serviceaccounts/coredns',
      '/apis/rbac.authorization.k8s.io/v1/clusterroles/system:coredns',
      '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/system:coredns',
      '/api/v1/namespaces/kube-system/configmaps/coredns',
      '/apis/apps/v1/namespaces/kube-system/deployments/coredns',
      '/api/v1/namespaces/kube-system/services/kube-dns',
    ]);
  });

  it('the kubernetes Service points pods at the API server through the veth', () => {
    expect(apiServerEndpoints(16443)[0]).toMatchObject({ endpoints: [{ addresses: [nodeNetwork.hostIp] }], ports: [{ name: 'https', port: 16443 }] });
  });
});

describe('stack down of a component', () => {
  it('also stops what depends on it (down kube stops the node and Prometheus, which runs in its namespace), never what it depends on', () => {
    expect(withDependents(['kube']).map((c) => c.name)).toEqual(['kube', 'node', 'prometheus']);
    expect(withDependents(['node']).map((c) => c.name)).toEqual(['node', 'prometheus']);
    expect(withDependents(['prometheus']).map((c) => c.name)).toEqual(['prometheus']);
    expect(withDependents(['registry']).map((c) => c.name)).toEqual(['registry', 'app-base', 'node', 'dapr-chart', 'prometheus']);
    expect(() => withDependents(['nope'])).toThrow('unknown stack component "nope"');
  });
});
