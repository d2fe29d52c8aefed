/**
 * The real node's configuration files and its cluster add-ons, as pure functions of paths and the node
 * network (unit-tested in test/unit/stack/node-configs.test.ts). node.ts writes them and starts the
 * processes.
 */
import { nodeNetwork } from '../config.js';

export interface NodePaths {
  /** containerd's root (images, snapshots): on disk, in the stack's state. */
  containerdRoot: string;
  containerdConfig: string;
  /** containerd's registry host configs (hosts.toml per registry). */
  registryHosts: string;
  cniConfDir: string;
  cniBinDir: string;
  runc: string;
  kubeletConfig: string;
  kubeletKubeconfig: string;
  kubeProxyConfig: string;
  kubeProxyKubeconfig: string;
  resolvConf: string;
  caCert: string;
  socket: string;
}

/** Where pods reach the registry: the name tests and charts use, and the address containerd really pulls from. */
export function registryNames(registryPort: number): { name: string; hostAddress: string } {
  return { name: `localhost:${registryPort}`, hostAddress: `${nodeNetwork.hostIp}:${registryPort}` };
}

/**
 * containerd 1.6 (Debian) with its CRI plugin. Notes: `restrict_oom_score_adj` because root here lacks
 * CAP_SYS_RESOURCE (negative oom_score_adj values are refused and runc fails); the `opt` plugin is off
 * (it would create /opt/containerd); cgroupfs driver (no systemd).
 */
export function containerdConfig(p: NodePaths, sandboxImage: string): string {
  return `# Written by the stack (stack/src/node/configs.ts); changes are overwritten at the next \`stack up\`.
version = 2
root = "${p.containerdRoot}"
state = "/run/containerd/state"
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = "${p.socket}"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${sandboxImage}"
  restrict_oom_score_adj = true
  max_concurrent_downloads = 4
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "${p.runc}"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${p.cniBinDir}"
    conf_dir = "${p.cniConfDir}"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "${p.registryHosts}"
`;
}

/** hosts.toml for `localhost:<port>`: inside the node, the stack's registry is at hostIp (plain HTTP). */
export function registryHostsToml(registryPort: number): string {
  const { name, hostAddress } = registryNames(registryPort);
  return `# ${name} as pods name it; the node's namespace reaches the stack's registry at ${hostAddress}.
server = "http://${hostAddress}"

[host."http://${hostAddress}"]
  capabilities = ["pull", "resolve"]
  skip_verify = true
`;
}

/** The pod network: one bridge in the node's namespace, host-local addresses, masquerade towards the host. */
export function cniConflist(): object {
  return {
    cniVersion: '1.0.0',
    name: 'oke-stack',
    plugins: [
      {
        type: 'bridge',
        bridge: 'cni0',
        isGateway: true,
        ipMasq: true,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: nodeNetwork.podCidr }]],
          routes: [{ dst: '0.0.0.0/0' }],
        },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  };
}

export function kubeletConfig(p: NodePaths): object {
  return {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: nodeNetwork.nodeIp,
    port: 10250,
    readOnlyPort: 0,
    healthzBindAddress: nodeNetwork.nodeIp,
    healthzPort: 10248,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true, cacheTTL: '30s' },
      x509: { clientCAFile: p.caCert },
    },
    authorization: { mode: 'Webhook' },
    containerRuntimeEndpoint: `unix://${p.socket}`,
    // cgroup v1 is in maintenance mode in 1.34 and refused by default from 1.35: say so explicitly.
    failCgroupV1: false,
    cgroupDriver: 'cgroupfs',
    cgroupsPerQOS: true,
    cgroupRoot: '/oke-stack',
    enforceNodeAllocatable: ['pods'],
    failSwapOn: false,
    makeIPTablesUtilChains: false,
    clusterDNS: [nodeNetwork.clusterDnsIp],
    clusterDomain: nodeNetwork.clusterDomain,
    resolvConf: p.resolvConf,
    serializeImagePulls: false,
    imageGCHighThresholdPercent: 95,
    imageGCLowThresholdPercent: 90,
    // A shared developer machine's disk is often fuller than a node's would be: evict only when nearly full.
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
    maxPods: 110,
    podPidsLimit: 4096,
    hairpinMode: 'hairpin-veth',
    rotateCertificates: false,
    serverTLSBootstrap: false,
    nodeStatusUpdateFrequency: '10s',
    shutdownGracePeriod: '0s',
    kubeAPIQPS: 50,
    kubeAPIBurst: 100,
    // Faster Secret/ConfigMap volume refresh than the 1 min default; a test cluster is small.
    syncFrequency: '20s',
  };
}

