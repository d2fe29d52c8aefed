import { homedir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ports } from './types.js';

/** Repository root: two levels above stack/src. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where runtime state lives (one directory): OKE_STACK_STATE or <repo>/.stack. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.OKE_STACK_STATE ?? join(repoRoot, '.stack'));
}

/** Where binaries are cached by version, outside the clone: OKE_STACK_CACHE or ~/.cache/oke-dapr-stack. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.OKE_STACK_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'oke-dapr-stack'));
}

/** Fixed loopback ports, away from common defaults so a developer's own servers do not collide. */
export const defaultPorts: Ports = {
  kafkaPlaintext: 19092,
  kafkaSasl: 19093,
  kafkaController: 19094,
  kafkaNode: 19095,
  etcdClient: 12379,
  etcdPeer: 12380,
  kubeApiserver: 16443,
  kubeControllerManager: 16444,
  kubeScheduler: 16445,
  kwok: 16446,
  okeTokenWebhook: 16447,
  postgres: 15432,
  daprScheduler: 16450,
  daprSchedulerHealthz: 16451,
  daprSchedulerEtcdClient: 16452,
  daprSchedulerEtcdPeer: 16453,
  registry: 16460,
  prometheus: 16490,
};

/**
 * The real node's network. The node (containerd, kubelet, kube-proxy and, through CNI, its pods) lives in
 * the network namespace `netns`, which the stack creates and removes. The one link in the root namespace
 * is the stack's veth `hostVeth` (hostIp/30); its peer in the node's namespace is `eth0` with nodeIp.
 * The node's namespace has no default route: pods reach the node, each other, Services, and the stack's
 * servers that listen on hostIp, and nothing else. Pod and Service ranges exist only inside that namespace.
 */
export const nodeNetwork = {
  netns: 'oke-stack-node',
  hostVeth: 'oke-stack0',
  hostIp: '10.203.0.1',
  nodeIp: '10.203.0.2',
  prefixLength: 30,
  nodeName: 'oke-stack-node',
  podCidr: '10.244.0.0/24',
  serviceCidr: '10.96.0.0/16',
  /** First address of serviceCidr: the `kubernetes` Service. */
  apiServiceIp: '10.96.0.1',
  clusterDnsIp: '10.96.0.10',
  clusterDomain: 'cluster.local',
} as const;