export function kubeProxyConfig(p: NodePaths): object {
  return {
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    mode: 'iptables',
    clientConnection: { kubeconfig: p.kubeProxyKubeconfig },
    hostnameOverride: nodeNetwork.nodeName,
    clusterCIDR: nodeNetwork.podCidr,
    bindAddress: nodeNetwork.nodeIp,
    healthzBindAddress: `${nodeNetwork.nodeIp}:10256`,
    metricsBindAddress: '127.0.0.1:10249',
    // 0: leave the kernel's conntrack settings alone (nf_conntrack_max is global, not per namespace).
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
    iptables: { minSyncPeriod: '1s', syncPeriod: '30s' },
  };
}

/** Cluster DNS: CoreDNS (built here, no `forward` plugin) answering cluster.local and reverse lookups only. */
export function corednsManifests(image: string): Array<Record<string, unknown>> {
  const ns = 'kube-system';
  const labels = { 'k8s-app': 'kube-dns' };
  const corefile = `.:53 {
    errors
    health {
        lameduck 2s
    }
    ready
    kubernetes ${nodeNetwork.clusterDomain} in-addr.arpa ip6.arpa {
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 30
    }
    prometheus :9153
    cache 30
    loadbalance
    reload
}
`;
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'coredns', namespace: ns } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'system:coredns' },
      rules: [
        { apiGroups: [''], resources: ['endpoints', 'services', 'pods', 'namespaces'], verbs: ['list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'system:coredns' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:coredns' },
      subjects: [{ kind: 'ServiceAccount', name: 'coredns', namespace: ns }],
    },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'coredns', namespace: ns }, data: { Corefile: corefile } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'coredns', namespace: ns, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: 'coredns',
            priorityClassName: 'system-cluster-critical',
            dnsPolicy: 'Default',
            // Port 53 as a non-root user, without file capabilities in the image: a namespaced, "safe" sysctl.
            securityContext: { sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '53' }] },
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            containers: [{
              name: 'coredns',
              image,
              args: ['-conf', '/etc/coredns/Corefile'],
              ports: [
                { name: 'dns', containerPort: 53, protocol: 'UDP' },
                { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
                { name: 'metrics', containerPort: 9153, protocol: 'TCP' },
              ],
              resources: { requests: { cpu: '50m', memory: '32Mi' }, limits: { memory: '128Mi' } },
              securityContext: {
                allowPrivilegeEscalation: false,
                capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] },
                readOnlyRootFilesystem: true,
              },
              livenessProbe: { httpGet: { path: '/health', port: 8080 }, initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 5 },
              readinessProbe: { httpGet: { path: '/ready', port: 8181 }, periodSeconds: 2 },
              volumeMounts: [{ name: 'config', mountPath: '/etc/coredns', readOnly: true }],
            }],
            volumes: [{ name: 'config', configMap: { name: 'coredns' } }],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kube-dns', namespace: ns, labels: { ...labels, 'kubernetes.io/name': 'CoreDNS' } },
      spec: {
        selector: labels,
        clusterIP: nodeNetwork.clusterDnsIp,
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
          { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
          { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
        ],
      },
    },
  ];
}

/**
 * The `kubernetes` Service's endpoints. The API server listens on loopback (its --endpoint-reconciler-type
 * is none: loopback endpoints are invalid), so the stack publishes where pods reach it: hostIp, where a
 * forwarder of the node component passes connections to the API server.
 */
export function apiServerEndpoints(port: number): Array<Record<string, unknown>> {
  const labels = { 'kubernetes.io/service-name': 'kubernetes', 'endpointslice.kubernetes.io/managed-by': 'oke-stack' };
  return [
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'kubernetes', namespace: 'default', labels },
      addressType: 'IPv4',
      endpoints: [{ addresses: [nodeNetwork.hostIp], conditions: { ready: true } }],
      ports: [{ name: 'https', port, protocol: 'TCP' }],
    },
  ];
}
